"""`quantops orders ...` and `quantops book ...`: the paper books, what the desk must trade, what it did."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from domain.errors import InputError
from flows.cli.render import CSV_OPTION, JSON_OPTION, Column, make_console, output_format, parse_date, show

console = make_console()
orders_app = typer.Typer(help="Orders of the strategies' books for the next session; record actual fills.",
                         invoke_without_command=True)


def _fmt(value, spec: str = ",.2f") -> str:
    return "" if value is None or value != value else format(value, spec)


ORDER_COLUMNS = [
    Column("id", kind="int"), Column("strategy"), Column("instrument"), Column("side"),
    Column("quantity", kind="ratio"), Column("reference_price", "ref. price", kind="price"),
    Column("notional", kind="money"), Column("timing"), Column("status", "paper"),
    Column("actual_price", "actual price", kind="price"), Column("actual_quantity", "actual qty", kind="ratio"),
]


@orders_app.callback()
def orders_command(
    ctx: typer.Context,
    date: str | None = typer.Option(None, "--date", help="Close the orders were decided at (default: the last)."),
    strategy: str | None = typer.Option(None, "--strategy", help="Only this strategy's orders."),
    as_json: bool = JSON_OPTION,
    as_csv: bool = CSV_OPTION,
) -> None:
    """Print the orders the desk must place for the session after --date."""
    if ctx.invoked_subcommand is not None:
        return
    from infra.book_store import last_book_day, orders_on
    from infra.db.engine import app_engine

    fmt = output_format(as_json, as_csv)
    engine = app_engine()
    day = parse_date(date, "--date") or last_book_day(engine)
    if day is None:
        if fmt == "table":
            console.print("no book has been stepped yet: run `quantops daily` (or `quantops demo`)")
        else:
            show([], ORDER_COLUMNS, title="", fmt=fmt)
        return
    frame = orders_on(engine, day, strategy)
    if frame.empty and fmt == "table":
        console.print(f"no orders decided at the close of {day}")
        return
    rows = [{k: (None if v != v else v) for k, v in r.items()} for r in frame.to_dict("records")]  # NaN -> None
    show(rows, ORDER_COLUMNS, title=f"orders decided at the close of {day} (for the next session)", fmt=fmt,
         console=console)


@orders_app.command("fill")
def orders_fill(
    order_id: int = typer.Argument(..., help="Order id (see `quantops orders`)."),
    price: float = typer.Option(..., "--price", help="Average execution price."),
    quantity: float | None = typer.Option(None, "--quantity", help="Signed quantity executed (default: the order's)."),
    note: str | None = typer.Option(None, "--note", help="Why it differs from paper (partial, late, ...)."),
) -> None:
    """Record the desk's actual fill of an order when it differs from the paper fill. A spread proposal's
    order (timing 'proposal') has no paper fill: its fill opens the position (--price: the credit per share)."""
    from infra.book_store import record_actual_fill
    from infra.db.engine import app_engine
    from infra.spread_fills import fill_spread_order

    spread = fill_spread_order(app_engine(), order_id, price, quantity, note)
    row = spread[0] if spread else record_actual_fill(app_engine(), order_id, price, quantity, note)
    slip = (row.actual_price / row.reference_price - 1.0) * (1 if row.quantity > 0 else -1) * 1e4
    console.print(f"order #{row.id} {row.strategy} {row.instrument}: filled {row.actual_quantity:+,.2f} @ "
                  f"{row.actual_price:,.4f} (paper reference {row.reference_price:,.4f}, {slip:+.1f} bps against us)")
    if spread:
        console.print(f"position #{spread[1]}: {row.instrument} x{abs(row.actual_quantity):g} opened at a credit of "
                      f"{row.actual_price:,.4f} (`quantops positions list --open`)")


def _fund_view(engine, day) -> None:
    from infra.book_store import fund_view

    frame = fund_view(engine, day)
    if frame.empty:
        console.print("no book has been stepped yet: run `quantops daily` (or `quantops demo`)")
        return
    table = Table(title="strategy books (the fund's NAV counts the books past the paper stage, at their share)")
    for col in ("strategy", "as of", "stage", "capital", "equity", "P&L last day", "drawdown", "in fund NAV"):
        table.add_column(col, justify="left" if col in ("strategy", "stage") else "right")
    for r in frame.itertuples():
        # a promotion or demotion after the last close applies from the next step
        stage = r.stage if r.stage == r.stepped_at else f"{r.stage} (was {r.stepped_at} at this close)"
        table.add_row(r.strategy, str(r.as_of), stage, _fmt(r.capital), _fmt(r.equity), _fmt(r.pnl, "+,.2f"),
                      f"{100 * r.drawdown:.2f}%", f"yes ({r.share:.0%})" if r.in_fund_nav else "no (paper)")
    console.print(table)
    counted = (frame["equity"] * frame["share"]).sum()
    console.print(f"books in the fund's NAV (equity x share): {counted:,.2f}; paper books: {frame.loc[~frame['in_fund_nav'], 'equity'].sum():,.2f}")


def book_command(
    strategy: str | None = typer.Option(None, "--strategy", help="Strategy whose book to show (default: all)."),
    date: str | None = typer.Option(None, "--date", help="Book after this close (default: the last)."),
    days: int = typer.Option(10, "--days", help="Daily NAV/P&L rows to show."),
) -> None:
    """Positions, NAV and P&L of a strategy's (paper) book; without --strategy, every book's latest day."""
    from infra.book_store import book_days, book_positions
    from infra.db.engine import app_engine
    from infra.stage_store import stored_stage

    engine = app_engine()
    if strategy is None:
        _fund_view(engine, parse_date(date, "--date"))
        return
    history = book_days(engine, strategy)
    if history.empty:
        raise InputError(f"--strategy: {strategy!r} has no stored book (run `quantops daily` first)")
    day = parse_date(date, "--date")
    if day is not None:
        history = history[history["as_of"] <= day]
        if history.empty:
            raise InputError(f"--date: {strategy!r} has no book on or before {day}")
    last = history.iloc[-1]
    first_equity = history["equity"].iloc[0] - history["pnl"].iloc[0]
    stage = stored_stage(last).label  # the effective stage the day was stepped at
    console.print(f"{strategy} book after the close of {last['as_of']} ({stage}): equity {last['equity']:,.2f}, "
                  f"P&L today {last['pnl']:+,.2f}, since start {last['equity'] - first_equity:+,.2f}, "
                  f"drawdown {100 * last['drawdown']:.2f}%"
                  + (f", throttle level {last['level']}" if last["level"] else "")
                  + (f", stopped {last['stopped_sessions']} session(s)" if last["stopped_sessions"] else ""))
    if last["stage"] == "paper":
        console.print("paper stage: tracked and reported, not part of the fund's NAV")
    else:
        console.print(f"the fund's NAV counts {stage} of this book's P&L")
    positions = book_positions(engine, strategy, last["as_of"])
    table = Table(title="positions")
    for col in ("instrument", "weight held", "weight decided", "quantity", "market value", "entry", "entry date",
                "sessions", "last close"):
        table.add_column(col, justify="left" if col == "instrument" else "right")
    for p in positions.itertuples():
        table.add_row(p.instrument, _fmt(p.held, ".4f"), _fmt(p.pending, ".4f"), _fmt(p.quantity),
                      _fmt(p.market_value), _fmt(p.entry_price, ",.4f"), str(p.entry_date or ""),
                      str(p.sessions_held), _fmt(p.last_close, ",.4f"))
    console.print(table)
    nav = Table(title="daily NAV and P&L")
    for col in ("date", "equity", "P&L", "return", "drawdown", "filters"):
        nav.add_column(col, justify="left" if col in ("date", "filters") else "right")
    for r in history.tail(days).itertuples():
        nav.add_row(str(r.as_of), _fmt(r.equity), _fmt(r.pnl, "+,.2f"), f"{100 * r.net_return:+.3f}%",
                    f"{100 * r.drawdown:.2f}%", ", ".join(r.filters) or "")
    console.print(nav)
