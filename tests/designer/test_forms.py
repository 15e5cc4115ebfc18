"""Forms deployed from the designer's page, through the real API and database: a form-js schema becomes the task
form (versioned; unchanged = no new version); a printed form's field map and layout print in a sandbox that lets
nothing out (no Python internals, no files, no links); every refusal names what to fix."""

from __future__ import annotations

import pytest

from core.errors import Invalid
from forms import printforms, printupload, render, taskforms
from tests.conftest import api_headers, login

SCHEMA = {"type": "default", "components": [
    {"type": "textfield", "key": "service_wish", "label": "希望するサービス", "validate": {"required": True}},
    {"type": "number", "key": "visits", "label": "回数", "validate": {"min": 1, "max": 7}},
    {"type": "select", "key": "kind", "label": "区分", "values": [{"value": "a", "label": "通所"}]},
    {"type": "text", "text": "説明文は項目ではありません"},
]}
FIELD_MAP = "procedure: kaigo_yobo.apply\nper: visit\ninclude: [person]\nguide: {where: 3番窓口, bring: [保険証]}\n"


def deploy(client, **body):
    return client.post("/api/v1/designer/forms/deploy", headers=api_headers("designer"),
                       json={"key": "kaigo_yobo_apply", "title": "介護予防 申請書", "schema": SCHEMA, **body})


def test_a_form_js_schema_becomes_the_task_form_and_is_versioned(client) -> None:
    first = deploy(client)
    assert first.status_code == 201 and first.get_json() | {"deployed_at": None} == {
        "key": "kaigo_yobo_apply", "version": 1, "title": "介護予防 申請書", "new": True, "printed": False,
        "deployed_by": "designer", "deployed_at": None}
    form = taskforms.get("kaigo_yobo_apply")
    assert [(f.name, f.type, f.required) for f in form.fields] == [
        ("service_wish", "string", True), ("visits", "integer", False), ("kind", "choice", False)]
    assert taskforms.validate_data("kaigo_yobo_apply", {"service_wish": "通所", "visits": "3"}) == {
        "service_wish": "通所", "visits": 3, "kind": None}
    with pytest.raises(Invalid):
        taskforms.validate_data("kaigo_yobo_apply", {"service_wish": "通所", "visits": "9"})
    assert deploy(client).get_json()["new"] is False  # unchanged: no new version
    changed = {**SCHEMA, "components": SCHEMA["components"][:1]}
    assert deploy(client, schema=changed).get_json()["version"] == 2
    assert [f.name for f in taskforms.get("kaigo_yobo_apply").fields] == ["service_wish"]  # the newest, at once
    with pytest.raises(Exception):  # noqa: B017,PT011 - a task-only form is no printed form
        printforms.get("kaigo_yobo_apply")


@pytest.mark.parametrize(("body", "expected"), [
    ({"key": "Bad-Key"}, "様式のキー「Bad-Key」は使えません"),
    ({"title": " "}, "様式の名前を 1〜200 文字で入れてください"),
    ({"schema": {"components": [{"type": "filepicker", "key": "f"}]}}, "部品の種類「filepicker」は様式に使えません"),
    ({"schema": {"components": [{"type": "textfield", "key": "1x"}]}}, "キー「1x」は変数名として使えません"),
    ({"schema": {"components": [{"type": "select", "key": "k"}]}}, "選択肢がありません"),
    ({"print_map": "procedure: kaigo\n"}, "procedure に手続コードを書いてください"),
    ({"print_map": FIELD_MAP + "mapping: {nope: subject.name}\n"}, "mapping の nope は様式にない項目です"),
    ({"print_map": "procedure: [\n"}, "項目対応表を YAML として読めません"),
    ({"print_map": FIELD_MAP + "defaults: {service_wish: [x]}\n"}, "defaults の service_wish は applicant.name の形か"),
    ({"print_map": FIELD_MAP + "defaults: {service_wish: {path: case.event, paths: {tenkyo: 'Sub ject'}}}\n"},
     "defaults の service_wish は applicant.name の形か"),
    ({"template": "<p>x</p>"}, "レイアウトだけでは印刷できません"),
    ({"print_map": FIELD_MAP, "template": "{% include 'base.html' %}"}, "extends・include・import・block は使えません"),
    ({"print_map": FIELD_MAP, "template": "<p>\n{{ v.name </p>"}, "レイアウトの 2行目が読めません"),
])
def test_every_refusal_says_what_to_fix(client, body, expected) -> None:
    refused = deploy(client, **body)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert expected in error["message"] and "ください" in error["message"] + str(error["details"]), error
    checked = client.post("/api/v1/designer/forms/check", headers=api_headers("designer"),
                          json={"key": "kaigo_yobo_apply", "title": "介護予防 申請書", "schema": SCHEMA, **body})
    assert expected in checked.get_json()["problems"][0]["message"]
    assert not client.get("/api/v1/designer/forms/kaigo_yobo_apply", headers=api_headers("designer")).get_json()[
        "version"]


