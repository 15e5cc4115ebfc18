"""The scheduled jobs: one declarative list with stable ids, each job a function of its own package.

A job function has the signature ``(*, actor, now, settings) -> (status, message)``; it only flushes. The
runner (:mod:`.runner`) commits its work together with the run's outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger

from core import maintenance
from core.calendar import JST
from core.errors import NotFound
from core.i18n import N_
from integrations.imports import drop
from integrations.rpa import delivery as rpa_delivery
from integrations.scheduler.schedules import BusinessDayCronTrigger
from workflows import escalation, runtime
from workflows.visit import preentry

Outcome = tuple[str, str]  # (status, message)


@dataclass(frozen=True)
class JobSpec:
    id: str
    name: str
    description: str
    func: Callable[..., Outcome]
    trigger: Callable[[], CronTrigger]
    schedule: str  # for people


JOBS: list[JobSpec] = [
    JobSpec(id="residents.import_drop", name=N_("住民データ取込（基幹系ドロップフォルダ）"),
            description=N_("基幹系が置いたファイルを取り込みます（差分・全件）。"),
            func=drop.import_drop_folder,
            trigger=lambda: BusinessDayCronTrigger(hour=6, minute=30, timezone=JST),
            schedule=N_("開庁日 06:30")),
    JobSpec(id="rpa.export", name=N_("RPA出力（受理済み申請のCSV）"),
            description=N_("未出力の受理済み申請をRPA用ドロップフォルダへ出力します。"),
            func=rpa_delivery.scheduled_export,
            trigger=lambda: BusinessDayCronTrigger(hour="9-19", minute=0, timezone=JST),
            schedule=N_("開庁日 9〜19時 毎正時")),
    JobSpec(id="cases.timers", name=N_("案件タイマーの処理"),
            description=N_("期限が来たタイマー（督促・期限切れなど）の案件を進めます。"), func=runtime.fire_timers_job,
            trigger=lambda: CronTrigger(minute="*", timezone=JST), schedule=N_("毎分")),
    JobSpec(id="tasks.overdue", name=N_("期限超過の通知"),
            description=N_("期限を過ぎた作業を一度だけ通知します（アラートの通知先へ。住民の情報は含めません）。"),
            func=escalation.escalation_job,
            trigger=lambda: CronTrigger(minute="*/5", timezone=JST), schedule=N_("5分ごと")),
    JobSpec(id="ops.backup", name=N_("バックアップ（データベース全体）"),
            description=N_("データベースをバックアップし、古いものを削除します（保持数は設定）。"),
            func=maintenance.backup_job,
            trigger=lambda: CronTrigger(hour=2, minute=0, timezone=JST), schedule=N_("毎日 02:00")),
    JobSpec(id="ops.audit_retention", name=N_("操作ログの保存期間管理"),
            description=N_("保存期間（既定5年）を過ぎた操作ログを検証可能なアーカイブに移し、削除します。"),
            func=maintenance.audit_retention_job,
            trigger=lambda: CronTrigger(hour=3, minute=0, timezone=JST), schedule=N_("毎日 03:00")),
    JobSpec(id="ops.audit_partitions", name=N_("操作ログの月別パーティション作成"),
            description=N_("PostgreSQLで操作ログの今後3か月分のパーティションを作成し、既定パーティションに入った行を移します。"),
            func=maintenance.audit_partitions_job,
            trigger=lambda: CronTrigger(hour=2, minute=30, timezone=JST), schedule=N_("毎日 02:30")),
    JobSpec(id="visit.pre_entry_purge", name=N_("事前入力の期限切れ削除"),
            description=N_("住民がスマートフォンで入力した事前入力のうち、保存期間（既定7日）を過ぎたものを削除します。"),
            func=preentry.purge_job,
            trigger=lambda: CronTrigger(minute=15, timezone=JST), schedule=N_("毎時 15分")),
]


def get_spec(job_id: str) -> JobSpec:
    """The job with this id; NotFound otherwise."""
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise NotFound(N_("ジョブ {job} はありません", job=job_id))
