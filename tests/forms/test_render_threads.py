"""Layouts in one process never overlap: the stylesheet's fonts (fontconfig, Pango) are shared native state that
is not thread-safe. A request rendering a document while the worker's print thread rendered another corrupted the
heap and the worker died (bench/load.py); forms.render serialises them."""

from __future__ import annotations

import os
import threading
import time

from forms import render
from forms.printhtml import PrintHTML


def test_two_threads_never_lay_out_at_once(monkeypatch) -> None:
    render.html_to_pdf("<p>暖機</p>")  # the fonts loaded before the threads start
    real, lock = PrintHTML.write_pdf, threading.Lock()
    running, most = [0], [0]

    def counted(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202 - PrintHTML.write_pdf's own
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            time.sleep(0.02)  # long enough for the other thread to arrive while this one lays out
            return real(self, *args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(PrintHTML, "write_pdf", counted)
    pdfs: list[bytes] = []
    threads = [threading.Thread(target=lambda i=i: pdfs.extend(render.html_to_pdf(f"<p>書類 {i}</p>")
                                                               for _ in range(3)))
               for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(pdfs) == 9 and all(pdf.startswith(b"%PDF") for pdf in pdfs)
    assert most[0] == 1


def test_the_print_thread_lays_out_in_the_pool_even_one_document(monkeypatch) -> None:
    """The print thread's single documents go to its pool, so they never hold this process's layout, and its
    processes run nicer than this one (the requests' work comes first on the cores)."""
    monkeypatch.setenv("MADOGUCHI_RENDER_WORKERS", "2")
    monkeypatch.setenv("MADOGUCHI_RENDER_NICE", "7")
    render.shutdown()
    try:
        [here] = render.html_to_pdfs(["<p>手続案内書</p>"])  # a request's one document: laid out in this process
        assert here.startswith(b"%PDF") and render.pool() is None and render.pool(background=True) is None
        [later] = render.html_to_pdfs(["<p>手続案内書</p>"], background=True)
        assert later.startswith(b"%PDF") and render.pool() is None
        processes = render.pool(background=True)._processes
        assert processes and {os.getpriority(os.PRIO_PROCESS, pid) for pid in processes} == {
            os.getpriority(os.PRIO_PROCESS, 0) + 7}
        render.html_to_pdfs(["<p>一</p>", "<p>二</p>"])  # a request's batch: its own pool, at the app's priority
        assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in render.pool()._processes} == {
            os.getpriority(os.PRIO_PROCESS, 0)}
    finally:
        render.shutdown()
