"""`quantops daily`, `quantops backfill`, `quantops demo`: running the pipeline by hand."""

from __future__ import annotations

import datetime as dt

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from flows.cli.render import database_label, make_console, parse_date
from infra.settings import SAMPLE_DIR, get_settings

console = make_console()
DEMO_SESSIONS = 20


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def upgrade(url: str) -> str:
    """Migrate the schema first (alembic is imported here, not at start-up)."""
    from infra.db.migrate import upgrade as migrate

    return migrate(url)


def upgrade_before_run(url: str, flow_name: str, as_of: dt.date | None) -> str:
    """The migration before a run, retried like a database task; if the database stays unreachable there
    is no flow run to fail, so the critical alert is sent from here, straight to the targets."""
    from tasks.retry import is_transient, retry_transient

    try:
        return retry_transient(lambda: upgrade(url))
    except Exception as exc:
        if is_transient(exc):
            from flows.hooks import alert_database_down

            alert_database_down(flow_name, as_of or dt.date.today(), exc)
        raise


def run_flow(flow_fn, label: str, **parameters):
    """Run a flow; a run that fails is one line and exit code 5 (RunFailed), not a traceback.

    Bad input (QuantopsError) and database errors pass through to their own exit codes.
    """
    import sys

    from domain.errors import QuantopsError, RunFailed

    try:
        return flow_fn(**parameters)
    except QuantopsError:
        raise
    except Exception as exc:
        sa = sys.modules.get("sqlalchemy.exc")
        if sa is not None and isinstance(exc, sa.OperationalError | sa.ProgrammingError):
            raise
        first = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
        raise RunFailed(f"{label} failed: {exc.__class__.__name__}: {first} (see the run in the Prefect UI)") from exc


def run_backfill(start: dt.date, end: dt.date, resume: bool) -> dict:
    from domain.calendar import sessions_between
    from flows.backfill import backfill
    from flows.progress import progress_listener

    total = len(sessions_between(start, end))
    with _progress() as progress:
        bar = progress.add_task(f"backfill {start}..{end}", total=total)
        with progress_listener(lambda day, status: progress.update(bar, advance=1, description=f"{day} {status}")):
            return run_flow(backfill, f"backfill {start}..{end}", start=start, end=end, resume=resume)


def daily_command(date: str | None = typer.Option(None, "--date", help="Session to run (default: the last completed one).")) -> None:
    """Run the daily flow for one date."""
    from flows.daily import daily

    day = parse_date(date, "--date")
    upgrade_before_run(get_settings().resolved_database_url, "daily", day)
    result = run_flow(daily, f"daily {day or 'last session'}", as_of=day)
    console.print(f"daily {result['as_of']}: {result['status']}", highlight=False)


def backfill_command(
    start: str = typer.Option(..., "--start", help="First date (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--end", help="Last date (YYYY-MM-DD)."),
    resume: bool = typer.Option(True, "--resume/--rerun", help="Skip sessions already completed (default)."),
) -> None:
    """Run the daily flow for every XNYS session in a range, in order."""
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise typer.BadParameter(f"{end} is before {start}", param_hint="--end")
    upgrade_before_run(get_settings().resolved_database_url, "backfill", first)
    result = run_backfill(first, last, resume)
    console.print(f"backfill {first}..{last}: {result['sessions']} session(s), {result['ran']} run, "
                  f"{result['skipped']} already done", highlight=False)


def demo_command() -> None:
    """Create the embedded database, load the bundled sample and backfill its last 20 sessions."""
    from domain.calendar import sessions_between
    from infra.db.engine import app_engine
    from infra.ingest import ingest_file
    from infra.providers import FileDropSource

    settings = get_settings()
    url = settings.resolved_database_url
    revision = upgrade(url)
    console.print(f"database: {database_label(url)} (revision {revision})", highlight=False)
    engine = app_engine()
    source = FileDropSource(SAMPLE_DIR, "sample")
    files = source.files()
    with _progress() as progress:
        bar = progress.add_task("loading the bundled sample", total=len(files))
        for kind, path in files:
            report = ingest_file(engine, kind, path, today=dt.date.today(), source="sample")
            progress.update(bar, advance=1, description=f"{path.name}: {report.rows} rows")
    last = _last_sample_session(engine)
    sessions = [d for d in sessions_between(last - dt.timedelta(days=45), last)][-DEMO_SESSIONS:]
    _seed_demo_nav(engine, sessions[0])
    _demo_models(engine, sessions[0])
    result = run_backfill(sessions[0], sessions[-1], resume=True)
    console.print(
        f"demo done: {len(files)} sample files loaded; daily flow over {sessions[0]}..{sessions[-1]} "
        f"({result['ran']} run, {result['skipped']} already done).\n"
        f"database: {database_label(url)}\n"
        f"next: `quantops orders --date {sessions[-1]}`, `quantops book --strategy NAME`, "
        f"`quantops positions list`, `quantops nav show`, `quantops alerts list`, `prefect server start` for the UI.",
        highlight=False,
    )


DEMO_NAV = 10_000_000.0


def _demo_models(engine, first: dt.date) -> None:
    """Retrain each enabled strategy on the sample up to the session before the demo's first, so its paper
    book trades and `quantops orders` has orders to show. A model that fails its promotion gates is promoted
    by hand for the demo, saying so (as `quantops models promote` records an operator's override): paper books
    do not move the fund's NAV, and the demo is about the machinery, not the model's merit."""
    from domain.calendar import previous_session
    from flows.retrain import retrain
    from infra.model_store import promote_manually, promoted_model
    from infra.strategy_registry import enabled_strategies

    as_of = previous_session(first)
    for name in enabled_strategies():
        if promoted_model(engine, name, as_of) is not None:
            continue
        outcome = run_flow(retrain, f"retrain {name}", strategy=name, as_of=as_of)
        if outcome["status"] != "promoted":
            promote_manually(engine, int(outcome["model_id"]), "demo: paper book only, gates failed")
            console.print(f"{name}: the model trained to {as_of} FAILED its promotion gates ({outcome['report']}); "
                          f"the demo promotes it by hand so its paper book trades (it does not move the fund's NAV)",
                          highlight=False)
        else:
            console.print(f"{name}: model trained to {as_of} promoted ({outcome['report']})", highlight=False)


def _seed_demo_nav(engine, first: dt.date) -> None:
    """Give the demo fund a starting NAV (as an administrator would) unless one is already set."""
    from sqlalchemy.orm import Session

    from infra.portfolio_store import external_nav_on_or_before, set_external_nav

    if external_nav_on_or_before(engine, first) is None:
        with Session(engine) as session, session.begin():
            set_external_nav(session, first, DEMO_NAV)
        console.print(f"demo fund NAV set to {DEMO_NAV:,.0f} on {first} (`quantops nav set` changes it)",
                      highlight=False)


def _last_sample_session(engine) -> dt.date:
    from sqlalchemy import func, select

    from infra.db.models.market import DailyBar

    with engine.connect() as conn:
        return conn.scalar(select(func.max(DailyBar.date)).where(DailyBar.symbol == "SPY"))


def serve_command() -> None:
    """Serve the deployments (daily 18:30 New York, backfill, quarterly retrain) to a Prefect server."""
    import os

    from flows.deployments import serve_all

    if not os.environ.get("PREFECT_API_URL"):
        console.print(
            "note: PREFECT_API_URL is not set; schedules need a Prefect server. Start one with "
            "`uv run prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api",
            highlight=False,
        )
    upgrade(get_settings().resolved_database_url)
    serve_all()
