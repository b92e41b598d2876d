"""`quantops retrain`, `walk-forward`, `report`, `models`: research on the production code path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from domain.errors import InputError
from flows.cli.render import CSV_OPTION, JSON_OPTION, Column, make_console, output_format, parse_date, show
from flows.cli.runs import _progress, run_flow, upgrade
from infra.db.engine import app_engine
from infra.settings import get_settings

console = make_console()
models_app = typer.Typer(help="Trained models: list them, promote one by hand.", no_args_is_help=True)
STRATEGY = typer.Option(None, "--strategy",
                        help="Strategy name (default: every enabled strategy of config/strategies.yaml).")


def _strategies(strategy: str | None) -> list[str]:
    """The named strategy (checked against the registry, its class and config loaded) or every enabled one."""
    from infra.strategy_registry import enabled_strategies
    from tasks.research import load_strategy

    names = [strategy] if strategy else list(enabled_strategies())
    for name in names:
        load_strategy(name)
    return names


def _benchmark(strategy: str) -> str:
    from tasks.research import load_strategy

    return load_strategy(strategy).benchmark


def retrain_command(
    strategy: str | None = STRATEGY,
    as_of: str | None = typer.Option(None, "--as-of", help="Train on data up to this date (default: last session)."),
    seed: int = typer.Option(42, "--seed"),
) -> None:
    """Fit on everything up to --as-of, validate walk-forward, store the model, promote it if it passes."""
    from flows.retrain import retrain

    names = _strategies(strategy)
    day = parse_date(as_of, "--as-of")
    upgrade(get_settings().resolved_database_url)
    for name in names:
        with console.status(f"retraining {name}..."):
            result = run_flow(retrain, f"retrain {name}", strategy=name, as_of=day, seed=seed)
        console.print(f"{name} model {result['model_id']} as of {result['as_of']}: {result['report']}", highlight=False)
        console.print(result["summary"], highlight=False)


def walk_forward_command(
    strategy: str | None = STRATEGY,
    start: str = typer.Option(..., "--start", help="First test date (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--end", help="Last test date (YYYY-MM-DD)."),
    seed: int = typer.Option(42, "--seed"),
) -> None:
    """Quarterly expanding walk-forward; prints per-fold and overall out-of-sample metrics and stores them."""
    from flows.progress import progress_listener
    from flows.walk_forward import walk_forward
    from infra.research_store import latest_walk_forward

    names = _strategies(strategy)
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise typer.BadParameter(f"{end} is before {start}", param_hint="--end")
    upgrade(get_settings().resolved_database_url)
    quarters = len({(d.year, (d.month - 1) // 3) for d in (first + dt.timedelta(days=i) for i in range((last - first).days + 1))})
    for name in names:
        with _progress() as progress:
            bar = progress.add_task(f"{name} walk-forward folds", total=quarters)
            with progress_listener(lambda fold, status: progress.update(bar, advance=1, description=f"fold {fold} {status}")):
                result = run_flow(walk_forward, f"walk-forward {name}", strategy=name, start=first, end=last,
                                  seed=seed)
        found = latest_walk_forward(app_engine(), name)
        if found is not None:
            show(fold_rows(found[1], found[2]), FOLD_COLUMNS, title="folds (out of sample)", console=console)
        _print_summary(name, _benchmark(name), result["summary"], result["benchmark"])
        for note in result["notes"]:
            console.print(f"note: {note}", highlight=False)
        console.print(f"stored as walk-forward run {result['run_id']}", highlight=False)


FOLD_COLUMNS = [
    Column("fold", kind="int"), Column("test_start", "from", kind="date"), Column("test_end", "to", kind="date"),
    Column("period_return", "return", kind="pct"), Column("max_drawdown", "max DD", kind="pct"),
    Column("calmar", "Calmar", kind="ratio"), Column("sharpe", "Sharpe", kind="ratio"),
    Column("bh_period_return", "benchmark return", kind="pct"),
    Column("ic", "IC", kind="ratio"), Column("hit_rate", "hit rate", kind="pct"),
    Column("base_rate", "base rate", kind="pct"), Column("bm_calmar", "beta-matched Calmar", kind="ratio"),
]


def fold_rows(folds, days) -> list[dict]:
    """One row a fold. A fold is a quarter: its return is the quarter's own (compounded over the fold's
    sessions), not annualised (a CAGR over 63 days turns +17.2% into +88%)."""
    from domain.metrics import total_return

    rows = []
    for row in folds.itertuples():
        m = json.loads(row.metrics)
        window = days.loc[(days.index >= str(row.test_start)) & (days.index <= str(row.test_end))]
        rows.append({"fold": row.fold, "test_start": row.test_start, "test_end": row.test_end,
                     "period_return": total_return(window["strategy_return"]) if len(window) else None,
                     "max_drawdown": m.get("test_max_drawdown"), "calmar": m.get("test_calmar"),
                     "sharpe": m.get("test_sharpe"),
                     "bh_period_return": total_return(window["benchmark_return"]) if len(window) else None,
                     "ic": m.get("test_ic_spearman"), "hit_rate": m.get("test_forecast_hit_rate"),
                     "base_rate": m.get("test_base_rate"), "bm_calmar": m.get("test_bm_calmar")})
    return rows


def folds_command(strategy: str | None = STRATEGY, as_json: bool = JSON_OPTION, as_csv: bool = CSV_OPTION) -> None:
    """Per-fold out-of-sample metrics of the latest stored walk-forward run (default: of each enabled strategy)."""
    from infra.research_store import latest_walk_forward

    fmt = output_format(as_json, as_csv)
    rows = []
    for name in _strategies(strategy):
        found = latest_walk_forward(app_engine(), name)
        if found is None:
            if strategy:
                raise InputError(f"no walk-forward run of {name} stored yet: run `quantops walk-forward` first")
            continue
        run, folds, days = found
        rows += [{"strategy": name, "run": run["id"], **r} for r in fold_rows(folds, days)]
    show(rows, [Column("strategy"), Column("run", kind="int"), *FOLD_COLUMNS],
         title="walk-forward folds (out of sample)", fmt=fmt, console=console)


def _pct(v) -> str:
    return "–" if v is None else f"{v:.2%}"


def _num(v) -> str:
    return "–" if v is None else f"{v:.2f}"


def _print_summary(strategy: str, label: str, summary: dict, benchmark: dict) -> None:
    from tasks.research import BETA_MATCHED_KEYS, OVERFITTING_KEYS, SKILL_KEYS, skill_line

    rows = [(strategy, summary), (label, benchmark)]
    if all(summary.get(k) is not None for k in BETA_MATCHED_KEYS):
        rows.append(("beta-matched", {k: summary[f"beta_matched_{k}"] for k in ("cagr", "max_drawdown", "calmar", "sharpe")}))
    for name, m in rows:
        console.print(f"{name:>18}: CAGR {_pct(m['cagr'])}  max drawdown {_pct(m['max_drawdown'])}  "
                      f"Calmar {_num(m['calmar'])}  Sharpe {_num(m['sharpe'])}", highlight=False)
    if all(summary.get(k) is not None for k in SKILL_KEYS + OVERFITTING_KEYS):
        console.print(skill_line(summary), highlight=False)


def report_command(
    strategy: str | None = STRATEGY,
    output: Path = typer.Option(Path("report.html"), "--output",
                                help="HTML file to write (several strategies: one file each, <stem>-<name>.html)."),
) -> None:
    """HTML tearsheet of each strategy's latest stored walk-forward run (and the same as a Prefect artifact)."""
    from infra.research_store import latest_walk_forward

    names = _strategies(strategy)
    found = {name: latest_walk_forward(app_engine(), name) for name in names}
    missing = [name for name, f in found.items() if f is None]
    if missing:
        raise InputError(f"no walk-forward run of {', '.join(missing)} stored yet: run `quantops walk-forward` first")
    for name, (run, folds, days) in found.items():
        target = output if len(names) == 1 else output.with_name(f"{output.stem}-{name}{output.suffix}")
        label = _benchmark(name)
        target.write_text(build_report_html(name, label, run, folds, days))
        _publish_report_artifact(name, label, run, days)
        console.print(f"{name} report written to {target.resolve()} ({len(days)} sessions, {len(folds)} folds)",
                      highlight=False)


