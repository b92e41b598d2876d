"""`quantops tlt calibrate --from-db`: the calibration as a stored version, the way the quarterly retrain
stores it (the registered tlt_overlay strategy's inputs, ``fit`` and gates, the model store with the data
fingerprint); the JSON file the command writes is an export of that version."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from domain.errors import InputError

if TYPE_CHECKING:
    from domain.tlt.calibration import CalibrationResult
    from domain.tlt.params import TltOverlayParams

STRATEGY = "tlt_overlay"


def calibrate_from_db(p: TltOverlayParams, start: dt.date, end: dt.date, exclude_covid: bool) -> tuple[CalibrationResult, dict]:
    """Fit on the stored TLT closes and DGS20/DGS30 yields over [start, end] and store the version (the same
    data and parameters as a stored version: that version, nothing new written). Returns the calibration and
    the store's outcome (model_id, promoted, report, reused)."""
    from domain.strategies.registry import create
    from infra.db.engine import app_engine
    from infra.strategy_inputs import read_inputs
    from infra.strategy_registry import strategy_entry
    from tasks.research import store_fitted

    try:
        params = replace(p, calibration_start=start, exclude_covid=exclude_covid)
    except ValueError as exc:
        raise InputError(f"--start-date: {exc}") from None
    strategy = create(strategy_entry(STRATEGY), params)
    inputs = read_inputs(app_engine(), strategy.needs, end)
    dataset = strategy.prepare(inputs)
    if dataset.empty or dataset["date"].min().date() > end:
        raise InputError(f"no stored TLT closes with DGS20/DGS30 yields between {start} and {end}; "
                         "run `quantops ingest` first")
    fitted = strategy.fit(dataset, end, params.seed)
    outcome = store_fitted(STRATEGY, strategy, end, fitted, inputs.fingerprint, params.seed, None, None)
    return fitted.calibration, outcome


def version_line(outcome: dict) -> str:
    same = " (same data and parameters: the stored version, nothing new written)" if outcome["reused"] else ""
    return (f"Calibration version #{outcome['model_id']} of {STRATEGY}, data fingerprint "
            f"{outcome['fingerprint'][:12]}: {outcome['report']}{same}")
