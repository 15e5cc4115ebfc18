"""Tables of the engine: deployed model versions, spec snapshots, cases and the human-task mirror."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import db, utcnow

# The form of every task that carries a procedure (routed or added; see bpmn/journeys/): the tasks a visit's
# hand-over releases to the sections, and the only ones whose completion closes a procedure.
PROCEDURE_FORM = "procedure_task"


class ModelVersion(db.Model):
    """One deployed version of a process (BPMN) or decision table (DMN), with its XML as uploaded."""

    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_model_versions_key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "bpmn" or "dmn"
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    xml: Mapped[str] = mapped_column(Text)
    deployed_by: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpecSnapshot(db.Model):
    """A parsed process with everything it calls, serialised once and shared by every case started on it."""

    __tablename__ = "spec_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_hash: Mapped[str] = mapped_column(String(64), unique=True)
    process_key: Mapped[str] = mapped_column(String(200))
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    # The versions of every deployed file the snapshot was built from: {"key": version, ...}
    library: Mapped[str] = mapped_column(Text)
    # Deferred: read once per process into the spec cache, never with every case.
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    model_version: Mapped[ModelVersion] = relationship()


class Case(db.Model):
    """One visit's routed journey. ``workflow_json`` is TEXT on purpose: JSONB reorders keys and loses data."""

    __tablename__ = "cases"
    # completed_at: the manager's cases in flight (running, or finished since today) on years of history (0020).
    __table_args__ = (Index("ix_cases_state_created", "state", "created_at"),
                      Index("ix_cases_completed_at", "completed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("spec_snapshots.id"))
    # The snapshot's content hash, copied here so loading a case finds its cached spec without a join.
    spec_hash: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[int | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(16), default="running")  # running, completed, cancelled
    # Deferred: inboxes, lists and dashboards load cases by the hundred and never need their 10–240 KB workflow;
    # the runtime asks for it (runtime.get_case, get_task, the timer query).
    workflow_json: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # A visit still at the counter (interview, answers, signature): its procedure tasks wait for the hand-over
    # (migration 0022; runtime.waits_for_hand_over).
    awaiting_hand_over: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    version: Mapped[int] = mapped_column(default=1)
    snapshot: Mapped[SpecSnapshot] = relationship()
    tasks: Mapped[list[CaseTask]] = relationship(back_populates="case", order_by="CaseTask.id")

    __mapper_args__ = {"version_id_col": version}


class CaseTask(db.Model):
    """A human task, mirrored from the workflow so that inboxes never deserialise a case."""

    __tablename__ = "case_tasks"
    __table_args__ = (
        Index("ix_case_tasks_section_state", "section_code", "state"),
        Index("ix_case_tasks_case_state", "case_id", "state"),
        # The dashboard's ready queue and tasks completed in a period, on years of history (migration 0020).
        Index("ix_case_tasks_state_completed", "state", "completed_at"),
        UniqueConstraint("case_id", "task_uuid", name="uq_case_tasks_case_task"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    task_uuid: Mapped[str] = mapped_column(String(36))
    spec_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str | None] = mapped_column(String(100))
    section_code: Mapped[str | None] = mapped_column(String(32))
    form_key: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16), default="ready")  # ready, completed, cancelled
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]  # first read by someone who may work it (the task page, the API detail)
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(64))
    due_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]  # when its being overdue was announced (workflows.escalation)
    # The answers the task was completed with (JSON): the task's own data, see forms.taskforms "scope".
    form_data: Mapped[str | None] = mapped_column(Text, deferred=True)
    version: Mapped[int] = mapped_column(default=1)
    case: Mapped[Case] = relationship(back_populates="tasks")

    @property
    def answers(self) -> dict[str, Any]:
        """The task's own answers (empty until it is completed)."""
        return dict(json.loads(self.form_data)) if self.form_data else {}

    __mapper_args__ = {"version_id_col": version}


class Incident(db.Model):
    """A case stopped by a failed engine step (script, service task, decision): what failed, why, since when,
    and how it was resolved (retried, skipped, cancelled, migrated). The failed task stays in ERROR in the workflow."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_state_opened", "state", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_uuid: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(200))
    element_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # the step's BPMN type: ScriptTask, ServiceTask …
    message: Mapped[str] = mapped_column(Text)  # Japanese, for staff
    error: Mapped[str] = mapped_column(Text)  # the engine's own text, for whoever fixes the cause
    skippable: Mapped[bool] = mapped_column(default=False)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=1)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(16))  # retried, skipped, cancelled, migrated
    reason: Mapped[str | None] = mapped_column(Text)
    case: Mapped[Case] = relationship()
