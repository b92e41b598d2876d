"""mean_reversion in production on the demo data (the bundled sample's 50 names and ^VIX): the quarterly
retrain fits and promotes it, the daily flow decides a book for the next session from stored bars and
turns it into orders (its paper book's step, with its own rules: fills at the next open)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest
import yaml
from sqlalchemy import select

from infra.db.engine import get_engine
from infra.db.models.research import Signal
from infra.ingest import ingest_file
from infra.settings import CONFIG_DIR, SAMPLE_DIR, reset_settings_cache


@pytest.fixture
def mr_db(app_env, tmp_path, monkeypatch):
    config = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, config, dirs_exist_ok=True)
    registry = yaml.safe_load((config / "strategies.yaml").read_text())
    for name, entry in registry["strategies"].items():
        entry["enabled"] = name == "mean_reversion"
    (config / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    params = yaml.safe_load((config / "mean_reversion.yaml").read_text())
    params["grid"] = {"num_leaves": [15], "n_estimators": [50], "prob_threshold": [0.55], "min_trades": 5}
    params["model"]["n_estimators"] = 50
    (config / "mean_reversion.yaml").write_text(yaml.safe_dump(params))
    gates = yaml.safe_load((config / "promotion.yaml").read_text())
    gates.update({"validation_quarters": 1, "min_validation_calmar": -1e9})
    (config / "promotion.yaml").write_text(yaml.safe_dump(gates))
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "^VIX.csv", today=dt.date(2026, 1, 1), source="sample")
    ingest_file(engine, "bars", SAMPLE_DIR / "universe" / "universe50.csv.gz", today=dt.date(2026, 1, 1),
                source="sample")
    return engine


@pytest.mark.parametrize("db_url", ["sqlite", "postgres"], indirect=True)
def test_retrain_then_daily_gives_mean_reversion_orders(mr_db):
    from flows.daily import daily
    from flows.retrain import retrain

    promoted = retrain(strategy="mean_reversion", as_of=dt.date(2024, 4, 1))
    assert promoted["status"] == "promoted", promoted
    summary = daily(as_of=dt.date(2024, 4, 2))
    assert [s["strategy"] for s in summary["signals"]] == ["mean_reversion"]
    with mr_db.connect() as conn:
        signal = conn.execute(select(Signal).where(Signal.strategy == "mean_reversion")).one()
    assert signal.kind == "book" and signal.as_of == dt.date(2024, 4, 2)
    weights = json.loads(signal.weights)
    details = json.loads(signal.details)
    assert weights and {e["symbol"] for e in details["entries"]} == set(weights)

    # the book step turned the decision into the desk's orders for the next session's open
    from infra.book_store import orders_on

    orders = orders_on(mr_db, dt.date(2024, 4, 2), "mean_reversion")
    assert set(orders["instrument"]) == set(weights) and (orders["timing"] == "next_open").all()
    assert (orders["side"] == ["buy" if weights[s] > 0 else "sell" for s in orders["instrument"]]).all()
