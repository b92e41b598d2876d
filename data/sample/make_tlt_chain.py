"""Build the bundled TLT option chain (SYNTHETIC: no TLT option history is in the shared real data).

The layout is the real vendor layout `quantops ingest options` and `quantops tlt market-evaluate` read
(README, "TLT option chain layout"). Everything that can come from stored data does: the underlying is
TLT's real as-traded close of 2024-12-31 (bars/TLT.csv), the rate is FRED's 3-month bill yield of that day
(yields/DGS3MO.csv), the at-the-money volatility is TLT's realized volatility over the 60 sessions before
(annualised, from the total-return closes). Assumed: a put skew iv(K) = atm * (1 - 0.6 m + 2 m^2) with
m = ln(K / forward), TLT's dividend yield 4.2% (its 2024 distributions over its price), and a quoted spread
of 2 cents + 2.5% of the premium around the Black-Scholes value. Strikes with a premium under 3 cents are
left out (no bid).

    uv run python data/sample/make_tlt_chain.py
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from domain.pricing.black_scholes import delta, price

OUT = Path(__file__).resolve().parent
QUOTE_DATE = dt.date(2024, 12, 31)
EXPIRATIONS = (dt.date(2025, 1, 17), dt.date(2025, 2, 21), dt.date(2025, 3, 21))  # monthly: third Fridays
STRIKES = np.arange(75.0, 101.0, 1.0)
DIVIDEND_YIELD = 0.042
REALIZED_WINDOW = 60
HEADER = ["quote_date", "quote_time", "underlying_price", "option_type", "expiration_date", "strike", "bid", "ask",
          "implied_vol", "delta"]


def main() -> None:
    bars = pd.read_csv(OUT / "bars" / "TLT.csv", parse_dates=["Date"]).set_index("Date")
    spot = float(bars.loc[str(QUOTE_DATE), "Close"])
    adjusted = bars["Adj Close"].loc[:str(QUOTE_DATE)]
    atm = float(np.log(adjusted).diff().tail(REALIZED_WINDOW).std() * math.sqrt(252))
    bills = pd.read_csv(OUT / "yields" / "DGS3MO.csv", parse_dates=["observation_date"]).set_index("observation_date")
    rate = float(bills.loc[str(QUOTE_DATE), "DGS3MO"]) / 100
    rows = []
    for expiration in EXPIRATIONS:
        t = (expiration - QUOTE_DATE).days / 365.0
        forward = spot * math.exp((rate - DIVIDEND_YIELD) * t)
        for strike in STRIKES:
            m = math.log(strike / forward)
            iv = atm * (1 - 0.6 * m + 2 * m * m)
            for kind, is_call in (("P", False), ("C", True)):
                mid = float(price(spot, strike, t, rate, iv, is_call, DIVIDEND_YIELD))
                if mid < 0.03:
                    continue
                half = 0.01 + 0.0125 * mid
                bid, ask = math.floor((mid - half) * 100) / 100, math.ceil((mid + half) * 100) / 100
                rows.append([QUOTE_DATE.isoformat(), "16:00", f"{spot:.2f}", kind, expiration.isoformat(),
                             f"{strike:g}", f"{max(bid, 0.01):.2f}", f"{ask:.2f}", f"{iv * 100:.2f}",
                             f"{float(delta(spot, strike, t, rate, iv, is_call, DIVIDEND_YIELD)):.4f}"])
    (OUT / "options").mkdir(exist_ok=True)
    path = OUT / "options" / f"TLT_{QUOTE_DATE.isoformat()}.csv"
    pd.DataFrame(rows, columns=HEADER).to_csv(path, index=False)
    print(f"{path}: {len(rows)} quotes, TLT {spot:.2f}, at-the-money IV {atm:.2%}, rate {rate:.2%}")


if __name__ == "__main__":
    main()
