"""config/market_data.yaml (what to fetch, timeouts, patience) and QUANTOPS_DATA_SOURCE (who serves each kind).

QUANTOPS_DATA_SOURCE is `sample`, `dir:PATH` (every kind from a drop folder), `live` (= bars=tiingo,
yields=fred,options=cboe), or a comma list `kind=provider` over bars, yields, options where a provider is
tiingo | yahoo (bars), fred (yields; the API when QUANTOPS_FRED_API_KEY is set), cboe (options), or
sample | dir:PATH. A kind left out is not fetched.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.errors import InputError

KINDS = ("bars", "yields", "options")
LIVE = {"bars": ("tiingo", "yahoo"), "yields": ("fred",), "options": ("cboe",)}
LIVE_DEFAULT = {"bars": "tiingo", "yields": "fred", "options": "cboe"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BarsConfig(_Strict):
    symbols: tuple[str, ...] = ("SPY", "QQQ", "TLT", "^VIX")


class YieldsConfig(_Strict):
    series: tuple[str, ...] = ("DGS3MO", "DGS10", "DGS20", "DGS30")
    lag_sessions: int = Field(1, ge=0, le=5)


class OptionsConfig(_Strict):
    underlyings: tuple[str, ...] = ("TLT", "QQQ")


class HttpConfig(_Strict):
    timeout_seconds: float = Field(30.0, gt=0, le=600)
    attempts: int = Field(4, ge=1, le=10)
    backoff_seconds: float = Field(2.0, ge=0, le=600)
    max_retry_after_seconds: float = Field(300.0, ge=0, le=3600)


class PublicationConfig(_Strict):
    wait_minutes: float = Field(120.0, ge=0, le=24 * 60)
    poll_minutes: float = Field(10.0, gt=0, le=24 * 60)


class MarketDataConfig(_Strict):
    bars: BarsConfig = BarsConfig()
    yields: YieldsConfig = YieldsConfig()
    options: OptionsConfig = OptionsConfig()
    refetch_days: int = Field(7, ge=0, le=366)
    http: HttpConfig = HttpConfig()
    publication: PublicationConfig = PublicationConfig()


def load_market_data_config(config_dir: Path) -> MarketDataConfig:
    path = config_dir / "market_data.yaml"
    try:
        data = yaml.safe_load(path.read_text()) if path.exists() else {}
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({exc.__class__.__name__})") from None
    try:
        return MarketDataConfig.model_validate(data or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: {key}: {first['msg']}") from None


def parse_data_source(value: str) -> dict[str, str]:
    """kind -> provider spec; ValueError (one line) for anything else."""
    value = value.strip()
    if value == "sample" or value.startswith("dir:"):
        return {kind: value for kind in KINDS}
    if value == "live":
        return dict(LIVE_DEFAULT)
    chosen: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        kind, _, provider = part.partition("=")
        kind, provider = kind.strip(), provider.strip()
        if kind not in KINDS:
            raise ValueError(f"QUANTOPS_DATA_SOURCE: {part!r}: kind must be one of {', '.join(KINDS)}")
        if provider not in LIVE[kind] and provider != "sample" and not provider.startswith("dir:"):
            raise ValueError(f"QUANTOPS_DATA_SOURCE: {part!r}: {kind} provider must be one of "
                             f"{', '.join(LIVE[kind])}, sample or dir:PATH")
        if kind in chosen:
            raise ValueError(f"QUANTOPS_DATA_SOURCE: {kind} named twice")
        chosen[kind] = provider
    if not chosen:
        raise ValueError("QUANTOPS_DATA_SOURCE must be 'sample', 'dir:PATH', 'live' or 'bars=...,yields=...,options=...'")
    return chosen
