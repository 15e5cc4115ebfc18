"""The ticket slip (整理券) for a receipt printer: 80 mm wide, the number large, the estimate, and a QR code to
the ticket's status page. Printed through the forms' pipeline (``forms.render``, WeasyPrint); nothing on it
names the resident."""

from __future__ import annotations

from datetime import datetime

import segno

from core import city
from core.calendar import JST
from core.db import utcnow
from forms import render
from workflows.visit import tickets, waits
from workflows.visit.queue_models import Ticket


def slip_pdf(*, ticket: Ticket, status_url: str, now: datetime | None = None) -> bytes:
    """The slip of ``ticket`` with where it stands at ``now``; ``status_url`` is what the QR code holds."""
    estimate = waits.estimate(now=now or utcnow())
    html = render.render_html(
        "ticket_slip.html", city_name=city.get("city_name"), purpose=tickets.purpose_of(ticket).label,
        label=ticket.label, ahead=estimate.ahead.get(ticket.id, 0) if ticket.state == "waiting" else 0,
        minutes=waits.minutes(estimate.ticket.get(ticket.id)) or 0,
        issued=ticket.issued_at.astimezone(JST).strftime("%H:%M"),
        qr=segno.make(status_url, error="m").svg_data_uri(scale=4, border=2))
    return render.html_to_pdf(html)
