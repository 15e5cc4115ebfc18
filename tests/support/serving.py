"""The app served as production serves it — gunicorn with ``web.gunicorn_conf`` — for the benches and the tests.

One place for what bench/load.py, bench/capacity.py, bench/faults.py and tests/web/test_serving.py each did: a
free port, gunicorn started with the settings in the environment, and a wait until ``/login`` answers (or the
server's own exit, with the end of its log).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PRODUCTION = ("-c", "python:web.gunicorn_conf")


class NotServing(RuntimeError):
    """gunicorn exited, or did not answer in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(env: Mapping[str, str], *, workers: int, log: Path, threads: int = 1, port: int | None = None,
          args: Sequence[str] = PRODUCTION) -> tuple[subprocess.Popen, int]:
    """gunicorn on ``port`` (default: a free one) with ``args`` (default: production's settings file), its
    output in ``log``; returns at once with the process and the port (:func:`wait_up` waits for it)."""
    port = port or free_port()
    env = {**env, "MADOGUCHI_BIND": f"127.0.0.1:{port}", "MADOGUCHI_WORKERS": str(workers),
           "MADOGUCHI_THREADS": str(threads), "PYTHONPATH": str(REPO)}
    with log.open("w") as out:  # the child keeps its own copy of the descriptor
        server = subprocess.Popen([str(BIN / "gunicorn"), *args], env=env, cwd=REPO, stdout=out,
                                  stderr=subprocess.STDOUT)
    return server, port


def wait_up(server: subprocess.Popen, port: int, log: Path, *, timeout: float = 90) -> None:
    """Return once ``/login`` answers 200; :class:`NotServing` when the server exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise NotServing(f"gunicorn exited with {server.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    server.kill()
    raise NotServing(f"gunicorn did not answer in {timeout:.0f} s:\n{_tail(log)}")


def serve(env: Mapping[str, str], *, workers: int, log: Path, threads: int = 1, port: int | None = None,
          args: Sequence[str] = PRODUCTION) -> tuple[subprocess.Popen, int]:
    """:func:`start` and :func:`wait_up` together: a server that answers."""
    server, port = start(env, workers=workers, log=log, threads=threads, port=port, args=args)
    wait_up(server, port, log)
    return server, port


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:] if log.exists() else "(no log)"

