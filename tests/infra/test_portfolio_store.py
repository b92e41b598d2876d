import datetime as dt

import pytest
from sqlalchemy import func, select

from domain.errors import InputError
from domain.portfolio.marking import Mark
from domain.portfolio.nav import NavPoint
from domain.portfolio.positions import StockPosition, make_credit_spread
from domain.risk.alerts import Alert
from infra import portfolio_store as store
from infra.db.engine import transaction
from infra.db.models.portfolio import MarkRow, TradeRow

D1, D2, D3 = dt.date(2025, 1, 2), dt.date(2025, 1, 3), dt.date(2025, 1, 6)


def spread(**kw):
    args = {"strategy": "tlt_overlay", "option_type": "put", "short_strike": 88, "long_strike": 85,
                "expiration": dt.date(2025, 2, 21), "credit": 0.72, "contracts": 5, "underlying_price": 91.5, "opened": D1}
    args.update(kw)
    return make_credit_spread(**args)


def test_positions_round_trip_and_close_appends_a_trade(engine):
    with transaction(engine) as s:
        sid = store.add_spread(s, spread(iv=0.168, delta=-0.2))
        tid = store.add_stock(s, StockPosition(None, "mean_reversion", "AAPL", -50, 200.0, D2))
    (sp, st) = store.list_positions(engine, "open")
    assert sp.id == sid and sp.short_leg.strike == 88 and sp.long_leg.strike == 85 and sp.iv == 0.168
    assert st.id == tid and st.quantity == -50
    with transaction(engine) as s:
        closed = store.close_position(s, sid, 0.30, D3, "profit target")
    assert closed.exit.price == 0.30 and closed.status == "closed"
    trades = store.trades_of(engine, sid)
    assert [(t.action, t.price) for t in trades] == [("open", 0.72), ("close", 0.30)]
    assert store.realized_pnl_through(engine, D3) == pytest.approx((0.72 - 0.30) * 500)
    assert store.realized_pnl_through(engine, D2) == 0.0
    # the book as it stood: the spread was open on D2, gone on D3; the stock opened on D2
    assert [p.id for p in store.open_positions_at(engine, D1)] == [sid]
    assert [p.id for p in store.open_positions_at(engine, D2)] == [sid, tid]
    assert [p.id for p in store.open_positions_at(engine, D3)] == [tid]
    with pytest.raises(InputError, match="already closed"), transaction(engine) as s:
        store.close_position(s, sid, 0.1, D3, None)
    assert len(store.trades_of(engine, sid)) == 2


def test_bad_closes_and_duplicates_write_nothing(engine):
    with transaction(engine) as s:
        sid = store.add_spread(s, spread())
    with pytest.raises(InputError, match="already recorded as #"), transaction(engine) as s:
        store.add_spread(s, spread())
    with pytest.raises(InputError, match="before the position was opened"), transaction(engine) as s:
        store.close_position(s, sid, 0.3, dt.date(2024, 12, 31), None)
    with pytest.raises(InputError, match="exceeds the spread width"), transaction(engine) as s:
        store.close_position(s, sid, 3.5, D3, None)
    with pytest.raises(InputError, match="no position #999"), transaction(engine) as s:
        store.close_position(s, 999, 0.3, D3, None)
    assert len(store.list_positions(engine)) == 1
    with engine.connect() as c:
        assert c.scalar(select(func.count(TradeRow.id))) == 1


def _mark(pid, pnl, day=D2):
    return Mark(position_id=pid, as_of=day, kind="stock", source="close", price=10.0, price_conservative=10.0,
                underlying_price=10.0, unrealized_pnl=pnl, unrealized_pnl_conservative=pnl)


