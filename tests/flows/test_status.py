"""`quantops status` on real databases: what it finds, redaction, --send-test to a real receiver, exit codes."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
from typer.testing import CliRunner

from flows.cli.errors import EXIT_ATTENTION
from flows.cli.main import app
from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.settings import CONFIG_DIR, SAMPLE_DIR, reset_settings_cache
from tests.infra.notify_fakes import JsonReceiver, free_port

runner = CliRunner()


def status(*args) -> tuple[int, dict[str, list[dict]]]:
    r = runner.invoke(app, ["status", "--json", *args])
    rows = json.loads(r.stdout[r.stdout.index("[\n"):])  # after any line a library printed first
    by_area: dict[str, list[dict]] = {}
    for row in rows:
        by_area.setdefault(row["area"], []).append(row)
    return r.exit_code, by_area


def test_a_fresh_database_needs_attention_and_says_what(app_env, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    code, found = status()
    assert code == EXIT_ATTENTION
    assert found["database"][0]["status"] == "ok" and "latest" in found["database"][0]["detail"]
    assert found["sessions"][0]["status"] == "attention"
    assert found["data SPY"][0]["detail"] == "no bars stored"
    assert "NO ALERT TARGETS CONFIGURED" in found["alerts"][0]["detail"]
    assert found["prefect"][0]["status"] == "attention" and "PREFECT_API_URL" in found["prefect"][0]["detail"]
    assert found["model vol_regime"][0]["status"] == "attention"
    assert all(found[f"config {n}"][0]["status"] == "ok" for n in ("risk", "promotion", "vol_regime", "tlt_overlay",
                                                                     "market_data", "tlt_backtest"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_stale_data_and_missing_sessions_are_listed(app_env, monkeypatch):
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "SPY.csv", today=dt.date(2026, 1, 1))  # ends 2024-12-31
    code, found = status()
    assert code == EXIT_ATTENTION
    spy = found["data SPY"][0]
    assert spy["status"] == "attention" and spy["detail"].startswith("bars up to 2024-12-31,")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_alert_targets_redacted_and_send_test_reaches_them(app_env, monkeypatch):
    with JsonReceiver() as rx:
        url = rx.url().replace("json://", "json://desk:s3cret-pw@")
        monkeypatch.setenv("QUANTOPS_ALERT_URLS", f"{url},json://127.0.0.1:{free_port()}/down")
        reset_settings_cache()
        r = runner.invoke(app, ["status", "--send-test"])
        assert "s3cret-pw" not in r.output
        code, found = status("--send-test")
    targets = found["alert target"]
    assert [t["status"] for t in targets] == ["ok", "failed"]
    assert "test message delivered" in targets[0]["detail"] and "s3cret-pw" not in targets[0]["detail"]
    assert [m["title"] for m in rx.received] == ["quantops test message", "quantops test message"]
    assert code == EXIT_ATTENTION


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_unreachable_services_and_a_bad_config_fail(app_env, monkeypatch, tmp_path):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config)
    (config / "risk.yaml").write_text((config / "risk.yaml").read_text() + "\nno_such_key: 1\n")
    (config / "tlt_backtest.yaml").write_text("every: 0\n")
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    reset_settings_cache()
    code, found = status()
    assert code == EXIT_ATTENTION
    assert found["config risk"][0]["status"] == "failed" and "no_such_key" in found["config risk"][0]["detail"]
    backtest = found["config tlt_backtest"][0]
    assert backtest["status"] == "failed" and "every must be >= 1" in backtest["detail"]
    assert found["prefect"][0]["status"] == "failed" and "unreachable" in found["prefect"][0]["detail"]
    monkeypatch.setenv("QUANTOPS_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nope")
    reset_settings_cache()
    code, found = status()
    assert code == EXIT_ATTENTION
    assert found["database"][0]["status"] == "failed" and "unreachable" in found["database"][0]["detail"]
    assert "sessions" not in found  # nothing more can be checked without the database


def test_status_reads_a_live_prefect_server_and_its_registered_deployments(app_env, monkeypatch):
    """Against the test harness's real Prefect server: the API is healthy, quantops' deployments (registered as
    `quantops serve` builds them) are listed by flow and name, and one that no process serves is flagged."""
    from prefect.settings import PREFECT_API_URL

    from flows.deployments import build_deployments

    daily = next(d for d in build_deployments() if d.name.startswith("daily"))
    daily.apply()
    monkeypatch.setenv("PREFECT_API_URL", str(PREFECT_API_URL.value()))
    code, found = status()
    assert found["prefect"][0]["status"] == "ok" and "healthy" in found["prefect"][0]["detail"], found["prefect"]
    listed = [row["detail"] for row in found["deployment"]]
    assert any(detail.startswith(f"daily/{daily.name}: ") for detail in listed), listed
    served = [row for row in found["deployment"] if row["detail"].startswith(f"daily/{daily.name}")][0]
    assert served["status"] == "attention" and "quantops serve" in served["detail"]  # registered, not served
    assert code == EXIT_ATTENTION
