"""The stage history of the strategies (staged rollout, issue 18 item 6) and the one function every reader
of a strategy's stage goes through: ``effective_stage``.

config/strategies.yaml's ``stage``/``fraction`` is where a strategy starts; ``quantops strategy promote``
(after the checks of ``domain.rollout``) and ``demote`` store changes here, and the last change
made before a book day is that day's stage. A change follows the last stored close (``after_day``), so
re-running an earlier day keeps the stage it had.

The backtest a promotion compares the book with is the daily net return of the same sessions in the newest
stored walk-forward run that has them all (else the newest run, and the check names what it lacks). Replaying the stored targets through the backtest stepper would not do: the book *is*
that stepper over those targets (one stepper, line for line), so the difference would be zero by
construction. The walk-forward is what the strategy was accepted on (out of sample, fold models refit on
the past only); the book is the production model on the data as it arrived. Their tracking error measures
what seed 000 10.2 asks before scaling up: whether live performance matches the backtest.
"""

from __future__ import annotations

import datetime as dt
import getpass

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from domain.errors import InputError, QuantopsError
from domain.rollout import Decision, Stage, decide_promotion
from domain.strategies.registry import StrategyEntry
from infra.db.models.books import BookDayRow, StrategyStageRow


class PromotionRefused(QuantopsError):
    """A promotion whose checks failed: nothing was written (the CLI exits 1)."""


def _stage(stage: str, fraction: float) -> Stage:
    return Stage(stage, float(fraction) if stage == "fraction" else 1.0)


def _last_change(s: Session, strategy: str, day: dt.date | None) -> StrategyStageRow | None:
    stmt = select(StrategyStageRow).where(StrategyStageRow.strategy == strategy)
    if day is not None:  # the changes made after an earlier close than ``day``'s
        stmt = stmt.where((StrategyStageRow.after_day.is_(None)) | (StrategyStageRow.after_day < day))
    return s.scalars(stmt.order_by(StrategyStageRow.at.desc(), StrategyStageRow.id.desc()).limit(1)).first()


def effective_stage(engine: Engine, strategy: str, start: Stage, day: dt.date | None = None) -> Stage:
    """The stage of ``strategy``'s book day ``day`` (None: now, i.e. its next step): the last stored change
    that applies to it, else ``start`` (the registry's stage, ``StrategyEntry.start_stage``)."""
    with Session(engine) as s:
        row = _last_change(s, strategy, day)
    return start if row is None else _stage(row.stage, row.fraction)


def stored_stage(row) -> Stage:
    """The stage a book day was stepped at (its ``fraction`` column; NULL before migration 0009)."""
    return _stage(row.stage, row.fraction if row.fraction is not None else 1.0)


def _returns_since(s: Session, strategy: str, after_day: dt.date | None) -> pd.Series:
    stmt = select(BookDayRow.as_of, BookDayRow.net_return).where(BookDayRow.strategy == strategy)
    if after_day is not None:
        stmt = stmt.where(BookDayRow.as_of > after_day)
    rows = s.execute(stmt.order_by(BookDayRow.as_of)).all()
    return pd.Series([r.net_return for r in rows], index=pd.DatetimeIndex([pd.Timestamp(r.as_of) for r in rows]),
                     dtype=float)


def _backtest(engine: Engine, strategy: str, sessions: pd.DatetimeIndex) -> tuple[pd.Series | None, str, int | None]:
    """The stored walk-forward daily net returns to compare with: the newest run with a return for every one
    of ``sessions``, else the newest run (the check then names the sessions it lacks). A retrain stores a
    short validation run that can be newer than the research run reaching the live sessions."""
    from infra.db.models.research import WalkForwardDay, WalkForwardRun

    newest = (WalkForwardRun.created_at.desc(), WalkForwardRun.id.desc())
    with Session(engine) as s:
        runs = s.execute(select(WalkForwardRun.id, WalkForwardRun.start, WalkForwardRun.end)
                         .where(WalkForwardRun.strategy == strategy).order_by(*newest)).all()
        if not runs:
            return None, f"no walk-forward run of {strategy}", None
        dates = [d.date() for d in sessions]
        covered = dict(s.execute(select(WalkForwardDay.run_id, func.count()).where(
            WalkForwardDay.run_id.in_([r.id for r in runs]), WalkForwardDay.date.in_(dates))
            .group_by(WalkForwardDay.run_id)).all()) if dates else {}
        run = next((r for r in runs if dates and covered.get(r.id, 0) == len(dates)), runs[0])
        rows = s.execute(select(WalkForwardDay.date, WalkForwardDay.strategy_return)
                         .where(WalkForwardDay.run_id == run.id).order_by(WalkForwardDay.date)).all()
    returns = pd.Series([r.strategy_return for r in rows], index=pd.DatetimeIndex([pd.Timestamp(r.date) for r in rows]),
                        dtype=float)
    return returns, f"walk-forward run {run.id} ({run.start}..{run.end})", int(run.id)


