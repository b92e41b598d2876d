"""Every rejection rule of the pandera models, each with its own small bad file, named in one line.

Each case writes a file of good rows with one (or two) broken rows into tmp_path, reads and validates it
as `ingest` does, and checks the rule and the file line number that are reported.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra.ingest import read_validated
from infra.validation import MAX_LISTED, Violations

TODAY = dt.date(2024, 12, 31)
JUMP = "close moved more than 4x in a day with no split or distribution to explain it"

BARS_HEADER = "date,open,high,low,close,adj_close,volume"
GOOD_BARS = [  # lines 2..5 of every bars file
    "2024-07-01,100.0,102.0,99.0,101.0,100.5,1000",
    "2024-07-02,101.0,103.0,100.0,102.0,101.5,1100",
    "2024-07-03,102.0,104.0,101.0,103.0,102.5,1200",
    "2024-07-05,103.0,105.0,102.0,104.0,103.5,1300",
]
YIELDS_HEADER = "observation_date,DGS20"
GOOD_YIELDS = ["2024-07-01,4.60", "2024-07-02,4.62", "2024-07-03,4.58", "2024-07-05,4.50"]
OPTIONS_HEADER = ("quote_date,quote_time,underlying_price,option_type,expiration_date,strike,bid,ask,implied_vol,"
                  "delta,gamma,theta,vega,volume,open_interest")
GOOD_OPTIONS = [
    "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,-0.30,0.05,-0.02,0.11,120,3400",
    "2024-07-01,15:45,92.5,C,2024-08-16,95,0.60,0.64,15.0,0.28,0.04,-0.02,0.10,80,2100",
    "2024-07-01,15:45,92.5,put,2024-09-20,90,1.20,1.26,15.8,-0.33,,,,,",
    "2024-07-02,,93.0,call,2024-08-16,95,0.70,0.74,15.1,0.31,0.04,-0.02,0.10,50,2150",
]
FILES = {"bars": (BARS_HEADER, GOOD_BARS, "SPY.csv"), "yields": (YIELDS_HEADER, GOOD_YIELDS, "DGS20.csv"),
         "options": (OPTIONS_HEADER, GOOD_OPTIONS, "TLT.csv")}


def bad_file(tmp_path: Path, kind: str, replace: dict[int, str] | None = None, append: list[str] = ()) -> Path:
    """The good file of `kind` with lines replaced (by file line number) and lines appended."""
    header, rows, name = FILES[kind]
    lines = [header, *rows]
    for line, text in (replace or {}).items():
        lines[line - 1] = text
    lines += list(append)
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def violations_of(kind: str, path: Path, today: dt.date = TODAY) -> Violations:
    _, violations = read_validated(kind, path, today)
    return violations


def rules_by_line(violations: Violations) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    for line, rule in violations.table.itertuples(index=False):
        out.setdefault(int(line), set()).add(rule)
    return out


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_good_files_pass(tmp_path, kind):
    assert not violations_of(kind, bad_file(tmp_path, kind))


# (kind, replaced line -> text, expected line, expected rule text)
CASES = {
    # bars
    "bars_close_blank": ("bars", {3: "2024-07-02,101.0,103.0,100.0,,101.5,1100"}, 3, "close: value missing or not a number"),
    "bars_close_not_a_number": ("bars", {3: "2024-07-02,101.0,103.0,100.0,abc,101.5,1100"}, 3,
                                "close: value missing or not a number"),
    "bars_date_unparseable": ("bars", {4: "2024-13-45,102.0,104.0,101.0,103.0,102.5,1200"}, 4,
                              "date: value missing or not a number"),
    "bars_open_zero": ("bars", {2: "2024-07-01,0,102.0,99.0,101.0,100.5,1000"}, 2, "open: must be positive"),
    "bars_high_negative": ("bars", {2: "2024-07-01,100.0,-102.0,99.0,101.0,100.5,1000"}, 2, "high: must be positive"),
    "bars_low_zero": ("bars", {2: "2024-07-01,100.0,102.0,0,101.0,100.5,1000"}, 2, "low: must be positive"),
    "bars_close_negative": ("bars", {5: "2024-07-05,103.0,105.0,102.0,-104.0,103.5,1300"}, 5, "close: must be positive"),
    "bars_adj_close_zero": ("bars", {5: "2024-07-05,103.0,105.0,102.0,104.0,0,1300"}, 5, "adj_close: must be positive"),
    "bars_volume_negative": ("bars", {4: "2024-07-03,102.0,104.0,101.0,103.0,102.5,-1"}, 4,
                             "volume: must not be negative"),
    "bars_high_below_low": ("bars", {3: "2024-07-02,101.0,100.0,103.0,102.0,101.5,1100"}, 3, "high >= low"),
    "bars_open_above_high": ("bars", {3: "2024-07-02,103.5,103.0,100.0,102.0,101.5,1100"}, 3, "open within [low, high]"),
    "bars_open_below_low": ("bars", {3: "2024-07-02,99.5,103.0,100.0,102.0,101.5,1100"}, 3, "open within [low, high]"),
    "bars_close_below_low": ("bars", {3: "2024-07-02,101.0,103.0,100.0,99.9,101.5,1100"}, 3, "close within [low, high]"),
    "bars_close_above_high": ("bars", {3: "2024-07-02,101.0,103.0,100.0,103.1,101.5,1100"}, 3,
                              "close within [low, high]"),
    "bars_saturday": ("bars", {5: "2024-07-06,103.0,105.0,102.0,104.0,103.5,1300"}, 5,
                      "date must be an XNYS trading session"),
    "bars_holiday": ("bars", {5: "2024-07-04,103.0,105.0,102.0,104.0,103.5,1300"}, 5,
                     "date must be an XNYS trading session"),
    "bars_in_future": ("bars", {5: "2025-01-02,103.0,105.0,102.0,104.0,103.5,1300"}, 5, "date must not be after today"),
    "bars_price_jump": ("bars", {5: "2024-07-05,770.0,780.0,760.0,765.0,765.0,1300"}, 5,
                        JUMP),
    "bars_price_crash": ("bars", {5: "2024-07-05,15.7,15.9,15.6,15.7,15.7,1300"}, 5,
                         JUMP),
    # yields
    "yields_250_percent": ("yields", {3: "2024-07-02,250"}, 3, "yield must be within [-2.0, 25.0] percent"),
    "yields_very_negative": ("yields", {3: "2024-07-02,-3.1"}, 3, "yield must be within [-2.0, 25.0] percent"),
    "yields_saturday": ("yields", {5: "2024-07-06,4.50"}, 5, "date must be a weekday"),
    "yields_in_future": ("yields", {5: "2025-01-02,4.50"}, 5, "date must not be after today"),
    "yields_not_a_number": ("yields", {4: "2024-07-03,4.5x"}, 4, "value: value missing or not a number"),
    "yields_date_unparseable": ("yields", {4: "07/03/2024 noon,4.58"}, 4, "date: value missing or not a number"),
    # options
    "options_bid_above_ask": ("options", {2: "2024-07-01,15:45,92.5,P,2024-08-16,90,0.90,0.85,16.2,-0.30,,,,,"}, 2,
                              "bid <= ask"),
    "options_expiry_on_quote_date": ("options", {3: "2024-07-01,15:45,92.5,C,2024-07-01,95,0.60,0.64,15.0,0.28,,,,,"},
                                     3, "expiration after the quote date"),
    "options_expiry_before_quote_date": ("options",
                                         {3: "2024-07-01,15:45,92.5,C,2024-06-21,95,0.60,0.64,15.0,0.28,,,,,"}, 3,
                                         "expiration after the quote date"),
    "options_iv_600_percent": ("options", {2: "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,600,-0.30,,,,,"}, 2,
                               "implied_vol within [0, 500] percent"),
    "options_iv_negative": ("options", {2: "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,-1,-0.30,,,,,"}, 2,
                            "implied_vol within [0, 500] percent"),
    "options_delta_out_of_range": ("options", {2: "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,-1.3,,,,,"},
                                   2, "delta within [-1, 1]"),
    "options_quote_on_weekend": ("options", {5: "2024-07-06,,93.0,call,2024-08-16,95,0.70,0.74,15.1,0.31,,,,,"}, 5,
                                 "date must be an XNYS trading session"),
    "options_quote_in_future": ("options", {5: "2025-01-02,,93.0,call,2025-02-21,95,0.70,0.74,15.1,0.31,,,,,"}, 5,
                                "date must not be after today"),
    "options_bad_type": ("options", {3: "2024-07-01,15:45,92.5,X,2024-08-16,95,0.60,0.64,15.0,0.28,,,,,"}, 3,
                         "option_type: must be put/call/p/c"),
    "options_strike_zero": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,0,0.60,0.64,15.0,0.28,,,,,"}, 3,
                            "strike: must be positive"),
    "options_underlying_price_zero": ("options", {3: "2024-07-01,15:45,0,C,2024-08-16,95,0.60,0.64,15.0,0.28,,,,,"},
                                      3, "underlying_price: must be positive"),
    "options_bid_negative": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,-0.1,0.64,15.0,0.28,,,,,"}, 3,
                             "bid: must not be negative"),
    "options_volume_negative": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,15.0,0.28,,,,-5,"},
                                3, "volume: must not be negative"),
    "options_open_interest_negative": ("options",
                                       {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,15.0,0.28,,,,,-1"}, 3,
                                       "open_interest: must not be negative"),
    "options_delta_blank": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,15.0,,,,,,"}, 3,
                            "delta: value missing or not a number"),
    "options_iv_blank": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,,0.28,,,,,"}, 3,
                         "implied_vol: value missing or not a number"),
    "options_expiry_unparseable": ("options", {3: "2024-07-01,15:45,92.5,C,soon,95,0.6,0.64,15,0.28,,,,,"}, 3,
                                   "expiration: value missing or not a number"),
    # issue 15 case 1: infinity passes "> 0" (and "within [0, 500]" is no help for the optional greeks)
    **{f"bars_high_{name}": ("bars", {3: f"2024-07-02,101.0,{text},100.0,102.0,101.5,1100"}, 3,
                             "high: must be a finite number (not inf)")
       for name, text in {"inf": "inf", "Infinity": "Infinity", "1e309": "1e309"}.items()},
    "bars_volume_inf": ("bars", {4: "2024-07-03,102.0,104.0,101.0,103.0,102.5,inf"}, 4,
                        "volume: must be a finite number (not inf)"),
    "options_gamma_inf": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,15.0,0.28,inf,,,,"}, 3,
                          "gamma: must be a finite number (not inf)"),
    "options_open_interest_1e309": ("options",
                                    {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,15.0,0.28,,,,,1e309"}, 3,
                                    "open_interest: must be a finite number (not inf)"),
    # case 5: an optional column's unparseable text was silently NULL (overwriting a stored value)
    "options_volume_thousands_separator": ("options", {2: '2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,'
                                                          '-0.30,0.05,-0.02,0.11,"1,200",3400'}, 2,
                                           "volume: not a number ('1,200')"),
    "options_vega_text": ("options", {3: "2024-07-01,15:45,92.5,C,2024-08-16,95,0.6,0.64,15.0,0.28,,,n/a,,"}, 3,
                          "vega: not a number ('n/a')"),
    # case 5: the database columns' text limits, the same on SQLite and PostgreSQL
    "options_quote_time_too_long": ("options", {3: "2024-07-01,15:45:00 America/New_York,92.5,C,2024-08-16,95,0.6,"
                                                   "0.64,15.0,0.28,,,,,"}, 3,
                                    "quote_time: longer than 16 characters (the database column's limit)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_rule_names_the_row_and_the_rule(tmp_path, case):
    kind, replace, line, rule = CASES[case]
    path = bad_file(tmp_path, kind, replace)
    violations = violations_of(kind, path)
    found = rules_by_line(violations)
    assert set(found) == {line}, found  # only the broken row is reported
    assert rule in found[line], found
    summary = violations.summary(str(path))
    assert "\n" not in summary
    assert summary.startswith(f"{path}: rejected, 1 bad row(s): row {line} (")
    assert rule in summary and summary.endswith("nothing written")


@pytest.mark.parametrize(
    "kind, extra",
    [
        ("bars", "2024-07-02,101.0,103.0,100.0,102.0,101.5,1100"),
        ("yields", "2024-07-02,4.62"),
        ("options", "2024-07-01,15:45,92.5,call,2024-08-16,95,0.61,0.65,15.0,0.28,,,,,"),
    ],
)
def test_duplicate_keys_name_both_rows(tmp_path, kind, extra):
    path = bad_file(tmp_path, kind, append=[extra])
    found = rules_by_line(violations_of(kind, path))
    text = "duplicate key (the same instrument and date twice)"
    dup_of = {"bars": 3, "yields": 3, "options": 3}[kind]
    assert found == {dup_of: {text}, 6: {text}}


def test_the_same_date_for_two_symbols_is_not_a_duplicate(tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("symbol,date,open,high,low,close,volume\nAAA,2024-07-01,1,2,0.5,1.5,10\nBBB,2024-07-01,1,2,0.5,1.5,10\n")
    assert not violations_of("bars", path)


def test_future_is_relative_to_the_given_today(tmp_path):
    path = bad_file(tmp_path, "bars")
    found = rules_by_line(violations_of("bars", path, today=dt.date(2024, 7, 2)))
    assert found == {4: {"date must not be after today"}, 5: {"date must not be after today"}}


@pytest.mark.parametrize("ratio", [2, 3, 4, 5, 10, 20, 1.5, 1 / 8, 1 / 10])
def test_a_split_ratio_explains_a_big_move(tmp_path, ratio):
    close = 103.0 / ratio
    row = f"2024-07-03,{close:.6f},{close * 1.01:.6f},{close * 0.99:.6f},{close:.6f},{close:.6f},1200"
    assert not violations_of("bars", bad_file(tmp_path, "bars", {4: row}))


def test_a_distribution_the_adjusted_close_explains_is_not_a_jump(tmp_path):
    # KDP 2018-07-10 in the universe file: a $103.75 special dividend, close 123.66 -> 22.19, adj_close +11%
    replace = {4: "2024-07-03,123.36,123.77,122.43,123.66,17.38,5536500",
               5: "2024-07-05,20.50,22.39,20.46,22.19,19.37,23632300"}
    assert not violations_of("bars", bad_file(tmp_path, "bars", replace))
    replace[5] = "2024-07-05,20.50,22.39,20.46,22.19,3.0,23632300"  # the adjusted close jumps too: refused
    assert rules_by_line(violations_of("bars", bad_file(tmp_path, "bars", replace))) == {5: {JUMP}}


def test_jumps_are_judged_per_symbol_and_in_date_order(tmp_path):
    # rows out of order and interleaved with another symbol's very different prices: no jump
    path = tmp_path / "mixed.csv"
    path.write_text("ticker,date,open,high,low,close,volume\n"
                    "BBB,2024-07-02,1000,1000,1000,1000,1\n"
                    "AAA,2024-07-02,10,10,10,10,1\n"
                    "BBB,2024-07-01,990,990,990,990,1\n"
                    "AAA,2024-07-01,11,11,11,11,1\n")
    assert not violations_of("bars", path)


def test_float_noise_in_ohlc_is_tolerated(tmp_path):
    # QQQ 2025-09-10 in the real data: open 583.739990 above high 583.739929
    row = "2024-07-03,583.739990,583.739929,580.0,582.0,582.0,1200"
    replace = {2: "2024-07-01,580.0,584.0,579.0,581.0,581.0,1000", 3: "2024-07-02,581.0,584.0,579.0,582.0,582.0,1000",
               4: row, 5: "2024-07-05,582.0,584.0,579.0,583.0,583.0,1000"}
    assert not violations_of("bars", bad_file(tmp_path, "bars", replace))
    # ... but a real gap is not noise
    replace[4] = "2024-07-03,583.80,583.739929,580.0,582.0,582.0,1200"
    assert rules_by_line(violations_of("bars", bad_file(tmp_path, "bars", replace))) == {4: {"open within [low, high]"}}


def test_good_friday_yields_are_accepted(tmp_path):
    # FRED has values on some Good Fridays (2024-03-29 was one; the stock market was closed)
    path = bad_file(tmp_path, "yields", {2: "2024-03-28,4.40", 3: "2024-03-29,4.41"})
    assert not violations_of("yields", path)


def test_a_blank_symbol_cell_is_reported_not_stored_as_text(tmp_path):
    path = tmp_path / "sym.csv"
    path.write_text("symbol,date,open,high,low,close,volume\nAAA,2024-07-01,1,2,0.5,1.5,10\n,2024-07-02,1,2,0.5,1.5,10\n")
    assert rules_by_line(violations_of("bars", path)) == {3: {"symbol: value missing or not a number"}}


def test_several_rules_on_one_row_and_long_lists_are_summarised(tmp_path):
    rows = [f"2024-07-{d:02d},1,2,3,1.5,1.5,10" for d in (1, 2, 3, 5, 8, 9, 10)]  # low > high on every row
    path = tmp_path / "many.csv"
    path.write_text(BARS_HEADER + "\n" + "\n".join(rows) + "\n")
    violations = violations_of("bars", path)
    assert violations.lines == list(range(2, 9))
    assert rules_by_line(violations)[2] == {"high >= low", "open within [low, high]", "close within [low, high]"}
    summary = violations.summary(str(path))
    assert summary.count("row ") == MAX_LISTED
    assert f"7 bad row(s)" in summary and "and 2 more" in summary
    assert "row 2 (close within [low, high]; high >= low; open within [low, high])" in summary


def test_a_symbol_longer_than_its_column_is_a_bad_row(tmp_path):
    long = "X" * 33
    path = tmp_path / "bars.csv"
    path.write_text("symbol,date,open,high,low,close,volume\n"
                    f"SPY,2024-07-01,1,2,0.5,1.5,10\n{long},2024-07-01,1,2,0.5,1.5,10\n{'Y' * 32},2024-07-01,1,2,0.5,1.5,10\n")
    assert rules_by_line(violations_of("bars", path)) == {
        3: {"symbol: longer than 32 characters (the database column's limit)"}}


def test_a_yield_series_name_longer_than_its_column_is_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(f"observation_date,{'D' * 33}\n2024-07-01,4.6\n")
    assert rules_by_line(violations_of("yields", path)) == {
        2: {"series: longer than 32 characters (the database column's limit)"}}


def test_an_unparseable_cell_is_reported_only_for_the_rows_validated(tmp_path):
    """A drop folder validates one day's slice of a file: a bad cell on another day is that day's problem."""
    from infra.validation import find_violations

    path = bad_file(tmp_path, "options", {5: "2024-07-02,,93.0,call,2024-08-16,95,0.70,0.74,15.1,0.31,,,,n/a,"})
    frame, violations = read_validated("options", path, TODAY)
    assert rules_by_line(violations) == {5: {"volume: not a number ('n/a')"}}
    first_day = frame[frame["quote_date"] == "2024-07-01"]
    assert not find_violations("options", first_day, path, TODAY)
