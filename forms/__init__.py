"""Form definitions (様式): field schemas for staff task forms and, later, printed application forms."""
