"""The strategy registry: entries validated with one clear line, classes imported by path, params typed."""

from __future__ import annotations

import pytest

from domain.errors import InputError
from domain.strategies.registry import create, load_class, parse_registry
from domain.strategies.vol_regime.adapter import VolRegime
from domain.strategies.vol_regime.params import VolRegimeParams
from tests.strategies.buy_and_hold import BuyAndHold, BuyAndHoldParams

VOL = "domain.strategies.vol_regime.adapter:VolRegime"
BAH = "tests.strategies.buy_and_hold:BuyAndHold"


def test_entries_keep_file_order_defaults_and_enabled_subset():
    reg = parse_registry({"strategies": {"vol_regime": {"class": VOL, "capital": 250000},
                                         "buy_and_hold": {"class": BAH, "enabled": False, "stage": "fraction",
                                                          "fraction": 0.25}}})
    assert reg.names == ("vol_regime", "buy_and_hold")
    assert [e.name for e in reg.enabled] == ["vol_regime"]
    vol = reg.entry("vol_regime")
    assert (vol.capital, vol.stage, vol.fraction, vol.enabled) == (250000.0, "paper", 1.0, True)
    assert reg.entry("buy_and_hold").strategy_class() is BuyAndHold


@pytest.mark.parametrize("body, message", [
    ({"class": VOL, "stage": "real"}, "stage: must be one of paper, fraction, live"),
    ({"class": VOL, "capital": 0}, "capital: must be a number > 0"),
    ({"class": VOL, "capital": "lots"}, "capital: must be a number > 0"),
    ({"class": VOL, "enabled": "yes"}, "enabled: must be true or false"),
    ({"class": VOL, "fraction": 1.5}, "fraction: must be in (0, 1]"),
    ({"class": VOL, "capitol": 1}, "unknown key(s) capitol"),
    ({"capital": 1}, "class: required"),
    ("domain.strategies.vol_regime.adapter:VolRegime", "must be a mapping"),
])
def test_bad_entries_are_one_line_naming_file_strategy_and_rule(body, message):
    with pytest.raises(InputError) as err:
        parse_registry({"strategies": {"vol_regime": body}}, "cfg/strategies.yaml")
    text = str(err.value)
    assert text.startswith("cfg/strategies.yaml: strategies.vol_regime") and message in text and "\n" not in text


def test_registry_needs_strategies_and_refuses_other_top_level_keys():
    with pytest.raises(InputError, match="non-empty 'strategies'"):
        parse_registry({})
    with pytest.raises(InputError, match="unknown top-level key"):
        parse_registry({"strategies": {"a": {"class": VOL}}, "extra": 1})


def test_unknown_name_lists_the_registered_ones():
    reg = parse_registry({"strategies": {"vol_regime": {"class": VOL}}})
    with pytest.raises(InputError, match=r"unknown strategy 'nope': choose one of vol_regime$"):
        reg.entry("nope")


@pytest.mark.parametrize("path, message", [
    ("domain.strategies.vol_regime.adapter.VolRegime", "must be written 'package.module:Class'"),
    ("domain.strategies.nothing_here:X", "cannot import module 'domain.strategies.nothing_here'"),
    ("domain.strategies.vol_regime.adapter:VolRegimeDataset", "is not a Strategy subclass"),
    ("domain.strategies.vol_regime.adapter:Missing", "is not a Strategy subclass"),
])
def test_class_paths_fail_clearly(path, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_class(path, "x")


def test_create_checks_the_params_type():
    reg = parse_registry({"strategies": {"vol_regime": {"class": VOL}, "buy_and_hold": {"class": BAH}}})
    assert create(reg.entry("vol_regime")).params == VolRegimeParams()
    assert create(reg.entry("buy_and_hold"), BuyAndHoldParams(weight=0.5)).params.weight == 0.5
    with pytest.raises(InputError, match="params must be VolRegimeParams, got BuyAndHoldParams"):
        create(reg.entry("vol_regime"), BuyAndHoldParams())
    assert isinstance(create(reg.entry("vol_regime")), VolRegime)


def test_project_registry_has_vol_regime_on_spy_disabled():
    # issue 14: the same vol_regime code on SPY (QQQ as the market reference), the allocator's SPY leg
    from pathlib import Path

    from infra.strategy_registry import build_strategy, load_registry

    config = Path(__file__).resolve().parents[2] / "config"
    entry = load_registry(config).entry("vol_regime_spy")
    assert entry.class_path == VOL and not entry.enabled
    spy = build_strategy("vol_regime_spy", config)
    assert isinstance(spy, VolRegime) and spy.needs.symbols == ("SPY", "QQQ", "^VIX")
    assert build_strategy("vol_regime", config).needs.symbols == ("QQQ", "SPY", "^VIX")
