"""Issue 13 item 3: calendar days at every interface, XNYS sessions inside the simulation.

Before, the Monte Carlo counted expirations and DTE thresholds in trading days (45 meant about 63
calendar days) while the live exit rule and the marks count calendar days."""

import datetime as dt

import numpy as np
import pytest

from domain.calendar import sessions_between
from domain.errors import InputError
from domain.tlt.daycount import schedule, schedule_days
from domain.tlt.evaluation import Candidate, evaluate_candidates
from domain.tlt.exits import DTE_THRESHOLD, ExitRule, apply_exits
from domain.tlt.monte_carlo import MarketPaths
from domain.tlt.spreads import BULL_PUT, CreditSpread


def test_the_design_documents_quote_to_expiry_is_46_calendar_days_over_its_sessions():
    sch = schedule(dt.date(2024, 12, 30), dt.date(2025, 2, 14))
    assert sch.dte[0] == 46 and sch.dte[-1] == 0 and sch.expiry == dt.date(2025, 2, 14)
    assert list(sch.sessions[1:]) == sessions_between(dt.date(2024, 12, 31), dt.date(2025, 2, 14))
    assert dt.date(2025, 1, 1) not in sch.sessions and dt.date(2025, 1, 20) not in sch.sessions  # holidays
    assert 30 <= sch.n <= 32  # not 46 steps, nor the 45 trading days (63 calendar) the old count meant
    assert sch.years[0] == pytest.approx(46 / 365)
    assert schedule_days(dt.date(2024, 12, 31), 45).expiry == dt.date(2025, 2, 14)  # a Friday
    assert schedule_days(dt.date(2024, 12, 30), 47).expiry == dt.date(2025, 2, 14)  # Saturday settles on Friday
    with pytest.raises(InputError):
        schedule(dt.date(2024, 12, 24), dt.date(2024, 12, 25))  # Christmas: no session after entry


def test_the_dte_threshold_closes_on_the_session_with_that_many_calendar_days_left():
    sch = schedule(dt.date(2024, 12, 30), dt.date(2025, 2, 14))
    values = np.full((3, sch.n + 1), 0.8)  # never hits a price rule
    out = apply_exits(values, 0.8, ExitRule(0.5, 2.0, 7), dte=sch.dte)
    # 7 calendar days before Friday 2025-02-14 is Friday 2025-02-07 (the old count: 7 sessions before, 02-05)
    assert sch.sessions[out.exit_day[0]] == dt.date(2025, 2, 7) and out.reason[0] == DTE_THRESHOLD


def test_a_chain_candidate_runs_to_its_expiry_date_in_sessions_and_reports_calendar_days_held():
    entry, expiry = dt.date(2024, 12, 30), dt.date(2025, 2, 14)
    sch = schedule(entry, expiry)
    n_paths = 200
    price = np.full((n_paths, sch.n + 5), 90.0)  # flat TLT; paths longer than this expiry
    paths = MarketPaths(price, price, price, np.zeros_like(price))
    c = Candidate(CreditSpread(BULL_PUT, 85.0, 82.0, 46), 0.30, 0.15, 0.15, expiry.isoformat())
    (e,) = evaluate_candidates([c], paths, 0.05, ExitRule(0.5, 2.0, 7), entry=entry)
    # flat at 90, the puts decay: the 50% target is met some sessions in; days held are calendar days
    assert e.exit_reasons["profit_target"] == 1.0
    assert 0 < e.avg_days_held <= 46 and float(e.avg_days_held).is_integer()
