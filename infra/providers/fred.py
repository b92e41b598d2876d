"""FRED (St. Louis Fed) Treasury yields: the keyless CSV download of each series, or the FRED API with a key.

CSV (`fredgraph.csv?id=DGS10&cosd=START&coed=END`): header `observation_date,DGS10`, one row per weekday,
the value in percent, blank (or `.` in the old format) on days with no publication.
API (`fred/series/observations?series_id=...&api_key=...&file_type=json`): `{"observations": [{"date": ...,
"value": "4.47"}, ...]}`, `.` for no publication. H.15 yields for a day are published the next business day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import httpx
import pandas as pd

from infra.providers.base import Provider, in_range, yields_frame
from infra.providers.http import DEFAULT_POLICY, RetryPolicy, get

CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
API_URL = "https://api.stlouisfed.org/fred/series/observations"


def parse_fred_csv(series: str, text: str) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows or [c.strip() for c in rows[0]][1:] != [series] or rows[0][0].strip() not in ("observation_date", "DATE"):
        first = ",".join(rows[0])[:80] if rows else "nothing"
        raise ValueError(f"expected the header observation_date,{series}, got {first!r}")
    body = [r for r in rows[1:] if r]
    if any(len(r) != 2 for r in body):
        raise ValueError("a row without exactly two cells")
    return yields_frame(series, [r[0].strip() for r in body], [r[1].strip() for r in body])


def parse_fred_json(series: str, payload: dict) -> pd.DataFrame:
    observations = payload.get("observations")
    if not isinstance(observations, list):
        raise ValueError("no 'observations' list")
    return yields_frame(series, [o["date"] for o in observations], [o["value"] for o in observations])


class FredCsv(Provider):
    name = "fred"
    kind = "yields"

    def __init__(self, base_url: str = CSV_URL, policy: RetryPolicy = DEFAULT_POLICY):
        super().__init__(base_url, policy)

    def fetch_one(self, name: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        frame = get(self.base_url, lambda r: parse_fred_csv(name, r.text), provider=self.name, series=name,
                    policy=self.policy, params={"id": name, "cosd": start.isoformat(), "coed": end.isoformat()})
        return in_range(frame, "date", start, end)


class FredApi(Provider):
    name = "fred-api"
    kind = "yields"

    def __init__(self, api_key: str, base_url: str = API_URL, policy: RetryPolicy = DEFAULT_POLICY):
        super().__init__(base_url, policy)
        self._key = api_key

    def fetch_one(self, name: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        def parse(response: httpx.Response) -> pd.DataFrame:
            return parse_fred_json(name, response.json())

        params = {"series_id": name, "api_key": self._key, "file_type": "json",
                  "observation_start": start.isoformat(), "observation_end": end.isoformat()}
        frame = get(self.base_url, parse, provider=self.name, series=name, policy=self.policy, params=params,
                    secrets=[self._key])
        return in_range(frame, "date", start, end)
