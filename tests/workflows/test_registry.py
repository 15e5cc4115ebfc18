"""The spec registry through the real database: deploy, version, and refuse bad or hostile files."""

from __future__ import annotations

import pytest

from core.errors import Invalid, TooLarge
from tests.conftest import DATA_DIR, TENNYU_FIXTURE, actor, deploy_library
from web.model_rules import deploy_files
from workflows import registry

NS = ('xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
      'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"')
FORM = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property name="form" '
        'value="section_review"/></spiffworkflow:properties></bpmn:extensionElements>')

DUE_TOMORROW = FORM.replace('value="section_review"/>', 'value="section_review"/><spiffworkflow:property name="due" '
                            'value="明日"/>')


def process(body: str, *, lane: str = "市民課", refs: str = "task", key: str = "p") -> bytes:
    lanes = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs.split())
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions {NS} id="d" targetNamespace="t">\n'
            f'<bpmn:process id="{key}" isExecutable="true">\n'
            f'<bpmn:laneSet id="ls"><bpmn:lane id="l" name="{lane}">{lanes}</bpmn:lane></bpmn:laneSet>\n'
            f'{body}\n</bpmn:process>\n</bpmn:definitions>\n').encode()


def simple(task: str = f'<bpmn:userTask id="task" name="作業">{FORM}<bpmn:incoming>a</bpmn:incoming>'
                          '<bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>', **kw: str) -> bytes:
    return process('<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>' + task +
                   '<bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>'
                   '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="task"/>'
                   '<bpmn:sequenceFlow id="b" sourceRef="task" targetRef="e"/>', **kw)


def deploy(name: str, content: bytes) -> list:
    return deploy_files(files=[(name, content)], actor=actor("designer"))


def test_deploy_creates_versions_and_is_idempotent(app) -> None:
    first = [v for v in deploy_library(TENNYU_FIXTURE) if v.key == "tennyu"]
    assert [(v.key, v.version) for v in first] == [("tennyu", 1)]
    same = deploy_library(TENNYU_FIXTURE)  # same content: no new version
    assert [v.id for v in same if v.key == "tennyu"] == [first[0].id]
    changed = TENNYU_FIXTURE.read_bytes().replace(
        "転入届の審査・入力".encode(), "転入届の審査".encode())
    second = deploy("tennyu.bpmn", changed)
    assert second[0].version == 2
    assert [v.version for v in registry.list_versions("tennyu")] == [1, 2]
    assert all(len(v.content_hash) == 64 and v.deployed_by for v in registry.list_versions("tennyu"))


def test_bpmn_with_dmn_deploys_together(app) -> None:
    versions = deploy_files(files=[(p.name, p.read_bytes()) for p in
                                   [DATA_DIR / "engine/fee_rule.bpmn", DATA_DIR / "engine/certificate_fee.dmn"]],
                            actor=actor("designer"))
    assert {(v.key, v.kind) for v in versions} == {("fee_case", "bpmn"), ("certificate_fee", "dmn")}


@pytest.mark.parametrize(("content", "expected"), [
    (b"<bpmn:definitions", "1行目: XML として読めません"),
    (simple().replace(b"</bpmn:process>", b"</bpmn:proces>"), "6行目: XML として読めません"),
    (simple().replace(b'<bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>', b"")
     .replace(b'<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="task"/>', b""), "No start event"),
    (simple(lane="占い課"), "lane '占い課' is not a configured section lane"),
    (simple(task='<bpmn:userTask id="task" name="作業">' + DUE_TOMORROW + '<bpmn:incoming>a</bpmn:incoming>'
                 '<bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>'), "期限 '明日' は ISO 8601 の期間ではありません"),
    (simple(task=f'<bpmn:userTask id="task">{FORM.replace("section_review", "nope")}<bpmn:incoming>a'
                 '</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>'), "form 'nope', which is not"),
    (simple(task='<bpmn:serviceTask id="task"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator '
                 'id="os.system" resultVariable="r"><spiffworkflow:parameters/></spiffworkflow:serviceTaskOperator>'
                 '</bpmn:extensionElements><bpmn:incoming>a</bpmn:incoming>'
                 '<bpmn:outgoing>b</bpmn:outgoing></bpmn:serviceTask>'), "undefined operation 'os.system'"),
    (simple(task='<bpmn:scriptTask id="task"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>'
                 '<bpmn:script>import os</bpmn:script></bpmn:scriptTask>'), "script refused by the script sandbox"),
    (simple(task='<bpmn:scriptTask id="task"><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing>'
                 '<bpmn:script>x = ().__class__</bpmn:script></bpmn:scriptTask>'), "refused by the script sandbox"),
    (simple().replace(b'isExecutable="true"', b'isExecutable="false"'), "no executable process"),
    (b'<?xml version="1.0"?><html/>', "not a BPMN or DMN document"),
])
def test_invalid_models_are_refused_with_where_and_why(app, content: bytes, expected: str) -> None:
    with pytest.raises(Invalid) as info:
        deploy("bad.bpmn", content)
    assert expected in info.value.message + str(info.value.details)
    assert "bad.bpmn" in info.value.message
    assert registry.latest_versions() == []


@pytest.mark.parametrize("content", [
    b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>',
    b'<?xml version="1.0"?>\n<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">\n<d/>',
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<l>&lol2;</l>',
    '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<d>&x;</d>'
    .encode("utf-16"),
])
def test_hostile_xml_is_refused_before_parsing(app, content: bytes) -> None:
    with pytest.raises(Invalid) as info:
        deploy("evil.bpmn", content)
    assert "DTD・実体宣言は使えません" in info.value.message
    assert info.value.details["line"] == 2


def test_oversized_model_is_refused(app) -> None:
    limit = app.config["MADOGUCHI"].max_model_bytes
    with pytest.raises(TooLarge):
        deploy("huge.bpmn", simple() + b" " * limit)


def test_every_problem_is_listed(app) -> None:
    content = simple(lane="占い課", task='<bpmn:userTask id="task"><bpmn:extensionElements><spiffworkflow:properties>'
                                         '<spiffworkflow:property name="form" value="nope"/></spiffworkflow:properties>'
                                         '</bpmn:extensionElements><bpmn:incoming>a</bpmn:incoming>'
                                         '<bpmn:outgoing>b</bpmn:outgoing></bpmn:userTask>')
    with pytest.raises(Invalid) as info:
        deploy("two.bpmn", content)
    messages = [p["message"] for p in info.value.details["problems"]]
    assert any("占い課" in m for m in messages) and any("様式 'nope' はありません" in m for m in messages)
    assert all("ください" in m for m in messages)  # each says how to fix it
    assert all(p["element"] == "task" for p in info.value.details["problems"])
