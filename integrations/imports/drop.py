"""The drop folder the core systems write to, and the scheduled job that imports what they left there.

Every file is one unit of work, committed on its own (:func:`core.tx.atomic`), so a bad file does not undo the
good ones; only once it is committed is the file moved to ``done/`` or ``rejected/``: a file is never moved away
unless what it brought (or the record of its rejection) is stored.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from core import tx
from core.actor import Actor
from core.calendar import JST
from core.errors import DomainError
from core.i18n import N_
from integrations.imports import importer, mapping
from integrations.imports.models import ImportRun

IMPORTED_SUFFIXES = {".csv", ".txt", ".dat"}


def drop_folder(settings: Any) -> Path:
    """Where core systems put files for the import job: ``<var_dir>/drop/residents``."""
    return Path(settings.var_dir) / "drop" / "residents"


def source_and_mode(filename: str) -> tuple[str, str]:
    """``<source>.<full|diff>.<anything>`` names both; otherwise source ``kikan``, diff if 'diff' is named."""
    parts = filename.split(".")
    if len(parts) >= 3 and parts[1] in importer.MODES:
        return parts[0], parts[1]
    return "kikan", "diff" if "diff" in filename.lower() else "full"


def import_file(*, data: bytes, filename: str | None, source: str, mode: str, actor: Actor, settings: Any,
                trigger: str, now: datetime | None = None, progress: Any = None,
                confirm_deletions: bool = False) -> ImportRun:
    """Import one file with the mapping its source names (the drop folder's ``mappings/`` first, then the
    packaged ones); returns the recorded run, flushed (the page, API, command or job commits). A full file that
    would delete more than 5 % of the residents needs ``confirm_deletions`` (the drop-folder job never gives
    it: such a file is rejected and an administrator imports it on the page)."""
    found = mapping.find(source, dirs=[drop_folder(settings) / "mappings"])
    return importer.run_import(data=data, source=source, mode=mode, actor=actor, filename=filename, mapping=found,
                               trigger=trigger, now=now, progress=progress, confirm_deletions=confirm_deletions)


def preview_file(*, data: bytes, filename: str | None, source: str, mode: str, actor: Actor,
                 settings: Any) -> dict[str, Any]:
    """The dry run of :func:`import_file` (nothing kept): the counts an administrator sees before importing."""
    found = mapping.find(source, dirs=[drop_folder(settings) / "mappings"])
    return importer.preview(data=data, source=source, mode=mode, actor=actor, filename=filename, mapping=found)


def import_drop_folder(*, actor: Actor, now: datetime, settings: Any) -> tuple[str, str]:
    """The job ``residents.import_drop``: import every file of the drop folder in name order."""
    folder = drop_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMPORTED_SUFFIXES)
    if not files:
        return "succeeded", N_("取込ファイルはありません")
    lines, ok = [], True
    for path in files:
        status, label = _import_one(path, actor=actor, now=now, settings=settings)
        target = folder / ("done" if status == "succeeded" else "rejected")
        target.mkdir(exist_ok=True)
        path.rename(target / f"{now.astimezone(JST):%Y%m%d%H%M%S}_{path.name}")
        ok = ok and status == "succeeded"
        lines.append(f"{path.name}: {status} ({label})")
    return ("succeeded" if ok else "failed"), "\n".join(lines)


def _import_one(path: Path, *, actor: Actor, now: datetime, settings: Any) -> tuple[str, str]:
    """(status, label) of one file, committed as its own unit of work; a refused file leaves nothing behind."""
    source, mode = source_and_mode(path.name)
    try:
        run = tx.atomic(lambda: import_file(data=path.read_bytes(), filename=path.name, source=source, mode=mode,
                                            actor=actor, settings=settings, trigger="scheduler", now=now))
    except DomainError as err:
        return "rejected", err.message
    return run.status, f"run {run.id}"
