"""The house as documented: the README's layout table and docs/architecture.md name the folders and the layers
the code and the import-linter contract have."""

from __future__ import annotations

import re
import subprocess
import tomllib

from core.settings import REPO_ROOT


def _layers() -> list[str]:
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["type"] == "layers"]
    return contract["layers"]


def test_the_readme_layout_table_lists_every_top_level_folder() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([\w.-]+)/` \|", table, flags=re.MULTILINE))
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True).stdout
    folders = {line.split("/", 1)[0] for line in tracked.splitlines() if "/" in line and not line.startswith(".")}
    assert listed == folders, f"README lists {sorted(listed)}, the repository has {sorted(folders)}"


def test_the_layers_contract_covers_every_package_and_the_architecture_page_shows_it_in_order() -> None:
    layers = _layers()
    assert len(layers) >= 5
    packages = {p.parent.name for p in REPO_ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    assert set(layers) == packages
    drawing = (REPO_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split("```")[1]
    shown = [line.split()[0] for line in drawing.splitlines() if line.strip() and line.split()[0] not in {"│"}]
    assert shown == layers, "docs/architecture.md draws the floors in the contract's order, top first"
