"""The RPA export: every accepted application not yet exported becomes one CSV row for the robot.

An application is a procedure of a case in state ``done`` whose printed form declares an ``rpa`` layout. One
file per procedure kind: CP932, CRLF, a header row (:mod:`.cp932` says how text is degraded). The mark that a
procedure was exported is its ``rpa_rows`` row (unique per procedure) holding the export id, written in the same
transaction as the export and its files: if anything fails before the commit, nothing is marked and the next
export takes the rows again; a second concurrent export cannot mark the same procedure twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core import audit
from core.actor import Actor
from core.db import db
from core.errors import Forbidden, NotFound
from core.i18n import N_
from forms import printforms
from integrations.rpa import cp932
from integrations.rpa.models import RpaExport, RpaExportFile, RpaRow
from workflows import runtime
from workflows.determination.models import CaseProcedure
from workflows.visit import context as ctx
from workflows.visit import documents

EXPORT_ROLES = ("manager",)
LEAD = ("連番", "案件番号", "手続コード")
TAIL = ("手入力要", "手入力理由")
SUPPORT_WITHHELD = "（支援措置）"


def layout(form: printforms.PrintForm) -> list[str]:
    """The header row of a procedure's file."""
    return [*LEAD, *(c.header for c in form.rpa), *TAIL]


def layouts_markdown() -> str:
    """docs/rpa-layouts.md: the column layout of every procedure's file, generated from the form folders."""
    lines = ["# RPA file layouts (generated from `forms/library/*/form.yaml`; do not edit by hand)", "",
             "Regenerate with `madoguchi docs build`. The rules (CP932, 外字, formulas) are in docs/rpa.md.",
             ""]
    for key in printforms.all_keys():
        form = printforms.get(key)
        if not form.rpa:
            continue
        lines += [f"## `{form.procedure}` — {form.title}", "", f"File: `{key}_<export id, 6 digits>.csv`", "",
                  "| # | header | source |", "|---|---|---|"]
        lead = [(h, "export") for h in LEAD] + [(c.header, c.value) for c in form.rpa] + [(h, "export") for h in TAIL]
        lines += [f"| {n} | {h} | `{src}` |" for n, (h, src) in enumerate(lead, start=1)]
        lines.append("")
    return "\n".join(lines)


def rpa_form(code: str) -> printforms.PrintForm | None:
    """The form whose ``rpa`` layout a procedure is exported with (None: not keyed by the robot)."""
    return next((f for f in printforms.for_procedure(code) if f.rpa), None)


def pending(*, since: datetime | None = None) -> list[CaseProcedure]:
    """Accepted procedures with an RPA layout that no export has marked yet, oldest first."""
    exported = select(RpaRow.case_procedure_id)
    query = (select(CaseProcedure).where(CaseProcedure.state == "done", CaseProcedure.id.not_in(exported))
             .order_by(CaseProcedure.id))
    if since is not None:
        query = query.where(CaseProcedure.completed_at >= since)
    return [p for p in db.session.scalars(query) if rpa_form(p.code) is not None]


