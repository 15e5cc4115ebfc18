"""bench/load.py's side-by-side verdict: a ratio over 1.2 misses, except where a run has too few requests for a
percentile (the p95 of five requests is their slowest): printed as n/a, not judged."""

from __future__ import annotations

from bench import load


def _row(name: str, count: int, p95: float) -> dict[str, str]:
    return {"Name": name, "Request Count": str(count), "95%": str(p95)}


def test_a_missed_ratio_fails_unless_the_endpoint_has_too_few_requests(capsys) -> None:
    empty = [_row("GET /inbox", 1200, 30), _row("GET /login", 5, 5)]
    assert load._side_by_side(empty, [_row("GET /inbox", 1200, 35), _row("GET /login", 5, 8)]) is True
    assert "n/a (5 requests)" in capsys.readouterr().out
    assert load._side_by_side(empty, [_row("GET /inbox", 1200, 37), _row("GET /login", 5, 5)]) is False
    assert "MISSED" in capsys.readouterr().out
    assert load._side_by_side([_row("GET /x", 20, 10)], [_row("GET /x", 400, 13)]) is False  # 20 are enough
