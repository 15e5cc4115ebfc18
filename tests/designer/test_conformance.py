"""Conformance: every external BPMN/DMN file of tests/data/conformance (a copy of shared/conformance, so that a fresh
clone runs this) is deployed or refused through the real API — never a crash — with a reason that says how to fix
it; at least 30 deploy, and each deployed process is started and run as far as it goes; what was deployed exports
back unchanged and re-deploys as a no-op. docs/conformance.md is the table of outcomes: ``madoguchi docs build``
writes it, this test fails when it is stale and never writes it."""

from __future__ import annotations

from core.settings import REPO_ROOT
from tests.conftest import api_headers
from web.commands import docs
from workflows import registry

CONFORMANCE = docs.CONFORMANCE_DIR
REPORT = REPO_ROOT / "docs" / "conformance.md"
GENERIC = {"", "error", "invalid", "internal server error", "bad request"}


def test_every_conformance_file_is_deployed_or_refused_with_a_reason(app, client, runner, tmp_path) -> None:
    deployments = docs.run_each(docs.deploy_each(client, api_headers("designer"), CONFORMANCE))
    assert len(deployments) == 100
    assert sum(d.deployed for d in deployments) >= 30
    for d in deployments:
        assert d.status in (201, 413, 422), (d.name, d.status, d.body)
        if not d.deployed:
            error = d.body["error"]
            assert error["message"].strip().lower() not in GENERIC, (d.name, d.body)
            assert error.get("details", {}).get("problems") or error.get("details"), (d.name, d.body)
            assert "ください" in error["message"], (d.name, error["message"])  # … and how to fix it
        elif any(v["kind"] == "bpmn" for v in d.body):
            assert d.run and all(part.split(": ", 1)[1] for part in d.run.split("; ")), d
    assert sum(d.run.count("ran to the end") for d in deployments) >= 5
    # a step that fails is reported as the incident it opens (issue 18), never as a silent wait
    assert sum(d.run.count("stops at an incident") for d in deployments) >= 5
    assert any(d.deployed for d in deployments)
    assert any(not d.deployed for d in deployments)
    assert REPORT.read_text(encoding="utf-8") == docs.conformance_markdown(deployments), \
        "docs/conformance.md is stale: run `madoguchi docs build`"

    before = {v.key: (v.version, v.content_hash) for v in registry.latest_versions()}
    out = tmp_path / "export"
    result = runner.invoke(args=["export-models", str(out)])
    assert result.exit_code == 0, result.output
    for version in registry.latest_versions():
        assert (out / version.file_name).read_text(encoding="utf-8") == version.xml
    again = runner.invoke(args=["deploy", str(out)])
    assert again.exit_code == 0, again.output
    assert {v.key: (v.version, v.content_hash) for v in registry.latest_versions()} == before


def test_docs_build_check_passes_on_the_committed_pages(runner) -> None:
    """``madoguchi docs build --check`` renders every page without writing; the committed ones are current."""
    before = {name: (REPO_ROOT / name).stat().st_mtime_ns for name in docs.generated_pages(CONFORMANCE)}
    result = runner.invoke(args=["docs", "build", "--check"])
    assert result.exit_code == 0, result.output
    for name in before:
        assert f"{name}: up to date" in result.output or (name == "docs/conformance.md" and not CONFORMANCE.is_dir())
    assert {name: (REPO_ROOT / name).stat().st_mtime_ns for name in before} == before


def test_docs_build_writes_only_stale_pages_and_check_writes_nothing(runner, monkeypatch, tmp_path) -> None:
    (tmp_path / "docs").mkdir()
    page = tmp_path / "docs" / "page.md"
    page.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(docs, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(docs, "generated_pages", lambda _folder: {"docs/page.md": lambda: "new\n", "docs/x.md": None})

    checked = runner.invoke(args=["docs", "build", "--check"])
    assert checked.exit_code == 1
    assert "docs/page.md: STALE" in checked.output
    assert "run `madoguchi docs build`" in checked.output
    assert "docs/x.md: skipped" in checked.output
    assert page.read_text(encoding="utf-8") == "old\n"

    built = runner.invoke(args=["docs", "build"])
    assert built.exit_code == 0, built.output
    assert "docs/page.md: written" in built.output
    assert page.read_text(encoding="utf-8") == "new\n"
    assert "docs/page.md: up to date" in runner.invoke(args=["docs", "build", "--check"]).output
