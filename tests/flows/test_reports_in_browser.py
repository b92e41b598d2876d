"""The daily fund report and the research tearsheet, opened in a real headless Chromium.

The daily report comes from a real daily flow run on PostgreSQL (a spread and a stock position, a quoted
TLT chain, alerts to a local JSON receiver); the page must load with no console error, no uncaught
exception and no failed load, and its screenshot is kept under .ci/artifacts/ (CI keeps that folder).
"""

from __future__ import annotations

import re

import pytest

from flows.daily import daily
from infra.settings import get_settings
from tests.browser import ARTIFACT_DIR, render
from tests.flows.test_daily_alerts import AS_OF, book, configure, short_tmp, write_source  # noqa: F401
from tests.flows.test_report_tearsheet import RUN, _days, _folds
from tests.infra.notify_fakes import JsonReceiver


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_daily_report_renders_in_chromium_without_errors(book, short_tmp, monkeypatch):  # noqa: F811
    with JsonReceiver() as rx:
        configure(monkeypatch, write_source(short_tmp / "drop"), [rx.url()])
        result = daily(as_of=AS_OF)
    assert result["status"] == "completed"
    path = get_settings().home / "reports" / f"daily-{AS_OF}.html"
    assert result["report"] == str(path) and path.is_file()
    page = path.read_text()
    assert "<script" not in page and 'src="http' not in page  # self-contained
    assert "Daily fund report: Monday 13 January 2025" in page
    assert "days to expiry" in page and "held " in page  # exit distances of both positions
    assert "tlt_overlay" in page and "mean_reversion" in page  # P&L per strategy
    assert re.search(r"Orders for 2025-01-14", page)
    shot = ARTIFACT_DIR / "daily-report.png"
    seen = render(path, shot)
    print(f"daily report screenshot: {shot}")
    assert seen.errors == [], seen.errors
    assert seen.title == f"quantops daily report {AS_OF}"
    assert shot.stat().st_size > 20_000 and seen.height > 900


def test_tearsheet_renders_in_chromium_without_errors(tmp_path):
    from flows.cli.research import build_report_html

    days = _days("2016-01-01", "2020-12-31")
    page = tmp_path / "tearsheet.html"
    page.write_text(build_report_html("vol_regime", "buy-and-hold QQQ", RUN, _folds(days), days))
    shot = ARTIFACT_DIR / "tearsheet.png"
    seen = render(page, shot)
    print(f"tearsheet screenshot: {shot}")
    assert seen.errors == [], seen.errors
    assert seen.title == "vol_regime walk-forward" and shot.stat().st_size > 50_000


def test_a_page_with_a_console_error_is_caught(tmp_path):
    """The browser check itself can fail: a page that logs an error and throws is reported."""
    page = tmp_path / "bad.html"
    page.write_text("<!doctype html><title>bad</title><script>console.error('boom'); undefinedCall();</script>")
    seen = render(page, tmp_path / "bad.png")
    assert "console.error: boom" in seen.errors
    assert any(e.startswith("exception:") for e in seen.errors), seen.errors
    assert (tmp_path / "bad.png").stat().st_size > 0
