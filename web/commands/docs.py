"""``madoguchi docs build``: regenerate the pages of docs/ that are made from the code, never edited by hand.

- ``docs/procedures.md`` from the journeys and procedure tables in ``bpmn/`` (``workflows.determination.catalogue``);
- ``docs/rpa-layouts.md`` from the form folders (``integrations.rpa.export.layouts_markdown``);
- ``docs/conformance.md`` by posting every external BPMN/DMN file of ``tests/data/conformance`` to the deploy API of
  a scratch app with its own SQLite file (the configured database is never touched).

Tests render the same text and fail when a committed page differs; they never write into the repository.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.testing import FlaskClient

from core.settings import REPO_ROOT

# A copy of shared/conformance (licences in its LICENSES.md), so that a fresh clone builds and tests the page.
CONFORMANCE_DIR = REPO_ROOT / "tests" / "data" / "conformance"
CONFORMANCE_SUFFIXES = {".bpmn", ".dmn", ".xml"}
DEPLOY_URL = "/api/v1/process-models"


# --- docs/conformance.md ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deployment:
    """What ``POST /api/v1/process-models`` answered for one conformance file."""

    name: str  # relative to the conformance folder
    status: int
    body: Any
    run: str = ""  # what running each deployed process showed (run_each); "" for a decision table or a refusal

    @property
    def deployed(self) -> bool:
        return self.status == 201

    @property
    def detail(self) -> str:
        """The versions made, or the refusal's message."""
        if self.deployed:
            return ", ".join(f"{v['key']} v{v['version']}" for v in self.body)
        return str(((self.body or {}).get("error") or {}).get("message", ""))


