"""A PostgreSQL server of the test's own (initdb + pg_ctl on a free loopback port), to stop and restart.

Binaries from QUANTOPS_TEST_PG_BIN (default: the newest /usr/lib/postgresql/*/bin). PostgreSQL refuses to
run as root, so under root the server runs as the `postgres` user (runuser)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.infra.notify_fakes import free_port


def _bin_dir() -> Path:
    configured = os.environ.get("QUANTOPS_TEST_PG_BIN")
    found = [configured] if configured else sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))[-1:]
    if not found or not (Path(found[0]) / "pg_ctl").exists():
        pytest.fail("no PostgreSQL server binaries (initdb, pg_ctl): set QUANTOPS_TEST_PG_BIN", pytrace=False)
    return Path(found[0])


class PgServer:
    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="qo-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, user="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            pytest.fail(f"{tool} failed: {proc.stderr[-2000:]}", pytrace=False)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def close(self) -> None:
        subprocess.run(([ "runuser", "-u", "postgres", "--"] if self.as_root else [])
                       + [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
