"""Bulk ingest of the 2.7M-row S&P 500 universe file into PostgreSQL, with full validation.

Run: uv run python benchmarks/ingest.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432] [--file PATH]

What it does, in one process:
1. creates a scratch database `quantops_bench_<pid>`, migrates it (infra.db.migrate.upgrade);
2. measured run: `ingest_file(engine, "bars", FILE, quarantine=True)` end to end (streamed gunzip and parse,
   pandera validation of every row, binary COPY into a staging table, UPDATE of changed rows + INSERT of new
   ones with the table's indexes rebuilt afterwards (a bulk load), ingest log, quarantine of the file's one
   known bad row, HUBB 2021-05-05);
3. a re-ingest of the same file (must write nothing: the upsert is idempotent);
4. the same file read and validated alone, to split the end-to-end time into reading and writing;
5. baseline: the first 100,000 rows of the same frame written with plain SQLAlchemy Core executemany of
   row dicts into an empty copy of daily_bars (no validation), extrapolated to the whole file;
6. drops the scratch database.

Prints rows/s, peak memory (ru_maxrss of this process) and the ratio fast/baseline.
Target: >= 100,000 rows/s end to end and peak memory < 2 GiB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from infra.db.engine import dispose_engines, get_engine  # noqa: E402
from infra.db.migrate import upgrade  # noqa: E402
from infra.db.models.market import DailyBar, QuarantinedRow  # noqa: E402
from infra.ingest import ingest_file, read_validated  # noqa: E402
from infra.market_store import ensure_instruments  # noqa: E402
from infra.readers import read_bars  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "real" / "universe" / "sp500_current_constituents_daily_2000-2024.csv.gz"
TARGET_ROWS_PER_S = 100_000
TARGET_PEAK_BYTES = 2 * 1024**3
BASELINE_ROWS = 100_000
TODAY = dt.date(2025, 1, 1)


def peak_rss_bytes() -> int:
    # Linux reports ru_maxrss in KiB (macOS in bytes).
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_db(server: str, name: str) -> str:
    admin = make_url(server).set(database="postgres")
    with psycopg.connect(_libpq(admin.render_as_string(hide_password=False)), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def drop_db(server: str, name: str) -> None:
    dispose_engines()
    admin = make_url(server).set(database="postgres")
    with psycopg.connect(_libpq(admin.render_as_string(hide_password=False)), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def baseline(engine, path: Path) -> tuple[float, int]:
    """Seconds for BASELINE_ROWS rows through plain executemany of row dicts (read included pro rata)."""
    t0 = time.perf_counter()
    frame = read_bars(path)
    read_s = time.perf_counter() - t0
    total = len(frame)
    part = frame.iloc[:BASELINE_ROWS].copy()
    del frame
    part["date"] = part["date"].dt.date
    rows = part.assign(source="baseline").to_dict("records")
    with engine.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE baseline_bars (LIKE daily_bars INCLUDING ALL) ON COMMIT DROP"))
        ensure_instruments(conn, part["symbol"].unique())
        table = DailyBar.__table__.to_metadata(__import__("sqlalchemy").MetaData(), name="baseline_bars")
        t1 = time.perf_counter()
        conn.execute(insert(table), rows)
        write_s = time.perf_counter() - t1
    per_row = read_s / total + write_s / len(rows)
    return per_row, total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=os.environ.get("QUANTOPS_BENCH_PG", DEFAULT_PG),
                        help="PostgreSQL server URL (no database name)")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    args = parser.parse_args()
    if not args.file.exists():
        print(f"missing data file: {args.file}", file=sys.stderr)
        return 2

    name = f"quantops_bench_{os.getpid()}"
    url = create_db(args.pg, name)
    try:
        upgrade(url)
        engine = get_engine(url)
        rss_before = peak_rss_bytes()

        t0 = time.perf_counter()
        report = ingest_file(engine, "bars", args.file, today=TODAY, quarantine=True, source="bench")
        fast_s = time.perf_counter() - t0
        peak = peak_rss_bytes()
        total = report.rows + report.quarantined

        with engine.connect() as conn:
            stored = conn.scalar(select(func.count()).select_from(DailyBar))
            held = conn.execute(select(QuarantinedRow.row_number, QuarantinedRow.rule)).all()

        t0 = time.perf_counter()
        again = ingest_file(engine, "bars", args.file, today=TODAY, quarantine=True, source="bench")
        again_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        read_validated("bars", args.file, TODAY, engine)
        read_s = time.perf_counter() - t0

        per_row, _ = baseline(engine, args.file)
        base_s = per_row * total
    finally:
        drop_db(args.pg, name)

    rate = total / fast_s
    print(f"file: {args.file.name} ({args.file.stat().st_size / 1e6:.1f} MB gzipped), {total:,} rows")
    print(f"ingest (read + validate + COPY/upsert, one transaction): {fast_s:.1f} s = {rate:,.0f} rows/s")
    print(f"  of which read + validate {read_s:.1f} s, write {fast_s - read_s:.1f} s")
    print(f"  stored {stored:,} rows, written {report.written:,}, quarantined {report.quarantined} "
          f"({'; '.join(f'line {r} ({rule})' for r, rule in held)})")
    print(f"re-ingest of the same file: {again_s:.1f} s, written {again.written} (idempotent: {again.written == 0})")
    print(f"baseline (read + plain executemany of row dicts, {BASELINE_ROWS:,}-row slice extrapolated): "
          f"{base_s:.1f} s = {total / base_s:,.0f} rows/s")
    print(f"ratio ingest/baseline speed: {base_s / fast_s:.1f}x")
    print(f"peak memory (ru_maxrss): {peak / 2**20:,.0f} MiB (before the run: {rss_before / 2**20:,.0f} MiB)")
    ok = rate >= TARGET_ROWS_PER_S and peak < TARGET_PEAK_BYTES and stored == report.rows and again.written == 0
    print(f"target >= {TARGET_ROWS_PER_S:,} rows/s and peak < 2 GiB: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
