"""Flow-run state hooks: a failed or crashed run raises a critical alert.

The alert is stored (key `flow-run:<id>:<state>`, so a hook that fires twice sends once) and delivered
like any other; if the database itself is what failed, it is sent directly. A hook never raises, and
its message is scrubbed of the database URL's and the alert URLs' secrets.
"""

from __future__ import annotations

import datetime as dt
import logging

from domain.risk.alerts import Alert
from infra.notifications import Notifier, idempotency_key, redact_text, url_secrets
from infra.settings import get_settings

log = logging.getLogger(__name__)


def _secrets() -> set[str]:
    settings = get_settings()
    out: set[str] = set()
    if settings.database_url is not None and settings.database_url.get_secret_value():
        out |= url_secrets(settings.database_url.get_secret_value())
    for url in settings.alert_url_list:
        out |= url_secrets(url)
    return out


def _as_of(flow_run) -> dt.date:
    value = (getattr(flow_run, "parameters", None) or {}).get("as_of")
    try:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        start = getattr(flow_run, "expected_start_time", None) or dt.datetime.now(dt.UTC)
        return start.date()


def _reason(detail: str, limit: int = 120) -> str:
    """The first line of the state message, short enough for an SMS or a chat title."""
    first = (detail.strip().splitlines() or ["no message"])[0]
    return first if len(first) <= limit else first[: limit - 3] + "..."


def failure_alert(flow, flow_run, state) -> Alert:
    kind = state.type.value.lower() if getattr(state, "type", None) is not None else "failed"
    detail = redact_text(str(getattr(state, "message", "") or "no message"), _secrets())[:1000]
    name = getattr(flow, "name", "flow")
    return Alert(
        as_of=_as_of(flow_run),
        kind=f"flow_{kind}",
        severity="critical",
        dedup_key=f"flow-run:{flow_run.id}:{kind}",
        title=f"quantops: {getattr(flow_run, 'name', None) or name} {kind}: {_reason(detail)}",
        message=f"Flow {name} run {getattr(flow_run, 'name', flow_run.id)} ended {state.name}: {detail}",
        numbers={"flow_run_id": str(flow_run.id), "state": state.name},
    )


def _notify(flow, flow_run, state) -> None:
    try:
        alert = failure_alert(flow, flow_run, state)
        notifier = Notifier.from_settings()
    except Exception as exc:  # noqa: BLE001 - a hook must never raise
        log.error("could not build the failure alert: %s", exc.__class__.__name__)
        return
    try:
        from infra import portfolio_store as store
        from infra.db.engine import app_engine, transaction
        from tasks.portfolio import deliver

        engine = app_engine()
        with transaction(engine) as session:
            store.store_alerts(session, [alert])
        deliver(engine, notifier, keys=[alert.dedup_key])
    except Exception as exc:  # noqa: BLE001 - the database may be what failed: send directly
        log.warning("failure alert not stored (%s); sending it directly", exc.__class__.__name__)
        _send_directly(notifier, alert)


def _send_directly(notifier: Notifier, alert: Alert) -> None:
    for result in notifier.send_all(alert.title, alert.message, alert.severity, alert.kind,
                                    key=idempotency_key(alert.dedup_key)):
        if not result.ok:
            log.error("%s", result.error)


def alert_database_down(flow_name: str, as_of: dt.date, exc: BaseException) -> None:
    """A run that could not start because the database is unreachable (the migration before it failed):
    there is no flow run and no database, so the critical alert goes straight to the targets."""
    try:
        detail = redact_text(f"{exc.__class__.__name__}: {exc}", _secrets())[:1000]
        now = dt.datetime.now(dt.UTC)
        alert = Alert(
            as_of=as_of, kind="database_unreachable", severity="critical",
            dedup_key=f"database-unreachable:{flow_name}:{as_of.isoformat()}:{now:%Y%m%dT%H%M%S}",
            title=f"quantops: {flow_name} {as_of} did not start: database unreachable: {_reason(detail)}",
            message=f"The {flow_name} run for {as_of} could not reach the application database "
                    f"(after retries): {detail}", numbers={})
        _send_directly(Notifier.from_settings(), alert)
    except Exception as err:  # noqa: BLE001 - the caller raises the original error
        log.error("could not send the database-unreachable alert: %s", err.__class__.__name__)


def alert_on_failure(flow, flow_run, state) -> None:
    _notify(flow, flow_run, state)


def alert_on_crashed(flow, flow_run, state) -> None:
    _notify(flow, flow_run, state)


FAILURE_HOOKS = {"on_failure": [alert_on_failure], "on_crashed": [alert_on_crashed]}
