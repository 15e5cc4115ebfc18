"""Into the robot's drop folder: stage, commit, publish — so a crash never leaves a file the DB does not know.

Order of one run (:func:`export_to_folder`, the edge of the CLI command and the scheduled job):

1. remove ``*.partial`` files a failed run left behind, and publish every committed but undelivered export from
   the copy the database keeps (a crash after the commit loses nothing);
2. export and mark the pending rows and write each file as ``<name>.partial`` (the robot reads only ``*.csv``);
3. commit — if this fails, nothing is marked, and the next run exports the same rows again;
4. rename each ``.partial`` to its final name and record the delivery.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from core.actor import Actor
from core.db import db, utcnow
from core.tx import atomic
from integrations.rpa import export as rpa
from integrations.rpa.models import RpaExport, RpaExportFile

PARTIAL = ".partial"


def drop_folder(settings: Any) -> Path:
    """The robot's folder: ``<var_dir>/drop/rpa``."""
    return Path(settings.var_dir) / "drop" / "rpa"


def _write(path: Path, content: bytes) -> None:
    with path.open("wb") as out:
        out.write(content)
        out.flush()
        os.fsync(out.fileno())


def stage(export: RpaExport, folder: Path) -> None:
    """Write every file of ``export`` as ``<name>.partial``."""
    for f in export.files:
        _write(folder / (f.filename + PARTIAL), f.content)


def publish(*, export_id: int, folder: Path, now: datetime | None = None) -> RpaExport:
    """Move the export's files to their final names (rewriting them from the DB when missing); flushed."""
    export = rpa.get_export(export_id=export_id)
    for f in export.files:
        final, partial = folder / f.filename, folder / (f.filename + PARTIAL)
        if not partial.exists() or partial.stat().st_size != len(f.content):
            _write(partial, f.content)
        partial.replace(final)
    export.delivered_at = now or utcnow()
    db.session.flush()
    return export


def undelivered() -> list[int]:
    """Committed exports with files whose delivery was not recorded (a crash after their commit)."""
    with_files = select(RpaExportFile.export_id)
    return list(db.session.scalars(select(RpaExport.id).where(RpaExport.delivered_at.is_(None),
                                                              RpaExport.id.in_(with_files)).order_by(RpaExport.id)))


def export_to_folder(*, actor: Actor, folder: Path, trigger: str) -> RpaExport:
    """One full run (see the module docstring); commits."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*" + PARTIAL):
        stale.unlink()
    for export_id in undelivered():
        atomic(lambda export_id=export_id: publish(export_id=export_id, folder=folder))

    def work() -> int:
        export = rpa.create_export(actor=actor, trigger=trigger)
        stage(export, folder)
        return export.id

    export_id = atomic(work)
    return atomic(lambda: publish(export_id=export_id, folder=folder))


def scheduled_export(*, actor: Actor, now: datetime, settings: Any) -> tuple[str, str]:
    """The scheduled job (``rpa.export``): export into the drop folder; (status, message) for the job run."""
    export = export_to_folder(actor=actor, folder=drop_folder(settings), trigger="scheduler")
    names = ", ".join(f.filename for f in export.files) or "なし"
    return "succeeded", f"RPA 出力 {export.id}: {export.rows} 件（手入力 {export.manual_rows} 件） ファイル: {names}"