def build_report_html(strategy: str, label: str, run: dict, folds, days) -> str:
    import pandas as pd

    from domain import metrics as metric_fns
    from domain.targets import check_targets
    from infra.reporting.tearsheet import render_tearsheet
    from tasks.research import BETA_MATCHED_KEYS, OVERFITTING_KEYS, SKILL_KEYS

    report = _report_params(strategy)
    rf = report.risk_free_rate
    stored = json.loads(run.get("metrics") or "{}")
    measured = {k: v for k, v in stored.items() if k in SKILL_KEYS + OVERFITTING_KEYS}
    metrics = {strategy: {**metric_fns.summarize(days["strategy_return"], days["exposure"], risk_free=rf),
                          **metric_fns.relative_to(days["strategy_return"], days["benchmark_return"]), **measured},
               label: metric_fns.summarize(days["benchmark_return"], risk_free=rf)}
    if all(stored.get(k) is not None for k in BETA_MATCHED_KEYS):
        # stored with the run; its Sharpe is at a zero risk-free rate, so only the rate-free figures are shown
        metrics["beta-matched (constant mean exposure)"] = {
            k: stored[f"beta_matched_{k}"] for k in ("cagr", "max_drawdown", "calmar")}
    params = json.loads(run.get("params") or "{}")
    costs = params.get("costs") if isinstance(params, dict) else None
    cost_text = (f"{costs['commission_bps']:g} bp commission + {costs['slippage_bps']:g} bp slippage per unit of "
                 "exposure traded (charged on every change of exposure); the benchmark pays none"
                 if isinstance(costs, dict) and {"commission_bps", "slippage_bps"} <= set(costs) else None)
    provenance = {"walk-forward run": run["id"], "strategy": strategy, "test window": f"{run['start']} to {run['end']}",
                  "code version": run["code_version"], "seed": run["seed"],
                  "data fingerprint": run["data_fingerprint"], "configuration hash": run.get("config_hash", ""),
                  "stored at": run.get("created_at", ""),
                  "re-make": f"quantops walk-forward --strategy {strategy} --start {run['start']} --end {run['end']} "
                             f"--seed {run['seed']}"}
    notes = json.loads(run["notes"] or "[]")
    return render_tearsheet(f"{strategy} walk-forward", days, pd.DataFrame(fold_rows(folds, days)), metrics, label,
                            notes, costs=cost_text, provenance=provenance, risk_free=rf,
                            targets=check_targets(metrics[strategy], report.targets))


