"""Load one vendor file: read, validate every row, write all of it in one transaction (or nothing)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, insert

from domain.errors import DataRejected, InputError
from infra.db.limits import refuse_too_long, text_limit
from infra.db.models.market import DailyBar, IngestLog, OptionQuote, QuarantinedRow, YieldObservation
from infra.market_store import STORES, bars_before
from infra.readers import READERS
from infra.validation import Violations, find_violations

KINDS = tuple(READERS)
MODELS = {"bars": DailyBar, "yields": YieldObservation, "options": OptionQuote}


@dataclass(frozen=True)
class IngestReport:
    file: str
    kind: str
    rows: int
    written: int
    quarantined: int
    status: str

    def describe(self) -> str:
        changed = f"{self.written} new or changed" if self.written else "nothing new"
        held = f", {self.quarantined} row(s) quarantined" if self.quarantined else ""
        return f"{self.file}: {self.rows} {self.kind} row(s) valid, {changed}{held}"


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_validated(kind: str, path: Path, today: dt.date, engine: Engine | None = None,
                   **options) -> tuple[pd.DataFrame, Violations]:
    """Read and validate; with `engine`, bars are also checked against the stored bar before each symbol."""
    frame = READERS[kind](path, **options)
    prior = bars_before(engine, frame) if engine is not None and kind == "bars" else None
    return frame, find_violations(kind, frame, path, today, prior_bars=prior)


def _source(kind: str, path: Path, source: str | None) -> str:
    """What the rows record as their source: `file:<name>` unless given; refused if longer than its column."""
    limit = text_limit(MODELS[kind], "source")
    if source is None and len(f"file:{path.name}") > limit:
        raise InputError(f"{path}: file name is {len(path.name)} characters; at most {limit - len('file:')} "
                         f"(rows record 'file:<name>' as their source, {limit} characters at most); rename it")
    source = source or f"file:{path.name}"
    refuse_too_long(MODELS[kind], {"source": source})
    return source


def _log(engine: Engine, path: Path, digest: str, kind: str, status: str, rows: int = 0,
         quarantined: int = 0, error: str | None = None, conn=None) -> int:
    values = dict(file_name=str(path), fingerprint=digest, kind=kind, rows=rows, quarantined=quarantined,
                  status=status, error=error)
    if conn is not None:
        return conn.execute(insert(IngestLog).values(**values).returning(IngestLog.id)).scalar_one()
    with engine.begin() as own:
        return own.execute(insert(IngestLog).values(**values).returning(IngestLog.id)).scalar_one()


def ingest_file(
    engine: Engine,
    kind: str,
    path: str | Path,
    *,
    today: dt.date,
    quarantine: bool = False,
    source: str | None = None,
    **options,
) -> IngestReport:
    """Validate and upsert one file. Any bad row refuses the whole file (InputError) unless `quarantine`."""
    if kind not in READERS:
        raise InputError(f"unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    path = Path(path)
    digest = fingerprint(path) if path.is_file() else ""
    try:
        source = _source(kind, path, source)
        frame, violations = read_validated(kind, path, today, engine, **options)
    except InputError as exc:
        _log(engine, path, digest, kind, "rejected", error=str(exc))
        raise
    if violations and not quarantine:
        message = violations.summary(str(path))
        _log(engine, path, digest, kind, "rejected", rows=len(frame), error=message)
        raise DataRejected(message)
    good = frame.drop(index=violations.lines) if violations else frame
    with engine.begin() as conn:
        written = STORES[kind](conn, good, source)
        status = "quarantined" if violations else "loaded"
        ingest_id = _log(engine, path, digest, kind, status, rows=len(good), quarantined=len(violations.lines),
                         conn=conn)
        if violations:
            conn.execute(insert(QuarantinedRow), _quarantine_rows(ingest_id, kind, frame, violations))
    return IngestReport(str(path), kind, len(good), max(written, 0), len(violations.lines), status)


def _quarantine_rows(ingest_id: int, kind: str, frame: pd.DataFrame, violations: Violations) -> list[dict]:
    rules = violations.table.groupby("line")["rule"].apply(lambda r: "; ".join(sorted(set(r))))
    rows = []
    for line, rule in rules.items():
        payload = {k: (None if pd.isna(v) else str(v)) for k, v in frame.loc[line].items()}
        rows.append(dict(ingest_id=ingest_id, kind=kind, row_number=int(line), rule=rule, payload=json.dumps(payload)))
    return rows
