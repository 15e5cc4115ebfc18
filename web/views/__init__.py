"""Staff and public pages (Japanese, server-rendered), one blueprint per area."""

from __future__ import annotations

from flask import Flask

from web.views import (
    admin,
    auth,
    batches,
    cases,
    counter,
    designer,
    documents,
    inbox,
    incidents,
    manager,
    public,
    residents,
)


def register_page_blueprints(app: Flask) -> None:
    for module in (auth, inbox, cases, counter, documents, residents, manager, incidents, batches, designer, admin,
                   public):
        app.register_blueprint(module.bp)
