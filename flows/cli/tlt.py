"""`quantops tlt ...`: calibrate, evaluate, market-evaluate and optimize the TLT credit-spread overlay.

Defaults come from config/tlt_overlay.yaml (the design document's values); money is per share unless
a column says per contract; days are calendar days (expiries, DTE thresholds, days held), the simulation
steps over the XNYS sessions in between (domain/tlt/daycount.py).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from domain.errors import InputError
from flows.cli.tlt_backtest import backtest_cmd
from flows.cli.tlt_output import console, finite, money, print_reasons, report, warn

# domain.tlt pulls in numpy and scipy (seconds): each command imports what it uses, so that
# `quantops tlt --help` and completion stay fast.
if TYPE_CHECKING:
    from domain.tlt.calibration import CalibrationResult
    from domain.tlt.exits import ExitRule
    from domain.tlt.params import TltOverlayParams

app = typer.Typer(no_args_is_help=True, help="TLT credit-spread overlay on a bond portfolio.")
app.command("backtest")(backtest_cmd)  # the rolling historical backtest: flows/cli/tlt_backtest.py


def _params(variance_premium: float | None = None) -> TltOverlayParams:
    from dataclasses import replace

    from domain.tlt.params import TltOverlayParams
    from infra.strategy_config import load_strategy_config

    p = load_strategy_config("tlt_overlay", TltOverlayParams)
    if variance_premium is None:
        return p
    try:
        return replace(p, variance_premium=variance_premium)
    except ValueError as exc:
        raise InputError(f"--variance-premium: {exc}") from None


def _date(value: str | None, default: dt.date, name: str) -> dt.date:
    if value is None:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a YYYY-MM-DD date") from None


def _floats(value: str | None, default: tuple, name: str, cast=float) -> tuple:
    if value is None:
        return tuple(default)
    try:
        out = tuple(cast(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a comma-separated list of numbers") from None
    if not out:
        raise InputError(f"{name}: empty list")
    return out


def _load_calibration(path: Path) -> CalibrationResult:
    from domain.tlt.calibration import CalibrationResult

    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: calibration file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(f"{path}: not valid JSON") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a calibration result")
    return CalibrationResult.from_dict(data, str(path))


def _open_cvar(value: float | None) -> float:
    if value is None:
        return 0.0
    if not 0 <= value < 1:
        raise InputError("--open-cvar must lie in [0, 1): the open overlay positions' |CVaR95| as a fraction of NAV")
    return value


def _check_common(n_paths: int, min_pop: float) -> None:
    if n_paths < 100:
        raise InputError("--n-paths must be at least 100")
    if not 0 <= min_pop <= 1:
        raise InputError("--min-pop must lie in [0, 1]")


@app.command("calibrate")
def calibrate_cmd(
    data: Path = typer.Option(None, "--data", help="CSV with date, yield_20y, yield_30y, tlt_close."),
    from_db: bool = typer.Option(False, "--from-db", help="Use the stored DGS20/DGS30 yields and TLT closes and "
                                 "store the result as a calibration version (the JSON is its export)."),
    output: Path = typer.Option(Path("calibration_results.json"), "--output"),
    start_date: str = typer.Option(None, "--start-date", help="Default 2019-01-01 (config)."),
    end_date: str = typer.Option(None, "--end-date", help="Default 2024-12-31 (config)."),
    no_covid_exclusion: bool = typer.Option(False, "--no-covid-exclusion", help="Keep Mar 2020 - Dec 2021."),
    date_col: str = typer.Option("date", "--date-col"),
    yield_20y_col: str = typer.Option("yield_20y", "--yield-20y-col"),
    yield_30y_col: str = typer.Option("yield_30y", "--yield-30y-col"),
    tlt_col: str = typer.Option("tlt_close", "--tlt-col"),
    tlt_adj_col: str = typer.Option(None, "--tlt-adj-col", help="Adjusted TLT closes beside the raw ones: "
                                    "gives the dividend yield (trailing 12 months); without it 0."),
) -> None:
    """Fit bivariate Vasicek, log(TLT) = a + b*y + c*y^2 and the volatility model; write the JSON."""
    from domain.tlt.calibration import calibrate

    p = _params()
    start = _date(start_date, p.calibration_start, "--start-date")
    end = _date(end_date, p.calibration_end, "--end-date")
    if (data is None) == (not from_db):
        raise InputError("give exactly one of --data CSV or --from-db")
    columns = dict(date_col=date_col, yield_20y_col=yield_20y_col, yield_30y_col=yield_30y_col, tlt_col=tlt_col)
    version = None
    if from_db:  # a stored, versioned calibration (what the quarterly retrain stores); the JSON is its export
        from flows.cli.tlt_calibrate import calibrate_from_db

        result, version = calibrate_from_db(p, start, end, exclude_covid=not no_covid_exclusion)
        tlt_adj_col = "tlt_adj_close"  # stored bars carry both closes: q comes with them
    else:
        from infra.tlt_inputs import read_calibration_csv

        result = calibrate(read_calibration_csv(data), start, end, exclude_covid=not no_covid_exclusion,
                           covid_window=(p.covid_start, p.covid_end), min_observations=p.min_observations,
                           vol_window=p.realized_vol_window, tlt_adj_col=tlt_adj_col, **columns)
    warnings = _r2_warnings(result, p)
    output.write_text(json.dumps({**result.to_dict(), "warnings": warnings}, indent=2) + "\n")
    v, r, vol, cur = result.vasicek, result.regression, result.volatility, result.current
    table = Table(title=f"TLT calibration {start}..{end}"
                  f"{'' if no_covid_exclusion else ' (COVID window excluded)'}, {result.n_observations} days")
    table.add_column("model")
    table.add_column("parameters")
    table.add_row("Vasicek 20y", f"kappa={v.kappa_20:.4f} theta={v.theta_20:.4%} sigma={v.sigma_20:.4%}")
    table.add_row("Vasicek 30y", f"kappa={v.kappa_30:.4f} theta={v.theta_30:.4%} sigma={v.sigma_30:.4%}")
    table.add_row("correlation", f"rho={v.rho:.4f}")
    table.add_row("TLT regression", f"alpha={r.alpha:.4f} beta={r.beta:.3f} gamma={r.gamma:.2f} "
                  f"R^2={r.r_squared:.4f} duration={float(r.duration(cur.avg_yield)):.2f}y")
    table.add_row("volatility", f"base_iv={vol.base_iv:.2%} price_sensitivity={vol.price_sensitivity:.5f}/$")
    table.add_row("dividend yield", f"q={result.div_yield:.3%} (continuous, trailing 12 months)"
                  if tlt_adj_col else "q=0 (no --tlt-adj-col: TLT priced as a non-payer)")
    table.add_row("current", f"{cur.date}: 20y {cur.yield_20y:.3%}, 30y {cur.yield_30y:.3%}, TLT {cur.tlt_price:.2f}")
    console.print(table)
    warn(warnings)
    if version is not None:
        from flows.cli.tlt_calibrate import version_line

        console.print(version_line(version))
    console.print(f"Wrote {output}")


def _r2_warnings(cal: CalibrationResult, p: TltOverlayParams) -> list[str]:
    from domain.tlt.metrics import troubleshooting_warnings

    return troubleshooting_warnings(r_squared=cal.regression.r_squared, min_r_squared=p.min_r_squared)


def _paths(cal: CalibrationResult, p: TltOverlayParams, n_paths: int, sch, seed: int, entry_iv: float):
    """Simulated paths over the schedule `sch` at the entry IV minus the stated variance premium, drifting at
    r - q, and the line saying so (domain/tlt/proposals.py)."""
    from domain.tlt.proposals import overlay_paths

    setup = overlay_paths(cal, p, n_paths, sch.n, seed, entry_iv, elapsed=sch.elapsed)
    return setup.paths, setup.describe(p.variance_premium)


def _schedule(cal: CalibrationResult, calendar_days: int):
    """XNYS sessions from the calibration's last date to an expiry `calendar_days` later."""
    from domain.tlt.daycount import schedule_days

    if not cal.current.date:
        raise InputError("the calibration has no current_values.date to count days to expiry from; re-calibrate")
    return schedule_days(cal.current.date, calendar_days)


