import datetime as dt

from domain.risk.freshness import missing_message, oldest_allowed, stale_inputs

MON, FRI = dt.date(2025, 1, 13), dt.date(2025, 1, 10)


def test_grace_counts_sessions_not_days():
    assert oldest_allowed(MON, 0) == MON
    assert oldest_allowed(MON, 1) == FRI  # over the weekend
    assert oldest_allowed(dt.date(2025, 1, 21), 1) == dt.date(2025, 1, 17)  # over Martin Luther King Day


def test_stale_and_absent_closes_are_named():
    stale = stale_inputs({"TLT": MON, "XYZ": FRI, "ABC": None}, MON, 0)
    assert [s.describe() for s in stale] == ["ABC close (none)", "XYZ close (last 2025-01-10)"]
    assert stale_inputs({"XYZ": FRI}, MON, 1) == []
    assert "re-run it (quantops daily --date 2025-01-13)" in missing_message(MON, stale, 0)
