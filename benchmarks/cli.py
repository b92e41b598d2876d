"""CLI start-up: whole-process runs of `quantops --help` and `quantops positions list`, hyperfine-style.

Each command is started RUNS times (after a warm-up run that is not counted), alternating with its
baseline so that both see the same machine load. The baseline is the CLI as it was before lazy loading:
the same process, but with every command module and what those commands use imported up front
(pandas, scipy, alembic, matplotlib, prefect, ...). A third line shows the interpreter's own floor.

Figures are wall and CPU (user + system of the child) seconds, median and min..max; on a shared machine
quote CPU, which load does not inflate. Python's bytecode cache is on (a normal install), so the
warm-up run also writes any .pyc files missing.

    uv run python benchmarks/cli.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUANTOPS = [sys.executable, "-c", "from flows.cli import app; app(prog_name='quantops')"]
# What the CLI imported at start-up before commands were loaded lazily (flows/cli/main.py of 2026-12-01).
EAGER = ("import flows.cli.data, flows.cli.runs, flows.cli.tlt, flows.cli.research, flows.cli.portfolio, "
         "infra.ingest, infra.db.migrate, infra.providers, infra.model_store, infra.research_store, "
         "infra.reporting.tearsheet, domain.calendar, domain.metrics, domain.tlt.calibration, "
         "domain.tlt.evaluation, domain.tlt.optimize, domain.tlt.monte_carlo; "
         "from flows.cli import app; app(prog_name='quantops')")
BASELINE = [sys.executable, "-c", EAGER]
FLOOR = [sys.executable, "-c", "pass"]


def run_once(argv: list[str], env: dict) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[-2:])} failed: {done.stderr.decode()[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(pairs: dict[str, list[str]], env: dict, runs: int) -> dict[str, list[tuple[float, float]]]:
    for argv in pairs.values():
        run_once(argv, env)  # warm-up: caches, .pyc files
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in pairs}
    for _ in range(runs):
        for name, argv in pairs.items():  # interleaved: A B C A B C ...
            out[name].append(run_once(argv, env))
    return out


def describe(samples: list[tuple[float, float]]) -> str:
    wall = sorted(s[0] for s in samples)
    cpu = sorted(s[1] for s in samples)
    return (f"wall {statistics.median(wall):.3f} s ({wall[0]:.3f}..{wall[-1]:.3f}), "
            f"cpu {statistics.median(cpu):.3f} s ({cpu[0]:.3f}..{cpu[-1]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "QUANTOPS_DATABASE_URL")}
    with tempfile.TemporaryDirectory() as home:
        env["QUANTOPS_HOME"] = home
        for argv in (["db", "upgrade"],
                     ["positions", "add", "--strategy", "tlt_overlay", "--type", "put", "--short-strike", "85",
                      "--long-strike", "82", "--expiration", "2025-02-21", "--credit", "0.62", "--contracts", "10",
                      "--underlying-price", "87.33", "--opened", "2024-12-31"],
                     ["positions", "add", "--strategy", "mean_reversion", "--symbol", "AAPL", "--quantity", "100",
                      "--price", "250.42", "--opened", "2024-12-31"]):
            run_once([*QUANTOPS, *argv], env)

        print(f"CLI start-up, {args.runs} runs each after one warm-up, interleaved with the baseline "
              f"({os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start)")
        for label, argv in (("quantops --help", ["--help"]), ("quantops positions list", ["positions", "list"])):
            found = measure({"lazy": [*QUANTOPS, *argv], "eager": [*BASELINE, *argv], "python": FLOOR}, env,
                            args.runs)
            lazy_cpu = statistics.median(s[1] for s in found["lazy"])
            eager_cpu = statistics.median(s[1] for s in found["eager"])
            print(f"\n{label}")
            print(f"  now (lazy imports)          {describe(found['lazy'])}")
            print(f"  baseline (eager, as before) {describe(found['eager'])}")
            print(f"  python -c pass (floor)      {describe(found['python'])}")
            print(f"  ratio baseline/now (cpu median): {eager_cpu / lazy_cpu:.1f}x; "
                  f"target < 1 s: {'met' if lazy_cpu < 1.0 else 'NOT met'} (cpu)")
        print(f"\nload average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
