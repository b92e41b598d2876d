"""`quantops data fetch`: history and repairs from the live providers that QUANTOPS_DATA_SOURCE names."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from flows.cli.errors import fail
from flows.cli.render import make_console, parse_date
from flows.cli.runs import upgrade
from infra.settings import get_settings

console = make_console()
data_app = typer.Typer(help="Market data from the live providers (see QUANTOPS_DATA_SOURCE).", no_args_is_help=True)
KINDS = ("bars", "yields", "options")


@data_app.command("fetch")
def fetch_command(
    kind: str = typer.Option(..., "--kind", help="bars | yields | options"),
    start: str = typer.Option(..., "--start", help="First date (YYYY-MM-DD)."),
    end: str = typer.Option(..., "--end", help="Last date (YYYY-MM-DD)."),
    symbols: str | None = typer.Option(None, "--symbols", help="Comma-separated symbols/series/underlyings "
                                       "(default: those of config/market_data.yaml)."),
) -> None:
    """Fetch a date range, validate it like a file, upsert it and record what the vendor revised."""
    from flows.market_data import market_data_history
    from flows.progress import progress_listener
    from infra.providers import source_from_settings

    if kind not in KINDS:
        raise fail(f"--kind {kind!r}: must be one of {', '.join(KINDS)}")
    first, last = parse_date(start, "--start"), parse_date(end, "--end")
    if last < first:
        raise fail(f"--end {end} is before --start {start}")
    names = [s.strip() for s in (symbols or "").split(",") if s.strip()] or None
    source = source_from_settings(get_settings())
    names = names or list(source.names(kind))
    upgrade(get_settings().resolved_database_url)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        bar = progress.add_task(f"{kind} {first}..{last}", total=len(names))
        with progress_listener(lambda name, status: progress.update(bar, advance=1, description=f"{name}: {status}")):
            totals = market_data_history(kind, first, last, names)
    empty = f"; nothing served for {', '.join(totals['empty'])}" if totals["empty"] else ""
    console.print(f"{kind} {first}..{last} from {source.name}: {totals['names']} name(s), {totals['rows']} row(s), "
                  f"{totals['written']} new or changed, {totals['revisions']} vendor revision(s){empty}",
                  highlight=False, soft_wrap=True)
