"""Monitoring that does not depend on the flow's process (issue 15, case 7): failure hooks on every flow
that runs on a schedule or on demand, and Prefect Automations created on a real (test harness) server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prefect.blocks.notifications import SlackWebhook
from prefect.client.orchestration import get_client
from prefect.events.schemas.automations import Posture

from flows.automations import (
    BLOCK_PREFIX,
    COMPLETED,
    CRASHED,
    DAILY_DEADLINE,
    FAILED,
    QUANTOPS_FLOWS,
    automation_specs,
    ensure_automations,
)
from flows.backfill import backfill
from flows.daily import daily
from flows.hooks import alert_on_crashed, alert_on_failure
from flows.retrain import retrain
from flows.walk_forward import walk_forward
from infra.notifications import target_key

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("flow", [daily, backfill, retrain, walk_forward], ids=lambda f: f.name)
def test_every_scheduled_or_on_demand_flow_alerts_on_failure_and_crash(flow):
    assert alert_on_failure in flow.on_failure_hooks
    assert alert_on_crashed in flow.on_crashed_hooks


def test_the_failure_automation_covers_every_quantops_flow():
    declared = set(re.findall(r'@flow\(name="([^"]+)"', "".join(
        p.read_text() for p in [*REPO.glob("flows/*.py"), *REPO.glob("tasks/*.py")])))
    failed = automation_specs()[0]["trigger"]
    assert declared and declared <= set(QUANTOPS_FLOWS)
    assert failed.expect == {FAILED, CRASHED} and failed.posture == Posture.Reactive
    assert set(failed.match_related["prefect.resource.name"]) == set(QUANTOPS_FLOWS)


def test_the_daily_deadline_is_19_30_new_york_for_a_run_scheduled_at_18_30():
    from flows.deployments import DAILY_CRON

    assert DAILY_CRON.startswith("30 18 ")
    late, hung = (s["trigger"] for s in automation_specs()[1:])
    assert late.posture == hung.posture == Posture.Proactive
    assert hung.expect == {COMPLETED} and hung.within == late.within == DAILY_DEADLINE
    assert hung.match_related["prefect.resource.name"] == ["daily"]


def test_automations_are_created_on_the_server_once_with_one_block_per_alert_url(prefect_harness):
    urls = ["json://127.0.0.1:9/hook", "mailto://u:secret@127.0.0.1:2525?to=ops@example.com&tag=critical"]
    ensure_automations(urls)
    made = ensure_automations(urls)  # serve again: replaced, not doubled
    names = [s["name"] for s in automation_specs()]
    with get_client(sync_client=True) as client:
        for name in names:
            (found,) = client.read_automations_by_name(name)  # one copy of each
            assert found.enabled and len(found.actions) == 2
    assert sorted(a.name for a in made) == sorted(names)
    block = SlackWebhook.load(f"{BLOCK_PREFIX}{target_key(urls[1])}")
    assert block.url.get_secret_value() == urls[1]