def _context() -> dict:
    person = {"name": "山田　花子", "name_kana": "ヤマダ　ハナコ", "birth_date": "1950-04-01", "postal_code": "7530000",
              "address": "山口市亀山町2-1", "foreign": False}
    return {"subject": person, "applicant": {}, "household": {}, "members": [person], "answers": {},
            "case": {"ticket_no": "A-1"}, "city": {"mayor": "山口市長"}, "today": "2026-12-02"}


def test_an_uploaded_layout_prints_in_a_sandbox_that_lets_nothing_out(client) -> None:
    layout = ('<table class="box">{{ m.row("希望", v.service_wish) }}</table>'
              '<p class="x" style="font-size:9pt" onclick="alert(1)">{{ subject.name }}</p>'
              '<img src="file:///etc/passwd"><img src="data:image/png;base64,AAAA" alt="ok">'
              '<a href="file:///etc/hostname">リンク</a><link rel="attachment" href="file:///etc/passwd">'
              '<script>alert(1)</script><style>p { background: url(file:///etc/passwd) }</style>'
              '<p style="background:url(file:///etc/passwd)">styled</p>')
    assert deploy(client, print_map=FIELD_MAP, template=layout).status_code == 201
    form = printforms.get("kaigo_yobo_apply")
    assert (form.procedure, form.template.partition("#")[0], form.guide["where"]) == (
        "kaigo_yobo.apply", "deployed:kaigo_yobo_apply@1", "3番窓口")
    assert form.mapping["name"] == "subject.name"  # from the person block
    values = printforms.values_for(form, {**_context(), "answers": {"service_wish": "通所型"}})
    html = render.render_html(form.template, **_context(), form=form, v=values, fields=form.definition.fields,
                              shown=(), signature=None)
    assert "通所型" in html and "山田　花子" in html and "介護予防 申請書" in html and "届出人署名" in html
    for gone in ("file:", "onclick", "<script", "<style", "<link", "<a ", "url("):
        assert gone not in html, gone
    assert "リンク" in html and 'src="data:image/png;base64,AAAA"' in html and 'style="font-size:9pt"' in html
    pdf = render.html_to_pdf(html)
    assert b"root:" not in pdf

    escape = '{{ "".__class__.__mro__[1].__subclasses__() }}'
    assert deploy(client, print_map=FIELD_MAP, template=escape).status_code == 201
    form = printforms.get("kaigo_yobo_apply")
    with pytest.raises(Invalid) as refused:
        render.render_html(form.template, **_context(), form=form, v=values, fields=(), shown=(), signature=None)
    assert "業務設計の「様式」でレイアウトを直してください" in refused.value.message


def test_a_library_form_opened_and_deployed_again_keeps_its_defaults(client) -> None:
    """The designer's round trip: what the counter's questions start with (the 年金 届出者 = the 届出人) survives
    opening the library's form in the editor and deploying it unchanged."""
    login(client, "designer")
    source = client.get("/api/v1/designer/forms/nenkin_death").get_json()
    assert "defaults:" in source["print_map"] and "claimant_name: applicant.name" in source["print_map"]
    deployed = client.post("/api/v1/designer/forms/deploy", headers=api_headers("designer"),
                           json={"key": "nenkin_death", "title": source["title"], "schema": source["schema"],
                                 "print_map": source["print_map"], "template": source["template"]})
    assert deployed.status_code == 201, deployed.get_json()
    assert printforms.get("nenkin_death").defaults == {"claimant_name": "applicant.name",
                                                        "claimant_relation": "applicant.relation_to_subject"}


def test_the_editor_opens_a_library_form_with_its_printed_part(client) -> None:
    login(client, "designer")
    source = client.get("/api/v1/designer/forms/kouki_join").get_json()
    assert source["origin"] == "library" and source["title"] == "後期高齢者医療 被保険者資格取得届"
    assert [c["key"] for c in source["schema"]["components"]] == ["join_date", "previous_prefecture",
                                                                    "burden_certificate"]
    assert source["schema"]["components"][0]["dateLabel"] == "資格取得日"  # form-js shows a date's dateLabel
    assert "procedure: kouki.join" in source["print_map"] and "include: [person, household, applicant]" in source[
        "print_map"]
    page = client.get("/designer/forms/juki_tennyu/edit").get_data(as_text=True)
    assert "m.members_table" in page and "designer/dist/form-editor.js" in page
    assert client.get("/designer/forms/Bad-Key/edit").status_code == 422
    assert printupload.clean("<p>x</p>").endswith("<p>x</p></body></html>")
