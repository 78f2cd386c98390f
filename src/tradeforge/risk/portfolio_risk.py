"""Portfolio risk: value at risk, expected shortfall, concentration, exposure, rolling Sharpe.

Two kinds of figures, from two kinds of input:

* **From a return series** (per-bar simple returns, e.g. a backtest's equity returns or the
  scenario returns of the current holdings from :func:`holdings_returns`): VaR and CVaR at
  95 % and 99 %, historical and parametric (:class:`ReturnRisk`), and the rolling Sharpe ratio.
* **From a portfolio's open positions** at their current prices: concentration
  (:class:`Concentration`) and exposure by base asset and by quote currency.

:func:`portfolio_risk` gathers both in one :class:`PortfolioRisk`; a strategy reads it at any
bar::

    closes = {s: self.data(s).close.values for s in self.symbols}
    risk = portfolio_risk(self.portfolio, holdings_returns(self.portfolio, closes, 720))
    if risk.returns.cvar_99 > 0.05:
        ...

Conventions
-----------
* **VaR and CVaR are losses, as positive fractions** of equity over one period of the returns
  given (one bar of a backtest: hourly bars give a one-hour VaR). ``var_95 = 0.02`` reads "in
  95 % of periods the loss is at most 2 %". When even the tail is a gain they are negative.
* **Historical VaR** is minus the ``1 - level`` quantile of the returns with linear
  interpolation between order statistics (NumPy's default ``"linear"`` method, Hyndman and
  Fan's type 7, as ``numpy.percentile``, pandas and empyrical compute it).
* **Historical CVaR** (expected shortfall) is minus the mean of the returns at or below that
  quantile: the lowest ``floor((n - 1) * (1 - level)) + 1`` returns (empyrical's definition).
* **Parametric VaR and CVaR** assume normal returns with the sample mean and the *sample*
  standard deviation (ddof = 1, as the Sharpe ratio of :mod:`tradeforge.backtest.stats`):
  ``VaR = -(mean - z * std)`` and ``CVaR = -(mean - std * pdf(z) / (1 - level))``, ``z`` the
  standard normal quantile of ``level`` (1.6449 at 95 %, 2.3263 at 99 %). With fewer than two
  returns, or constant ones, the deviation is 0 (no dispersion) and both are ``-mean``.
* **Rolling Sharpe** is the Sharpe ratio of :mod:`tradeforge.backtest.stats` over each window
  of ``window`` returns: ``mean(r - rf) / std(r - rf, ddof=1) * sqrt(periods_per_year)``, 0.0
  for a window without dispersion, NaN before the first full window.
* **Concentration** uses each open position's absolute value at its mark over the gross
  exposure: the largest share and the Herfindahl-Hirschman index ``sum(share ** 2)`` (1 for a
  single position, ``1 / n`` for ``n`` equal ones, 0 without positions).
* **Exposure** is each position's signed value at its mark (long positive, short negative),
  summed by base asset and by quote currency, in the portfolio's currency.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal
from statistics import NormalDist
from typing import overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT
from tradeforge.portfolio.portfolio import Portfolio

FloatArray = NDArray[np.float64]

LEVELS = (0.95, 0.99)
"""The confidence levels reported."""

_SHARES = Context(prec=28)
_ZERO = Decimal(0)
_NORMAL = NormalDist()


class RiskInputError(ValueError):
    """A return series or a parameter the risk figures cannot use; the message names it."""


# -- from returns -------------------------------------------------------------------------------


def _returns(returns: ArrayLike) -> FloatArray:
    values = np.asarray(returns, dtype=np.float64)
    if values.ndim != 1 or not len(values):
        raise RiskInputError(f"returns must be a non-empty 1-D series, got shape {values.shape}")
    if not np.isfinite(values).all():
        raise RiskInputError("returns must be finite numbers (no NaN or infinity)")
    return values


def _tail(level: float) -> float:
    """``1 - level``, rounded to 12 decimals so that 0.95 gives 0.05, not 0.05000000000000004."""
    if not 0.0 < level < 1.0:
        raise RiskInputError(f"level must be between 0 and 1, got {level!r}")
    return round(1.0 - level, 12)


def historical_var(returns: ArrayLike, level: float = 0.95) -> float:
    """Historical value at risk: minus the ``1 - level`` quantile of ``returns`` (linear
    interpolation), a positive loss fraction.

    Parameters
    ----------
    returns : array-like
        Simple returns per period, finite, at least one.
    level : float, default 0.95
        Confidence level in ``(0, 1)``.
    """
    values = _returns(returns)
    return 0.0 - float(np.quantile(values, _tail(level), method="linear"))  # no -0.0


def historical_cvar(returns: ArrayLike, level: float = 0.95) -> float:
    """Historical CVaR (expected shortfall): minus the mean of the lowest
    ``floor((n - 1) * (1 - level)) + 1`` returns, those at or below the VaR quantile."""
    values = _returns(returns)
    count = int((len(values) - 1) * _tail(level)) + 1
    return -float(np.mean(np.partition(values, count - 1)[:count]))


def _mean_std(values: FloatArray) -> tuple[float, float]:
    """Mean and sample deviation (0.0 without dispersion)."""
    dispersed = len(values) > 1 and float(np.ptp(values)) > 0.0
    return float(np.mean(values)), (float(np.std(values, ddof=1)) if dispersed else 0.0)


def parametric_var(returns: ArrayLike, level: float = 0.95) -> float:
    """Gaussian VaR: ``z * std - mean`` with the sample mean and deviation (ddof = 1)."""
    values = _returns(returns)
    _tail(level)
    mean, std = _mean_std(values)
    return _NORMAL.inv_cdf(level) * std - mean


def parametric_cvar(returns: ArrayLike, level: float = 0.95) -> float:
    """Gaussian CVaR: ``std * pdf(z) / (1 - level) - mean``, ``z`` the ``level`` quantile."""
    values = _returns(returns)
    tail = _tail(level)
    mean, std = _mean_std(values)
    return std * _NORMAL.pdf(_NORMAL.inv_cdf(level)) / tail - mean


@dataclass(frozen=True, slots=True)
class ReturnRisk:
    """VaR and CVaR of one return series at 95 % and 99 %, historical and parametric.

    Attributes
    ----------
    var_95, cvar_95, var_99, cvar_99 : float
        Historical figures, positive loss fractions per period.
    parametric_var_95, parametric_cvar_95, parametric_var_99, parametric_cvar_99 : float
        Gaussian figures from the sample mean and deviation.
    observations : int
        How many returns they come from.
    """

    var_95: float
    cvar_95: float
    var_99: float
    cvar_99: float
    parametric_var_95: float
    parametric_cvar_95: float
    parametric_var_99: float
    parametric_cvar_99: float
    observations: int

    @classmethod
    def of(cls, returns: ArrayLike) -> ReturnRisk:
        """Every figure of ``returns`` (finite simple returns, at least one)."""
        values = _returns(returns)
        return cls(
            var_95=historical_var(values, 0.95),
            cvar_95=historical_cvar(values, 0.95),
            var_99=historical_var(values, 0.99),
            cvar_99=historical_cvar(values, 0.99),
            parametric_var_95=parametric_var(values, 0.95),
            parametric_cvar_95=parametric_cvar(values, 0.95),
            parametric_var_99=parametric_var(values, 0.99),
            parametric_cvar_99=parametric_cvar(values, 0.99),
            observations=len(values),
        )

    def to_json(self) -> dict[str, float | int]:
        """The figures by name (all finite)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@overload
