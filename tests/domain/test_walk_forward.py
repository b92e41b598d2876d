from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from domain.errors import InputError
from domain.walk_forward import Fold, fold_seed, make_folds, run_fold, stitch, stitched_equity

IDX = pd.bdate_range("2008-01-01", "2013-12-31")


def test_quarterly_expanding_folds_without_gap():
    folds = make_folds(IDX, "2012-01-01", "2012-12-31")
    assert [f.name for f in folds] == ["2012Q1", "2012Q2", "2012Q3", "2012Q4"]
    for f in folds:
        pos = {name: IDX.get_loc(getattr(f, name)) for name in
               ("train_start", "train_end", "validation_start", "validation_end", "test_start", "test_end")}
        assert pos["train_start"] == 0  # expanding
        assert pos["validation_end"] - pos["validation_start"] + 1 == 252
        assert pos["validation_start"] == pos["train_end"] + 1  # one-day label: nothing to purge
        assert pos["test_start"] == pos["validation_end"] + 1
        assert f.test_start.to_period("Q") == f.test_end.to_period("Q")
        assert f.refit_end == f.validation_end
    # consecutive test windows tile the range
    for a, b in zip(folds, folds[1:]):
        assert IDX.get_loc(b.test_start) == IDX.get_loc(a.test_end) + 1
        assert b.train_end > a.train_end


def test_purge_and_embargo():
    h, emb = 5, 3
    f = make_folds(IDX, "2012-04-01", "2012-06-30", label_horizon=h, embargo_days=emb)[0]
    gap = h - 1 + emb
    assert IDX.get_loc(f.validation_start) - IDX.get_loc(f.train_end) - 1 == gap
    assert IDX.get_loc(f.test_start) - IDX.get_loc(f.validation_end) - 1 == gap
    # the label of the last training sample ends before the first validation label starts
    assert IDX.get_loc(f.train_end) + h <= IDX.get_loc(f.validation_start)
    # no sample is in two sets
    tr, va, te = f.train_mask(IDX), f.validation_mask(IDX), f.test_mask(IDX)
    assert not (tr & va).any() and not (va & te).any() and not (tr & te).any()
    assert (f.refit_mask(IDX) == (IDX <= f.validation_end)).all()


def test_minimum_training_enforced():
    with pytest.raises(InputError, match="training days"):
        make_folds(IDX, "2010-07-01", "2010-09-30")  # 2008..2009-06 = 1.5 years before validation
    with pytest.raises(InputError):
        make_folds(IDX, "2030-01-01", "2030-03-31")


def _fit_predict(fold: Fold, data: pd.Series, params: dict, seed: int):
    train = data[fold.refit_mask(data.index)]
    test_idx = data.index[fold.test_mask(data.index)]
    rng = np.random.default_rng(seed)
    pred = pd.DataFrame({"pred": train.mean() + params["k"] * rng.normal(size=len(test_idx))}, index=test_idx)
    return pred, {"n_train": len(train), "max_train_date": train.index.max()}


def test_run_fold_stitch_reproducible_and_picklable():
    data = pd.Series(np.random.default_rng(0).normal(size=len(IDX)), index=IDX)
    folds = make_folds(IDX, "2012-01-01", "2013-12-31")
    res1 = [run_fold(f, data, {"k": 0.1}, 7, _fit_predict) for f in folds]
    res2 = [run_fold(f, data, {"k": 0.1}, 7, _fit_predict) for f in reversed(folds)]
    s1, s2 = stitch(res1), stitch(res2)
    pd.testing.assert_frame_equal(s1, s2)  # same seed, any order -> same numbers
    assert s1.index.is_monotonic_increasing and not s1.index.has_duplicates
    assert s1.index[0] == pd.Timestamp("2012-01-02") and s1.index[-1] == pd.Timestamp("2013-12-31")
    for r in res1:
        assert r.info["max_train_date"] < r.fold.test_start
    other = stitch([run_fold(f, data, {"k": 0.1}, 8, _fit_predict) for f in folds])
    assert not np.allclose(other["pred"], s1["pred"])
    assert fold_seed(7, folds[0]) != fold_seed(7, folds[1])
    pickle.loads(pickle.dumps((folds[0], res1[0])))
    eq = stitched_equity(pd.Series([0.1, -0.1], index=IDX[:2]))
    assert eq.iloc[-1] == pytest.approx(0.99)


def test_run_fold_rejects_leaky_output():
    data = pd.Series(0.0, index=IDX)
    f = make_folds(IDX, "2012-01-01", "2012-03-31")[0]

    def leaky(fold, data, params, seed):
        return pd.DataFrame({"x": 0.0}, index=data.index[-5:]), {}

    with pytest.raises(InputError):
        run_fold(f, data, None, 0, leaky)
    with pytest.raises(InputError):
        stitch([run_fold(f, data, {"k": 0}, 0, _fit_predict)] * 2)
