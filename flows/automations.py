"""Prefect Automations: monitoring that does not depend on the flow's own process (issue 15, case 7).

A failure hook runs inside the flow's process; a run killed with SIGKILL, or a `quantops serve` that is
not running, never reaches it. These automations live on the Prefect server, which sends their
notifications itself:

* ``quantops: run failed or crashed``: any run of a quantops flow entering Failed or Crashed;
* ``quantops: daily not started``: a daily run marked Late (nothing picked it up at 18:30 New York) and
  still not Running an hour later, i.e. at 19:30 New York;
* ``quantops: daily not completed by 19:30``: a daily run Running (from 18:30) and not Completed within
  the hour.

The notifications go to the same apprise URLs as every alert (QUANTOPS_ALERT_URLS), one notification
block per URL, stored on the Prefect server (as its "Slack Webhook" type, whose URL field Prefect hands
to apprise unchanged for any URL that is not a Slack one: the only built-in block that takes a plain
apprise URL). Created or updated by `quantops serve`, or by `uv run python -m flows.automations`.
"""

from __future__ import annotations

import datetime as dt

from prefect.events.actions import SendNotification
from prefect.events.schemas.automations import EventTrigger, Posture

QUANTOPS_FLOWS = ("daily", "backfill", "retrain", "walk-forward", "market-data", "market-data-history", "report")
DAILY_DEADLINE = dt.timedelta(hours=1)  # the daily deployment runs at 18:30 New York: the deadline is 19:30
BLOCK_PREFIX = "quantops-alert-"
FAILED, CRASHED = "prefect.flow-run.Failed", "prefect.flow-run.Crashed"
LATE, RUNNING, COMPLETED = "prefect.flow-run.Late", "prefect.flow-run.Running", "prefect.flow-run.Completed"

_BODY = ("Flow run {{ flow_run.name }} of {{ flow.name }} is {{ flow_run.state.name }} "
         "({{ flow_run.state.message }}). {{ flow_run|ui_url }}")


def _flows(*names: str) -> dict:
    return {"prefect.resource.role": "flow", "prefect.resource.name": list(names)}


def _daily_deadline(name: str, after: str, expect: str, description: str, what: str) -> dict:
    """Each daily run (for_each: its own id) that saw `after` must see `expect` within the hour."""
    return {"name": name, "description": description,
            "trigger": EventTrigger(after={after}, expect={expect}, for_each={"prefect.resource.id"},
                                    match_related=_flows("daily"), posture=Posture.Proactive, threshold=1,
                                    within=DAILY_DEADLINE),
            "subject": f"quantops: daily run {{{{ flow_run.name }}}} not {what} by 19:30 New York"}


def automation_specs() -> list[dict]:
    """Name, description, trigger and message of each automation (no server needed to inspect them)."""
    return [
        {"name": "quantops: run failed or crashed",
         "description": "Any quantops flow run that fails or crashes, even when its process died.",
         "trigger": EventTrigger(expect={FAILED, CRASHED}, match_related=_flows(*QUANTOPS_FLOWS),
                                 posture=Posture.Reactive, threshold=1, within=dt.timedelta(0)),
         "subject": "quantops: {{ flow.name }} run {{ flow_run.name }} {{ flow_run.state.name }}"},
        _daily_deadline("quantops: daily not started", LATE, RUNNING,
                        "A daily run still not running an hour after it went Late (19:30 New York).", "started"),
        _daily_deadline("quantops: daily not completed by 19:30", RUNNING, COMPLETED,
                        "A daily run not Completed within the hour after it started (18:30 New York).", "completed"),
    ]


def notification_blocks(urls: list[str]) -> list:
    """One saved notification block per alert URL (named by the URL's hash, never the URL)."""
    from prefect.blocks.notifications import SlackWebhook

    from infra.notifications import parse_targets

    ids = []
    for target in parse_targets(urls):
        block = SlackWebhook(url=target.url, notify_type="failure")
        ids.append(block.save(f"{BLOCK_PREFIX}{target.key}", overwrite=True))
    return ids


def build_automations(block_ids: list) -> list:
    from prefect.automations import Automation

    return [Automation(name=spec["name"], description=spec["description"], enabled=True, trigger=spec["trigger"],
                       actions=[SendNotification(block_document_id=block_id, subject=spec["subject"], body=_BODY)
                                for block_id in block_ids])
            for spec in automation_specs()]


def ensure_automations(urls: list[str]) -> list:
    """Create, or replace, the quantops automations on the configured Prefect server; returns them."""
    from prefect.automations import Automation

    made = []
    for automation in build_automations(notification_blocks(urls)):
        while True:  # names are not unique on the server: remove every earlier copy
            try:
                Automation.read(name=automation.name).delete()
            except ValueError:  # none left
                break
        made.append(automation.create())
    return made


if __name__ == "__main__":
    from infra.settings import get_settings

    for a in ensure_automations(get_settings().alert_url_list):
        print(f"automation {a.name!r}: {len(a.actions)} notification target(s)")