def _report_params(strategy: str):
    """The strategy's ``report:`` settings (risk-free rate, design targets); defaults when it has none or is
    no longer registered (an old stored run)."""
    from domain.errors import InputError
    from domain.targets import ReportParams
    from infra.strategy_registry import build_strategy

    try:
        report = getattr(build_strategy(strategy).params, "report", None)
    except InputError:
        report = None
    return report if isinstance(report, ReportParams) else ReportParams()


def _publish_report_artifact(strategy: str, label: str, run: dict, days) -> None:
    """Best effort: the report as a Prefect artifact too (needs a reachable Prefect API or ephemeral mode)."""
    from prefect import flow
    from prefect.artifacts import create_markdown_artifact

    from domain import metrics as metric_fns

    m = metric_fns.summarize(days["strategy_return"], days["exposure"])
    b = metric_fns.summarize(days["benchmark_return"])

    @flow(name="report")
    def report_flow() -> None:
        create_markdown_artifact(
            key=f"{strategy.replace('_', '-')}-report",
            markdown=(f"# {strategy} report (walk-forward run {run['id']})\n\n| | CAGR | max DD | Calmar | Sharpe |\n"
                      f"|---|---|---|---|---|\n| {strategy} | {_pct(m['cagr'])} | {_pct(m['max_drawdown'])} | "
                      f"{_num(m['calmar'])} | {_num(m['sharpe'])} |\n| {label} | {_pct(b['cagr'])} | "
                      f"{_pct(b['max_drawdown'])} | {_num(b['calmar'])} | {_num(b['sharpe'])} |\n"),
        )

    report_flow()


MODEL_COLUMNS = [
    Column("strategy"), Column("id", kind="int"), Column("as_of", "as of", kind="date"), Column("train_start", "trained from", kind="date"),
    Column("train_end", "to", kind="date"), Column("status"), Column("validation_calmar", "validation Calmar", kind="ratio"),
    Column("validation_cagr", "validation CAGR", kind="pct"), Column("code_version", "code"), Column("seed", kind="int"),
]


@models_app.command("list")
def models_list(strategy: str | None = STRATEGY, as_json: bool = JSON_OPTION, as_csv: bool = CSV_OPTION) -> None:
    """Every stored model of a strategy (default: of each enabled one) with its status and validation metrics."""
    from infra.model_store import model_runs

    fmt = output_format(as_json, as_csv)
    rows = []
    for name in _strategies(strategy):
        for row in model_runs(app_engine(), name).itertuples():
            m = json.loads(row.metrics)
            rows.append({"strategy": name, "id": row.id, "as_of": row.as_of, "train_start": row.train_start,
                         "train_end": row.train_end, "status": row.status,
                         "validation_calmar": m.get("validation_calmar"), "validation_cagr": m.get("validation_cagr"),
                         "code_version": row.code_version, "seed": row.seed})
    show(rows, MODEL_COLUMNS, title=f"{strategy or 'enabled strategies'}: models", fmt=fmt, console=console)


@models_app.command("promote")
def models_promote(model_id: int = typer.Argument(..., help="Model id (see `quantops models list`)."),
                   reason: str = typer.Option(..., "--reason", help="Why the gates are overridden.")) -> None:
    """Make a model live by hand (recorded with the reason)."""
    from infra.model_store import promote_manually

    stored = promote_manually(app_engine(), model_id, reason)
    console.print(f"model {stored.id} ({stored.strategy}, as of {stored.as_of}) is now the live model", highlight=False)
