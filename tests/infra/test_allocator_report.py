from __future__ import annotations

from dataclasses import replace

import pytest

from domain.strategies.allocator.dataset import prepare
from domain.strategies.allocator.params import AllocatorParams, FeatureParams, ModelParams, WalkForwardParams
from domain.strategies.allocator.research import run_walk_forward
from infra.reporting.allocator_report import render_allocator_report
from tests.domain.allocator.conftest import make_legs


@pytest.fixture(scope="module")
def result():
    q, s = make_legs()
    params = AllocatorParams(
        features=FeatureParams(drift_reference_days=126, trend_days=50, corr_days=(21, 63)),
        model=ModelParams(n_estimators=10, num_leaves=3, min_child_samples=20),
        walk_forward=WalkForwardParams(min_train_days=300, validation_days=126), tune=False,
    )
    params = replace(params, labels=replace(params.labels, horizon=5),
                     search=replace(params.search, horizon=(5,)))
    return run_walk_forward(prepare(q.pct_change(), s.pct_change(), q, s, params), params, "2013-01-01",
                            "2013-12-31")


def test_report_has_every_section_and_names_failed_gates(result):
    page = render_allocator_report(result, "allocator test")
    for part in ("<h2>Allocation and equity</h2>", "<h2>Calibration</h2>", "<h2>Gates</h2>", "<h2>Folds</h2>",
                 "importance rank stability", "deflated Sharpe", "calmar_beats_baseline", "baseline"):
        assert part in page, part
    assert page.count("data:image/png;base64,") == 4
    verdict = "accepted: every gate passes" if result.passed else "failed: " + ", ".join(result.failed)
    assert verdict in page
    assert "2013Q4" in page
