"""`quantops positions ...`, `quantops nav ...`, `quantops alerts ...`: the portfolio, scriptable."""

from __future__ import annotations

import datetime as dt

import typer

from domain.errors import InputError
from domain.portfolio.positions import SpreadPosition, StockPosition, make_credit_spread
from flows.cli.render import CSV_OPTION, JSON_OPTION, Column, fmt_price, make_console, output_format, show
from infra import portfolio_store as store
from infra.db.engine import app_engine, transaction

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


def _last_session() -> dt.date:
    """The last completed XNYS session (never a weekend or holiday): a position opened today trades at
    today's close at the earliest."""
    from domain.calendar import last_completed_session

    return last_completed_session(dt.datetime.now(dt.timezone.utc))


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
    opened: str | None = typer.Option(None, "--opened",
                                      help="YYYY-MM-DD (default: the last completed XNYS session)."),
    iv: float | None = typer.Option(None, "--iv", help="Implied vol of the short strike at entry, decimal (0.168)."),
    delta: float | None = typer.Option(None, "--delta", help="Delta of the short strike at entry."),
) -> None:
    """Record a new position: a credit spread (--type ...) or a stock/ETF (--symbol ...)."""
    day = _date(opened, "--opened") if opened is not None else _last_session()
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
        console.print(f"position #{pid}: {position.symbol} {position.quantity:+g} @ "
                      f"{fmt_price(position.entry_price)} opened {day}", highlight=False)
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
        f"{spread.expiration} x{spread.contracts} credit {fmt_price(spread.entry_credit)} opened {day} "
        f"(max profit {spread.max_profit:,.2f}, max loss {spread.max_loss:,.2f})", highlight=False)


POSITION_COLUMNS = [
    Column("id", kind="int"), Column("strategy"), Column("position"), Column("opened", kind="date"),
    Column("entry", kind="price"), Column("entry_kind", "entry is"), Column("status"),
    Column("mark", kind="price"), Column("mark_source", "mark from"), Column("mark_date", "marked", kind="date"),
    Column("pnl", "P&L", kind="money"), Column("exit_date", "closed", kind="date"),
    Column("exit_price", "exit", kind="price"), Column("exit_reason", "reason"),
]


