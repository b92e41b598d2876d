"""Set-up on a fresh machine (issue 15, case 8): `./dev` bootstraps uv where pip refuses to install
(Debian/Ubuntu's externally-managed Python), the tests find the real data through QUANTOPS_REAL_DATA in
a checkout without ../shared, and the scratch databases' prefix is a setting."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.conftest import (
    REAL_DATA,
    REPO_ROOT,
    _libpq,
    _pg_admin_url,
    _scratch_pg_database,
    scratch_db_prefix,
)

DEBIAN_PYTHON = Path("/usr/bin/python3.11")


def _externally_managed(python: Path) -> bool:
    stdlib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    return (Path(stdlib) / "EXTERNALLY-MANAGED").exists()


def test_dev_bootstraps_uv_where_pip_refuses_to_install(tmp_path):
    python = DEBIAN_PYTHON if DEBIAN_PYTHON.exists() else Path(sys.executable)
    bin_dir = tmp_path / "bin"  # a PATH with Python 3.11 and the base tools, no uv
    bin_dir.mkdir()
    (bin_dir / "python3.11").symlink_to(python)
    env = {"HOME": str(tmp_path / "home"), "PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8"}
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})  # the machine's package index
    if _externally_managed(python):  # the case of the issue: `pip install --user` is refused
        refused = subprocess.run([python, "-m", "pip", "install", "--user", "--dry-run", "uv"], env=env,
                                 capture_output=True, text=True, check=False)
        assert refused.returncode != 0 and "externally-managed-environment" in refused.stderr
    done = subprocess.run(["bash", str(REPO_ROOT / "dev"), "bootstrap"], env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    uv = Path(done.stdout.strip().splitlines()[-1])
    assert uv == tmp_path / "home" / ".cache" / "quantops-uv" / "bin" / "uv"
    version = subprocess.run([uv, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("uv ")


def _copy_checkout(dest: Path) -> None:
    """The tracked and new files of this checkout, as a clone would have them (no ../shared beside it)."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            capture_output=True, text=True, check=True).stdout.splitlines()
    for name in listed:
        source = REPO_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def test_real_data_tests_find_the_data_through_a_setting_in_a_clone_without_shared(tmp_path):
    clone = tmp_path / "clone" / "quantops"
    _copy_checkout(clone)
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k != "QUANTOPS_REAL_DATA"}
    env["PYTHONPATH"] = str(clone)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/domain/test_implied_vol.py"]
    missing = subprocess.run(command, cwd=clone, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert missing.returncode != 0 and "set QUANTOPS_REAL_DATA" in missing.stdout
    found = subprocess.run(command, cwd=clone, env={**env, "QUANTOPS_REAL_DATA": str(REAL_DATA)},
                           capture_output=True, text=True, timeout=600, check=False)
    assert found.returncode == 0, found.stdout[-2000:]


def test_scratch_databases_take_the_configured_prefix(monkeypatch):
    monkeypatch.setenv("QUANTOPS_TEST_DB_PREFIX", "ci_42_")
    assert scratch_db_prefix() == "ci_42_"
    with _scratch_pg_database() as url:
        name = url.rsplit("/", 1)[-1]
        assert name.startswith("ci_42_")
        with psycopg.connect(_libpq(_pg_admin_url())) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()


def test_a_bad_prefix_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("QUANTOPS_TEST_DB_PREFIX", "drop table;")
    with pytest.raises(pytest.exit.Exception, match="QUANTOPS_TEST_DB_PREFIX 'drop table;'"):
        scratch_db_prefix()
