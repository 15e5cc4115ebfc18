"""What the warm render's speed relies on (docs/forms.md, "Rendering speed"): each pin can fail on its own."""

from __future__ import annotations

import gc
import io
import re

import lxml.html
import pytest
import segno
from PIL import Image

from forms import printhtml, render
from forms.printhtml import PrintHTML
from tests.forms.support import weasyprint_alone
from workflows.visit import guidetexts

# A form-sized page: enough boxes for the collector's young generations to fill up several times.
HTML = "<table class='box'>" + "".join(
    f"<tr><th>項目{i}</th><td class='fit' style='font-size:10pt'>山口県山口市亀山町{i}-1</td></tr>" for i in range(30)
) + "</table>"


@pytest.fixture
def collector_on():
    """The collector enabled with the interpreter's default thresholds, as in the web process."""
    was, thresholds = gc.isenabled(), gc.get_threshold()
    gc.enable()
    gc.set_threshold(700, 10, 10)
    render.html_to_pdf(HTML)  # warm: stylesheet, fonts, caches
    gc.collect()
    yield
    gc.set_threshold(*thresholds)
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_a_render_promotes_nothing_to_the_older_generations() -> None:
    older = [s["collections"] for s in gc.get_stats()[1:]]
    render.html_to_pdf(HTML)
    assert [s["collections"] for s in gc.get_stats()[1:]] == older  # no generation 1/2 collection ran inside
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_caller_that_disabled_the_collector_keeps_it_disabled() -> None:
    gc.disable()
    render.html_to_pdf(HTML)
    assert not gc.isenabled()


def test_shrink_writes_a_size_only_when_the_value_would_not_fit_at_the_class_size() -> None:
    assert render.shrink("徳永　明美", 150, 1, 13) == ""  # base.css gives td.kanji its 13pt
    long_name = "長" * 60
    assert render.shrink(long_name, 150, 1, 13) == f' style="{render.fit(long_name, 150, 1, 13)}"'
    assert render.fit_pt(long_name, 150, 1, 13) < 13
    assert render.shrink("回答", 150, 2, 9, 10.5) == ' style="font-size:9pt"'  # a size other than the class's


def test_every_stream_is_deflated_although_weasyprint_writes_them_uncompressed() -> None:
    pdf = render.html_to_pdf(HTML + "<p>髙﨑　𠮷田</p>")
    streams = len(re.findall(rb"[^d]stream\r?\n", pdf))
    assert streams >= 3  # page content, font files, CMaps
    assert pdf.count(b"/FlateDecode") == streams
    assert b"IPAexMincho" in pdf and b"IPAmjMincho" in pdf


def _signature() -> str:
    """A signature as the tablet sends it: a transparent PNG with one stroke, as a data URI."""
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 17)), (0, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return render.data_uri(buffer.getvalue())


def test_the_guide_and_a_signed_box_print_byte_for_byte_as_weasyprint_parses_and_styles_them_by_itself() -> None:
    guide = render.render_html(
        "guide.html", case={"ticket_no": "A-107"}, today="2026-11-20", status_url="https://x.invalid/",
        city={"name": "山口市", "mayor": "山口市長", "office_hours": "08:30-17:15"},
        qr=segno.make("https://x.invalid/status/TOKEN", error="m").svg_data_uri(scale=4, border=2),
        procedures=[{"name": "転入届", "where": "市民課", "due": "令和8年12月4日", "state": "done",
                     "state_label": "本日手続済", "bring": ["本人確認書類", "転出証明書"], "note": "世帯全員分",
                     "people": "山口 太郎・山口 花子", "reason": "転入", "rule": "proc_juki#r1"}],
        how_to="番号が表示されたら窓口へ", notifier="山口 太郎", proxy_letter="委任状", t=guidetexts.texts("ja"),
        language="ja")
    signed = ("<table class='box'><tr><th>届出人署名</th><td class='sign'>"
              f"<img src='{_signature()}' alt='署名'></td></tr></table>")
    for html in (guide, signed):
        assert render.html_to_pdf(html) == weasyprint_alone(html)


def test_the_templates_are_parsed_by_lxml() -> None:
    assert isinstance(PrintHTML("<p>届出　太郎</p>", base_url=".").etree_element, lxml.html.HtmlElement)


@pytest.mark.parametrize("html", ["", "<p>届出\0太郎</p>"])
def test_what_libxml2_would_read_otherwise_is_parsed_by_weasyprint(html: str) -> None:
    assert render.html_to_pdf(html) == weasyprint_alone(html)


def test_the_user_agent_sheet_is_weasyprints_own_without_the_selectors_no_form_matches() -> None:
    source = printhtml.WEASYPRINT_UA_CSS.read_text(encoding="utf-8")
    trimmed = printhtml.trimmed_user_agent_css(source)
    assert "[hidden]" in source and "::footnote-call" in source  # what there was to trim
    assert "[" not in trimmed and ":is(" not in trimmed and "::footnote" not in trimmed and "input" not in trimmed
    assert "@counter-style" not in trimmed and "@page" in trimmed
    assert "li::marker { font-variant-numeric" in trimmed and "\n::marker" not in trimmed
    assert "td, th { display: table-cell }" in trimmed  # a list keeps its other selectors ("td[hidden]" went)
    assert "b, strong, th { font-weight: bold }" in trimmed
