"""The Firefox side of the browser suite fails, never skips, when Firefox ESR is missing: scripts/setup installs it,
so its absence is a broken machine, not a reason to test one browser only."""

from __future__ import annotations

import pytest

from tests.browser import drivers


def test_a_missing_firefox_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(drivers, "FIREFOX", str(tmp_path / "no-firefox-here"))
    with pytest.raises(RuntimeError, match="scripts/setup installs Debian's firefox-esr"):
        drivers.start_firefox()
