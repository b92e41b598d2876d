"""Sending alerts through apprise, one target at a time, never leaking a secret.

Targets come from ``QUANTOPS_ALERT_URLS`` (comma or newline separated apprise URLs).

Routing by severity uses apprise's own ``tag`` URL parameter:

* a URL without ``tag`` receives everything (every alert and the daily summary);
* a URL with tags receives an alert only if its severity (``info``, ``warning``, ``critical``) is
  one of them, and the daily summary only if it carries the tag ``summary``. ``all`` means all.

Examples::

    mailto://user:pass@smtp.example.com:587?from=fund@example.com&to=ops@example.com
    twilio://SID:TOKEN@+15550001111/+15552223333?tag=critical        (SMS: critical only)
    json://hooks.example.com/quantops?tag=warning+critical+summary   ('+' separates tags)

Secrets: every log line and error message we produce names a target by ``redact_url`` (scheme,
host, port; credentials, paths and query values replaced by ``***``). apprise's own log records are
scrubbed by a filter that removes every credential, path segment and query value of the configured
URLs before any handler sees them. ``send`` never raises: it returns a per-target result.

Delivery semantics (held together with infra/portfolio_store.py): at least once. Every send carries
the alert's idempotency key so a receiver can drop repeats: json/xml/form targets get it as the payload
field ``idempotency_key`` and the ``Idempotency-Key`` header, email as the ``X-Idempotency-Key`` header,
any other target as a last body line ``ref: <key>``. A send ends in one of three outcomes: ``sent``
(the target acknowledged), ``failed`` (it did not arrive: refused, unreachable, an error status) or
``uncertain`` (timed out: it may have arrived). Timeouts come from the settings unless the URL sets
apprise's own ``cto``/``rto``.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise

log = logging.getLogger(__name__)

SEVERITY_TO_NOTIFY_TYPE = {
    "info": apprise.NotifyType.INFO,
    "warning": apprise.NotifyType.WARNING,
    "critical": apprise.NotifyType.FAILURE,
}
SUMMARY_TAG = "summary"
ALL_TAG = "all"
# Schemes whose host is a real network host (not a token, as in tgram://BOTTOKEN/...).
_HOST_IS_HOST = {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "http", "https",
                 "ntfy", "ntfys", "gotify", "gotifys", "matrix", "matrixs", "mmost", "mmosts", "rocket",
                 "rockets", "apprise", "apprises", "mqtt", "mqtts", "syslog", "rsyslog"}
_MIN_SECRET_LEN = 3


def redact_url(url: str) -> str:
    """A printable name for an apprise URL: scheme, host and port only; everything else masked."""
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme or "?"
        netloc = parts.netloc
        userinfo, _, hostport = netloc.rpartition("@")
        if scheme.lower() not in _HOST_IS_HOST:
            hostport = "***" if hostport else ""
        shown = f"{scheme}://" + ("***@" if userinfo else "") + hostport
        if parts.path.strip("/"):
            shown += "/***"
        query = parse_qsl(parts.query, keep_blank_values=True)
        if query:
            shown += "?" + "&".join(f"{k}={v if k == 'tag' else '***'}" for k, v in query)
        return shown
    except Exception:  # noqa: BLE001 - a malformed URL still must not be printed
        return "<unparseable alert URL>"


def url_secrets(url: str) -> set[str]:
    """Every piece of `url` that may be secret: credentials, (token-)host, path segments, query values."""
    out: set[str] = {url.strip()}
    try:
        parts = urlsplit(url.strip())
    except Exception:  # noqa: BLE001
        return out
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if userinfo:
        out.add(userinfo)
        out.update(userinfo.split(":", 1))
    if parts.scheme.lower() not in _HOST_IS_HOST:
        out.add(hostport)
        out.update(hostport.split(":"))
    out.update(seg for seg in parts.path.split("/") if seg)
    out.update(v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "tag")
    decoded = {unquote(s) for s in out}
    secrets = {s for s in out | decoded if len(s) >= _MIN_SECRET_LEN}
    # apprise's own "privacy" forms: a URL that fails to load is logged with its password as first and last
    # character ('S...w', CWE-312 mode) and tokens as their last four ('...3cRt'); both say too much
    return secrets | {f"{s[0]}...{s[-1]}" for s in secrets} | {f"...{s[-4:]}" for s in secrets}


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced by ***, longest first (so a URL goes before its parts)."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, "***")
    return text


class _ScrubFilter(logging.Filter):
    """Installed on the 'apprise' logger: formats each record, then removes every known secret."""

    def __init__(self) -> None:
        super().__init__("apprise-scrub")
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            self.secrets |= set(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001
            message = str(record.msg)
        record.msg = redact_text(message, self.secrets)
        record.args = None
        if record.exc_info:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        return True


_SCRUB = _ScrubFilter()
logging.getLogger("apprise").addFilter(_SCRUB)


@dataclass(frozen=True)
class Target:
    key: str  # stable id: sha256 of the URL, first 16 hex digits (no secret in it)
    label: str  # redact_url(url)
    tags: frozenset[str]
    url: str = field(repr=False)

    def wants(self, severity: str, kind: str) -> bool:
        if not self.tags or ALL_TAG in self.tags:
            return True
        if kind == "daily_summary":
            return SUMMARY_TAG in self.tags
        return severity in self.tags


SENT, FAILED, UNCERTAIN = "sent", "failed", "uncertain"
KEY_FIELD, KEY_HEADER, EMAIL_KEY_HEADER = "idempotency_key", "Idempotency-Key", "X-Idempotency-Key"
# How requests and smtplib word a timeout: the request may have reached the receiver.
_TIMED_OUT = re.compile(r"timed out|timeout", re.IGNORECASE)


@dataclass(frozen=True)
class DeliveryResult:
    target_key: str
    target: str  # redacted label
    ok: bool
    error: str | None = None
    outcome: str = ""  # sent | failed | uncertain (derived from ok when not given)

    def __post_init__(self) -> None:
        if not self.outcome:
            object.__setattr__(self, "outcome", SENT if self.ok else FAILED)


def idempotency_key(dedup_key: str) -> str:
    """The key a receiver de-duplicates on: the same for every send of one alert, to every target."""
    return "qo-" + hashlib.sha256(dedup_key.encode()).hexdigest()[:24]


def target_key(url: str) -> str:
    return hashlib.sha256(url.strip().encode()).hexdigest()[:16]


def _tags_of(url: str) -> frozenset[str]:
    tags: set[str] = set()
    for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if k == "tag":
            tags.update(t.strip().lower() for t in re.split(r"[\s,+]+", v) if t.strip())
    return frozenset(tags)


def parse_targets(urls: Iterable[str]) -> list[Target]:
    targets = []
    for raw in urls:
        url = raw.strip()
        if not url:
            continue
        _SCRUB.add(url_secrets(url))
        targets.append(Target(key=target_key(url), label=redact_url(url), tags=_tags_of(url), url=url))
    return targets


class Notifier:
    """Sends to each configured target separately so that each one's success is known."""

    def __init__(self, urls: Iterable[str], connect_timeout: float | None = None,
                 read_timeout: float | None = None):
        self.targets = parse_targets(urls)
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self._secrets: set[str] = set()
        for t in self.targets:
            self._secrets |= url_secrets(t.url)

    def redact(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def targets_for(self, severity: str, kind: str) -> list[Target]:
        return [t for t in self.targets if t.wants(severity, kind)]

    def target(self, key: str) -> Target | None:
        return next((t for t in self.targets if t.key == key), None)

    @classmethod
    def from_settings(cls) -> Notifier:
        from infra.settings import get_settings

        settings = get_settings()
        return cls(settings.alert_url_list, settings.alert_connect_timeout, settings.alert_read_timeout)

    def _plugin(self, target: Target, key: str | None):
        plugin = apprise.Apprise.instantiate(target.url)
        if plugin is None:
            return None, False
        query = {k for k, _ in parse_qsl(urlsplit(target.url).query, keep_blank_values=True)}
        if self.connect_timeout is not None and "cto" not in query:
            plugin.socket_connect_timeout = float(self.connect_timeout)
        if self.read_timeout is not None and "rto" not in query:
            plugin.socket_read_timeout = float(self.read_timeout)
        if key is None:
            return plugin, True
        if isinstance(getattr(plugin, "payload_extras", None), dict):  # json://, xml://, form://
            plugin.payload_extras[KEY_FIELD] = key
            plugin.headers[KEY_HEADER] = key
            return plugin, True
        if isinstance(getattr(plugin, "headers", None), dict) and target.url.lower().startswith("mailto"):
            plugin.headers[EMAIL_KEY_HEADER] = key
            return plugin, True
        return plugin, False  # the key goes in the body

    def send(self, target: Target, title: str, body: str, severity: str = "info",
             key: str | None = None) -> DeliveryResult:
        """One notification to one target, carrying `key`. Never raises; the error text is redacted."""
        try:
            plugin, key_carried = self._plugin(target, key)
            if plugin is None:
                return DeliveryResult(target.key, target.label, False, f"not a usable apprise URL: {target.label}")
            if key is not None and not key_carried:
                body = f"{body}\nref: {key}"
            with apprise.LogCapture(level=logging.DEBUG) as captured:
                ok = bool(
                    plugin.notify(
                        body=body,
                        title=title,
                        notify_type=SEVERITY_TO_NOTIFY_TYPE.get(severity, apprise.NotifyType.INFO),
                    )
                )
            if ok:
                log.info("alert sent to %s", target.label)
                return DeliveryResult(target.key, target.label, True)
            lines = captured.getvalue().splitlines()
            outcome = UNCERTAIN if any(_TIMED_OUT.search(line) for line in lines) else FAILED
            detail = " | ".join(line.split(" - ", 2)[-1] for line in lines
                                if " - WARNING - " in line or " - ERROR - " in line)
            if outcome == UNCERTAIN:
                detail = f"timed out, may have arrived (resent with the same key): {detail}"
            error = self.redact(f"delivery to {target.label} failed: {detail or 'no detail'}")[:500]
        except Exception as exc:  # noqa: BLE001 - a broken target must not break the flow
            outcome = UNCERTAIN if isinstance(exc, TimeoutError) else FAILED
            error = self.redact(f"delivery to {target.label} failed: {exc.__class__.__name__}: {exc}")[:500]
        log.warning("%s", error)
        return DeliveryResult(target.key, target.label, False, error, outcome)

    def send_all(self, title: str, body: str, severity: str, kind: str = "alert",
                 key: str | None = None) -> list[DeliveryResult]:
        return [self.send(t, title, body, severity, key) for t in self.targets_for(severity, kind)]
