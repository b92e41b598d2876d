"""Every `quantops tlt` command of the README runs, as written, on a database loaded like the demo's.

The commands are read from the README itself (its TLT block), so the README cannot drift from the code.
The database gets what `quantops demo` loads for TLT: the bundled bars, FRED yields and the bundled chain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli.main import app
from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.settings import SAMPLE_DIR

REPO = Path(__file__).resolve().parents[2]


def readme_tlt_commands() -> list[list[str]]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## TLT credit-spread overlay"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1).replace("\\\n", " ")
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("uv run quantops tlt "):
            commands.append(shlex.split(line)[3:])
    return commands


def test_the_readme_lists_the_four_commands():
    names = [c[1] for c in readme_tlt_commands()]
    assert names == ["calibrate", "evaluate", "market-evaluate", "market-evaluate", "optimize"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_readme_tlt_command_runs_as_written(app_env, tmp_path, monkeypatch):
    engine = get_engine(app_env)
    today = dt.date(2026, 1, 1)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "TLT.csv", today=today, source="sample")
    for series in ("DGS20", "DGS30"):
        ingest_file(engine, "yields", SAMPLE_DIR / "yields" / f"{series}.csv", today=today, source="sample")
    ingest_file(engine, "options", SAMPLE_DIR / "options" / "TLT_2024-12-31.csv", today=today, source="sample")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").symlink_to(REPO / "data")  # README paths are relative to the repository root
    runner = CliRunner()
    for args in readme_tlt_commands():
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output
        if args[1] != "calibrate":  # one volatility, stated (issue 13 item 2)
            assert "Paths: volatility" in result.output and "variance premium" in result.output
        if args[1] == "market-evaluate":
            assert "Top strategies (market-priced)" in result.output, result.output
    calibration = json.loads((tmp_path / "calibration_results.json").read_text())
    assert calibration["current_values"]["tlt_price"] == pytest.approx(87.33)
    assert json.loads((tmp_path / "optimal_params.json").read_text())["n_evaluated"] == 100