def _kinds(put_only: bool, call_only: bool) -> tuple[str, ...]:
    from domain.tlt.spreads import BEAR_CALL, BULL_PUT

    if put_only and call_only:
        raise InputError("--put-only and --call-only exclude each other")
    return (BULL_PUT,) if put_only else (BEAR_CALL,) if call_only else (BULL_PUT, BEAR_CALL)


def _rule(profit_target: float | None, loss_multiple: float | None, dte_close: int | None,
          p: TltOverlayParams) -> ExitRule:
    from domain.tlt.exits import ExitRule

    try:
        return ExitRule(p.profit_target_pct if profit_target is None else profit_target,
                        p.loss_limit_multiple if loss_multiple is None else loss_multiple,
                        p.dte_close_threshold if dte_close is None else dte_close)
    except ValueError as exc:
        raise InputError(str(exc)) from None


@app.command("evaluate")
def evaluate_cmd(
    calibration: Path = typer.Option(..., "--calibration", "-c", help="calibration_results.json"),
    n_paths: int = typer.Option(None, "--n-paths", help="Default 10000."),
    expiration: int = typer.Option(None, "--expiration", help="Calendar days to expiry, default 45."),
    min_pop: float = typer.Option(None, "--min-pop", help="Default 0.70."),
    profit_target: float = typer.Option(None, "--profit-target", help="Fraction of max profit, default 0.50."),
    loss_multiple: float = typer.Option(None, "--loss-multiple", help="x credit, default 2.0."),
    dte_close: int = typer.Option(None, "--dte-close", help="Calendar days to expiry, default 7."),
    put_only: bool = typer.Option(False, "--put-only"),
    call_only: bool = typer.Option(False, "--call-only"),
    variance_premium: float = typer.Option(None, "--variance-premium", help="Entry IV minus the paths' "
                                           "volatility, decimal (0.02 = 2 vol points); default config (0)."),
    seed: int = typer.Option(None, "--seed", help="Default 42."),
    top: int = typer.Option(None, "--top", help="Default 10."),
    open_cvar: float = typer.Option(None, "--open-cvar", help="|CVaR95| of the open overlay positions as a "
                                    "fraction of NAV (the loss budget holds them plus the new one); default 0."),
    output: Path = typer.Option(None, "--output", help="Write the top strategy, sizing and warnings here."),
) -> None:
    """Rank bull put / bear call spreads on simulated paths with the model's implied volatility."""
    from domain.tlt.daycount import CALENDAR_DAYS
    from domain.tlt.evaluation import evaluate_candidates, model_candidates

    p = _params(variance_premium)
    n_paths, expiration = n_paths or p.n_paths, expiration or p.expiration_days
    min_pop = p.min_pop if min_pop is None else min_pop
    seed, top = p.seed if seed is None else seed, top or p.top
    _check_common(n_paths, min_pop)
    if expiration < 1:
        raise InputError("--expiration must be at least 1 day")
    rule = _rule(profit_target, loss_multiple, dte_close, p)
    cal = _load_calibration(calibration)
    cur = cal.current
    entry_iv = max(cal.volatility.base_iv, p.iv_floor)
    sch = _schedule(cal, expiration)
    candidates = model_candidates(cur.tlt_price, entry_iv, p.risk_free_rate, int(sch.dte[0]),
                                  _kinds(put_only, call_only), p.candidate_deltas, p.candidate_widths,
                                  p.strike_step, CALENDAR_DAYS, cal.div_yield)
    paths, paths_line = _paths(cal, p, n_paths, sch, seed, entry_iv)
    evaluations = evaluate_candidates(candidates, paths, p.risk_free_rate, rule, p.iv_floor,
                                      div_yield=cal.div_yield, entry=sch.sessions[0])
    console.print(f"TLT {cur.tlt_price:.2f} on {cur.date}, model IV {entry_iv:.1%}, q {cal.div_yield:.2%}, "
                  f"{n_paths} paths, expiry {sch.expiry} ({sch.dte[0]} calendar days, {sch.n} sessions), exits: "
                  f"{rule.profit_target_pct:.0%} profit / {rule.loss_multiple:g}x loss / {rule.dte_threshold} "
                  "calendar days to expiry")
    console.print(paths_line)
    report(evaluations, min_pop, top, p, "Top strategies (model-priced)", _r2_warnings(cal, p), output,
            _open_cvar(open_cvar))


