"""A FY2024-style business added in the browser, with no change to the repository: the designer draws its task form
with form-js, uploads its printed form (field map and layout), creates its procedure table in dmn-js; a new 転入
case then routes the procedure to its section, and the visit prints the new form (read back with pdftotext)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.db import db, utcnow
from core.settings import REPO_ROOT
from core.tx import atomic
from tests.browser.conftest import ARTIFACTS, browser_login
from tests.conftest import actor, deploy_library
from tests.forms.support import pdf_text, squeeze
from tests.support.families import make_household
from workflows import runtime
from workflows.determination.models import CaseProcedure
from workflows.models import CaseTask
from workflows.visit import answers, intake

pytestmark = pytest.mark.browser
UPLOADS = REPO_ROOT / "tests" / "data" / "designer_business"
KEY, TABLE = "kaigo_yobo_apply", "proc_kaigo_yobo"


def _add_text_field(page, label: str, key: str) -> None:
    page.locator(".fjs-palette-field[data-field-type='textfield']").drag_to(
        page.locator(".fjs-form .fjs-drop-container-vertical").first)
    if not page.locator("#bio-properties-panel-label").is_visible():
        page.click("[data-group-id='group-general'] .bio-properties-panel-group-header")
    page.click("#bio-properties-panel-label")
    page.keyboard.press("Control+A")
    page.keyboard.type(label)
    page.fill("#bio-properties-panel-key", key)
    page.keyboard.press("Tab")
    page.wait_for_timeout(400)  # the panel writes a field after its debounce


def _draw_form(page, shot) -> None:
    page.goto("/designer/")
    page.fill("#new-form-key", KEY)
    page.fill("#new-form-title", "介護予防サービス 申請書")
    page.click("#new-form button[type=submit]")
    page.wait_for_selector("body[data-editor-ready='1']")
    _add_text_field(page, "希望するサービス", "service_wish")
    _add_text_field(page, "被保険者番号", "insured_no")
    page.set_input_files("#field-map-file", str(UPLOADS / "field_map.yaml"))
    page.set_input_files("#layout-file", str(UPLOADS / "layout.html"))
    for _ in range(50):  # the files are read by the page (FileReader); no wait_for_function: the CSP forbids eval
        if page.input_value("#layout") and page.input_value("#field-map"):
            break
        page.wait_for_timeout(100)
    assert "kaigo_yobo.apply" in page.input_value("#field-map")
    page.click("#check")
    page.wait_for_selector("#status.ok, #status.error")
    assert page.inner_text("#status") == "問題はありません。", page.inner_text("#problems")
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('デプロイしました')")
    assert page.inner_text("#status") == f"デプロイしました: {KEY} v1"
    shot(page, "form-deployed")


def _set_cell(page, column: str, value: str) -> None:
    page.click(f"td[data-row-id='r1'][data-col-id='{TABLE}_{column}']")
    page.keyboard.press("Control+A")
    page.keyboard.type(value)
    page.locator("h2#try-title").click()  # leave the cell


def _create_table(page, shot) -> None:
    page.goto("/designer/")
    page.fill("#new-decision-key", TABLE)
    page.fill("#new-decision-title", "介護予防の手続")
    page.click("form[aria-label='新しい判定表'] button[type=submit]")
    page.wait_for_selector("body[data-editor-ready='1']")
    _set_cell(page, "out_section", '"kourei"')
    _set_cell(page, "out_bring", '"介護保険被保険者証"')
    _set_cell(page, "out_forms", '"kaigo_yobo_nashi"')  # a form that does not exist: 検証 names the cell
    page.click("#check")
    page.wait_for_selector("#status.error")
    assert "規則 1・列「様式」" in page.inner_text("#problems") and "kaigo_yobo_nashi はありません" in page.inner_text(
        "#problems")
    shot(page, "table-refused")
    _set_cell(page, "out_forms", f'"{KEY}"')
    page.click("#evaluate")
    page.wait_for_selector("#result:has-text('判定結果')")
    assert json.loads(page.inner_text("#result").split("判定結果:")[1])["code"] == ["kaigo_yobo.apply"]
    page.click("#deploy")
    page.wait_for_selector("#status:has-text('デプロイしました')")
    assert page.inner_text("#status") == f"デプロイしました: {TABLE} v1"
    shot(page, "table-deployed")


def test_a_business_added_in_the_browser_routes_and_prints(page, shot) -> None:
    deploy_library()
    browser_login(page, "designer")
    _draw_form(page, shot)
    _create_table(page, shot)

    family = make_household()
    case = atomic(lambda: intake.start(process_key="journey_tennyu", resident_id=family[0].id, events=["tennyu"],
                                       actor=actor("counter"), today=utcnow().date(), members=[family[0].id]))
    interview = runtime.list_tasks(case_id=case.id)[0]
    atomic(lambda: runtime.complete_task(task_id=interview.id, data={"event_date": "2026-11-20"},
                                         actor=actor("counter")))
    procedure = db.session.scalar(db.select(CaseProcedure).where(CaseProcedure.case_id == case.id,
                                                                 CaseProcedure.code == "kaigo_yobo.apply"))
    assert procedure is not None and procedure.section_code == "kourei"
    task = db.session.get(CaseTask, procedure.task_id)
    assert (task.section_code, task.title, task.form_key) == ("kourei", "介護予防の手続", "procedure_task")

    questions = answers.questions(case_id=case.id)
    asked = {q.field.name: q for q in questions}  # the counter asks the new form's fields once (per person)
    assert asked["service_wish"].field.label == "希望するサービス" and asked["service_wish"].forms == (
        "介護予防サービス 申請書",)
    given = {"previous_address": "広島県広島市中区基町10-52", "applicant_name": "届出　太郎",
             "service_wish": "通所型サービス（週1回）", "insured_no": "0012345678"}
    def answer(q: Any) -> Any:
        return given.get(q.field.name) or q.default or (q.field.choices[0][0] if q.field.choices else "記入")

    wanted = [q for q in questions if q.field.name in given or q.required]  # the other forms' questions too
    values = {q.key: answer(q) for q in wanted if q.member is None}
    members: dict[str, dict[str, Any]] = {}
    for q in (q for q in wanted if q.member is not None):
        members.setdefault(str(q.member), {})[q.key] = answer(q)
    made = atomic(lambda: answers.prepare_documents(case_id=case.id, values=values, members=members,
                                                    actor=actor("counter"), status_url="http://127.0.0.1/status/x"))
    form = next(d for d in made if d.form_key == KEY)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{KEY}.pdf").write_bytes(form.pdf)  # to look at
    text = squeeze(pdf_text(form.pdf))
    for expected in ("介護予防サービス申請書", squeeze(family[0].name), "令和８年１１月２０日",
                     "通所型サービス（週1回）", "介護予防・日常生活支援総合事業の利用を申請します", "0012345678",
                     "届出人署名"):
        assert expected in text, expected
    assert b"/Subtype /Image" not in form.pdf and b"passwd" not in form.pdf  # the uploaded <img file://…> was cut
    guide = squeeze(pdf_text(next(d for d in made if d.doc_key == "guide").pdf))
    assert "介護予防の手続" in guide and "介護保険被保険者証" in guide and "令和8年12月4日" in guide
    assert not any(p.name.startswith(KEY) for p in (REPO_ROOT / "forms" / "library").iterdir())
