"""tlt_overlay as a registered strategy (issue 13, production): the quarterly retrain stores its calibration
as a versioned model with the data fingerprint (the same data is the same version), `quantops tlt calibrate
--from-db` stores a version the same way, and a real daily flow run on a stored chain proposes the spreads a
direct `quantops tlt market-evaluate` of that chain ranks, with the same credits, POP and contracts."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from sqlalchemy import func, select
from typer.testing import CliRunner

from domain.tlt.calibration import calibrate
from infra.db.engine import get_engine
from infra.db.models.research import ModelRun
from infra.ingest import ingest_file
from infra.market_store import load_tlt_calibration_frame
from infra.model_store import promoted_model
from infra.settings import CONFIG_DIR, SAMPLE_DIR, reset_settings_cache
from infra.strategy_inputs import read_inputs

LAST = dt.date(2024, 12, 31)


def tlt_config(target, **params):
    """config/ with only tlt_overlay enabled and ``params`` over config/tlt_overlay.yaml."""
    import shutil

    shutil.copytree(CONFIG_DIR, target, dirs_exist_ok=True)
    registry = yaml.safe_load((target / "strategies.yaml").read_text())
    for name, entry in registry["strategies"].items():
        entry["enabled"] = name == "tlt_overlay"
    (target / "strategies.yaml").write_text(yaml.safe_dump(registry, sort_keys=False))
    overlay = yaml.safe_load((target / "tlt_overlay.yaml").read_text())
    (target / "tlt_overlay.yaml").write_text(yaml.safe_dump({**overlay, **params}))
    return target


@pytest.fixture
def tlt_db(app_env, tmp_path, monkeypatch):
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(tlt_config(tmp_path / "config")))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "TLT.csv", today=dt.date(2026, 1, 1), source="sample")
    for series in ("DGS20", "DGS30"):
        ingest_file(engine, "yields", SAMPLE_DIR / "yields" / f"{series}.csv", today=dt.date(2026, 1, 1),
                    source="sample")
    return engine


def _runs(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(ModelRun).where(ModelRun.strategy == "tlt_overlay"))


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_retrain_stores_the_calibration_as_a_version_with_its_fingerprint(tlt_db):
    from flows.retrain import retrain
    from infra.strategy_registry import build_strategy

    first = retrain(strategy="tlt_overlay", as_of=LAST)
    assert first["status"] == "promoted" and not first["reused"]
    stored = promoted_model(tlt_db, "tlt_overlay", LAST)
    assert stored.id == first["model_id"]
    strategy = build_strategy("tlt_overlay")
    assert stored.data_fingerprint == read_inputs(tlt_db, strategy.needs, LAST).fingerprint
    # the stored model is what `quantops tlt calibrate` computes on the same rows
    direct = calibrate(load_tlt_calibration_frame(tlt_db), strategy.params.calibration_start, LAST,
                       tlt_adj_col="tlt_adj_close")
    assert json.dumps(stored.model.calibration.to_dict(), sort_keys=True) == json.dumps(direct.to_dict(), sort_keys=True)
    assert 0.036 < stored.model.calibration.div_yield < 0.044
    assert stored.metrics["tuning_r_squared"] > 0.95 and str(stored.train_end) == "2024-12-31"

    # the same data again (a rerun, or a later day with no new data): the same version, nothing new written
    for as_of in (LAST, dt.date(2025, 1, 3)):
        again = retrain(strategy="tlt_overlay", as_of=as_of)
        assert again["model_id"] == first["model_id"] and again["reused"]
    assert _runs(tlt_db) == 1


SPY_CHAIN = "options/SPY_chain_2015-01-05_ZachNJIT.csv"
CHAIN_DAY = dt.date(2015, 1, 5)
SPY_RAW_CLOSE = 201.72  # SPY's as-traded close of 2015-01-05 (tests/domain/test_implied_vol.py)


def spy_chain_as_tlt(path):
    """The real SPY chain of 2015-01-05 (standard contracts, unexpired) in the vendor layout `quantops ingest
    options` reads, renamed TLT: IV in percent, delta from Black-Scholes at the quoted IV (the file's are 0)."""
    import numpy as np
    import pandas as pd

    from domain.pricing.black_scholes import delta
    from tests.conftest import real_data

    raw = pd.read_csv(real_data(SPY_CHAIN))
    raw.columns = [c.strip() for c in raw.columns]
    raw = raw[(raw["nonstd"] == 0) & (pd.to_datetime(raw["expiration"]) > pd.Timestamp(CHAIN_DAY))]
    call = raw["put/call"].str.strip() == "C"
    t = (pd.to_datetime(raw["expiration"]) - pd.Timestamp(CHAIN_DAY)).dt.days / 365.0
    chain = pd.DataFrame({
        "quote_date": CHAIN_DAY.isoformat(), "quote_time": "16:00", "underlying_price": SPY_RAW_CLOSE,
        "option_type": np.where(call, "C", "P"), "expiration_date": raw["expiration"], "strike": raw["strike"],
        "bid": raw["bid"], "ask": raw["ask"], "implied_vol": (100 * raw["implied vol"]).round(4),
        "delta": np.round(delta(SPY_RAW_CLOSE, raw["strike"], t, 0.0, raw["implied vol"], call), 4),
    })
    chain.to_csv(path, index=False)
    return path


@pytest.fixture
def chain_db(app_env, tmp_path, monkeypatch):
    # calibrated up to the chain's day on the sample's first years; 2000 paths keep the run short (the CLI
    # reads the same config)
    config = tlt_config(tmp_path / "config", calibration_start="2010-01-04", n_paths=2000)
    monkeypatch.setenv("QUANTOPS_CONFIG_DIR", str(config))
    reset_settings_cache()
    engine = get_engine(app_env)
    ingest_file(engine, "bars", SAMPLE_DIR / "bars" / "TLT.csv", today=dt.date(2026, 1, 1), source="sample")
    for series in ("DGS20", "DGS30"):
        ingest_file(engine, "yields", SAMPLE_DIR / "yields" / f"{series}.csv", today=dt.date(2026, 1, 1),
                    source="sample")
    ingest_file(engine, "options", spy_chain_as_tlt(tmp_path / "TLT_2015-01-05.csv"), today=dt.date(2026, 1, 1))
    return engine


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_daily_flow_proposes_the_spreads_a_direct_cli_evaluation_ranks(chain_db, tmp_path):
    from flows.cli.main import app
    from flows.daily import daily
    from flows.retrain import retrain
    from infra.book_store import orders_on
    from infra.research_store import load_targets

    assert retrain(strategy="tlt_overlay", as_of=dt.date(2015, 1, 2))["status"] == "promoted"
    runner = CliRunner(env={"COLUMNS": "200"})
    # an open overlay position the loss budget must count (bull put 190/185, in the chain)
    opened = runner.invoke(app, ["positions", "add", "--strategy", "tlt_overlay", "--type", "put", "--short-strike",
                                 "190", "--long-strike", "185", "--expiration", "2015-02-20", "--credit", "1.2",
                                 "--contracts", "40", "--underlying-price", "205", "--opened", "2014-12-31"])
    assert opened.exit_code == 0, opened.output

    summary = daily(as_of=CHAIN_DAY)
    (signal,) = [s for s in summary["signals"] if s["strategy"] == "tlt_overlay"]
    assert signal["status"] == "decided" and signal["kind"] == "spreads" and signal["proposals"]
    targets = load_targets(chain_db, "tlt_overlay", CHAIN_DAY)
    held = targets.details["open_cvar"]
    assert held > 0 and targets.details["open_positions"][0]["measured_by"] == "CVaR95 on the day's paths"

    cal = tmp_path / "calibration.json"
    cal.write_text(json.dumps(promoted_model(chain_db, "tlt_overlay", CHAIN_DAY).model.calibration.to_dict()))
    out = tmp_path / "top.json"
    result = runner.invoke(app, ["tlt", "market-evaluate", "-c", str(cal), "--from-db", "--open-cvar",
                                 repr(held / 1e6), "--output", str(out)])
    assert result.exit_code == 0, result.output
    cli = json.loads(out.read_text())
    best = targets.spreads[0]
    assert f"{'Put' if best.option_type == 'put' else 'Call'} {best.short_strike:g}/{best.long_strike:g}" \
        == cli["top"]["spread"]
    assert str(best.expiration.date()) == cli["top"]["expiration"]
    assert best.credit == pytest.approx(cli["top"]["credit"], abs=1e-12)
    assert best.pop == pytest.approx(cli["top"]["pop"], abs=1e-12)
    assert best.contracts == cli["contracts"]["1000000"] > 0  # the registry's capital: 1,000,000
    # every proposal is a row of the CLI's ranking, in its order, with its credit and POP
    lines = [line for line in result.output.splitlines() if line.strip().startswith("│")]
    for rank, p in enumerate(targets.spreads, 1):
        row = f"│ {rank:>4} │ {'Put' if p.option_type == 'put' else 'Call'}"
        (line,) = [x for x in lines if x.startswith(row)]
        assert f"{p.short_strike:g}/{p.long_strike:g}" in line and str(p.expiration.date()) in line
        assert f"{p.credit:.2f}" in line and f"{p.pop:.1%}" in line

    # the proposals are the next session's orders (sells at the credit), not fills; the summary lists them
    orders = orders_on(chain_db, CHAIN_DAY, "tlt_overlay")
    sized = [p for p in targets.spreads if p.contracts > 0]
    assert len(orders) == len(sized) and (orders["timing"] == "proposal").all()
    top = orders.set_index("instrument").loc[f"TLT {best.expiration.date()} {best.option_type[0].upper()} "
                                             f"{best.short_strike:g}/{best.long_strike:g}"]
    assert top["quantity"] == -best.contracts and top["reference_price"] == pytest.approx(best.credit)
    assert signal["book"]["status"] == "proposed"
    assert [p["contracts"] for p in signal["proposals"]] == [p.contracts for p in targets.spreads[:5]]
    from flows.daily import _markdown

    first = signal["proposals"][0]
    assert (f"| sell {first['spread']} | {first['expiration']} | {best.credit:.2f} | {best.pop:.1%} | "
            f"{best.contracts} |") in _markdown(summary)  # the daily summary artifact's table
    html = open(summary["report"]).read()
    assert f"POP {best.pop:.1%}" in html and "quantops positions add --strategy tlt_overlay" in html
    again = daily(as_of=CHAIN_DAY)  # a rerun of the day stores the same orders
    assert len(orders_on(chain_db, CHAIN_DAY, "tlt_overlay")) == len(sized) and again["status"] == "completed"

    # the desk sold the top spread: its order's fill opens the position, which the next proposals count
    from infra.portfolio_store import list_positions

    refused = runner.invoke(app, ["orders", "fill", str(int(top["id"])), "--price", "0.5", "--quantity", "-1.5"])
    assert refused.exit_code == 2 and "whole contracts" in refused.output and not orders_on(
        chain_db, CHAIN_DAY, "tlt_overlay")["actual_price"].notna().any()
    filled = runner.invoke(app, ["orders", "fill", str(int(top["id"])), "--price", f"{best.credit:.2f}"])
    assert filled.exit_code == 0, filled.output
    (new,) = [p for p in list_positions(chain_db, "open") if p.opened == dt.date(2015, 1, 6)]
    assert (new.option_type, new.short_leg.strike, new.long_leg.strike, new.short_leg.expiration, new.contracts) == \
        (best.option_type, best.short_strike, best.long_strike, best.expiration.date(), best.contracts)
    assert new.entry_credit == pytest.approx(round(best.credit, 2)) and new.strategy == "tlt_overlay"
    # an order fills once: a corrected price used to open the spread a second time (counted twice in NAV and budget)
    refill = runner.invoke(app, ["orders", "fill", str(int(top["id"])), "--price", f"{best.credit + 0.01:.2f}"])
    assert refill.exit_code == 2 and "already filled" in refill.output.strip().splitlines()[-1]
    assert [p.id for p in list_positions(chain_db, "open") if p.opened == dt.date(2015, 1, 6)] == [new.id]
    stored = orders_on(chain_db, CHAIN_DAY, "tlt_overlay")
    assert stored.loc[stored["id"] == top["id"], "actual_price"].tolist() == [pytest.approx(round(best.credit, 2))]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_day_without_a_chain_proposes_nothing_and_says_so(chain_db):
    from flows.daily import daily
    from flows.retrain import retrain

    assert retrain(strategy="tlt_overlay", as_of=dt.date(2015, 1, 2))["status"] == "promoted"
    summary = daily(as_of=dt.date(2015, 1, 6))
    (signal,) = [s for s in summary["signals"] if s["strategy"] == "tlt_overlay"]
    assert signal["status"] == "decided" and signal["proposals"] == []
    assert signal["note"] == "no stored TLT option chain on 2015-01-06: no proposals"
    assert summary["status"] == "completed"


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_calibrate_from_db_stores_the_version_the_retrain_would(tlt_db, tmp_path):
    from flows.cli.main import app
    from flows.retrain import retrain

    out = tmp_path / "calibration.json"
    result = CliRunner().invoke(app, ["tlt", "calibrate", "--from-db", "--output", str(out)])
    assert result.exit_code == 0, result.output
    stored = promoted_model(tlt_db, "tlt_overlay", LAST)
    assert f"Calibration version #{stored.id} of tlt_overlay, data fingerprint {stored.data_fingerprint[:12]}" \
        in " ".join(result.output.split())
    exported = json.loads(out.read_text())
    exported.pop("warnings")
    assert exported == json.loads(json.dumps(stored.model.calibration.to_dict()))  # the JSON is its export
    assert str(stored.as_of) == "2024-12-31" and stored.status == "promoted"
    # the quarterly retrain on the same data and parameters finds that version
    again = retrain(strategy="tlt_overlay", as_of=LAST)
    assert again["model_id"] == stored.id and again["reused"] and _runs(tlt_db) == 1
    rerun = CliRunner().invoke(app, ["tlt", "calibrate", "--from-db", "--output", str(out)])
    assert rerun.exit_code == 0 and "nothing new written" in " ".join(rerun.output.split()) and _runs(tlt_db) == 1
