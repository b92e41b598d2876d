"""Market-data sources: a folder of vendor files (the bundled sample is one), replayed one date at a time.

Folder layout: bars/*.csv[.gz] and universe/*.csv[.gz] (daily bars; symbol from a symbol/ticker column or
the file name), yields/*.csv (FRED layout), options/*.csv (vendor chain; underlying from a column or the
file name's first token, e.g. TLT_2024-12-31.csv).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from domain.errors import InputError
from infra.readers import read_bars, read_options, read_yields
from infra.settings import SAMPLE_DIR

DATE_COLUMN = {"bars": "date", "yields": "date", "options": "quote_date"}


@dataclass(frozen=True)
class SourceFile:
    """One vendor file's (or one live response's) rows, indexed by their line (record) numbers in it.

    `path` names where the rows came from in messages: a file, or `provider:series` for a live response.
    `source` is what the database's `source` column records for them ("" = the source's own name).
    """

    kind: str
    path: Path | str
    frame: pd.DataFrame
    source: str = ""
    live: bool = False  # from a live provider: vendor revisions are recorded, raw bars get derived adj_close


@lru_cache(maxsize=64)
def _parsed(kind: str, path: str, _mtime: float) -> pd.DataFrame:
    if kind == "bars":
        return read_bars(Path(path))
    if kind == "yields":
        return read_yields(Path(path))
    return read_options(Path(path))


@dataclass(frozen=True)
class FileDropSource:
    root: Path
    name: str

    def files(self) -> list[tuple[str, Path]]:
        if not self.root.is_dir():
            raise InputError(f"{self.root}: market-data folder not found")
        found = []
        for folder, kind in (("bars", "bars"), ("universe", "bars"), ("yields", "yields"), ("options", "options")):
            for path in sorted((self.root / folder).glob("*.csv*")):
                found.append((kind, path))
        return found

    def fetch(self, as_of: dt.date, kinds: frozenset[str] = frozenset({"bars", "yields", "options"})) -> list[SourceFile]:
        """Every file's rows dated `as_of` (empty files are left out), for the given kinds."""
        day = pd.Timestamp(as_of)
        out = []
        for kind, path in self.files():
            if kind not in kinds:
                continue
            frame = _parsed(kind, str(path), path.stat().st_mtime)
            rows = frame[frame[DATE_COLUMN[kind]] == day]
            if not rows.empty:
                out.append(SourceFile(kind, path, rows, self.name))
        return out


def file_source(spec: str) -> FileDropSource:
    """`sample` or `dir:PATH` as a drop-folder source."""
    if spec == "sample":
        return FileDropSource(SAMPLE_DIR, "sample")
    root = Path(spec.removeprefix("dir:")).expanduser()
    # The bars' `source` column holds 64 characters: name the drop folder, not its whole path.
    return FileDropSource(root, f"dir:{root.name}"[:64])