@app.command("market-evaluate")
def market_evaluate_cmd(
    calibration: Path = typer.Option(..., "--calibration", "-c"),
    options: Path = typer.Option(None, "--options", help="Vendor option chain CSV (IV in percent)."),
    from_db: bool = typer.Option(False, "--from-db", help="Use the latest stored TLT chain."),
    n_paths: int = typer.Option(None, "--n-paths", help="Default 10000."),
    min_dte: int = typer.Option(None, "--min-dte", help="Calendar days, default 30."),
    max_dte: int = typer.Option(None, "--max-dte", help="Calendar days, default 90."),
    min_pop: float = typer.Option(None, "--min-pop", help="Default 0.70."),
    profit_target: float = typer.Option(None, "--profit-target"),
    loss_multiple: float = typer.Option(None, "--loss-multiple"),
    dte_close: int = typer.Option(None, "--dte-close"),
    put_only: bool = typer.Option(False, "--put-only"),
    call_only: bool = typer.Option(False, "--call-only"),
    variance_premium: float = typer.Option(None, "--variance-premium", help="Entry IV minus the paths' "
                                           "volatility, decimal (0.02 = 2 vol points); default config (0)."),
    seed: int = typer.Option(None, "--seed"),
    top: int = typer.Option(None, "--top"),
    open_cvar: float = typer.Option(None, "--open-cvar", help="|CVaR95| of the open overlay positions as a "
                                    "fraction of NAV (the loss budget holds them plus the new one); default 0."),
    output: Path = typer.Option(None, "--output", help="Write the top strategy, sizing and warnings here."),
) -> None:
    """Rank spreads priced from a quoted chain (entry at the natural credit, legs at their quoted IVs)."""
    from domain.tlt.proposals import evaluate_chain

    p = _params(variance_premium)
    n_paths = n_paths or p.n_paths
    min_dte = p.min_dte if min_dte is None else min_dte
    max_dte = p.max_dte if max_dte is None else max_dte
    min_pop = p.min_pop if min_pop is None else min_pop
    seed, top = p.seed if seed is None else seed, top or p.top
    _check_common(n_paths, min_pop)
    if min_dte > max_dte:
        raise InputError("--min-dte is larger than --max-dte")
    rule = _rule(profit_target, loss_multiple, dte_close, p)
    cal = _load_calibration(calibration)
    if (options is None) == (not from_db):
        raise InputError("give exactly one of --options CSV or --from-db")
    if from_db:
        from infra.db.engine import get_engine
        from infra.market_store import load_option_quotes
        from infra.settings import get_settings

        chain = load_option_quotes(get_engine(get_settings().resolved_database_url), "TLT")
        if chain.empty:
            raise InputError("no stored TLT option quotes; ingest a chain first")
        chain = chain[chain["quote_date"] == chain["quote_date"].max()]
        source = f"stored chain of {chain['quote_date'].max().date()}"
    else:
        from infra.tlt_inputs import read_option_chain

        chain = read_option_chain(options)
        source = str(options)
    result = evaluate_chain(chain, cal, p, rule, _kinds(put_only, call_only), n_paths, seed, min_dte, max_dte,
                            source)
    console.print(f"TLT {result.spot:.2f} ({source}), q {cal.div_yield:.2%}, {result.n_candidates} candidate "
                  f"spreads, {n_paths} paths, exits at {rule.dte_threshold} calendar days to expiry")
    console.print(result.setup.describe(p.variance_premium))
    report(result.evaluations, min_pop, top, p, "Top strategies (market-priced)", _r2_warnings(cal, p), output,
            _open_cvar(open_cvar))


