"""Addresses the web layer gives to the services: the public status page a guide's QR code points to."""

from __future__ import annotations

from flask import url_for

from workflows.visit import status


def status_url(case_id: int) -> str:
    """The case's public status page, with its unguessable token (created on first use)."""
    return url_for("public.status", token=status.token_for(case_id), _external=True)
