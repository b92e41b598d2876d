"""`quantops positions ...`, `quantops nav ...`, `quantops alerts ...`: the portfolio, scriptable."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from domain.errors import InputError
from domain.portfolio.positions import SpreadPosition, StockPosition, make_credit_spread
from infra import portfolio_store as store
from infra.db.engine import app_engine, transaction
from flows.cli.render import make_console

console = make_console()
positions_app = typer.Typer(help="Option spreads and stock/ETF positions: add, list, close.", no_args_is_help=True)
nav_app = typer.Typer(help="NAV: set an external NAV (e.g. the administrator's), show the daily NAV.",
                      no_args_is_help=True)
alerts_app = typer.Typer(help="Stored alerts and their delivery status.", no_args_is_help=True)


def _date(value: str | None, name: str, default: dt.date | None = None) -> dt.date:
    if value is None:
        if default is None:
            raise InputError(f"{name} is required (YYYY-MM-DD)")
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


@positions_app.command("add")
def positions_add(
    strategy: str = typer.Option(..., "--strategy", help="Strategy the position belongs to, e.g. tlt_overlay."),
    option_type: str | None = typer.Option(None, "--type", help="Spread: put (bull put) or call (bear call)."),
    short_strike: float | None = typer.Option(None, "--short-strike"),
    long_strike: float | None = typer.Option(None, "--long-strike"),
    expiration: str | None = typer.Option(None, "--expiration", help="YYYY-MM-DD"),
    credit: float | None = typer.Option(None, "--credit", help="Credit received per spread, per share."),
    contracts: int | None = typer.Option(None, "--contracts"),
    underlying_price: float | None = typer.Option(None, "--underlying-price", help="Underlying at entry."),
    underlying: str = typer.Option("TLT", "--underlying", help="Underlying of the spread."),
    symbol: str | None = typer.Option(None, "--symbol", help="Stock/ETF position: the symbol."),
    quantity: float | None = typer.Option(None, "--quantity", help="Stock/ETF: signed shares (negative = short)."),
    price: float | None = typer.Option(None, "--price", help="Stock/ETF: entry price."),
    opened: str | None = typer.Option(None, "--opened", help="YYYY-MM-DD (default: today)."),
    iv: float | None = typer.Option(None, "--iv", help="Implied vol of the short strike at entry, decimal (0.168)."),
    delta: float | None = typer.Option(None, "--delta", help="Delta of the short strike at entry."),
) -> None:
    """Record a new position: a credit spread (--type ...) or a stock/ETF (--symbol ...)."""
    day = _date(opened, "--opened", dt.date.today())
    spread_args = {"--type": option_type, "--short-strike": short_strike, "--long-strike": long_strike,
                   "--expiration": expiration, "--credit": credit, "--contracts": contracts,
                   "--underlying-price": underlying_price}
    if symbol is not None:
        given = [k for k, v in spread_args.items() if v is not None]
        if given:
            raise InputError(f"a stock/ETF position takes --symbol/--quantity/--price, not {', '.join(given)}")
        missing = [k for k, v in {"--quantity": quantity, "--price": price}.items() if v is None]
        if missing:
            raise InputError(f"a stock/ETF position needs {', '.join(missing)}")
        position = StockPosition(None, strategy, symbol.strip().upper(), float(quantity), float(price), day)
        with transaction(app_engine()) as session:
            pid = store.add_stock(session, position)
        console.print(f"position #{pid}: {position.symbol} {position.quantity:+g} @ {position.entry_price:g}",
                      highlight=False)
        return
    missing = [k for k, v in spread_args.items() if v is None]
    if missing:
        raise InputError(f"a spread needs {', '.join(missing)} (or use --symbol/--quantity/--price for a stock)")
    if option_type.lower() not in ("put", "call"):
        raise InputError(f"--type must be put or call, got {option_type!r}")
    spread = make_credit_spread(
        strategy=strategy, option_type=option_type.lower(), short_strike=short_strike, long_strike=long_strike,
        expiration=_date(expiration, "--expiration"), credit=credit, contracts=contracts,
        underlying_price=underlying_price, opened=day, underlying=underlying.strip().upper(), iv=iv, delta=delta,
    )
    with transaction(app_engine()) as session:
        pid = store.add_spread(session, spread)
    console.print(
        f"position #{pid}: {spread.underlying} {spread.option_type} {short_strike:g}/{long_strike:g} "
        f"{spread.expiration} x{spread.contracts} credit {spread.entry_credit:g} "
        f"(max profit {spread.max_profit:,.2f}, max loss {spread.max_loss:,.2f})", highlight=False)


@positions_app.command("list")
def positions_list(
    open_: bool = typer.Option(False, "--open", help="Open positions only."),
    closed: bool = typer.Option(False, "--closed", help="Closed positions only."),
) -> None:
    """Positions with their latest mark (open) or exit (closed)."""
    if open_ and closed:
        raise InputError("choose one of --open and --closed")
    engine = app_engine()
    positions = store.list_positions(engine, "open" if open_ else "closed" if closed else None)
    latest = store.latest_marks(engine, [p.id for p in positions])
    table = Table(title=f"{len(positions)} position(s)")
    for column in ("id", "strategy", "position", "opened", "entry", "status", "mark", "P&L", "exit"):
        table.add_column(column)
    for p in positions:
        if isinstance(p, SpreadPosition):
            what = (f"{p.underlying} {p.option_type} {p.short_leg.strike:g}/{p.long_leg.strike:g} "
                    f"{p.expiration} x{p.contracts}")
            entry = f"{p.entry_credit:g} cr"
        else:
            what, entry = f"{p.symbol} {p.quantity:+g}", f"{p.entry_price:g}"
        mark = latest.get(p.id)
        if p.exit is not None:
            pnl = f"{p.pnl_at(p.exit.price):,.2f}"
            exit_text = f"{p.exit.date} @ {p.exit.price:g} {p.exit.reason}".strip()
            mark_text = ""
        else:
            pnl = f"{mark.unrealized_pnl:,.2f}" if mark else ""
            mark_text = f"{mark.price:.4g} ({mark.source}, {mark.date})" if mark else "not marked"
            exit_text = ""
        table.add_row(str(p.id), p.strategy, what, str(p.opened), entry, p.status, mark_text, pnl, exit_text)
    console.print(table)


@positions_app.command("close")
def positions_close(
    position_id: int = typer.Argument(..., help="Position id (see `quantops positions list`)."),
    price: float = typer.Option(..., "--price", help="Spread: debit paid per spread per share; stock: price."),
    date: str = typer.Option(..., "--date", help="YYYY-MM-DD"),
    reason: str | None = typer.Option(None, "--reason", help="e.g. profit target, loss limit, dte, manual."),
) -> None:
    """Close a position: its closing trade is appended; the position keeps its history."""
    with transaction(app_engine()) as session:
        position = store.close_position(session, position_id, price, _date(date, "--date"), reason)
    console.print(f"position #{position_id} closed {position.exit.date} at {price:g}: realized P&L "
                  f"{position.pnl_at(price):,.2f}", highlight=False)


@nav_app.command("set")
def nav_set(
    amount: float = typer.Argument(..., help="NAV in currency, e.g. 5250000."),
    date: str = typer.Option(..., "--date", help="YYYY-MM-DD: the close this NAV is stated at."),
) -> None:
    """Set an external NAV; daily NAVs from this date on carry it forward with the P&L since."""
    day = _date(date, "--date")
    with transaction(app_engine()) as session:
        store.set_external_nav(session, day, amount)
    console.print(f"external NAV {amount:,.2f} set for {day}", highlight=False)


@nav_app.command("show")
def nav_show(days: int = typer.Option(20, "--days", help="How many daily NAVs to show.")) -> None:
    """External NAVs and the last daily NAVs with drawdown."""
    engine = app_engine()
    external = store.external_navs(engine)
    console.print("external NAV: " + (", ".join(f"{d} {n:,.2f}" for d, n in external[-5:]) or "none set "
                                      "(`quantops nav set AMOUNT --date D`)"), highlight=False)
    rows = store.nav_history(engine, days)
    table = Table(title="daily NAV")
    for column in ("date", "NAV", "peak", "drawdown", "realized P&L", "unrealized P&L", "open", "realized vol"):
        table.add_column(column, justify="right")
    for r in rows:
        table.add_row(str(r.date), f"{r.nav:,.2f}", f"{r.peak:,.2f}", f"{r.drawdown:.2%}", f"{r.realized_pnl:,.2f}",
                      f"{r.unrealized_pnl:,.2f}", str(r.open_positions),
                      "" if r.realized_vol is None else f"{r.realized_vol:.1%}")
    console.print(table)


@alerts_app.command("list")
def alerts_list(date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (default: every date).")) -> None:
    """Alerts with severity, delivery status and the last (redacted) error."""
    day = _date(date, "--date") if date is not None else None
    alerts = store.list_alerts(app_engine(), day)
    table = Table(title=f"{len(alerts)} alert(s)")
    for column in ("id", "date", "severity", "kind", "title", "status", "attempts", "last error"):
        table.add_column(column)
    for a in alerts:
        table.add_row(str(a.id), str(a.as_of), a.severity, a.kind, a.title, a.status, str(a.attempts),
                      a.last_error or "")
    console.print(table)