def rolling_sharpe(
    returns: pd.Series, window: int, periods_per_year: float, risk_free: float = 0.0
) -> pd.Series: ...
@overload
def rolling_sharpe(
    returns: FloatArray, window: int, periods_per_year: float, risk_free: float = 0.0
) -> FloatArray: ...


def rolling_sharpe(
    returns: pd.Series | FloatArray,
    window: int,
    periods_per_year: float,
    risk_free: float = 0.0,
) -> pd.Series | FloatArray:
    """The annualized Sharpe ratio over each trailing window of ``window`` returns.

    Parameters
    ----------
    returns : Series or ndarray
        Simple returns per period (a Series keeps its index).
    window : int
        Returns per window, >= 2.
    periods_per_year : float
        Periods in a year, from the run's calendar
        (:meth:`tradeforge.backtest.stats.Calendar.periods_per_year`).
    risk_free : float
        The risk-free rate *per period*, subtracted from every return.

    Returns
    -------
    Series or ndarray
        One value per return: NaN until the first full window, then
        ``mean / std(ddof=1) * sqrt(periods_per_year)`` of the window's excess returns, 0.0 when
        the window's returns are all equal.
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 2:
        raise RiskInputError(f"window must be an int >= 2, got {window!r}")
    if not periods_per_year > 0:
        raise RiskInputError(f"periods_per_year must be positive, got {periods_per_year!r}")
    excess = pd.Series(np.asarray(returns, dtype=np.float64) - risk_free)
    rolling = excess.rolling(window, min_periods=window)
    flat = (rolling.max() - rolling.min()).to_numpy() == 0.0
    ratio = (rolling.mean() / rolling.std(ddof=1)).to_numpy() * math.sqrt(periods_per_year)
    ratio = np.where(flat, 0.0, ratio)
    if isinstance(returns, pd.Series):
        return pd.Series(ratio, index=returns.index, name="rolling_sharpe")
    return ratio


# -- from positions -----------------------------------------------------------------------------


def position_values(portfolio: Portfolio) -> dict[Symbol, Decimal]:
    """Each open position's signed value at its mark, in the portfolio's currency."""
    return {
        symbol: position.notional(portfolio.valuation_price(symbol)).amount
        for symbol, position in portfolio.positions().items()
    }


@dataclass(frozen=True, slots=True)
class Concentration:
    """How much of the gross exposure sits in the largest position, and the HHI.

    Attributes
    ----------
    shares : dict of Symbol to Decimal
        Each open position's absolute value over the gross exposure (they sum to 1).
    largest_share : Decimal
        The largest of them; 0 without positions.
    hhi : Decimal
        Herfindahl-Hirschman index ``sum(share ** 2)``: 1 for one position, ``1 / n`` for ``n``
        equal ones, 0 without positions.
    """

    shares: dict[Symbol, Decimal]
    largest_share: Decimal
    hhi: Decimal


def concentration(portfolio: Portfolio) -> Concentration:
    """The concentration of ``portfolio``'s open positions at their marks (28 digits)."""
    sizes = {s: abs(v) for s, v in position_values(portfolio).items() if v}
    gross = _total(sizes.values())
    if not gross:
        return Concentration({}, _ZERO, _ZERO)
    shares = {s: _SHARES.divide(v, gross) for s, v in sizes.items()}
    hhi = sum((_SHARES.multiply(x, x) for x in shares.values()), _ZERO)
    return Concentration(shares, max(shares.values()), _SHARES.plus(hhi))