def _row(form: printforms.PrintForm, proc: CaseProcedure, visit: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The cells of one application and the reasons it needs manual input.

    ``visit`` is masked for a protected household (whatever its papers were released for), and every column of a
    field the form declares ``location: true`` says 「（支援措置）」: the city's rule, no address of a protected
    resident leaves in a file, by the fields' declarations rather than by what the columns are called."""
    values = printforms.raw_values(form, visit)
    subject = visit["subject"] or {}
    protected = bool(subject.get("support_measure") or subject.get("protected_household"))
    located = {f.name for f in form.definition.fields if f.location}
    cells, reasons = [], []
    for column in form.rpa:
        value = values[column.value] if column.value in values else printforms.resolve(visit, column.value)
        if protected and column.value in located:
            value = SUPPORT_WITHHELD
        text, lost = cp932.cell(value)
        cells.append(text)
        if lost and "外字" not in reasons:
            reasons.append("外字")
    if protected:
        reasons.append("支援措置")
    return cells, reasons


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp932")  # strict: degrade() left nothing CP932 cannot hold


def create_export(*, actor: Actor, trigger: str = "api", since: datetime | None = None) -> RpaExport:
    """Export and mark every pending application, one file per procedure kind; flushed, not committed."""
    if not actor.has_role(*EXPORT_ROLES):
        raise Forbidden(N_("RPA 出力の権限がありません"))
    export = RpaExport(trigger=trigger, created_by=actor.username)
    db.session.add(export)
    db.session.flush()
    by_code: dict[str, list[CaseProcedure]] = defaultdict(list)
    for proc in pending(since=since):
        by_code[proc.code].append(proc)
    visits: dict[int, dict[str, Any]] = {}
    for code in sorted(by_code):
        _export_kind(export, code, by_code[code], visits)
    db.session.flush()
    audit.record(actor=actor, action="rpa.export", target_type="rpa_export", target_id=export.id,
                 details={"rows": export.rows, "manual_rows": export.manual_rows,
                          "files": [f.filename for f in export.files], "trigger": trigger})
    return export


def _export_kind(export: RpaExport, code: str, procs: list[CaseProcedure], visits: dict[int, dict[str, Any]]) -> None:
    form = rpa_form(code)
    assert form is not None
    rows: list[list[str]] = [layout(form)]
    for n, proc in enumerate(procs, start=1):
        if proc.case_id not in visits:
            visits[proc.case_id] = ctx.visit_context(runtime.get_case(proc.case_id))
            ctx.mask_protected(visits[proc.case_id])  # the robot's file: masked even when the papers were not
        visit = visits[proc.case_id]
        ids = documents.subject_ids(proc.subject_data)
        person = next((m for m in visit["members"] if m["id"] in ids), None) if form.per == "member" else None
        cells, reasons = _row(form, proc, documents.target_context(visit, person, form))
        lead = [str(n), str(proc.case_id), code]
        rows.append([*lead, *cells, "1" if reasons else "0", "・".join(reasons)])
        db.session.add(RpaRow(case_procedure_id=proc.id, export_id=export.id, procedure=code, manual=bool(reasons),
                              values_json=json.dumps(dict(zip(layout(form), rows[-1], strict=True)),
                                                     ensure_ascii=False)))
        export.rows += 1
        export.manual_rows += bool(reasons)
    content = _csv(rows)
    export.files.append(RpaExportFile(procedure=code, filename=f"{form.key}_{export.id:06d}.csv", rows=len(procs),
                                      sha256=hashlib.sha256(content).hexdigest(), content=content))


def list_exports(*, limit: int = 50) -> list[RpaExport]:
    """The newest exports first."""
    return list(db.session.scalars(select(RpaExport).order_by(RpaExport.id.desc()).limit(limit)))


def get_export(*, export_id: int) -> RpaExport:
    export = db.session.get(RpaExport, export_id)
    if export is None:
        raise NotFound(N_("RPA 出力 {export} はありません", export=export_id), details={"export_id": export_id})
    return export


def export_file(*, export_id: int, actor: Actor, procedure: str | None = None) -> tuple[str, bytes, str]:
    """(file name, bytes, media type): the one CSV, the CSV of ``procedure``, or a ZIP of all files."""
    if not actor.has_role(*EXPORT_ROLES):
        raise Forbidden(N_("RPA 出力の権限がありません"))
    export = get_export(export_id=export_id)
    files = [f for f in export.files if procedure in (None, f.procedure)]
    if not files:
        raise NotFound(N_("この出力にファイルはありません"), details={"export_id": export_id, "procedure": procedure})
    audit.record(actor=actor, action="rpa.download", target_type="rpa_export", target_id=export.id,
                 details={"files": [f.filename for f in files]})
    if len(files) == 1:
        return files[0].filename, files[0].content, "text/csv; charset=Shift_JIS"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in files:
            archive.writestr(f.filename, f.content)
    return f"rpa_export_{export.id:06d}.zip", buffer.getvalue(), "application/zip"
