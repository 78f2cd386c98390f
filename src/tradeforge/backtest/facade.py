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

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.backtest.fast_path import FastPathExit, fast_path_blocker
from tradeforge.backtest.perpetual import FundingRates
from tradeforge.backtest.result import BacktestResult, VectorizedResult
from tradeforge.backtest.vectorized import bind_strategy, simulate_signals
from tradeforge.common.jit import njit
from tradeforge.data.replay import BarSeries
from tradeforge.data.resample import resample_bars
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.strategy.base import Strategy

if TYPE_CHECKING:
    from tradeforge.optimize.executors import Executor
    from tradeforge.optimize.objective import GoalSpec
    from tradeforge.optimize.result import OptimizeResult
    from tradeforge.optimize.space import Params
    from tradeforge.persistence.store import Store

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
    funding : mapping of symbol to DataFrame or FundingRates, optional
        Perpetual funding rates (``account="margin"``; see "Perpetual futures" in
        ``docs/backtesting.md``), e.g. ``{"XRP/USDT:USDT": pd.read_feather(...)}``.
    detail : DataFrame, mapping of symbol to DataFrame, or list of BarSeries, optional
        Lower-timeframe bars of the traded symbols (e.g. 1-minute bars under hourly ones):
        orders trade along their paths, so when a stop loss and a take profit are both
        reachable inside one bar the detail decides which traded first, not ``intrabar``.
    **config
        Other :class:`~tradeforge.backtest.config.BacktestConfig` fields (``market_fill``,
        ``intrabar``, ``account``, ``leverage``, ``slippage_bps``, ``maintenance_margin_rate``,
        ``liquidation_fee``, and for the statistics ``calendar`` and ``risk_free_rate`` ...).
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
        funding: Mapping[str | Symbol, pd.DataFrame | FundingRates] | None = None,
        detail: Data | None = None,
        **config: Any,
    ) -> None:
        self.strategy = strategy
        self._detail = [] if detail is None else _as_frames(detail, symbol)
        if funding is not None:
            config["funding"] = {str(k): v for k, v in funding.items()}
        self.config = BacktestConfig(cash=cash, commission=commission, **config)
        self._frames = _as_frames(data, symbol)
        self._instruments = instruments or [
            _infer_instrument(s, Decimal(str(quantity_step))) for s in _symbols(self._frames)
        ]

    def run(self, **params: Any) -> BacktestResult:
        """Run the strategy with ``params`` (validated against its declared parameters).

        A spot strategy that trades market orders only runs on the market-order fast path
        (:mod:`tradeforge.backtest.fast_path`); when it turns out to need more, the run starts
        again on the full kernel with a new strategy instance. Results are the same either way.
        """
        if self.config.fast_path:
            try:
                return self._run(params, fast=True)
            except FastPathExit:
                pass
        return self._run(params, fast=False)

    def _run(self, params: dict[str, Any], *, fast: bool) -> BacktestResult:
        strategy = self.strategy(**params)
        series = [_fresh(s) for s in self._frames]
        series += _resampled(series, strategy.extra_timeframes())
        fast = fast and not fast_path_blocker(
            self.config, [strategy], len(series), bool(self._detail)
        )
        engine = BacktestEngine(
            series,
            self._instruments,
            self.config,
            detail=[s.fresh() for s in self._detail],
            fast_path=fast,
        )
        engine.add_strategy(strategy)
        return BacktestResult(engine.run(), strategy.params)

    def run_vectorized(
        self, *, quantity: float = 0.0, fraction: float = 0.0, **params: Any
    ) -> VectorizedResult:
        """Run the strategy's :meth:`~Strategy.signals` through the compiled signal core.

        Same order semantics as :meth:`run` for a strategy that buys ``quantity`` (or
        ``fraction`` of equity) on entries while flat and closes on exits; fees from the
        primary instrument; market orders at the next open (or the close with
        ``market_fill="close"``).
        """
        strategy = self.strategy(**params)
        series = [s.fresh() for s in self._frames]
        # no engine unless the strategy reaches for its services (see bind_strategy)
        instrument = bind_strategy(strategy, series, self._instruments, self.config)
        strategy.on_start()
        entries, exits = strategy.signals()
        primary = series[0]
        run = simulate_signals(
            primary.open, primary.high, primary.low, primary.close, entries, exits,
            cash=float(self.config.cash), fee=float(instrument.taker_fee),
            quantity=quantity, fraction=fraction, step=float(instrument.quantity_step),
            fill_at_close=self.config.market_fill == "close",
        )  # fmt: skip
        return VectorizedResult(run, primary, strategy.params)

    def optimize(
        self,
        *,
        maximize: GoalSpec | Sequence[GoalSpec] | None = None,
        minimize: GoalSpec | Sequence[GoalSpec] | None = None,
        method: str = "grid",
        trials: int | None = None,
        constraint: Callable[[Params], bool] | str | None = None,
        mode: Literal["event", "vector"] = "event",
        quantity: float = 0.0,
        fraction: float = 0.0,
        min_trades: int = 0,
        executor: str | Executor = "process",
        workers: int | None = None,
        address: str | None = None,
        storage: str | Store | None = None,
        study: str | None = None,
        seed: int | None = 0,
        progress: bool | None = None,
        **space: Any,
    ) -> OptimizeResult:
        """Search the strategy's parameters: run a backtest per point, keep every run's stats.

        ``bt.optimize(fast=range(5, 50, 5), slow=range(20, 200, 20), maximize="sharpe",
        constraint=lambda p: p.fast < p.slow)``. See ``docs/optimization.md``.

        Parameters
        ----------
        **space
            Per parameter: a sequence of values (a grid dimension), an
            :class:`~tradeforge.optimize.IntRange` or :class:`~tradeforge.optimize.FloatRange`
            (bounds for the model-based methods; a grid too with a step), or one value (fixed).
            Names and values are checked against the strategy's declared parameters.
        maximize, minimize : str, callable or list of them
            The goals: statistic names (:data:`~tradeforge.optimize.STAT_NAMES`) or functions
            of the run's result (which has ``.stats``). Several goals make a multi-objective
            search (Pareto front). Default: maximize ``sharpe``.
        method : {"grid", "random", "tpe", "cmaes", "nsga2"}
            Every grid point; ``trials`` random grid points; optuna's TPE, CMA-ES (one goal;
            needs the ``cmaes`` package) or NSGA-II.
        trials : int, optional
            Points to try (not for ``grid``); default 100. With a stored study, the study's
            total: a re-run runs only what is missing.
        constraint : callable or str, optional
            ``lambda p: p.fast < p.slow`` or ``"fast < slow"``: points it refuses are never run.
        mode : {"event", "vector"}
            :meth:`run` (the full engine) or :meth:`run_vectorized` (the strategy's
            ``signals()`` through the compiled core, sized by ``quantity`` or ``fraction``).
        quantity, fraction : float
            The vector mode's order size, exactly one > 0.
        min_trades : int
            Runs with fewer closed trades stay in the table but are never best.
        executor : {"process", "serial", "ray"} or Executor
            A local process pool on shared-memory bars (default), this process, or Ray tasks.
        workers : int, optional
            Parallel trials; default: every CPU (or the Ray cluster's).
        address : str, optional
            The Ray cluster to join (``"auto"``, ``"ray://head:10001"``).
        storage : str or Store, optional
            Keep the search resumable: grid and random points in a tradeforge store (SQLite or
            PostgreSQL URL), optuna studies in optuna's storage (a database of its own).
        study : str, optional
            The stored study's name; default from the strategy, method and a fingerprint of
            the strategy code, bars, venue settings, mode and goals.
        seed : int, optional
            Seed of the random grid and of optuna's samplers (default 0).
        progress : bool, optional
            Draw a progress bar with ETA on stderr; default: when stderr is a terminal.

        Returns
        -------
        OptimizeResult
            ``trials`` (a DataFrame of every trial's parameters, values and statistics),
            ``best_params``, ``best``, ``pareto``, ``heatmap(x, y)``, ``report(path)``.
        """
        # the optimizer sits above the backtester: imported when asked for
        from tradeforge.optimize.run import BacktestSetup, optimize_backtest  # noqa: PLC0415

        setup = BacktestSetup(
            self.strategy, list(self._frames), list(self._detail), list(self._instruments),
            self.config,
        )  # fmt: skip
        return optimize_backtest(
            setup, space, maximize=maximize, minimize=minimize, method=method, trials=trials,
            constraint=constraint, mode=mode, quantity=quantity, fraction=fraction,
            min_trades=min_trades, executor=executor, workers=workers, address=address,
            storage=storage, study=study, seed=seed, progress=progress,
        )  # fmt: skip


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


