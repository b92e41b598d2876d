"""The allocator in production (issue 12): a retrain on the sample promotes a model with its acceptance
gates' status, the daily flow stores w_qqq with the bucket probabilities and the gates, and its book turns the
leg weights into orders: buy-and-hold legs at 1, strategy legs at their own stored book's exposure after the
same close. Real Prefect runs, a real SQLite database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from infra.book_store import load_book, orders_on
from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.research_store import load_targets
from infra.settings import SAMPLE_DIR, reset_settings_cache
from tests.strategy_config import allocator_config

RETRAIN, DAY1, DAY2 = dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)


def _engine(app_env, tmp_path, monkeypatch, **legs):
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(allocator_config(tmp_path / "config", **legs)))
    reset_settings_cache()
    engine = get_engine(app_env)
    for symbol in ("QQQ", "SPY"):
        ingest_file(engine, "bars", SAMPLE_DIR / "bars" / f"{symbol}.csv", today=dt.date(2026, 1, 1), source="sample")
    return engine


def _orders(engine, day: dt.date) -> dict[str, float]:
    orders = orders_on(engine, day, "allocator")
    return dict(zip(orders["instrument"], orders["weight_change"]))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_allocator_with_buy_and_hold_legs_retrains_then_trades_w_qqq(app_env, tmp_path, monkeypatch):
    from flows.daily import daily
    from flows.retrain import retrain

    engine = _engine(app_env, tmp_path, monkeypatch)
    outcome = retrain(strategy="allocator", as_of=RETRAIN)
    assert outcome["status"] == "promoted", outcome["report"]

    daily(as_of=DAY1)
    t1 = load_targets(engine, "allocator", DAY1)
    d1 = t1.details
    w, k = d1["w_qqq"], d1["envelope_k"]
    assert len(d1["bucket_probabilities"]) == 11 and abs(sum(d1["bucket_probabilities"]) - 1) < 1e-9
    assert d1["promoted"] and d1["failed_gates"] == [] and len(d1["gates"]) == 6
    assert t1.leg_weights == pytest.approx({"buy_and_hold:QQQ": k * w, "buy_and_hold:SPY": k * (1 - w)})
    # from a flat book the first orders are the weights: k w_qqq of QQQ and k (1 - w_qqq) of SPY
    assert _orders(engine, DAY1) == pytest.approx({"QQQ": k * w, "SPY": k * (1 - w)}, abs=1e-12)

    daily(as_of=DAY2)  # the next decision smooths from the w_qqq decided the day before
    d2 = load_targets(engine, "allocator", DAY2).details
    assert d2["w_previous"] == pytest.approx(w)
    assert abs(d2["w_qqq"] - w) <= 0.10 + 1e-12  # the daily change cap


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_allocator_over_strategy_legs_trades_their_stored_books(app_env, tmp_path, monkeypatch):
    from flows.daily import daily
    from flows.retrain import retrain
    from flows.walk_forward import walk_forward

    engine = _engine(app_env, tmp_path, monkeypatch, strategy_legs={"qqq": ("QQQ", 0.6), "spy": ("SPY", 0.8)})
    for leg in ("bah_qqq", "bah_spy"):
        # the leg's research history the allocator learns from, then its retrain (which stores a walk-forward
        # of its one validation quarter: the allocator must still read the long run)
        walk_forward(strategy=leg, start=dt.date(2020, 1, 1), end=RETRAIN, seed=0)
        assert retrain(strategy=leg, as_of=RETRAIN)["status"] == "promoted"
    assert retrain(strategy="allocator", as_of=RETRAIN)["status"] == "promoted"

    summary = daily(as_of=DAY1)
    assert [s["strategy"] for s in summary["signals"]] == ["bah_qqq", "bah_spy", "allocator"]
    legs = load_targets(engine, "allocator", DAY1).leg_weights
    books = {leg: load_book(engine, leg, before=DAY2).weights for leg in ("bah_qqq", "bah_spy")}
    assert books["bah_qqq"]["QQQ"] == pytest.approx(0.6, abs=1e-3) and books["bah_spy"]["SPY"] == pytest.approx(0.8, abs=1e-3)
    expected = {"QQQ": legs["bah_qqq"] * books["bah_qqq"]["QQQ"], "SPY": legs["bah_spy"] * books["bah_spy"]["SPY"]}
    assert _orders(engine, DAY1) == pytest.approx(expected, abs=1e-12)
    assert np.isclose(sum(legs.values()), load_targets(engine, "allocator", DAY1).details["envelope_k"])
