"""Alert delivery is at least once, with one idempotency key per alert (issue 15, case 2).

Real json:// receivers on loopback that answer late, never, not at first, or see their sender killed
mid-send; real SQLite and PostgreSQL. A timed-out send is 'uncertain' and resent with the same key;
only an acknowledged send counts as sent, and `quantops alerts list` says so.
"""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from domain.risk.alerts import Alert
from flows.cli.main import app
from infra import portfolio_store as store
from infra.db.engine import get_engine, transaction
from infra.notifications import KEY_FIELD, KEY_HEADER, Notifier, idempotency_key
from infra.settings import reset_settings_cache
from tasks.portfolio import deliver
from tests.infra.notify_fakes import JsonReceiver, free_port

REPO = Path(__file__).resolve().parents[2]
DAY = dt.date(2025, 1, 13)
LOSS = Alert(as_of=DAY, kind="loss_limit", severity="critical", dedup_key="2025-01-13:loss_limit:1",
             title="Loss limit hit", message="spread value 1.60 is 2.0x credit", numbers={})
KEY = idempotency_key(LOSS.dedup_key)


def _store(app_env):
    engine = get_engine(app_env)
    with transaction(engine) as s:
        store.store_alerts(s, [LOSS])
    return engine


def _status(engine) -> str:
    (alert,) = store.list_alerts(engine)
    return alert.status


def _listed_status() -> str:
    r = CliRunner().invoke(app, ["alerts", "list", "--json"])
    assert r.exit_code == 0, r.output
    (row,) = json.loads(r.output)
    return row["status"]


def test_a_slow_receiver_gets_the_same_key_until_one_send_is_acknowledged(app_env):
    engine = _store(app_env)
    with JsonReceiver(delay=3) as rx:
        hurried = Notifier([rx.url()], connect_timeout=1, read_timeout=0.5)
        assert deliver(engine, hurried)["uncertain"] == 1
        assert _status(engine) == "uncertain" and _listed_status() == "uncertain"  # never "sent" unacknowledged
        deliver(engine, hurried)  # resent: the receiver can drop it by its key
        assert _status(engine) == "uncertain"
        patient = Notifier([rx.url()], connect_timeout=1, read_timeout=10)
        assert deliver(engine, patient)["sent"] == 1
        deliver(engine, patient)  # acknowledged: never sent again
    assert _status(engine) == "sent" and _listed_status() == "sent"
    assert len(rx.received) == 3
    assert {m[KEY_FIELD] for m in rx.received} == {KEY}
    assert {h[KEY_HEADER] for h in rx.headers} == {KEY}


def test_a_hanging_receiver_costs_one_timeout_and_leaves_the_alert_uncertain(app_env):
    engine = _store(app_env)
    with JsonReceiver(hang=True) as rx:
        started = time.monotonic()
        counts = deliver(engine, Notifier([rx.url()], connect_timeout=1, read_timeout=1))
        elapsed = time.monotonic() - started
    assert counts["uncertain"] == 1 and elapsed < 5
    (d,) = store.deliveries(engine)
    assert d.status == "uncertain" and "may have arrived" in d.last_error
    assert _status(engine) == "uncertain"


def test_a_receiver_down_then_up_gets_the_alert_once(app_env):
    engine = _store(app_env)
    port = free_port()  # nothing listens yet
    url = f"json://127.0.0.1:{port}"
    assert deliver(engine, Notifier([url], connect_timeout=1, read_timeout=1))["failed"] == 1
    assert _status(engine) == "failed" and _listed_status() == "failed"
    with JsonReceiver(port=port) as rx:
        deliver(engine, Notifier([url], connect_timeout=1, read_timeout=5))
        deliver(engine, Notifier([url], connect_timeout=1, read_timeout=5))
    assert [m[KEY_FIELD] for m in rx.received] == [KEY]
    assert _status(engine) == "sent"


def test_a_run_killed_mid_send_is_taken_over_after_the_lease_and_resent_with_the_same_key(app_env, monkeypatch):
    engine = _store(app_env)
    with JsonReceiver(hang=True) as rx:
        env = {**os.environ, "PYTHONPATH": str(REPO), "QUANTOPS_ALERT_URLS": rx.url(),
               "QUANTOPS_ALERT_READ_TIMEOUT": "60"}
        proc = subprocess.Popen([sys.executable, str(Path(__file__).parent / "send_then_die.py")], cwd=REPO,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert rx.got_request.wait(60), proc.stderr.read() if proc.poll() is not None else "no request"
        finally:
            proc.kill()
            proc.communicate(timeout=30)
    (d,) = store.deliveries(engine)
    assert d.status == "sending"
    with JsonReceiver(port=rx.port) as rx2:  # the same target, answering now
        monkeypatch.setenv("QUANTOPS_ALERT_LEASE_SECONDS", "600")
        reset_settings_cache()
        deliver(engine, Notifier([rx2.url()]))  # within the lease: the other run may still be sending
        assert rx2.received == []
        assert _status(engine) == "uncertain" and _listed_status() == "uncertain"  # not "sent"
        monkeypatch.setenv("QUANTOPS_ALERT_LEASE_SECONDS", "1")
        reset_settings_cache()
        time.sleep(1.5)
        deliver(engine, Notifier([rx2.url()]))  # the lease ran out: taken over and resent
        deliver(engine, Notifier([rx2.url()]))
    # the killed run's copy and the resend carry the same key: the receiver keeps one
    assert [m[KEY_FIELD] for m in rx.received] == [KEY]
    assert [m[KEY_FIELD] for m in rx2.received] == [KEY]
    assert _status(engine) == "sent" and _listed_status() == "sent"
