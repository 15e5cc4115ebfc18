"""gunicorn's settings for Madoguchi in production: ``gunicorn -c python:web.gunicorn_conf``.

Each setting says why it has its value; the environment overrides the ones a city sizes to its server
(the "Web:" step of docs/operations/runbook.md). ``tests/web/test_serving.py`` starts gunicorn with this file.

* Workers, not threads: a request's work is Python (the engine, WeasyPrint), which the GIL serializes. A
  completion also waits for the database's commit, so more processes than cores keep the cores busy:
  ``bench/capacity.py`` on 2 cores and PostgreSQL gave 95 completions/s with 3 workers, 118–123 with 4 and 172
  with 6 (p95 125–154 ms throughout). Hence gunicorn's own rule, ``2 × cores + 1``; with preloading the workers
  share the app's pages, so each adds little memory. ``MADOGUCHI_WORKERS`` and ``MADOGUCHI_THREADS`` change it;
  with threads > 1 the worker class is ``gthread``.
* ``preload_app``: the app is built once in the master and forked, so start-up (fonts, SpiffWorkflow, the frozen
  start-up objects of ``web.app._freeze_start_up_objects``) is paid once and its pages are shared. A connection the
  master opened while building the app must not be shared by the children: ``post_fork`` drops the pool's
  connections without closing them (the master's socket stays the master's) — SQLAlchemy's documented way.
* ``when_ready``: before it forks, the master parses the deployed journeys and compiles the templates
  (``web/warmup.py``), so that no worker's first visit or page waits for them.
* The connection pool is sized to one worker's requests at once: threads + 1 (``MADOGUCHI_DB_POOL_SIZE``).
* ``MADOGUCHI_RENDER_IN_BACKGROUND``: the documents a request generates are laid out as PDF after its response,
  by a thread of the worker (``web/printer.py``, ``workflows/visit/printing.py``): WeasyPrint's 400 ms for a
  family's forms no longer hold the request, nor the requests queued behind it; the thread's layout processes run at
  a lower CPU priority (``MADOGUCHI_RENDER_NICE``, docs/forms.md), so they take the cores the requests leave.
* ``timeout`` 120 s: a worker's first PDF of a kind loads the Japanese fonts; on a slow server that has taken tens of
  seconds. ``graceful_timeout`` 30 s lets a PDF being rendered finish on a reload.
* ``max_requests`` with jitter: a worker is replaced after about 2,000 requests, so that a slow growth of memory (a
  cache, a library's leak) cannot add up over an 8:00–20:00 day; the jitter keeps the workers from restarting at
  the same moment.
* The scheduler is not here: it runs as its own process (``madoguchi scheduler``), so a restart of the web servers
  never runs or skips a job, and four workers never run the same job four times.
"""

from __future__ import annotations

import os
from typing import Any

bind = os.environ.get("MADOGUCHI_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("MADOGUCHI_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("MADOGUCHI_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Each worker's connection pool holds what it serves at once (core/settings.py, db_pool_size); read by the app
# built below, in this process (preload_app).
os.environ.setdefault("MADOGUCHI_DB_POOL_SIZE", str(threads + 1))
# A visit's PDFs are laid out after the response, by a thread of the worker (web/printer.py).
os.environ.setdefault("MADOGUCHI_RENDER_IN_BACKGROUND", "1")
wsgi_app = "web.app:create_app()"
preload_app = True
timeout = 120
graceful_timeout = 30
keepalive = int(os.environ.get("MADOGUCHI_KEEPALIVE", "5"))
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("MADOGUCHI_ACCESS_LOG", "-")
# The app's own log lines say who and what; gunicorn's access line adds the time the request took (%(M)s ms).
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def when_ready(server: Any) -> None:
    """Before the first fork: the journeys parsed and the templates compiled, once, for every worker (web/warmup)."""
    from web import warmup

    counts = warmup.run(server.app.wsgi())
    server.log.info("warm-up: %(processes)d processes, %(templates)d templates", counts)


def post_fork(_server: Any, worker: Any) -> None:
    """Each worker starts with an empty connection pool (the master's connections stay the master's)."""
    from core.db import db

    app = worker.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)
