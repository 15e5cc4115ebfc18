"""What the warm render's speed relies on (docs/forms.md, "Rendering speed"): each pin can fail on its own."""

from __future__ import annotations

import gc
import re

import pytest

from forms import render

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