def promotion_decision(engine: Engine, entry: StrategyEntry) -> tuple[Decision, dict]:
    """The checks of a promotion of ``entry`` now (nothing written) and the context they were run on."""
    current = effective_stage(engine, entry.name, entry.start_stage)
    with Session(engine) as s:
        change = _last_change(s, entry.name, None)  # sessions at this stage: the book days after it
        live = _returns_since(s, entry.name, change.after_day if change is not None else None)
        last_day = s.scalar(select(func.max(BookDayRow.as_of)).where(BookDayRow.strategy == entry.name))
    backtest, name, run_id = _backtest(engine, entry.name, live.index)
    decision = decide_promotion(current, entry.rollout, live, backtest, name)
    return decision, {"after_day": last_day, "walk_forward_run": run_id,
                      "sessions_from": live.index[0].date().isoformat() if len(live) else None}


def _hint(decision: Decision, strategy: str, last_day: dt.date | None) -> str:
    """What to run when the backtest lacks the sessions at the stage."""
    te = next((c for c in decision.checks if c.name == "tracking_error"), None)
    if te is None or te.passed or "has no return" not in te.detail or last_day is None:
        return ""
    return f" (run `quantops walk-forward --strategy {strategy}` through {last_day})"


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without USER and no passwd entry)
        return "unknown"


def _record(engine: Engine, strategy: str, action: str, current: Stage, target: Stage, after_day: dt.date | None,
            reason: str, checks: dict, by: str | None, at: dt.datetime | None) -> dict:
    at = at or dt.datetime.now(dt.UTC)
    row = {"strategy": strategy, "action": action, "stage": target.stage, "fraction": target.share,
           "previous_stage": current.stage, "previous_fraction": current.share, "after_day": after_day, "at": at,
           "reason": reason, "checks": checks, "by": by or _user()}
    with Session(engine) as s, s.begin():
        s.add(StrategyStageRow(**row))
    return {**row, "from": current, "to": target}


def promote(engine: Engine, entry: StrategyEntry, reason: str = "", by: str | None = None,
            at: dt.datetime | None = None) -> dict:
    """One rung up if every check passes (stored with the checks' figures and the reason); otherwise
    PromotionRefused naming each failed check and its figure, and nothing is written."""
    decision, context = promotion_decision(engine, entry)
    if not decision.allowed:
        raise PromotionRefused(f"strategy promote: {entry.name} stays at {decision.current.label}: "
                               f"{decision.refusal()}{_hint(decision, entry.name, context['after_day'])}")
    checks = {c.name: c.as_dict() for c in decision.checks} | {"walk_forward_run": context["walk_forward_run"],
                                                               "sessions_from": context["sessions_from"]}
    return _record(engine, entry.name, "promote", decision.current, decision.target, context["after_day"],
                   str(reason).strip() or "checks passed", checks, by, at)


def demote(engine: Engine, entry: StrategyEntry, reason: str, to_paper: bool = False, by: str | None = None,
           at: dt.datetime | None = None) -> dict:
    """One rung down (or straight to paper), without checks: an operator must be able to pull a strategy
    back at once. The reason is required."""
    if not str(reason).strip():
        raise InputError("strategy demote: --reason is required (why the strategy is pulled back)")
    current = effective_stage(engine, entry.name, entry.start_stage)
    target = Stage.at_share(0.0) if to_paper else entry.rollout.previous_rung(current)
    if target is None or current.stage == "paper":
        raise InputError(f"strategy demote: {entry.name} is already on paper")
    with Session(engine) as s:
        last_day = s.scalar(select(func.max(BookDayRow.as_of)).where(BookDayRow.strategy == entry.name))
    return _record(engine, entry.name, "demote", current, target, last_day, str(reason).strip(),
                   {"operator": "no checks (demotion)"}, by, at)


def stage_history(engine: Engine, strategy: str | None = None) -> pd.DataFrame:
    """Stored stage changes, oldest first (of one strategy, or of all)."""
    stmt = select(StrategyStageRow)
    if strategy is not None:
        stmt = stmt.where(StrategyStageRow.strategy == strategy)
    with Session(engine) as s:
        rows = s.scalars(stmt.order_by(StrategyStageRow.at, StrategyStageRow.id)).all()
    cols = ["strategy", "action", "previous_stage", "previous_fraction", "stage", "fraction", "after_day", "at",
            "reason", "checks", "by"]
    return pd.DataFrame([{c: getattr(r, c) for c in cols} for r in rows], columns=cols)
