"""Integrations with the city's other systems (core-system resident data, RPA, …)."""