def exposure_by_asset(portfolio: Portfolio) -> dict[str, Decimal]:
    """Signed value of the open positions by base asset (``BTC``), exact."""
    return _grouped(portfolio, lambda s: s.base)


def exposure_by_quote(portfolio: Portfolio) -> dict[str, Decimal]:
    """Signed value of the open positions by quote currency (``USDT``), exact."""
    return _grouped(portfolio, lambda s: s.quote)


def _grouped(portfolio: Portfolio, key: Callable[[Symbol], str]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for symbol, value in position_values(portfolio).items():
        totals[key(symbol)] = EXACT.add(totals.get(key(symbol), _ZERO), value)
    return dict(sorted(totals.items()))


def _total(values: Iterable[Decimal]) -> Decimal:
    """An exact sum (raises rather than round)."""
    total = _ZERO
    for value in values:
        total = EXACT.add(total, value)
    return total


def holdings_returns(
    portfolio: Portfolio, closes: Mapping[Symbol, ArrayLike], window: int
) -> FloatArray:
    """What the current holdings would have returned over each of the last ``window`` bars.

    Historical simulation: the scenario return of bar ``t`` is
    ``sum(value_s * r_s[t]) / equity``, ``value_s`` each open position's signed value at its
    mark and ``r_s[t] = close_s[t] / close_s[t - 1] - 1`` its symbol's return. Feed the result
    to :class:`ReturnRisk` or :func:`portfolio_risk` for the VaR of what is held now.

    Parameters
    ----------
    portfolio : Portfolio
        Positions and equity now (equity > 0).
    closes : mapping of Symbol to array-like
        Closes of every held symbol, the same bar times for all (same timeframe), the last one
        the current bar; at least ``window + 1`` each.
    window : int
        How many bar returns, >= 1.

    Returns
    -------
    ndarray
        ``window`` scenario returns, oldest first; zeros without positions.
    """
    if isinstance(window, bool) or not isinstance(window, int) or window < 1:
        raise RiskInputError(f"window must be an int >= 1, got {window!r}")
    equity = float(portfolio.equity())
    if equity <= 0:
        raise RiskInputError(f"equity must be positive for scenario returns, got {equity}")
    total = np.zeros(window, dtype=np.float64)
    for symbol, value in position_values(portfolio).items():
        if symbol not in closes:
            raise RiskInputError(f"no closes for {symbol}, which the portfolio holds")
        prices = np.asarray(closes[symbol], dtype=np.float64)
        if len(prices) < window + 1:
            raise RiskInputError(
                f"{window} returns of {symbol} need {window + 1} closes, got {len(prices)}"
            )
        recent = prices[-window - 1 :]
        total += float(value) * (recent[1:] / recent[:-1] - 1.0)
    return total / equity


@dataclass(frozen=True, slots=True)
class PortfolioRisk:
    """The risk of a portfolio now: its return risk, concentration and exposure.

    Attributes
    ----------
    returns : ReturnRisk
        VaR and CVaR of the return series given.
    concentration : Concentration
    exposure_by_asset, exposure_by_quote : dict of str to Decimal
        Signed values of the open positions (see the module's conventions).
    gross_exposure, net_exposure : Decimal
        Sum of the absolute and of the signed position values.
    equity : Decimal
        The portfolio's equity, which the shares of equity below divide by.
    """

    returns: ReturnRisk
    concentration: Concentration
    exposure_by_asset: dict[str, Decimal]
    exposure_by_quote: dict[str, Decimal]
    gross_exposure: Decimal
    net_exposure: Decimal
    equity: Decimal

    @property
    def leverage(self) -> Decimal:
        """Gross exposure over equity (0 when equity is not positive)."""
        return _SHARES.divide(self.gross_exposure, self.equity) if self.equity > 0 else _ZERO


def portfolio_risk(portfolio: Portfolio, returns: ArrayLike) -> PortfolioRisk:
    """The risk figures of ``portfolio`` now, with VaR and CVaR from ``returns``.

    Parameters
    ----------
    portfolio : Portfolio
        Its open positions at their current prices give concentration and exposure.
    returns : array-like
        The return series the VaR figures come from: a run's equity returns, or the
        scenario returns of the current holdings (:func:`holdings_returns`).
    """
    values = position_values(portfolio)
    return PortfolioRisk(
        returns=ReturnRisk.of(returns),
        concentration=concentration(portfolio),
        exposure_by_asset=exposure_by_asset(portfolio),
        exposure_by_quote=exposure_by_quote(portfolio),
        gross_exposure=_total(abs(v) for v in values.values()),
        net_exposure=_total(values.values()),
        equity=portfolio.equity(),
    )
