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
from infra.settings import SAMPLE_DIR, Settings

DATE_COLUMN = {"bars": "date", "yields": "date", "options": "quote_date"}


@dataclass(frozen=True)
class SourceFile:
    """One vendor file's rows for one date, indexed by their line numbers in that file."""

    kind: str
    path: Path
    frame: pd.DataFrame


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

    def fetch(self, as_of: dt.date) -> list[SourceFile]:
        """Every file's rows dated `as_of` (empty files are left out)."""
        day = pd.Timestamp(as_of)
        out = []
        for kind, path in self.files():
            frame = _parsed(kind, str(path), path.stat().st_mtime)
            rows = frame[frame[DATE_COLUMN[kind]] == day]
            if not rows.empty:
                out.append(SourceFile(kind, path, rows))
        return out


def source_from_settings(settings: Settings) -> FileDropSource:
    if settings.data_source == "sample":
        return FileDropSource(SAMPLE_DIR, "sample")
    root = Path(settings.data_source.removeprefix("dir:")).expanduser()
    # The bars' `source` column holds 64 characters: name the drop folder, not its whole path.
    return FileDropSource(root, f"dir:{root.name}"[:64])