def test_marks_replace_the_day_and_nav_is_stored_per_day(engine):
    with transaction(engine) as s:
        a = store.add_stock(s, StockPosition(None, "s", "AAA", 10, 9.0, D1))
        b = store.add_stock(s, StockPosition(None, "s", "BBB", 10, 9.5, D1))
    for _ in range(2):
        with transaction(engine) as s:
            store.replace_marks(s, D2, [_mark(a, 10.0), _mark(b, 5.0)])
    with engine.connect() as c:
        assert c.scalar(select(func.count(MarkRow.id))) == 2
    assert store.unrealized_on(engine, D2) == pytest.approx(15.0)
    assert store.unrealized_on(engine, D3) is None

    with transaction(engine) as s:
        store.set_external_nav(s, D1, 1_000_000)
        store.set_external_nav(s, D1, 1_100_000)  # a correction replaces
    assert store.external_nav_on_or_before(engine, D3) == (D1, 1_100_000)
    assert store.external_nav_on_or_before(engine, dt.date(2024, 12, 31)) is None
    with pytest.raises(InputError), transaction(engine) as s:
        store.set_external_nav(s, D2, -5)
    for day, nav in ((D1, 100.0), (D2, 120.0), (D3, 110.0)):
        with transaction(engine) as s:
            store.save_nav(s, NavPoint(day, nav, nav, 0.0, 0, 0, D1, 100.0), 2, None)
    assert store.previous_peak(engine, D3) == 120.0
    assert store.nav_series(engine, D3, 10) == [100.0, 120.0]
    assert [r.nav for r in store.nav_history(engine)] == [100.0, 120.0, 110.0]


def _alert(key, severity="warning"):
    return Alert(as_of=D2, kind="dte", severity=severity, dedup_key=key, title="t", message="m",
                 numbers={"dte": 7, "value": 1.5})


def test_alert_dedup_claims_and_settlement(engine):
    with transaction(engine) as s:
        assert store.store_alerts(s, [_alert("k1"), _alert("k2"), _alert("k1")]) == ["k1", "k2"]
    with transaction(engine) as s:
        assert store.store_alerts(s, [_alert("k1"), _alert("k3")]) == ["k3"]
    pending = store.alerts_to_send(engine)
    assert [a.dedup_key for a in pending] == ["k1", "k2", "k3"] and pending[0].payload == {"dte": 7, "value": 1.5}
    a1 = pending[0].id
    assert store.claim_delivery(engine, a1, "t1", "json://h", 5)
    assert not store.claim_delivery(engine, a1, "t1", "json://h", 5)  # already being sent
    store.finish_delivery(engine, a1, "t1", False, "down", 5)
    assert store.settle_alert(engine, a1, ["t1"]) == "failed"
    assert store.claim_delivery(engine, a1, "t1", "json://h", 5)  # failed: retried
    store.finish_delivery(engine, a1, "t1", True, None, 5)
    assert store.settle_alert(engine, a1, ["t1"]) == "sent"
    assert not store.claim_delivery(engine, a1, "t1", "json://h", 5)  # sent: never again
    assert [a.dedup_key for a in store.alerts_to_send(engine)] == ["k2", "k3"]
    # a run that died mid-send leaves 'sending': within the lease nobody else sends; after it, a later run
    # takes it over. Neither counts as sent; an uncertain (timed-out) send is claimed again too.
    a2 = pending[1].id
    assert store.claim_delivery(engine, a2, "t1", "json://h", 5, lease_seconds=600)
    assert not store.claim_delivery(engine, a2, "t1", "json://h", 5, lease_seconds=600)
    assert store.settle_alert(engine, a2, ["t1"]) == "uncertain"
    assert store.claim_delivery(engine, a2, "t1", "json://h", 5, lease_seconds=0)
    store.finish_delivery(engine, a2, "t1", "uncertain", "timed out", 5)
    assert store.settle_alert(engine, a2, ["t1"]) == "uncertain"
    assert [a.dedup_key for a in store.alerts_to_send(engine)] == ["k2", "k3"]
    assert store.claim_delivery(engine, a2, "t1", "json://h", 5)
    store.finish_delivery(engine, a2, "t1", "sent", None, 5)
    assert store.settle_alert(engine, a2, ["t1"]) == "sent"
    (d,) = [d for d in store.deliveries(engine, [a2])]
    assert d.status == "sent" and d.attempts == 3
