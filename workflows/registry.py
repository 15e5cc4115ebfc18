"""The spec registry: deploy BPMN/DMN as numbered versions and hand out parsed specs, cached per hash.

A deployment validates every uploaded document against the currently deployed library, then stores
each changed key as a new version (unchanged files are not re-versioned). A case starts on a
*snapshot*: the process as parsed together with the versions of everything it calls at that moment,
serialised once. The case then keeps that snapshot whatever is deployed later.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from core import audit, users
from core.actor import Actor
from core.db import db
from core.errors import Conflict, Invalid, NotFound
from core.i18n import N_
from workflows import canonical, refusals, safe_xml, validation
from workflows.engine import CaseEngine, iter_task_specs
from workflows.models import ModelVersion, SpecSnapshot
from workflows.specs import Specs, is_mutable, private_copy

_CACHE_SIZE = 128
K = TypeVar("K")
V = TypeVar("V")
# What a user task without them gets (see with_defaults): the 確認 form of forms/library, the 総合窓口 section.
DEFAULT_FORM = "confirmation"
DEFAULT_SECTION = "madoguchi"


class LruCache(Generic[K, V]):
    """Values by key, least recently used dropped first, shared by all requests (threads) of a process; a miss
    loads outside the lock. Keys must name their content (a hash, the stored text), so an entry is never stale."""

    def __init__(self, size: int = _CACHE_SIZE) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K, load: Callable[[], V]) -> V:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = load()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Parsed specs by content hash (so never stale, whatever database is behind).
spec_cache: LruCache[str, Specs] = LruCache()
# (database, process key, library revision) -> spec hash, so a start does not re-parse an unchanged library.
_current_hashes: dict[tuple[str, str, int], str] = {}


def latest_versions() -> list[ModelVersion]:
    """The newest version of every deployed key."""
    newest = (db.select(ModelVersion.key, func.max(ModelVersion.version).label("v"))
              .group_by(ModelVersion.key).subquery())
    query = db.select(ModelVersion).join(newest, (ModelVersion.key == newest.c.key)
                                         & (ModelVersion.version == newest.c.v)).order_by(ModelVersion.key)
    return list(db.session.scalars(query))


def list_versions(key: str) -> list[ModelVersion]:
    rows = list(db.session.scalars(db.select(ModelVersion).where(ModelVersion.key == key)
                                   .order_by(ModelVersion.version)))
    if not rows:
        raise NotFound(N_("業務モデル {key} はありません", key=key), details={"key": key})
    return rows


def _documents_from_versions(versions: Iterable[ModelVersion]) -> list[validation.Document]:
    docs: dict[str, validation.Document] = {}
    for v in versions:
        if v.file_name in docs and v.key in docs[v.file_name].keys:
            continue
        root = safe_xml.parse(v.xml.encode("utf-8"), file_name=v.file_name, max_bytes=len(v.xml.encode()) + 1)
        docs.setdefault(f"{v.file_name}#{v.content_hash}", validation.classify(v.file_name, v.xml.encode(), root))
    return list(docs.values())


def parse_uploads(files: list[tuple[str, bytes]], *, max_bytes: int) -> list[validation.Document]:
    """Parse and classify uploaded files safely; Invalid/TooLarge name the file and line."""
    if not files:
        raise Invalid(N_("ファイルが送られていません（.bpmn か .dmn のファイルを添付してください）"),
                      details={"files": "at least one .bpmn or .dmn file"})
    return [validation.classify(name, content, safe_xml.parse(content, file_name=name, max_bytes=max_bytes))
            for name, content in files]


def default_lane() -> str | None:
    """The lane a user task without one goes to: that of the default section (総合窓口), if configured."""
    section = next((s for s in users.list_sections() if s.code == DEFAULT_SECTION), None)
    return section.lane if section is not None else None


def validate(documents: list[validation.Document], *, lanes: set[str], operation_names: set[str],
             form_exists: Callable[[str], bool]) -> list[validation.Problem]:
    """Problems of the uploaded documents when combined with the deployed library (empty = deployable).

    Decision tables are read cell by cell first: a table with a bad cell is not built at all."""
    problems = [p for d in documents if d.kind == "dmn" for p in validation.check_decision(d, form_exists)]
    if problems:
        return problems
    uploaded_keys = {k for d in documents for k in d.keys}
    library = _documents_from_versions([v for v in latest_versions() if v.key not in uploaded_keys])
    problems = validation.id_collisions(documents, library)
    if problems:
        return problems
    parser = validation.build_parser([*library, *documents])
    rules = validation.Rules(lanes=lanes, operation_names=operation_names, form_exists=form_exists,
                             default_lane=default_lane())
    for doc in documents:
        for key in doc.keys if doc.kind == "bpmn" else []:
            _, _, found = validation.check_process(parser, key, rules)
            problems.extend(p if p.file else validation.Problem(doc.file_name, p.message, p.element, p.line)
                            for p in found)
    return problems


def with_defaults(specs: Specs, lane: str | None) -> Specs:
    """A user task without a form gets the default confirmation form, one without a lane the default lane, as
    SpiffArena runs such tasks (it shows a plain "submit" and gives them to whoever started the process); written
    into the spec, so the case and its task list say where each task goes."""
    for task_spec in iter_task_specs(specs):
        if not getattr(task_spec, "manual", False):
            continue
        extensions = task_spec.extensions if isinstance(getattr(task_spec, "extensions", None), dict) else {}
        properties = extensions.setdefault("properties", {})
        properties.setdefault("form", DEFAULT_FORM)
        task_spec.extensions = extensions
        if task_spec.lane is None and lane is not None:
            task_spec.lane = lane
    return specs


def deploy(*, files: list[tuple[str, bytes]], actor: Actor, lanes: set[str], operation_names: set[str],
           form_exists: Callable[[str], bool], max_bytes: int) -> list[ModelVersion]:
    """Validate then store a new version of every changed key; Invalid lists every problem found."""
    documents = parse_uploads(files, max_bytes=max_bytes)
    problems = validate(documents, lanes=lanes, operation_names=operation_names, form_exists=form_exists)
    if problems:
        audit.record(actor=actor, action="model.deploy", outcome="rejected",
                     details={"files": [f for f, _ in files], "problems": [p.as_dict() for p in problems]})
        first = problems[0]
        raise Invalid(N_("{where}: {message}", where=": ".join(filter(None, (first.file, first.element))),
                         message=first.message),
                      details={"problems": [p.as_dict() for p in problems]})
    deployed = []
    for doc in documents:
        for key in doc.keys:
            deployed.append(_store_version(doc, key, actor))
    return deployed


def unchanged(latest: ModelVersion | None, doc: validation.Document) -> bool:
    """Whether ``doc`` says what ``latest`` says: byte for byte, or the same once formatting, prefixes, attribute
    order and the exporter are set aside (:mod:`workflows.canonical`) — a file only opened and saved in the editor."""
    if latest is None:
        return False
    if latest.content_hash == hashlib.sha256(doc.content).hexdigest():
        return True
    stored = safe_xml.parse(latest.xml.encode("utf-8"), file_name=latest.file_name,
                            max_bytes=len(latest.xml.encode()) + 1)
    return canonical.canonical(stored) == canonical.canonical(doc.root)


def _store_version(doc: validation.Document, key: str, actor: Actor) -> ModelVersion:
    content_hash = hashlib.sha256(doc.content).hexdigest()
    latest = db.session.scalar(db.select(ModelVersion).where(ModelVersion.key == key)
                               .order_by(ModelVersion.version.desc()).limit(1))
    if unchanged(latest, doc):
        return latest  # type: ignore[return-value]
    version = ModelVersion(key=key, kind=doc.kind, version=(latest.version + 1) if latest else 1,
                           name=doc.names.get(key), file_name=doc.file_name, content_hash=content_hash,
                           xml=doc.content.decode("utf-8"), deployed_by=actor.username)
    db.session.add(version)
    db.session.flush()
    audit.record(actor=actor, action="model.deploy", target_type="model", target_id=f"{key}@{version.version}",
                 details={"hash": content_hash, "file": doc.file_name})
    return version


def library_revision() -> int:
    """Changes whenever anything is deployed: the highest model version id."""
    return db.session.scalar(db.select(func.max(ModelVersion.id))) or 0


def current_snapshot(process_key: str, *, engine: CaseEngine) -> SpecSnapshot:
    """The snapshot new cases of ``process_key`` start on, built once per library revision."""
    memo_key = (str(db.engine.url), process_key, library_revision())
    known_hash = _current_hashes.get(memo_key)
    if known_hash is not None:
        snapshot = db.session.scalar(db.select(SpecSnapshot).where(SpecSnapshot.spec_hash == known_hash))
        if snapshot is not None:
            return snapshot
    versions = latest_versions()
    top = next((v for v in versions if v.key == process_key and v.kind == "bpmn"), None)
    if top is None:
        raise NotFound(N_("業務フロー {process} は公開されていません", process=process_key),
                       details={"process_key": process_key})
    try:
        parser = validation.build_parser(_documents_from_versions(versions))
        specs = with_defaults((parser.get_spec(process_key), parser.get_subprocess_specs(process_key)),
                              default_lane())
    except (ValidationException, SpiffWorkflowException) as err:  # a library deployed before today's checks
        raise Conflict(N_("{process} を開始できません: {reason}",
                          process=process_key, reason=refusals.explain(str(err))),
                       details={"process_key": process_key}) from err
    spec_json = engine.dump_spec(specs)
    spec_hash = hashlib.sha256(spec_json.encode()).hexdigest()
    snapshot = _stored_snapshot(spec_hash, process_key=process_key, model_version_id=top.id,
                                library=json.dumps({v.key: v.version for v in versions}), spec_json=spec_json)
    _current_hashes[memo_key] = spec_hash
    # Cached as read back from the JSON, like every other process will read it: the deserializer wires what
    # the parser leaves to run time (a multi-instance task's merge_child), so all processes run the same objects.
    spec_cache.get(spec_hash, lambda: engine.load_spec(spec_json))
    return snapshot


def warm(*, engine: CaseEngine) -> list[str]:
    """Build the start snapshot of every deployed process (parsed and cached), as the first case of each would;
    the keys that can start. Run by gunicorn's master before it forks (web/warmup.py), so that no worker makes a
    clerk's first visit wait for the parse (1.4–1.6 s under load in bench/load.py)."""
    started: list[str] = []
    for version in latest_versions():
        if version.kind != "bpmn":
            continue
        try:
            current_snapshot(version.key, engine=engine)
            started.append(version.key)
        except (NotFound, Conflict):  # a called process, or one that cannot start: its first start will say why
            continue  # raised before anything was written; the snapshots stored so far stay for the commit
    return started


