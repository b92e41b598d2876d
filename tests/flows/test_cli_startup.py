"""The CLI's shape: every command reachable, heavy libraries imported only by the commands that use them.

Start-up time itself is measured in benchmarks/cli.py; here we check its cause, deterministically: which
modules a fresh process has imported after `quantops --help` or `quantops positions list`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from flows.cli.main import COMMANDS, app

HEAVY = ("pandas", "numpy", "scipy", "alembic", "matplotlib", "prefect", "pandera", "sklearn", "lightgbm",
         "exchange_calendars")

PROBE = """
import json, sys
from flows.cli import app
sys.argv = ["quantops", *json.loads(sys.argv[1])]
try:
    app()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print("\\nMODULES " + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))
sys.exit(code)
"""


def _imported_by(args: list[str], home) -> tuple[int, str, set[str]]:
    env = {**os.environ, "QUANTOPS_HOME": str(home)}
    env.pop("QUANTOPS_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True,
                          env=env, timeout=300)
    text, _, modules = done.stdout.rpartition("\nMODULES ")
    return done.returncode, text + done.stderr, set(json.loads(modules))


def test_help_imports_no_heavy_library_and_lists_every_command(tmp_path):
    code, text, modules = _imported_by(["--help"], tmp_path)
    assert code == 0, text
    assert not modules & {*HEAVY, "sqlalchemy"}, modules & {*HEAVY, "sqlalchemy"}
    for name in COMMANDS:
        assert name in text


def test_positions_list_imports_the_database_but_no_data_library(tmp_path):
    code, text, modules = _imported_by(["positions", "list"], tmp_path)
    # A fresh home has no schema yet: one line telling what to do, and still nothing heavy imported.
    assert "sqlalchemy" in modules
    assert not modules & set(HEAVY), modules & set(HEAVY)
    assert code != 0 and "quantops db upgrade" in text and "Traceback" not in text


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_listed_command_loads_and_has_help(name):
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_version():
    from importlib.metadata import version

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"quantops {version('quantops')}"


def test_shell_completion_completes_commands_and_subcommands(tmp_path):
    def complete(words: str, cword: int) -> list[str]:
        env = {**os.environ, "_QUANTOPS_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        done = subprocess.run([sys.executable, "-c", "from flows.cli import app; app(prog_name='quantops')"],
                              capture_output=True, text=True, env=env, timeout=300)
        return done.stdout.split()

    assert complete("quantops pos", 1) == ["positions"]
    assert set(complete("quantops tlt ", 2)) == {"calibrate", "evaluate", "market-evaluate", "optimize", "backtest"}
