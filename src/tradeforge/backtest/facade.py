"""``Backtest``: the one-line entry point.

::

    bt = Backtest(data, SmaCross, cash=1_000_000, commission=0.001)
    result = bt.run(fast=10, slow=30)
    result.stats; result.trades; result.orders; result.fills; result.equity

``data`` is a DataFrame of one symbol's bars (``open``/``high``/``low``/``close``/``volume``
columns in any case, DatetimeIndex), a mapping of symbol to such frames, or a list of
:class:`~tradeforge.data.replay.BarSeries` (several timeframes). Instruments are inferred from
the data unless given: the price tick from the prices' decimals, a quantity step of
``quantity_step`` (default 1e-8), no minimum notional, fees from ``commission``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.backtest.result import BacktestResult
from tradeforge.data.replay import BarSeries
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.strategy.base import Strategy

Data = pd.DataFrame | Mapping[str | Symbol, pd.DataFrame] | Sequence[BarSeries]


class Backtest:
    """A strategy class, data and venue settings, ready to run with any parameters.

    Parameters
    ----------
    data : DataFrame, mapping of symbol to DataFrame, or list of BarSeries
        The bars; the first series is the strategy's primary series.
    strategy : type of Strategy
        The strategy class.
    cash : float or Decimal
        Starting balance.
    commission : float or Decimal, optional
        Maker and taker fee rate (0.001 is 0.1 %); default: the instruments' fees.
    symbol : str
        The symbol of a single DataFrame (default ``ASSET/USD``).
    instruments : list of Instrument, optional
        Trading rules; inferred from the data when not given.
    quantity_step : Decimal
        Quantity step of inferred instruments (``1`` for whole shares).
    **config
        Other :class:`~tradeforge.backtest.config.BacktestConfig` fields (``market_fill``,
        ``intrabar``, ``account``, ``slippage_bps`` ...).
    """

    def __init__(
        self,
        data: Data,
        strategy: type[Strategy],
        *,
        cash: float | Decimal = 10_000,
        commission: float | Decimal | None = None,
        symbol: str = "ASSET/USD",
        instruments: list[Instrument] | None = None,
        quantity_step: Decimal | str | int = Decimal("0.00000001"),
        **config: Any,
    ) -> None:
        self.strategy = strategy
        self.config = BacktestConfig(cash=cash, commission=commission, **config)
        self._frames = _as_frames(data, symbol)
        self._instruments = instruments or [
            _infer_instrument(s, Decimal(str(quantity_step))) for s in _symbols(self._frames)
        ]

    def run(self, **params: Any) -> BacktestResult:
        """Run the strategy with ``params`` (validated against its declared parameters)."""
        strategy = self.strategy(**params)
        series = [_fresh(s) for s in self._frames]
        engine = BacktestEngine(series, self._instruments, self.config)
        engine.add_strategy(strategy)
        return BacktestResult(engine.run(), strategy.params)


def _as_frames(data: Data, symbol: str) -> list[BarSeries]:
    if isinstance(data, pd.DataFrame):
        return [BarSeries.from_frame(Symbol.parse(symbol), data)]
    if isinstance(data, Mapping):
        return [
            BarSeries.from_frame(Symbol.parse(str(k)) if not isinstance(k, Symbol) else k, v)
            for k, v in data.items()
        ]
    series = list(data)
    if not series:
        raise ValueError("no data to backtest")
    return series


def _fresh(series: BarSeries) -> BarSeries:
    """A copy with its own cursor, so runs never share state."""
    return BarSeries(
        series.symbol,
        series.timeframe,
        series.ts_open,
        series.open,
        series.high,
        series.low,
        series.close,
        series.volume,
    )


def _symbols(series: list[BarSeries]) -> list[BarSeries]:
    seen: dict[Symbol, BarSeries] = {}
    for s in series:
        seen.setdefault(s.symbol, s)
    return list(seen.values())


def _infer_instrument(series: BarSeries, step: Decimal) -> Instrument:
    return Instrument(
        symbol=series.symbol,
        venue="sim",
        kind=InstrumentKind.SPOT,
        price_tick=_tick(series),
        quantity_step=step,
    )


def _tick(series: BarSeries) -> Decimal:
    """The coarsest power of ten every price is a multiple of (at most 1e-8)."""
    prices = np.concatenate([series.open, series.high, series.low, series.close])
    for places in range(9):
        scaled = prices * 10**places
        if np.allclose(scaled, np.round(scaled), rtol=0, atol=1e-6):
            return Decimal(1).scaleb(-places)
    return Decimal("1e-8")
