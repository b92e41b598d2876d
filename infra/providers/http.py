"""One HTTP GET as vendors need it: a timeout, retries with exponential backoff, HTTP 429's Retry-After
honoured, and a failure that names the provider and the series but never the key.

A response is retried when it cannot be what the vendor documents: a timeout, a dropped or truncated body,
a 5xx, a 429, or a body the caller's `parse` refuses (ValueError). Other 4xx answers (an unknown symbol, a
refused key) fail at once: waiting will not change them.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import httpx

from domain.errors import ServiceDown

T = TypeVar("T")
USER_AGENT = "quantops/0.1 (+https://github.com/; end-of-day research)"


class ProviderError(ServiceDown):
    """A vendor did not deliver (after the retries): names the provider and the series, never a key."""


@dataclass(frozen=True)
class RetryPolicy:
    timeout_seconds: float = 30.0
    attempts: int = 4
    backoff_seconds: float = 2.0  # waits 2, 4, 8 s between attempts
    max_retry_after_seconds: float = 300.0  # a vendor asking for a longer pause fails the fetch instead


DEFAULT_POLICY = RetryPolicy()


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    when = email.utils.parsedate_to_datetime(value)  # the HTTP-date form
    return max(0.0, when.timestamp() - time.time()) if when else None


def get(url: str, parse: Callable[[httpx.Response], T], *, provider: str, series: str, policy: RetryPolicy,
        params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
        secrets: Sequence[str] = ()) -> T:
    """GET `url` and return `parse(response)`, retrying what can heal; ProviderError when it does not."""
    where = f"{provider} {series}"
    last = "no attempt"
    with httpx.Client(timeout=policy.timeout_seconds, headers={"User-Agent": USER_AGENT, **(headers or {})},
                      follow_redirects=True) as client:
        for attempt in range(1, policy.attempts + 1):
            wait = policy.backoff_seconds * 2 ** (attempt - 1)
            try:
                response = client.get(url, params=params)
            except httpx.TimeoutException:
                last = f"no answer within {policy.timeout_seconds:g} s"
            except httpx.TransportError as exc:  # refused, reset, or a body cut short of its Content-Length
                last = f"connection failed ({exc.__class__.__name__})"
            else:
                if response.status_code == 429:
                    asked = _retry_after(response)
                    last = "HTTP 429 (rate limited)"
                    if asked is not None and asked > policy.max_retry_after_seconds:
                        raise ProviderError(f"{where}: {last}, asked to wait {asked:g} s (more than "
                                            f"{policy.max_retry_after_seconds:g} s)")
                    wait = asked if asked is not None else wait
                elif response.status_code >= 500:
                    last = f"HTTP {response.status_code}"
                elif response.status_code >= 400:
                    raise ProviderError(f"{where}: HTTP {response.status_code} "
                                        f"{redact(response.reason_phrase, secrets)}".rstrip())
                else:
                    try:
                        return parse(response)
                    except (ValueError, KeyError, TypeError) as exc:  # not the documented layout
                        last = f"malformed response ({redact(str(exc), secrets)[:160]})"
            if attempt < policy.attempts:
                time.sleep(wait)
    raise ProviderError(f"{where}: {last} after {policy.attempts} attempt(s)")