def _resampled(series: list[BarSeries], timeframes: tuple[str, ...]) -> list[BarSeries]:
    """Series of ``timeframes`` built from each symbol's shortest series, when missing."""
    have = {(s.symbol, s.timeframe) for s in series}
    extra: list[BarSeries] = []
    for base in _symbols(sorted(series, key=lambda s: s.timeframe.nanos)):
        for text in timeframes:
            target = Timeframe.parse(text)
            if (base.symbol, target) not in have:
                frame = resample_bars(base.to_frame(), base.timeframe, target)
                extra.append(BarSeries.from_frame(base.symbol, frame, target))
    return extra


def _symbols(series: list[BarSeries]) -> list[BarSeries]:
    seen: dict[Symbol, BarSeries] = {}
    for s in series:
        seen.setdefault(s.symbol, s)
    return list(seen.values())


def _infer_instrument(series: BarSeries, step: Decimal) -> Instrument:
    return Instrument(
        symbol=series.symbol,
        venue="sim",
        # a settle currency (BTC/USDT:USDT) names a perpetual
        kind=InstrumentKind.PERPETUAL if series.symbol.is_derivative else InstrumentKind.SPOT,
        price_tick=_tick(series),
        quantity_step=step,
    )


def _tick(series: BarSeries) -> Decimal:
    """The coarsest power of ten every price is a multiple of (at most 1e-8)."""
    columns = [
        np.ascontiguousarray(c, dtype=np.float64)
        for c in (series.open, series.high, series.low, series.close)
    ]
    for places in range(9):
        scale = float(10**places)
        if all(_on_grid(c, scale, 1e-6) for c in columns):
            return Decimal(1).scaleb(-places)
    return Decimal("1e-8")


@njit
def _on_grid(values: NDArray[np.float64], scale: float, atol: float) -> bool:
    """Whether every ``values * scale`` is within ``atol`` of an integer, as
    ``np.allclose(scaled, np.round(scaled), rtol=0, atol=atol)`` decides; one pass that stops
    at the first value off the grid."""
    for x in values:
        v = x * scale
        r = np.rint(v)
        if v != r and not abs(v - r) <= atol:
            return False
    return True
