"""Layouts in one process never overlap: the stylesheet's fonts (fontconfig, Pango) are shared native state that
is not thread-safe. A request rendering a document while the worker's print thread rendered another corrupted the
heap and the worker died (bench/load.py); forms.render serialises them."""

from __future__ import annotations

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
    """The print thread's single documents go to the pool, so they never hold this process's layout."""
    monkeypatch.setenv("MADOGUCHI_RENDER_WORKERS", "2")
    render.shutdown()
    try:
        [here] = render.html_to_pdfs(["<p>手続案内書</p>"])  # a request's one document: laid out in this process
        assert here.startswith(b"%PDF") and render._pool is None
        [pooled] = render.html_to_pdfs(["<p>手続案内書</p>"], pooled=True)
        assert pooled.startswith(b"%PDF") and render._pool is not None
    finally:
        render.shutdown()
