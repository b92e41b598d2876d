"""`quantops retrain`, `walk-forward`, `report`, `models`: research on the production code path."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.table import Table

from domain.errors import InputError
from flows.cli.render import make_console, parse_date
from flows.cli.runs import _progress, upgrade
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
            result = retrain(strategy=name, as_of=day, seed=seed)
        m = result["metrics"]
        console.print(f"{name} model {result['model_id']} as of {result['as_of']}: {result['report']}", highlight=False)
        console.print(f"validation {m['validation_start']}..{m['validation_end']}: Calmar {m['validation_calmar']:.2f}, "
                      f"CAGR {m['validation_cagr']:.2%}, max drawdown {m['validation_max_drawdown']:.2%}, "
                      f"Sharpe {m['validation_sharpe']:.2f}", highlight=False)


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
                result = walk_forward(strategy=name, start=first, end=last, seed=seed)
        found = latest_walk_forward(app_engine(), name)
        if found is not None:
            _print_folds(found[1])
        _print_summary(name, _benchmark(name), result["summary"], result["benchmark"])
        for note in result["notes"]:
            console.print(f"note: {note}", highlight=False)
        console.print(f"stored as walk-forward run {result['run_id']}", highlight=False)


def _print_folds(folds) -> None:
    table = Table(title="folds (out of sample)")
    for name in ("fold", "test window", "CAGR", "max DD", "Calmar", "Sharpe", "buy-and-hold"):
        table.add_column(name, justify="right")
    for row in folds.itertuples():
        m = json.loads(row.metrics)
        table.add_row(str(row.fold), f"{row.test_start}..{row.test_end}", _pct(m.get("test_cagr")),
                      _pct(m.get("test_max_drawdown")), _num(m.get("test_calmar")), _num(m.get("test_sharpe")),
                      _pct(m.get("bh_cagr")))
    console.print(table)


def _pct(v) -> str:
    return "–" if v is None else f"{v:.2%}"


def _num(v) -> str:
    return "–" if v is None else f"{v:.2f}"


def _print_summary(strategy: str, label: str, summary: dict, benchmark: dict) -> None:
    for name, m in ((strategy, summary), (label, benchmark)):
        console.print(f"{name:>18}: CAGR {_pct(m['cagr'])}  max drawdown {_pct(m['max_drawdown'])}  "
                      f"Calmar {_num(m['calmar'])}  Sharpe {_num(m['sharpe'])}", highlight=False)


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
    from domain import metrics as metric_fns
    from infra.reporting.tearsheet import render_tearsheet

    fold_rows = []
    for row in folds.itertuples():
        m = json.loads(row.metrics)
        fold_rows.append({"fold": row.fold, "test_start": str(row.test_start), "test_end": str(row.test_end),
                          "cagr": m.get("test_cagr"), "max_drawdown": m.get("test_max_drawdown"),
                          "calmar": m.get("test_calmar"), "sharpe": m.get("test_sharpe"), "bh_cagr": m.get("bh_cagr")})
    import pandas as pd

    metrics = {strategy: metric_fns.summarize(days["strategy_return"], days["exposure"]),
               label: metric_fns.summarize(days["benchmark_return"])}
    notes = json.loads(run["notes"] or "[]") + [
        f"walk-forward run {run['id']}, code {run['code_version']}, seed {run['seed']}, data {run['data_fingerprint'][:12]}"
    ]
    return render_tearsheet(f"{strategy} walk-forward", days, pd.DataFrame(fold_rows), metrics, label, notes)


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


@models_app.command("list")
def models_list(strategy: str | None = STRATEGY) -> None:
    """Every stored model of a strategy (default: of each enabled one) with its status and validation metrics."""
    from infra.model_store import model_runs

    for name in _strategies(strategy):
        runs = model_runs(app_engine(), name)
        table = Table(title=f"{name} models")
        for column in ("id", "as of", "trained", "status", "validation Calmar", "code", "seed"):
            table.add_column(column)
        for row in runs.itertuples():
            m = json.loads(row.metrics)
            table.add_row(str(row.id), str(row.as_of), f"{row.train_start}..{row.train_end}", row.status,
                          _num(m.get("validation_calmar")), row.code_version, str(row.seed))
        console.print(table)


@models_app.command("promote")
def models_promote(model_id: int = typer.Argument(..., help="Model id (see `quantops models list`)."),
                   reason: str = typer.Option(..., "--reason", help="Why the gates are overridden.")) -> None:
    """Make a model live by hand (recorded with the reason)."""
    from infra.model_store import promote_manually

    stored = promote_manually(app_engine(), model_id, reason)
    console.print(f"model {stored.id} ({stored.strategy}, as of {stored.as_of}) is now the live model", highlight=False)
