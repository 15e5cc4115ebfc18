"""The Flask application: pages for staff, the JSON API and the command line. Thin: parse, call, render."""