@app.command("optimize")
def optimize_cmd(
    calibration: Path = typer.Option(..., "--calibration", "-c"),
    delta: float = typer.Option(..., "--delta", help="Target |delta| of the short leg, e.g. 0.20."),
    width: float = typer.Option(..., "--width", help="Spread width in dollars, e.g. 3."),
    spread_type: str = typer.Option(..., "--spread-type", help="put (bull put) or call (bear call)."),
    expiration: int = typer.Option(None, "--expiration", help="Calendar days to expiry, default 45."),
    profit_targets: str = typer.Option(None, "--profit-targets", help="Default 0.30,0.40,0.50,0.60,0.70."),
    loss_multiples: str = typer.Option(None, "--loss-multiples", help="Default 1.5,2.0,2.5,3.0."),
    dte_thresholds: str = typer.Option(None, "--dte-thresholds", help="Default 3,5,7,10,14."),
    min_pop: float = typer.Option(None, "--min-pop", help="Default 0.70."),
    risk_budget: float = typer.Option(None, "--risk-budget", help="Max |CVaR95| as a fraction of the TLT "
                                      "price (the bond notional one share overlays), e.g. 0.02375."),
    variance_premium: float = typer.Option(None, "--variance-premium", help="Entry IV minus the paths' "
                                           "volatility, decimal (0.02 = 2 vol points); default config (0)."),
    n_paths: int = typer.Option(None, "--n-paths", help="Default 10000."),
    seed: int = typer.Option(None, "--seed", help="Default 42."),
    risk_free_rate: float = typer.Option(None, "--risk-free-rate", help="Default 0.05."),
    ranking_metric: str = typer.Option("expected_return", "--ranking-metric",
                                       help="expected_return or risk_adjusted_return."),
    top: int = typer.Option(None, "--top", help="Default 10."),
    output: Path = typer.Option(None, "--output", help="Write optimal_params.json here."),
    adopt: bool = typer.Option(False, "--adopt", help="Store the best exit rule as the one the daily risk "
                               "checks apply (QUANTOPS_HOME/tlt_exit_rule.json)."),
) -> None:
    """Grid-search exit rules (profit target x loss multiple x DTE) for one spread under POP/CVaR limits."""
    from domain.tlt.daycount import CALENDAR_DAYS
    from domain.tlt.monte_carlo import spread_value_matrix
    from domain.tlt.optimize import RANKING_METRICS, optimize_exits
    from domain.tlt.spreads import select_spread, spread_kind

    p = _params(variance_premium)
    expiration, n_paths = expiration or p.expiration_days, n_paths or p.n_paths
    min_pop = p.min_pop if min_pop is None else min_pop
    seed, top = p.seed if seed is None else seed, top or p.top
    rate = p.risk_free_rate if risk_free_rate is None else risk_free_rate
    _check_common(n_paths, min_pop)
    if ranking_metric not in RANKING_METRICS:
        raise InputError(f"--ranking-metric must be one of {', '.join(RANKING_METRICS)}")
    if risk_budget is not None and not risk_budget > 0:
        raise InputError("--risk-budget must be positive")
    pts = _floats(profit_targets, p.profit_targets, "--profit-targets")
    lms = _floats(loss_multiples, p.loss_multiples, "--loss-multiples")
    dtes = _floats(dte_thresholds, p.dte_thresholds, "--dte-thresholds", int)
    cal = _load_calibration(calibration)
    cur = cal.current
    iv = max(cal.volatility.base_iv, p.iv_floor)
    sch = _schedule(cal, expiration)
    spread = select_spread(spread_kind(spread_type), cur.tlt_price, int(sch.dte[0]), rate, iv, delta, width,
                           p.strike_step, CALENDAR_DAYS, cal.div_yield)
    paths, paths_line = _paths(cal, p, n_paths, sch, seed, iv)
    started = time.perf_counter()
    values = spread_value_matrix(spread, paths, rate, iv, iv_floor=p.iv_floor, div_yield=cal.div_yield,
                                 years=sch.years)
    credit = float(values[0, 0])
    if not credit > 0:
        raise InputError(f"{spread.label}: no credit at the model price; choose a larger --delta")
    max_cvar = None if risk_budget is None else risk_budget * cur.tlt_price
    result = optimize_exits(values, credit, pts, lms, dtes, min_pop, max_cvar, ranking_metric, dte=sch.dte)
    elapsed = time.perf_counter() - started

    console.print(f"Spread: {spread.label} expiring {sch.expiry} ({sch.dte[0]} calendar days, {sch.n} sessions), "
                  f"TLT {cur.tlt_price:.2f}, IV {iv:.1%}, "
                  f"q {cal.div_yield:.2%}")
    console.print(paths_line)
    console.print(f"Initial credit: {money(credit)}")
    console.print(f"Constraints: min POP {min_pop:.0%}"
                  + (f", max CVaR loss {money(max_cvar)} ({risk_budget:.3%} of TLT)" if max_cvar else ""))
    console.print(f"Evaluating {result.n_evaluated} parameter combinations on {n_paths} paths...")
    console.print(f"Optimization complete in {elapsed:.2f}s")
    console.print(f"  {result.n_passing}/{result.n_evaluated} parameter sets pass constraints")
    best = result.best
    if best is None:
        console.print("No parameter set passes the constraints: lower --min-pop, raise --risk-budget, or "
                      "choose a smaller --delta / different --width.")
    else:
        console.print(f"\nBest parameters: profit target {best.profit_target_pct:.0%}, loss multiple "
                      f"{best.loss_multiple:g}x, DTE threshold {best.dte_threshold} calendar days")
        console.print(f"  Expected return {money(best.expected_return)}, POP {best.pop:.1%}, CVaR95 "
                      f"{money(best.cvar_95)}, risk-adj {best.risk_adjusted_return:.2f}, avg days held "
                      f"{best.avg_days_held:.1f}")
        print_reasons(best.exit_reasons)
        table = Table(title=f"Top {min(top, result.n_passing)} parameter sets (by {ranking_metric})")
        for col in ("Rank", "Profit%", "LossMult", "DTE", "E[R]", "POP", "CVaR95", "RAR", "Days"):
            table.add_column(col, justify="right")
        for i, g in enumerate(result.passing[:top], 1):
            table.add_row(str(i), f"{g.profit_target_pct:.0%}", f"{g.loss_multiple:g}", str(g.dte_threshold),
                          money(g.expected_return), f"{g.pop:.1%}", money(g.cvar_95),
                          f"{g.risk_adjusted_return:.2f}", f"{g.avg_days_held:.1f}")
        console.print(table)
    warnings = _r2_warnings(cal, p)
    warn(warnings)
    if adopt:
        _adopt(best, spread.label, calibration, n_paths, seed)
    if output is not None:
        doc = {
            "spread": {"type": spread.kind, "short_strike": spread.short_strike, "long_strike": spread.long_strike,
                       "expiration_days": spread.expiration_days},
            "initial_credit": credit,
            "best_params": None if best is None else {
                "profit_target_pct": best.profit_target_pct, "loss_multiple": best.loss_multiple,
                "dte_threshold": best.dte_threshold},
            "best_result": None if best is None else {
                "expected_return": best.expected_return, "cvar_95": best.cvar_95, "pop": best.pop,
                "risk_adjusted_return": finite(best.risk_adjusted_return), "avg_days_held": best.avg_days_held},
            "n_evaluated": result.n_evaluated,
            "n_passing": result.n_passing,
            "warnings": warnings,
        }
        output.write_text(json.dumps(doc, indent=2) + "\n")
        console.print(f"Wrote {output}")


def _adopt(best, label: str, calibration: Path, n_paths: int, seed: int) -> None:
    from domain.tlt.exits import ExitRule
    from infra.tlt_exit_rule import store_exit_rule

    if best is None:
        raise InputError("--adopt: no parameter set passes the constraints, nothing to adopt")
    rule = ExitRule(best.profit_target_pct, best.loss_multiple, best.dte_threshold)
    path = store_exit_rule(rule, {"spread": label, "calibration": str(calibration), "n_paths": n_paths,
                                  "seed": seed, "expected_return": best.expected_return, "pop": best.pop,
                                  "cvar_95": best.cvar_95})
    console.print(f"Adopted: the daily risk checks now close spreads at {rule.profit_target_pct:.0%} profit, "
                  f"{rule.loss_multiple:g}x loss, {rule.dte_threshold} DTE ({path})")

