import logging

import pytest

from infra.notifications import Notifier, parse_targets, redact_url
from tests.infra.notify_fakes import JsonReceiver, SmtpReceiver, free_port


def test_json_target_receives_title_body_and_type():
    with JsonReceiver() as rx:
        n = Notifier([rx.url("/hooks/quantops")])
        (res,) = n.send_all("Loss limit hit", "spread value 1.60 is 2.0x credit", "critical")
    assert res.ok and res.error is None
    assert rx.paths == ["/hooks/quantops"]
    assert rx.received[0]["title"] == "Loss limit hit"
    assert rx.received[0]["message"] == "spread value 1.60 is 2.0x credit"
    assert rx.received[0]["type"] == "failure"


def test_mailto_delivers_to_local_smtp_with_login_and_never_logs_the_password(caplog):
    caplog.set_level(logging.DEBUG)
    with SmtpReceiver() as smtp:
        n = Notifier([smtp.url()])
        (res,) = n.send_all("Daily summary 2025-01-10", "NAV 1,000,000", "info", kind="daily_summary")
    assert res.ok, res.error
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["to"] == ["ops@example.com"] and msg["from"] == "fund@example.com"
    assert msg["message"]["Subject"] == "Daily summary 2025-01-10"
    texts = [part.get_payload(decode=True).decode() for part in msg["message"].walk()
             if part.get_content_type() == "text/plain"]
    assert texts and "NAV 1,000,000" in texts[0]
    assert "pa55-w0rd-XYZ" not in caplog.text
    assert "pa55-w0rd-XYZ" not in res.target


def test_every_send_carries_the_idempotency_key_json_as_field_and_header_email_as_header():
    with JsonReceiver() as rx, SmtpReceiver() as smtp:
        n = Notifier([rx.url(), smtp.url()])
        results = n.send_all("Loss limit hit", "body", "critical", key="qo-abc123")
    assert [r.outcome for r in results] == ["sent", "sent"]
    assert rx.received[0]["idempotency_key"] == "qo-abc123"
    assert rx.headers[0]["Idempotency-Key"] == "qo-abc123"
    assert smtp.messages[0]["message"]["X-Idempotency-Key"] == "qo-abc123"


def test_unreachable_target_returns_a_redacted_failure_and_does_not_raise(caplog):
    caplog.set_level(logging.DEBUG)
    port = free_port()  # nothing listens here
    url = f"json://hookuser:hunter2-token@127.0.0.1:{port}/secret-path-token"
    with JsonReceiver() as rx:
        results = Notifier([url, rx.url()]).send_all("t", "b", "warning")
    assert [r.ok for r in results] == [False, True]
    err = results[0].error
    assert err.startswith(f"delivery to json://***@127.0.0.1:{port}/*** failed")
    for secret in ("hunter2-token", "secret-path-token", "hookuser"):
        assert secret not in err
        assert secret not in caplog.text
    assert len(rx.received) == 1


def test_http_error_status_is_a_failure():
    with JsonReceiver(status=500) as rx:
        (res,) = Notifier([rx.url()]).send_all("t", "b", "info")
    assert not res.ok and len(rx.received) == 1


def test_severity_routing_by_tag():
    with JsonReceiver() as everything, JsonReceiver() as sms, JsonReceiver() as summary:
        n = Notifier([everything.url(), sms.url(query="tag=critical"),
                      summary.url(query="tag=warning+critical+summary")])
        n.send_all("info", "i", "info")
        n.send_all("warn", "w", "warning")
        n.send_all("crit", "c", "critical")
        n.send_all("summary", "s", "info", kind="daily_summary")
    assert [m["title"] for m in everything.received] == ["info", "warn", "crit", "summary"]
    assert [m["title"] for m in sms.received] == ["crit"]
    assert [m["title"] for m in summary.received] == ["warn", "crit", "summary"]


@pytest.mark.parametrize(
    "url, shown",
    [
        ("mailto://u:p4ss@smtp.example.com:587?from=a@b.c&to=d@e.f", "mailto://***@smtp.example.com:587?from=***&to=***"),
        ("twilio://AC1:TOK@+15550001111/+15552223333?tag=critical", "twilio://***@***/***?tag=critical"),
        ("tgram://123456:BOTTOKEN/987", "tgram://***/***"),
        ("json://127.0.0.1:9000", "json://127.0.0.1:9000"),
    ],
)
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_target_key_is_stable_and_not_the_secret():
    a = parse_targets(["mailto://u:p4ss@smtp.example.com"])[0]
    b = parse_targets(["mailto://u:p4ss@smtp.example.com"])[0]
    assert a.key == b.key and "p4ss" not in a.key and "p4ss" not in repr(a)


def test_invalid_url_is_a_failure_not_an_exception():
    (res,) = Notifier(["nosuchscheme://secretthing/abc"]).send_all("t", "b", "info")
    assert not res.ok and "secretthing" not in res.error


def test_apprise_log_of_a_url_that_fails_to_load_shows_no_part_of_the_password(caplog):
    """Issue 15 case 9: apprise logged 'Could not load E-Mail URL: mailtos://...:S...w@...' (its CWE-312 form)."""
    caplog.set_level(logging.DEBUG)
    (res,) = Notifier(["mailtos://opsuser:Sup3rSecretPw@smtp.example.com?mode=nope"]).send_all("t", "b", "critical")
    assert not res.ok
    assert "Could not load E-Mail URL" in caplog.text  # apprise did log the failure ...
    for leak in ("Sup3rSecretPw", "S...w", "...etPw", "o...r"):  # ... without any part of the credentials
        assert leak not in caplog.text and leak not in res.error, leak