@positions_app.command("list")
def positions_list(
    open_: bool = typer.Option(False, "--open", help="Open positions only."),
    closed: bool = typer.Option(False, "--closed", help="Closed positions only."),
    as_json: bool = JSON_OPTION,
    as_csv: bool = CSV_OPTION,
) -> None:
    """Positions with their latest mark (open) or exit (closed)."""
    if open_ and closed:
        raise InputError("choose one of --open and --closed")
    fmt = output_format(as_json, as_csv)
    engine = app_engine()
    positions = store.list_positions(engine, "open" if open_ else "closed" if closed else None)
    latest = store.latest_marks(engine, [p.id for p in positions])
    rows = []
    for p in positions:
        if isinstance(p, SpreadPosition):
            what = (f"{p.underlying} {p.option_type} {p.short_leg.strike:g}/{p.long_leg.strike:g} "
                    f"{p.expiration} x{p.contracts}")
            row = {"position": what, "entry": p.entry_credit, "entry_kind": "credit"}
        else:
            row = {"position": f"{p.symbol} {p.quantity:+g}", "entry": p.entry_price, "entry_kind": "price"}
        row |= {"id": p.id, "strategy": p.strategy, "opened": p.opened, "status": p.status}
        mark = latest.get(p.id)
        if p.exit is not None:
            row |= {"pnl": p.pnl_at(p.exit.price), "exit_date": p.exit.date, "exit_price": p.exit.price,
                    "exit_reason": p.exit.reason or None}
        elif mark is not None:
            row |= {"mark": mark.price, "mark_source": mark.source, "mark_date": mark.date,
                    "pnl": mark.unrealized_pnl}
        else:
            row["mark_source"] = "not marked"
        rows.append(row)
    show(rows, POSITION_COLUMNS, title=f"{len(positions)} position(s)", fmt=fmt, console=console)


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
    console.print(f"position #{position_id} closed {position.exit.date} at {fmt_price(price)}: realized P&L "
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


NAV_COLUMNS = [
    Column("date", kind="date"), Column("nav", "NAV", kind="money"), Column("peak", kind="money"),
    Column("drawdown", kind="pct"), Column("realized_pnl", "realized P&L", kind="money"),
    Column("unrealized_pnl", "unrealized P&L", kind="money"), Column("open_positions", "open", kind="int", right=True),
    Column("realized_vol", "realized vol", kind="pct"),
]


@nav_app.command("show")
def nav_show(days: int = typer.Option(20, "--days", help="How many daily NAVs to show."),
             as_json: bool = JSON_OPTION, as_csv: bool = CSV_OPTION) -> None:
    """External NAVs and the last daily NAVs with drawdown."""
    fmt = output_format(as_json, as_csv)
    engine = app_engine()
    rows = [{c.key: getattr(r, c.key) for c in NAV_COLUMNS} for r in store.nav_history(engine, days)]
    if fmt == "table":
        external = store.external_navs(engine)
        console.print("external NAV: " + (", ".join(f"{d} {n:,.2f}" for d, n in external[-5:]) or "none set "
                                          "(`quantops nav set AMOUNT --date D`)"), highlight=False)
    show(rows, NAV_COLUMNS, title="daily NAV", fmt=fmt, console=console)


ALERT_COLUMNS = [
    Column("id", kind="int"), Column("as_of", "date", kind="date"), Column("severity"), Column("strategy"),
    Column("kind"), Column("title"), Column("status"), Column("attempts", kind="int", right=True),
    Column("last_error", "last error"),
]
SEVERITIES = ("info", "warning", "critical")


@alerts_app.command("list")
def alerts_list(
    date: str | None = typer.Option(None, "--date", help="One day, YYYY-MM-DD (default: every date)."),
    start: str | None = typer.Option(None, "--from", help="First day, YYYY-MM-DD."),
    end: str | None = typer.Option(None, "--to", help="Last day, YYYY-MM-DD."),
    severity: list[str] = typer.Option([], "--severity", help="info, warning or critical (repeatable); "
                                       "`warning+` means warning and critical."),
    strategy: str | None = typer.Option(None, "--strategy", help="Alerts of this strategy's positions."),
    as_json: bool = JSON_OPTION,
    as_csv: bool = CSV_OPTION,
) -> None:
    """Alerts with severity, strategy, delivery status and the last (redacted) error."""
    fmt = output_format(as_json, as_csv)
    if date is not None and (start is not None or end is not None):
        raise InputError("--date is one day; use --from/--to for a range, not both")
    first = _date(date or start, "--date" if date else "--from") if (date or start) else None
    last = _date(date or end, "--date" if date else "--to") if (date or end) else None
    if first and last and last < first:
        raise InputError(f"--to {last} is before --from {first}")
    wanted: set[str] = set()
    for value in severity:
        name = value.strip().lower()
        if name.endswith("+") and name[:-1] in SEVERITIES:
            wanted |= set(SEVERITIES[SEVERITIES.index(name[:-1]):])
        elif name in SEVERITIES:
            wanted.add(name)
        else:
            raise InputError(f"--severity: {value!r} is not one of {', '.join(SEVERITIES)} (or warning+)")
    found = store.find_alerts(app_engine(), start=first, end=last, severities=sorted(wanted) or None,
                              strategy=strategy)
    rows = [{"id": a.id, "as_of": a.as_of, "severity": a.severity, "strategy": owner, "kind": a.kind,
             "title": a.title, "status": a.status, "attempts": a.attempts, "last_error": a.last_error}
            for a, owner in found]
    show(rows, ALERT_COLUMNS, title=f"{len(rows)} alert(s)", fmt=fmt, console=console)
