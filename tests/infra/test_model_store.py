"""Model store: a trained model comes back from either database exactly as it was pickled."""

from __future__ import annotations

import datetime as dt

import numpy as np

from infra.model_store import model_runs, promoted_model, save_model_run


def save(engine, as_of: dt.date, model, status: str = "promoted") -> int:
    return save_model_run(
        engine, strategy="vol_regime", as_of=as_of, train_start=dt.date(2010, 1, 4), train_end=as_of,
        params={"window": 63}, data_fingerprint="f" * 64, seed=0, metrics={"calmar": 0.5}, status=status,
        gate_report="passed", model=model,
    )


def test_a_pickled_model_round_trips_byte_for_byte(engine):
    # NUL and 0xff bytes, and a payload big enough to matter, as a fitted estimator's pickle has
    model = {"weights": np.random.default_rng(3).standard_normal(50_000), "raw": b"\x00\xff\x00"}
    save(engine, dt.date(2024, 3, 28), model)
    stored = promoted_model(engine, "vol_regime")
    assert stored is not None and stored.params == {"window": 63} and stored.metrics == {"calmar": 0.5}
    assert stored.model["raw"] == b"\x00\xff\x00"
    assert np.array_equal(stored.model["weights"], model["weights"])


def test_a_rerun_of_the_same_day_replaces_and_a_later_promotion_retires_the_old(engine):
    first = save(engine, dt.date(2024, 3, 28), {"v": 1})
    assert save(engine, dt.date(2024, 3, 28), {"v": 2}) == first
    save(engine, dt.date(2024, 6, 28), {"v": 3})
    runs = model_runs(engine, "vol_regime").set_index("as_of")["status"]
    assert runs.to_dict() == {dt.date(2024, 3, 28): "retired", dt.date(2024, 6, 28): "promoted"}
    assert promoted_model(engine, "vol_regime", as_of=dt.date(2024, 5, 1)).model == {"v": 2}
