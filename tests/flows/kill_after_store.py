"""Run the portfolio steps up to storing the alerts, then die (os._exit) before anything is sent."""

import datetime as dt
import os
import sys

from prefect import flow

from tasks.portfolio import compute_nav, mark_to_market, run_risk_checks, store_alerts


@flow(name="killed-after-store")
def killed_after_store(as_of: dt.date) -> None:
    marks = mark_to_market(as_of)
    nav = compute_nav(as_of, marks)
    keys = store_alerts(run_risk_checks(as_of, marks, nav))
    print(f"STORED {len(keys)}", flush=True)
    os._exit(9)


if __name__ == "__main__":
    killed_after_store(dt.date.fromisoformat(sys.argv[1]))
