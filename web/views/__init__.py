"""Staff and public pages (Japanese, server-rendered), one blueprint per area."""

from __future__ import annotations

from flask import Flask

from web.views import (
    admin,
    auth,
    cases,
    counter,
    designer,
    documents,
    inbox,
    manager,
    manual,
    preentry,
    public,
    residents,
    tickets,
)


def register_page_blueprints(app: Flask) -> None:
    for module in (auth, inbox, cases, counter, documents, residents, manager, designer, admin, public, tickets,
                   preentry, manual):
        app.register_blueprint(module.bp)
