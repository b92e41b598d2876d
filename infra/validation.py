"""Runs the pandera models and turns their failure cases into (line, rule) rows a person can act on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from domain.errors import DataRejected, InputError
from infra.readers import UNPARSED
from infra.schemas import PRIOR_BARS, SCHEMAS, VALIDATION_DAY, rule_text

MAX_LISTED = 5


@dataclass(frozen=True)
class Violations:
    """Rows that broke a rule: one row per (line, rule), line = line number in the source file."""

    table: pd.DataFrame  # columns: line, rule

    @property
    def lines(self) -> list[int]:
        return sorted(set(int(x) for x in self.table["line"]))

    def __bool__(self) -> bool:
        return not self.table.empty

    def summary(self, source: str) -> str:
        """One line: the file, how many rows, the first few rows and the rules they broke."""
        grouped = self.table.groupby("line", sort=True)["rule"].apply(lambda r: "; ".join(sorted(set(r))))
        listed = ", ".join(f"row {line} ({rules})" for line, rules in grouped.head(MAX_LISTED).items())
        more = f" and {len(grouped) - MAX_LISTED} more" if len(grouped) > MAX_LISTED else ""
        return f"{source}: rejected, {len(grouped)} bad row(s): {listed}{more}; nothing written"


def find_violations(kind: str, frame: pd.DataFrame, source: str | Path, today: dt.date,
                    prior_bars: pd.DataFrame | None = None) -> Violations:
    """Validate `frame` against the `kind` model (lazy, every rule); a frame-level problem raises InputError.

    `prior_bars` (bars only): the stored bar before each symbol's first row, for the price-jump rule.
    """
    schema = SCHEMAS[kind]
    token = VALIDATION_DAY.set(today)
    prior_token = PRIOR_BARS.set(prior_bars)
    try:
        schema.validate(frame, lazy=True)
        return _with_unparsed(_EMPTY, frame)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    finally:
        VALIDATION_DAY.reset(token)
        PRIOR_BARS.reset(prior_token)
    row_level = cases[cases["index"].notna()]
    frame_level = cases[cases["index"].isna()]
    if not frame_level.empty:
        first = frame_level.iloc[0]
        raise DataRejected(f"{source}: {rule_text(first['check'], first['column'])} ({first['failure_case']})")
    table = pd.DataFrame(
        {
            "line": row_level["index"].astype("int64").to_numpy(),
            # a dataframe-wide check is reported once per column by pandera: name the rule, not the columns
            "rule": [
                rule_text(c, None if context == "DataFrameSchema" else col)
                for c, col, context in zip(row_level["check"], row_level["column"], row_level["schema_context"])
            ],
        }
    ).drop_duplicates()
    return _with_unparsed(table, frame)


def _with_unparsed(table: pd.DataFrame, frame: pd.DataFrame) -> Violations:
    """Add the cells the reader could not parse as numbers (infra.readers.UNPARSED), one rule per cell, for the
    rows `frame` still has (a drop folder's day is a slice of a file, and pandas carries attrs to slices)."""
    extra = [(line, f"{column}: not a number ({text!r})")
             for column, cells in frame.attrs.get(UNPARSED, {}).items() for line, text in cells.items()
             if line in frame.index]
    if extra:
        table = pd.concat([table, pd.DataFrame(extra, columns=["line", "rule"])], ignore_index=True)
    return Violations(table.astype({"line": "int64"}).sort_values(["line", "rule"]).reset_index(drop=True))


_EMPTY = pd.DataFrame({"line": pd.Series(dtype="int64"), "rule": pd.Series(dtype=str)})
