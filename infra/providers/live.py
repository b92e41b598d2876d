"""The market-data source the settings describe: per kind, a drop folder or a live provider.

`fetch(as_of)` is the daily run's batch: a folder's rows dated `as_of`, a provider's rows of the last
`refetch_days` (late rows and vendor revisions come with them). `missing()` names what a live provider has not
published yet for the day, so the flow can wait for it; `fetch_range()` serves history and repairs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import pandas as pd

from domain.calendar import sessions_between
from domain.errors import InputError
from infra.providers.base import Provider
from infra.providers.cboe import CboeDelayed
from infra.providers.config import MarketDataConfig, load_market_data_config, parse_data_source
from infra.providers.files import DATE_COLUMN, FileDropSource, SourceFile, file_source
from infra.providers.fred import FredApi, FredCsv
from infra.providers.http import RetryPolicy
from infra.providers.tiingo import Tiingo
from infra.providers.yahoo import Yahoo
from infra.settings import Settings


def bond_market_holiday(day: dt.date) -> bool:
    """Columbus Day and Veterans Day: NYSE trades, the bond market (SIFMA) is closed and FRED has no yield."""
    columbus = day.month == 10 and day.weekday() == 0 and 8 <= day.day <= 14  # second Monday of October
    veterans = day.month == 11 and (day.day == 11 or (day.day == 12 and day.weekday() == 0))  # Sunday -> Monday
    return columbus or veterans


def _secret(value) -> str:
    return value.get_secret_value() if value is not None else ""


def build_provider(kind: str, spec: str, settings: Settings, policy: RetryPolicy) -> Provider:
    if spec == "tiingo":
        if not _secret(settings.tiingo_api_key):
            raise InputError("bars=tiingo needs QUANTOPS_TIINGO_API_KEY (or bars=yahoo: keyless, personal use only)")
        return Tiingo(_secret(settings.tiingo_api_key), settings.tiingo_url, policy)
    if spec == "yahoo":
        return Yahoo(settings.yahoo_url, policy)
    if spec == "fred":
        key = _secret(settings.fred_api_key)
        return FredApi(key, settings.fred_api_url, policy) if key else FredCsv(settings.fred_url, policy)
    if spec == "cboe":
        return CboeDelayed(settings.cboe_url, policy)
    raise InputError(f"no live provider {spec!r} for {kind}")


@dataclass
class MarketDataSource:
    folders: dict[str, FileDropSource]  # kind -> drop folder
    providers: dict[str, Provider]  # kind -> live provider
    config: MarketDataConfig
    name: str
    index_provider: Provider | None = None  # ^-symbols when the bars vendor serves no indices

    @property
    def live(self) -> bool:
        return bool(self.providers)

    def names(self, kind: str) -> tuple[str, ...]:
        return {"bars": self.config.bars.symbols, "yields": self.config.yields.series,
                "options": self.config.options.underlyings}[kind]

    def _fetch(self, kind: str, names: Sequence[str], start: dt.date, end: dt.date) -> list[SourceFile]:
        provider = self.providers[kind]
        if kind == "bars" and self.index_provider is not None:
            indices = [n for n in names if n.startswith("^")]
            return (provider.fetch([n for n in names if not n.startswith("^")], start, end)
                    + self.index_provider.fetch(indices, start, end))
        return provider.fetch(names, start, end)

    def fetch(self, as_of: dt.date) -> list[SourceFile]:
        out: list[SourceFile] = []
        by_folder: dict[int, tuple[FileDropSource, set[str]]] = {}
        for kind, folder in self.folders.items():
            by_folder.setdefault(id(folder), (folder, set()))[1].add(kind)
        for folder, kinds in by_folder.values():
            out += folder.fetch(as_of, frozenset(kinds))
        for kind in self.providers:
            start = as_of if kind == "options" else as_of - dt.timedelta(days=self.config.refetch_days)
            out += self._fetch(kind, self.names(kind), start, as_of)
        return out

    def expected_day(self, kind: str, as_of: dt.date) -> dt.date:
        """The newest day a kind should have by `as_of`'s run: yields lag (FRED publishes H.15 a day later)
        and skip the bond market's own holidays."""
        if kind != "yields":
            return as_of
        sessions = sessions_between(as_of - dt.timedelta(days=20 + 2 * self.config.yields.lag_sessions), as_of)
        position = len(sessions) - 1 - self.config.yields.lag_sessions
        while bond_market_holiday(sessions[position]):
            position -= 1
        return sessions[position]

    def missing(self, files: list[SourceFile], as_of: dt.date) -> list[str]:
        """`provider name` of every live series with no row for the day it should have by now."""
        have: dict[str, set[str]] = {}
        for item in files:
            if item.kind in self.providers:
                column = DATE_COLUMN[item.kind]
                key = "underlying" if item.kind == "options" else ("series" if item.kind == "yields" else "symbol")
                latest = item.frame.groupby(item.frame[key].astype(str), observed=True)[column].max()
                for name, day in latest.items():
                    if day >= pd.Timestamp(self.expected_day(item.kind, as_of)):
                        have.setdefault(item.kind, set()).add(name)
        return [f"{self.providers[kind].name} {name}" for kind in self.providers for name in self.names(kind)
                if name.upper() not in {h.upper() for h in have.get(kind, set())}]

    def fetch_range(self, kind: str, start: dt.date, end: dt.date,
                    names: Sequence[str] | None = None) -> Iterator[tuple[str, list[SourceFile]]]:
        """History for `data fetch`: (name, batches) one name at a time, so a caller can show progress."""
        if kind in self.folders:
            raise InputError(f"{kind} come from {self.folders[kind].name} (a folder): use `quantops ingest {kind}`")
        if kind not in self.providers:
            raise InputError(f"QUANTOPS_DATA_SOURCE names no provider for {kind}")
        for name in names or self.names(kind):
            yield name, self._fetch(kind, [name], start, end)


def source_from_settings(settings: Settings) -> MarketDataSource:
    chosen = parse_data_source(settings.data_source)
    config = load_market_data_config(settings.config_dir)
    http = config.http
    policy = RetryPolicy(http.timeout_seconds, http.attempts, http.backoff_seconds, http.max_retry_after_seconds)
    folders: dict[str, FileDropSource] = {}
    by_spec: dict[str, FileDropSource] = {}
    providers: dict[str, Provider] = {}
    for kind, spec in chosen.items():
        if spec == "sample" or spec.startswith("dir:"):
            folders[kind] = by_spec.setdefault(spec, file_source(spec))
        else:
            providers[kind] = build_provider(kind, spec, settings, policy)
    index = Yahoo(settings.yahoo_url, policy) if chosen.get("bars") == "tiingo" else None
    name = folders[next(iter(folders))].name if not providers and len(by_spec) == 1 else \
        ",".join(f"{k}={folders[k].name if k in folders else providers[k].name}" for k in chosen)
    return MarketDataSource(folders, providers, config, name[:64], index)
