"""Option pricing: Black-Scholes-Merton prices, Greeks and implied volatility (vectorised)."""

from domain.pricing.black_scholes import Greeks, call_price, delta, greeks, price, put_price, vega
from domain.pricing.implied_vol import STATUS_NAMES, ImpliedVolResult, implied_vol

__all__ = ["Greeks", "ImpliedVolResult", "STATUS_NAMES", "call_price", "delta", "greeks", "implied_vol",
           "price", "put_price", "vega"]
