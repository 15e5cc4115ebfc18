"""The 支援措置 mark every case and task row of the API carries, as the pages mark theirs."""

from __future__ import annotations

from typing import Any, ClassVar

import marshmallow as ma

from workflows.visit import protection


class ProtectionMarked(ma.Schema):
    """Adds ``protection`` to each dumped row: one lookup per response, however many rows.

    ``case_key`` names the dumped field that holds the case id."""

    case_key: ClassVar[str] = "case_id"
    protection = ma.fields.String(dump_only=True, allow_none=True, metadata={
        "description": "支援措置: flagged (the resident is protected), household (someone of the household is; "
                       "the address is shared), null (neither). Filled for every row."})

    @ma.post_dump(pass_collection=True)
    def _mark_protected(self, data: Any, many: bool, **_: Any) -> Any:
        items = data if many else [data]
        marks = protection.marks_by_case(item[self.case_key] for item in items)
        for item in items:
            item["protection"] = marks.get(item[self.case_key])
        return data