def _stored_snapshot(spec_hash: str, **columns: Any) -> SpecSnapshot:
    """The snapshot row of ``spec_hash``, inserted if no process has stored it yet.

    Two workers starting the first case of a new library at the same moment both miss the row and both insert it;
    the insert runs in a savepoint so the loser reads the winner's row instead of failing the clerk's request with
    a unique violation (found by the load bench: a 500 on ``uq_spec_snapshots_spec_hash``)."""
    query = db.select(SpecSnapshot).where(SpecSnapshot.spec_hash == spec_hash)
    snapshot = db.session.scalar(query)
    if snapshot is not None:
        return snapshot
    try:
        with db.session.begin_nested():
            snapshot = SpecSnapshot(spec_hash=spec_hash, **columns)
            db.session.add(snapshot)
    except IntegrityError:
        snapshot = db.session.scalar(query)
        if snapshot is None:  # the other insert rolled back after all: nothing to read, so the race was not this one
            raise
    return snapshot


def specs_for(snapshot: SpecSnapshot, *, engine: CaseEngine) -> Specs:
    return specs_by_hash(snapshot.spec_hash, engine=engine)


def specs_by_hash(spec_hash: str, *, engine: CaseEngine) -> Specs:
    """The parsed spec of a snapshot; only a cache miss reads its JSON from the database.

    A spec that running cases may rewire (:func:`workflows.specs.is_mutable`) is never shared: the caller
    gets a private copy of the cached one, which itself is never run."""

    def load() -> Specs:
        text = db.session.scalar(db.select(SpecSnapshot.spec_json).where(SpecSnapshot.spec_hash == spec_hash))
        if text is None:
            raise NotFound(N_("業務モデルの版 {spec} が見つかりません", spec=spec_hash[:12]),
                           details={"spec_hash": spec_hash})
        return engine.load_spec(text)

    specs = spec_cache.get(spec_hash, load)
    return private_copy(specs) if is_mutable(specs) else specs


def export_latest() -> dict[str, Any]:
    """File name -> XML of the newest version of every key (for the city's own git)."""
    return {v.file_name: v.xml for v in latest_versions()}
