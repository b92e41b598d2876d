"""Scale-out: the task runner comes from settings, and a walk-forward on a 2-worker Dask cluster
(distributed.LocalCluster, worker processes) gives exactly the thread runner's result."""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd
import pytest
from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner
from prefect_dask import DaskTaskRunner
from pydantic import ValidationError

from infra.db.engine import get_engine
from infra.ingest import ingest_file
from infra.research_store import latest_walk_forward
from infra.settings import SAMPLE_DIR, get_settings, reset_settings_cache
from tasks.runners import make_task_runner
from tests.strategy_config import small_vol_regime_config


@pytest.fixture
def runner_env(monkeypatch):
    def use(**env):
        for key in ("TASK_RUNNER", "TASK_WORKERS", "DASK_ADDRESS"):
            monkeypatch.delenv(f"QUANTOPS_{key}", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(f"QUANTOPS_{key.upper()}", value)
        reset_settings_cache()

    yield use
    reset_settings_cache()


def test_default_is_threads_one_worker_per_core(runner_env):
    runner_env()
    runner = make_task_runner()
    assert isinstance(runner, ThreadPoolTaskRunner) and runner._max_workers == os.cpu_count()


def test_settings_choose_processes_workers_and_a_dask_address(runner_env):
    runner_env(task_runner="processes", task_workers="3")
    runner = make_task_runner()
    assert isinstance(runner, ProcessPoolTaskRunner) and runner._max_workers == 3
    runner_env(task_runner="dask", dask_address="tcp://10.0.0.5:8786")
    runner = make_task_runner()
    assert isinstance(runner, DaskTaskRunner) and runner.address == "tcp://10.0.0.5:8786"
    runner_env(task_runner="dask")
    local = make_task_runner()
    assert local.address is None and local.cluster_kwargs["n_workers"] == os.cpu_count()


def test_an_unknown_runner_is_refused_naming_the_setting(runner_env):
    runner_env(task_runner="slurm")
    with pytest.raises(ValidationError, match="QUANTOPS_TASK_RUNNER must be one of threads, processes, dask"):
        get_settings()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_walk_forward_on_a_local_dask_cluster_equals_the_thread_runner(app_env, tmp_path, monkeypatch,
                                                                        prefect_harness):
    from distributed import LocalCluster

    from flows.walk_forward import walk_forward

    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(small_vol_regime_config(tmp_path / "config")))
    reset_settings_cache()
    engine = get_engine(app_env)
    for symbol in ("QQQ", "SPY", "^VIX"):
        ingest_file(engine, "bars", SAMPLE_DIR / "bars" / f"{symbol}.csv", today=dt.date(2026, 1, 1), source="sample")
    args = dict(strategy="vol_regime", start=dt.date(2023, 1, 1), end=dt.date(2023, 6, 30), seed=5)

    threads = walk_forward.with_options(task_runner=make_task_runner("threads", workers=2))(**args)
    by_threads = latest_walk_forward(engine, "vol_regime")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        on_dask = walk_forward.with_options(task_runner=make_task_runner("dask", address=cluster.scheduler_address))
        dask = on_dask(**args)
        assert len(cluster.scheduler_info["workers"]) == 2
    by_dask = latest_walk_forward(engine, "vol_regime")

    assert dask["folds"] == threads["folds"] == 2
    assert dask["summary"] == threads["summary"] and dask["benchmark"] == threads["benchmark"]
    assert by_dask[0]["id"] == by_threads[0]["id"]  # same inputs, params and seed: the same stored run
    pd.testing.assert_frame_equal(by_dask[2], by_threads[2], check_exact=True)
    pd.testing.assert_frame_equal(by_dask[1].drop(columns="id"), by_threads[1].drop(columns="id"), check_exact=True)


def test_cli_names_a_bad_runner_setting_in_one_line(runner_env):
    from typer.testing import CliRunner

    from flows.cli.main import app

    runner_env(task_runner="slurm")
    result = CliRunner().invoke(app, ["walk-forward", "--strategy", "vol_regime", "--start", "2023-01-01",
                                      "--end", "2023-03-31"])
    assert result.exit_code == 2 and "Traceback" not in result.output  # 2: bad input (flows/cli/errors.py)
    assert result.output.strip().splitlines()[-1] == (
        "error: QUANTOPS_TASK_RUNNER must be one of threads, processes, dask, got 'slurm'")


class BlasProbe:
    """A strategy whose folds only record how many BLAS threads they run with, long enough to overlap."""

    name = "blas_probe"

    def run_fold(self, fold, dataset, seed):
        import time

        from threadpoolctl import threadpool_info

        from domain.walk_forward import FoldResult

        time.sleep(0.3)
        blas = max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
        return FoldResult(fold=fold, predictions=pd.DataFrame(), info={"blas_threads": blas})


def test_folds_on_the_thread_runner_run_on_one_blas_thread_even_after_the_main_thread_set_a_limit(prefect_harness):
    """The CI failure of 2026-12-06: two walk-forwards on the thread runner differed in the last bits because
    each fold's own limit did nothing once the main thread had set one (OpenBLAS), so folds shared its pool."""
    import numpy  # noqa: F401  (OpenBLAS loaded, so threadpoolctl sees it)
    from prefect import flow
    from threadpoolctl import threadpool_info, threadpool_limits

    from domain.walk_forward import Fold
    from flows.walk_forward import run_folds

    day = pd.Timestamp("2024-01-02")
    folds = [Fold(i, f"F{i}", day, day, day, day, day + pd.Timedelta(days=i), day + pd.Timedelta(days=i))
             for i in range(4)]

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def probe_folds():
        return run_folds(BlasProbe(), folds, None, 0)

    with threadpool_limits(limits=2):  # anything in the main thread (sklearn, a test) may have set one
        results = probe_folds()
        after = max(lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas")
    assert sorted(r.info["blas_threads"] for r in results) == [1, 1, 1, 1]
    assert after == 2
