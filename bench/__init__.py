"""Benchmarks of Madoguchi, run as scripts (see bench/README.md); never imported by the application."""
