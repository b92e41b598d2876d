"""Interest-rate models (decimal yields, year fractions)."""

from domain.rates.vasicek import BivariateVasicekParams, VasicekFit, fit_bivariate_vasicek, simulate

__all__ = ["BivariateVasicekParams", "VasicekFit", "fit_bivariate_vasicek", "simulate"]