def conformance_files(folder: Path) -> list[Path]:
    """The BPMN/DMN/XML files under ``folder``, in a stable order (the table's)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in CONFORMANCE_SUFFIXES)


def deploy_each(client: FlaskClient, headers: dict[str, str], folder: Path) -> list[Deployment]:
    """Post every file of ``folder`` alone; the refused ones once more, since what they call may be deployed now."""

    def post(path: Path) -> Deployment:
        with path.open("rb") as fh:
            response = client.post(DEPLOY_URL, headers=headers, data={"files": (fh, path.name)},
                                   content_type="multipart/form-data")
        return Deployment(str(path.relative_to(folder)), response.status_code, response.get_json(silent=True))

    files = conformance_files(folder)
    results = {path: post(path) for path in files}
    for path in [p for p, d in results.items() if not d.deployed]:
        results[path] = post(path)
    return [results[p] for p in files]


MAX_RUN_STEPS = 20


def run_each(deployments: list[Deployment]) -> list[Deployment]:
    """Start a case of every deployed process and complete its user tasks with nothing entered (what the default
    confirmation form allows), until it ends, waits for an event, or stops; the outcome of each, in words."""
    return [replace(d, run=_run(d)) if d.deployed else d for d in deployments]


def _run(deployment: Deployment) -> str:
    outcomes = [f"{v['key']}: {_run_process(v['key'])}" for v in deployment.body if v["kind"] == "bpmn"]
    return "; ".join(outcomes)


def _run_process(key: str) -> str:
    from core import users
    from core.db import db
    from core.errors import DomainError
    from workflows import incidents, runtime

    counter = users.actor_for(users.get_by_username("counter"))
    try:
        case = runtime.start_case(process_key=key, actor=counter, data={})
        for _ in range(MAX_RUN_STEPS):
            ready = runtime.list_tasks(case_id=case.id)
            if not ready:
                break
            runtime.complete_task(task_id=ready[0].id, data={}, actor=counter, section_checked=True)
        db.session.commit()
        state = runtime.get_case(case.id).state
    except DomainError as err:
        db.session.rollback()
        return f"stops: {err.message}"
    if state == "completed":
        return "ran to the end"
    stopped = incidents.for_case(case.id)
    if stopped:  # a failed step is an incident, not a wait
        return f"stops at an incident: {stopped[0].error}"
    if runtime.list_tasks(case_id=case.id):
        return f"still has user tasks after {MAX_RUN_STEPS} steps (a loop)"
    return "waits for a timer or a message"


def conformance_markdown(deployments: list[Deployment]) -> str:
    """docs/conformance.md; addresses in messages are dropped so that the page is the same on every run."""
    deployed = sum(1 for d in deployments if d.deployed)
    ran = sum(d.run.count("ran to the end") for d in deployments)
    lines = ["# Conformance: external BPMN/DMN files", "",
             "Generated by `madoguchi docs build` — do not edit by hand (`tests/designer/test_conformance.py` fails",
             "when it is stale). Each file of `tests/data/conformance/` (OMG MIWG reference models and exports,",
             "SpiffWorkflow's test diagrams) is posted alone to `POST /api/v1/process-models` (files that call others",
             "are retried once the rest are deployed). Madoguchi deploys what it can run at a counter and refuses the",
             "rest with the reason and how to fix it. Each deployed process is then started once and its user tasks",
             "completed with nothing entered (a user task without a form gets the default confirmation form, one",
             "without a lane goes to 総合窓口, as SpiffArena runs them): the run column says how far it got.", "",
             f"**{deployed} deployed, {len(deployments) - deployed} rejected, {len(deployments)} files; "
             f"{ran} processes ran to their end.**", "",
             "| file | outcome | versions / reason | run |", "|---|---|---|---|"]
    for d in deployments:
        why = _stable(d.detail)[:300]
        lines.append(f"| `{d.name}` | {'deployed' if d.deployed else 'rejected'} | {why} | {_stable(d.run)[:300]} |")
    return "\n".join(lines) + "\n"


def _stable(text: str) -> str:
    """A table cell: no object addresses (they change on every run), no pipes, one line."""
    return re.sub(r" at 0x[0-9a-f]+", "", text).replace("|", "/").replace("\n", " ")


def _scratch_app(folder: Path) -> Flask:
    """An app on a new SQLite file in ``folder`` with the sections and demo users, as the test suite starts."""
    from flask_migrate import upgrade

    from core import demo
    from core.db import db
    from core.settings import Settings
    from web.app import create_app

    settings = Settings(database_url=f"sqlite:///{folder / 'docs.sqlite3'}", secret_key="docs-build", demo=True,
                        demo_password="docs-build-1", bpmn_dir=str(REPO_ROOT / "bpmn"), var_dir=str(folder))
    app = create_app({"TESTING": True, "MADOGUCHI": settings, **settings.to_flask_config()})
    with app.app_context():
        upgrade(directory=app.config["MIGRATIONS_DIR"])
        demo.load_sections()
        demo.create_demo_users(password=settings.demo_password)
        db.session.commit()
    return app


def render_conformance(folder: Path) -> str:
    """docs/conformance.md for the files in ``folder``, deployed into a scratch database that is then deleted."""
    from core import users
    from core.db import db

    with tempfile.TemporaryDirectory(prefix="madoguchi-docs-") as tmp:
        app = _scratch_app(Path(tmp))
        with app.app_context():
            token, _ = users.issue_token(user=users.get_by_username("designer"), ttl_seconds=3600)
            db.session.commit()
            try:
                return conformance_markdown(run_each(deploy_each(app.test_client(),
                                                                 {"Authorization": f"Bearer {token}"}, folder)))
            finally:
                db.session.remove()
                db.engine.dispose()


# --- the command ------------------------------------------------------------------------------------------------


def generated_pages(conformance_dir: Path) -> dict[str, Callable[[], str] | None]:
    """Each generated page (path under the repository) and how to render it; None when its source is missing."""
    from integrations.rpa.export import layouts_markdown
    from workflows.determination import catalogue

    return {
        "docs/procedures.md": lambda: catalogue.render(REPO_ROOT / "bpmn"),
        "docs/rpa-layouts.md": layouts_markdown,
        "docs/conformance.md": (lambda: render_conformance(conformance_dir)) if conformance_dir.is_dir() else None,
    }


def register(app: Flask) -> None:
    @app.cli.group("docs")
    def docs_group() -> None:
        """The pages of docs/ generated from the code (procedures, RPA layouts, conformance)."""

    @docs_group.command("build")
    @click.option("--check", is_flag=True, help="write nothing; exit 1 if a page is stale")
    @click.option("--conformance", "conformance_dir", type=click.Path(file_okay=False, path_type=Path),
                  default=CONFORMANCE_DIR, show_default=True, help="folder of external BPMN/DMN files")
    def build_command(check: bool, conformance_dir: Path) -> None:
        """Regenerate docs/procedures.md, docs/rpa-layouts.md and docs/conformance.md (or --check them)."""
        stale = []
        for name, render in generated_pages(conformance_dir).items():
            if render is None:
                click.echo(f"{name}: skipped, no folder {conformance_dir} (--conformance)", err=True)
                continue
            path, text = REPO_ROOT / name, render()
            if path.exists() and path.read_text(encoding="utf-8") == text:
                click.echo(f"{name}: up to date")
            elif check:
                stale.append(name)
                click.echo(f"{name}: STALE")
            else:
                path.write_text(text, encoding="utf-8")
                click.echo(f"{name}: written")
        if stale:
            raise click.ClickException(f"stale: {', '.join(stale)}; run `madoguchi docs build`")
