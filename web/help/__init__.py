"""The operations manual (操作マニュアル): one source, ``manual.yaml``, read three ways — the /help page, the
Markdown of ``docs/manual/`` and its PDF (``madoguchi manual build``, through the forms' WeasyPrint pipeline).

Its pictures are the browser tests' own screenshots (``tests/browser``: ``shot(page, name)`` writes
``test-artifacts/<test>/NN-<name>.png``), so the manual shows the pages as the last test run saw them; a step whose
screenshot has not been taken yet says so instead of showing an old picture.
"""

from __future__ import annotations

import base64
import shutil
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.i18n import N_
from core.settings import REPO_ROOT
from web.help import training

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "manual.yaml"
ARTIFACTS = REPO_ROOT / "test-artifacts"
OUT = REPO_ROOT / "docs" / "manual"
STATIC = REPO_ROOT / "web" / "static" / "manual"  # what /help shows (git-ignored, written by the build)
ROLE_NAMES = {"counter": "総合窓口", "section": "各課", "manager": "管理者", "designer": "業務設計担当",
              "admin": "システム管理者", "board": "表示板"}
NO_SHOT = N_("（画面写真は、ブラウザ試験 tests/browser を実行すると撮影されます）")


@dataclass(frozen=True)
class Step:
    text: str
    shot: str | None  # "<test name>/<screenshot name>"
    image: str  # the picture's file name in images/ ("<endpoint>-<n>.png")


@dataclass(frozen=True)
class Page:
    endpoint: str
    title: str
    purpose: str
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class Chapter:
    role: str
    title: str
    intro: str
    pages: list[Page]


@dataclass(frozen=True)
class Manual:
    title: str
    intro: str
    chapters: list[Chapter]

    @property
    def endpoints(self) -> dict[str, str]:
        """Each page named in the manual → the role of its chapter."""
        return {p.endpoint: c.role for c in self.chapters for p in c.pages}


@cache
def load(source: Path = SOURCE) -> Manual:
    """The manual as written in ``source``."""
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    chapters = []
    for c in raw["chapters"]:
        pages = [Page(endpoint=p["endpoint"], title=p["title"], purpose=p["purpose"],
                      steps=[Step(text=s["text"], shot=s.get("shot"), image=f"{p['endpoint']}-{i}.png")
                             for i, s in enumerate(p.get("steps") or [], 1)])
                 for p in c["pages"]]
        chapters.append(Chapter(role=c["role"], title=c["title"], intro=c["intro"], pages=pages))
    return Manual(title=raw["title"], intro=raw["intro"], chapters=chapters)


def screenshot(shot: str | None, artifacts: Path = ARTIFACTS) -> Path | None:
    """The newest screenshot the browser tests took for ``shot`` (None when none was taken)."""
    if not shot:
        return None
    test, name = shot.split("/", 1)
    found = sorted(artifacts.glob(f"{test}*/[0-9][0-9]-{name}.png"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


@dataclass
class Built:
    markdown: list[Path]
    pdf: Path
    images: int
    missing: list[str]  # shots not taken yet


def build(*, out: Path = OUT, static: Path | None = STATIC, artifacts: Path = ARTIFACTS) -> Built:
    """Write ``out``: index.md and one chapter per role (Markdown, Japanese), images/, and manual.pdf."""
    manual = load()
    images_dir = out / "images"
    images_dir.mkdir(parents=True, exist_ok=True)
    images, missing = {}, []
    for step in (s for c in manual.chapters for p in c.pages for s in p.steps if s.shot):
        if (found := screenshot(step.shot, artifacts)) is None:
            missing.append(step.shot)
            continue
        shutil.copyfile(found, images_dir / step.image)
        images[step.image] = images_dir / step.image
        if static is not None:
            static.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(found, static / step.image)
    markdown = [_write(out / "index.md", _index(manual))]
    markdown += [_write(out / f"{c.role}.md", _chapter(c)) for c in manual.chapters]
    markdown.append(_write(out / "training.md", _training(training.load())))
    pdf = out / "manual.pdf"
    pdf.write_bytes(pdf_bytes(images))
    return Built(markdown=markdown, pdf=pdf, images=len(images), missing=missing)


def shown_images(folder: Path = STATIC) -> dict[str, Path]:
    """The pictures the last build left for /help: file name → path."""
    return {p.name: p for p in folder.glob("*.png")} if folder.is_dir() else {}


def pdf_bytes(images: dict[str, Path]) -> bytes:
    """The manual as a PDF (A4, the forms' fonts), with ``images`` (file name → path) in their steps."""
    from forms.render import html_to_pdf  # WeasyPrint loads only when a PDF is made

    html = _environment().get_template("print.html").render(manual=load(), training=training.load(), images=images,
                                                            no_shot=NO_SHOT, role_names=ROLE_NAMES)
    return html_to_pdf(html)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _index(manual: Manual) -> str:
    lines = [f"# {manual.title}", "", manual.intro, "", "## 目次", ""]
    lines += [f"- [{c.title}]({c.role}.md)" for c in manual.chapters]
    lines += ["- [研修テキスト（演習）](training.md)"]
    lines += ["", "PDF 版: [manual.pdf](manual.pdf)（`madoguchi manual build` が書き出します）", ""]
    return "\n".join(lines)


def _training(book: training.Training) -> str:
    """The training text: each exercise's task and the outcome to expect."""
    lines = [f"# {book.title}", "", book.intro, ""]
    for n, e in enumerate(book.exercises, 1):
        lines += [f"## 演習{n}　{e.title}（{ROLE_NAMES.get(e.role, e.role)}・{e.user}）", "", f"- やること：{e.task}",
                  f"- 期待する結果：{e.expected}", ""]
    return "\n".join(lines)


def _chapter(chapter: Chapter) -> str:
    lines = [f"# {chapter.title}", "", chapter.intro, ""]
    for page in chapter.pages:
        lines += [f"## {page.title}", "", f"<a id=\"{page.endpoint}\"></a>画面の目的：{page.purpose}", ""]
        for n, step in enumerate(page.steps, 1):
            lines += [f"{n}. {step.text}", ""]
            if step.shot:  # the same text whether or not the screenshot has been taken on this machine
                lines += [f"   ![{page.title}（手順{n}）](images/{step.image})", ""]
    return "\n".join(lines)


@cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE), autoescape=select_autoescape(["html"]))
    env.filters["data_uri"] = lambda path: "data:image/png;base64," + base64.b64encode(Path(path).read_bytes()).decode()
    return env
