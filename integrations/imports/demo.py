"""Demo data for the resident DB: synthetic residents imported through the normal importer."""

from __future__ import annotations

from core.actor import Actor
from integrations.imports import generator, importer
from integrations.imports.models import ImportRun


def load(*, actor: Actor, count: int = 2000, seed: int = 2026) -> ImportRun:
    """Generate ``count`` residents and import them in full mode (flushed; the caller commits)."""
    data = generator.csv_bytes(list(generator.generate(count, seed=seed)))
    return importer.run_import(data=data, source="demo", mode="full", actor=actor, filename="demo.csv",
                               trigger="cli")
