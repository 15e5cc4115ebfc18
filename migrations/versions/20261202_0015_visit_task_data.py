"""visit data per task and per person: task answers, readable reasons, who a document is for, form answers

- ``case_tasks.form_data``: the answers a task was completed with (JSON). A task whose form has ``scope: task``
  (a section's procedure task) keeps them here only, so they never flow through the case into another task's form.
- ``case_procedures.rule_text`` (the DMN rule's annotation, e.g. 「転入で前住所地の登録は失効: 希望者は登録」)
  and ``case_procedures.bring`` (what the resident brings, from the rule that fired).
- ``case_documents.subject_ids``: the resident ids a document is for (JSON list).
- ``case_form_answers``: what the counter answered for a visit's printed forms, per visit and per person, kept
  apart from the journey's data (no section's task starts from a bank account or a previous address).

Existing rows keep NULL: the code reads NULL as "nothing recorded" (no answers, no text, no people).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 15:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

COLUMNS = (("case_tasks", "form_data"), ("case_procedures", "rule_text"), ("case_procedures", "bring"),
           ("case_documents", "subject_ids"))


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.Text(), nullable=True))
    op.create_table(
        "case_form_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("case_id", name="uq_case_form_answers_case"),
    )


def downgrade():
    op.drop_table("case_form_answers")
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
