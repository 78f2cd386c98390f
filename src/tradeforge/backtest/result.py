"""What a backtest returns: statistics, trades, orders, fills and the equity curve."""

from __future__ import annotations

from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from tradeforge.backtest.engine import EngineRun
from tradeforge.backtest.equity import equity_values, utc_index
from tradeforge.backtest.stats import (
    CALENDARS,
    NAT_NS,
    Calendar,
    Stats,
    TradeColumns,
    equity_returns,
    per_period_rate,
    stats_of_columns,
)
from tradeforge.backtest.vectorized import SignalRun
from tradeforge.data.replay import BarSeries
from tradeforge.model.events import OrderFilled
from tradeforge.risk.breakers.base import BreakerEvent, CircuitBreakerTripped
from tradeforge.risk.portfolio_risk import ReturnRisk, rolling_sharpe


class BacktestResult:
    """The outcome of one run; every table is computed on first access.

    Attributes
    ----------
    params : dict
        The strategy parameters of the run.
    final_equity : Decimal
        Cash plus open positions at the last closes, exact.
    """

    def __init__(self, run: EngineRun, params: dict[str, Any]) -> None:
        self.run = run
        self.params = params
        self.portfolio = run.portfolio
        self.final_equity: Decimal = run.portfolio.equity()

    @cached_property
    def equity(self) -> pd.Series:
        """Equity at every close of the first series."""
        index = utc_index(self.run.series[0].ts_close)
        return pd.Series(self._equity_values, index=index, name="equity")

    @cached_property
    def _equity_values(self) -> NDArray[np.float64]:
        exec_series = {
            s.symbol: s for s in sorted(self.run.series, key=lambda s: -s.timeframe.nanos)
        }
        return equity_values(self.portfolio, self.run.series[0], list(exec_series.values()))

    @cached_property
    def _trade_columns(self) -> TradeColumns:
        """The figures of the round trips the statistics read, straight from the trade log."""
        trades = self.portfolio.trades
        net = np.array([float(t.net_pnl) for t in trades], dtype=np.float64)
        cost = np.array([float(t.entry_price * t.size) for t in trades], dtype=np.float64)
        return TradeColumns(
            np.array([str(t.symbol) for t in trades], dtype=object),
            _nanos([t.entry_ts for t in trades]),
            _nanos([t.exit_ts for t in trades]),
            net,
            # net PnL over the entry notional, percent (0 for a notional of 0)
            np.divide(100.0 * net, cost, out=np.zeros(len(net)), where=cost != 0),
            np.array([float(t.fees) for t in trades], dtype=np.float64),
        )

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Round trips: entry and exit time and price, side, size, PnL, fees, duration, the
        entry order's tags and the exit order's (``liquidation`` when the venue closed it)."""
        trades, columns = self.portfolio.trades, self._trade_columns
        frame = pd.DataFrame(
            {
                "symbol": [str(t.symbol) for t in trades],
                "side": [t.side for t in trades],
                "size": [float(t.size) for t in trades],
                "entry_time": utc_index(columns.entry_ns),
                "exit_time": utc_index(columns.exit_ns),
                "entry_price": [float(t.entry_price) for t in trades],
                "exit_price": [
                    float(t.exit_price) if t.exit_price is not None else float("nan")
                    for t in trades
                ],
                "pnl": [float(t.pnl) for t in trades],
                "fees": columns.fees,
                "net_pnl": columns.net_pnl,
                "return_pct": columns.return_pct,
                "entry_order": [t.entry_order for t in trades],
                "exit_order": [t.exit_order for t in trades],
                "tags": [",".join(t.tags) for t in trades],
                "exit_tags": [",".join(t.exit_tags) for t in trades],
            },
            columns=_TRADE_COLUMNS,
        )
        frame["duration"] = frame["exit_time"] - frame["entry_time"]
        return frame

    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every order with its final status and tags (the venue's liquidations included)."""
        rows = [
            {
                "client_order_id": o.client_order_id,
                "symbol": str(o.symbol),
                "side": o.side.value,
                "type": o.order_type.value,
                "quantity": float(o.quantity),
                "price": float(o.price) if o.price is not None else float("nan"),
                "stop_price": float(o.stop_price) if o.stop_price is not None else float("nan"),
                "status": o.status.value,
                "filled_qty": float(o.filled_qty),
                "avg_px": float(o.avg_px) if o.avg_px is not None else float("nan"),
                "ts_init": pd.Timestamp(o.ts_init, unit="ns", tz="UTC"),
                "reason": getattr(o.last_event, "reason", ""),
                "tags": ",".join(o.tags),
            }
            for o in self.run.execution.orders.values()
        ]
        return pd.DataFrame(rows, columns=_ORDER_COLUMNS)

    @cached_property
    def fills(self) -> pd.DataFrame:
        """Every fill: time, order, side, quantity, price, fee, liquidity."""
        rows = [
            {
                "ts": pd.Timestamp(e.ts, unit="ns", tz="UTC"),
                "client_order_id": e.client_order_id,
                "symbol": str(e.symbol),
                "side": e.order_side.value,
                "quantity": float(e.last_qty),
                "price": float(e.last_price),
                "fee": float(e.fee.amount),
                "liquidity": e.liquidity_side.value,
                "trade_id": e.trade_id,
            }
            for o in self.run.execution.orders.values()
            for e in o.events
            if isinstance(e, OrderFilled)
        ]
        frame = pd.DataFrame(rows)
        return (
            frame.sort_values("ts", kind="stable").reset_index(drop=True) if len(frame) else frame
        )

    @cached_property
    def funding(self) -> pd.DataFrame:
        """Every funding settlement: time, symbol, rate, mark price, position, amount paid
        (negative: received). ``portfolio.funding`` is the exact total."""
        rows = [
            {
                "ts": pd.Timestamp(e.ts, unit="ns", tz="UTC"),
                "symbol": str(e.symbol),
                "rate": float(e.rate),
                "mark_price": float(e.mark_price),
                "position_qty": float(e.position_qty),
                "amount": float(e.amount),
            }
            for e in self.run.execution.funding
        ]
        return pd.DataFrame(
            rows, columns=["ts", "symbol", "rate", "mark_price", "position_qty", "amount"]
        )

    @cached_property
    def trading_states(self) -> pd.DataFrame:
        """Every change of the trading state: time, state, the state before, reason and
        source (a breaker's name, ``manual`` or ``kill switch``); empty when trading stayed
        ACTIVE."""
        history = self.run.trading.history if self.run.trading is not None else []
        rows = [
            {
                "ts": pd.Timestamp(c.ts, unit="ns", tz="UTC"),
                "state": c.state.value,
                "previous": c.previous.value,
                "reason": c.reason,
                "source": c.source,
            }
            for c in history
        ]
        return pd.DataFrame(rows, columns=["ts", "state", "previous", "reason", "source"])

    @cached_property
    def breaker_events(self) -> pd.DataFrame:
        """Every trip and release of a circuit breaker: time, breaker, ``tripped`` or
        ``released``, the level reached or left for (``""`` when off), the measure, the
        level's threshold (NaN for a release), the end of the cooldown (NaT for a release)
        and the message."""
        trading = self.run.trading
        board = trading.board if trading is not None else None
        rows = [_breaker_row(e) for e in (board.events if board is not None else [])]
        return pd.DataFrame(rows, columns=_BREAKER_COLUMNS)

    @cached_property
    def stats(self) -> Stats:
        """Summary statistics, annualized with the run's ``calendar`` and ``risk_free_rate``
        (:class:`~tradeforge.backtest.config.BacktestConfig`); see
        :mod:`tradeforge.backtest.stats`. ``stats.sharpe`` and ``stats["sharpe"]`` both work."""
        return self.stats_with()

    def stats_with(
        self,
        *,
        calendar: str | Calendar | None = None,
        risk_free_rate: float | None = None,
        periods_per_year: float | None = None,
        by_symbol: bool = True,
    ) -> Stats:
        """The statistics under other conventions than the run's.

        Parameters
        ----------
        calendar : {"crypto", "equity"} or Calendar, optional
            Default: the run's ``BacktestConfig.calendar``.
        risk_free_rate : float, optional
            Annual rate; default: the run's ``BacktestConfig.risk_free_rate``.
        periods_per_year : float, optional
            Overrides the calendar (monthly bars default to 12).
        by_symbol : bool
            Compute ``per_symbol`` (default); ``False`` leaves it empty and saves its table
            (a parameter search never reads it).

        Returns
        -------
        Stats
        """
        config, first = self.run.config, self.run.series[0]
        chosen = calendar if calendar is not None else config.calendar
        hold = float(first.close[-1] / first.open[0] - 1.0) if len(first) else 0.0
        return stats_of_columns(
            np.asarray(first.ts_close, dtype=np.int64),
            self._equity_values,
            self._trade_columns,
            initial_cash=self.portfolio.initial_cash,
            final_equity=self.final_equity,
            fees=self.portfolio.fees,
            funding_paid=self.portfolio.funding,
            buy_and_hold=hold,
            exposure=self._exposure(),
            bar_seconds=first.timeframe.nanos / 1e9,
            calendar=CALENDARS[chosen] if isinstance(chosen, str) else chosen,
            risk_free_rate=config.risk_free_rate if risk_free_rate is None else risk_free_rate,
            periods_per_year=periods_per_year or (12.0 if first.timeframe.is_calendar else None),
            by_symbol=by_symbol,
        )

    @cached_property
    def bar_returns(self) -> pd.Series:
        """Per-bar simple returns of the anchored equity curve (the initial cash at the first
        bar's open, then every close), equity floored at 0: the returns the statistics use,
        indexed by bar close."""
        start = [float(self.portfolio.initial_cash)]
        values = np.concatenate((start, self.equity.to_numpy(dtype=np.float64)))
        return pd.Series(equity_returns(values), index=self.equity.index, name="returns")

    @cached_property
    def risk(self) -> ReturnRisk:
        """Value at risk and expected shortfall at 95 % and 99 %, historical and parametric,
        of :attr:`bar_returns`: positive loss fractions over one bar (see
        :mod:`tradeforge.risk.portfolio_risk` for the conventions)."""
        return ReturnRisk.of(self.bar_returns.to_numpy())

    @cached_property
    def rolling_sharpe(self) -> pd.Series:
        """The Sharpe ratio of :attr:`bar_returns` over trailing windows of about a month of
        bars, ``round(periods_per_year / 12)`` (730 hourly crypto bars, 21 daily stock bars;
        at least 2), annualized and net of the risk-free rate as ``stats.sharpe`` is; NaN
        before the first full window."""
        periods = self.stats.periods_per_year
        risk_free = per_period_rate(self.stats.risk_free_rate, periods)
        return rolling_sharpe(self.bar_returns, max(2, round(periods / 12)), periods, risk_free)

    def _exposure(self) -> float:
        trades = self._trade_columns
        if not len(trades):
            return 0.0
        times = np.asarray(self.run.series[0].ts_close, dtype=np.int64)
        entries = trades.entry_ns
        # open trades never exit (NaT: the largest time)
        exits = np.where(trades.exit_ns == NAT_NS, np.iinfo(np.int64).max, trades.exit_ns)
        # bars held: entry < t <= exit, counted with a +1/-1 sweep over the sorted times
        size = len(times) + 1
        opened = np.bincount(np.searchsorted(times, entries, side="right"), minlength=size)
        closed = np.bincount(np.searchsorted(times, exits, side="right"), minlength=size)
        return float((np.cumsum((opened - closed)[:-1]) > 0).mean())

    def accounting_gap(self) -> Decimal:
        """``final equity - (initial + realized + unrealized - fees - funding)``: zero."""
        return self.portfolio.accounting_gap()

    def summary(self) -> dict[str, Any]:
        """What ``--json`` prints: the parameters, the headline figures (returns as fractions),
        every statistic under ``"stats"`` and the VaR figures (:attr:`risk`) under ``"risk"``,
        JSON-ready (:meth:`Stats.to_json`: no NaN or infinity, ``null`` instead)."""
        stats = self.stats.to_json()
        return {
            "params": self.params,
            "trades": stats["trades"],
            "final_equity": str(self.final_equity),
            "total_return": self.stats.total_return_pct / 100.0,
            "max_drawdown": self.stats.max_drawdown_pct / 100.0,
            "sharpe": stats["sharpe"],
            "stats": stats,
            "risk": self.risk.to_json(),
        }

    def report(self, path: str | Path = "report.html", *, title: str | None = None) -> Path:
        """Write this run's interactive HTML report, one self-contained file.

        Parameters
        ----------
        path : str or Path
            The file to write (parent folders are created).
        title : str, optional
            The page title; default ``Strategy(params) on SYMBOL TIMEFRAME``.

        Returns
        -------
        Path
            The file written (see :func:`tradeforge.report.write_report`).
        """
        from tradeforge.report import write_report  # noqa: PLC0415 - plotly only when asked

        return write_report(self, path, title=title)

    def export(self, directory: str | Path) -> dict[str, Path]:
        """Write ``trades.csv``, ``orders.csv``, ``equity.csv`` and ``summary.json``.

        Parameters
        ----------
        directory : str or Path
            Where to write (created when missing).

        Returns
        -------
        dict of str to Path
            The files written, by name (see :func:`tradeforge.report.export`).
        """
        from tradeforge.report import export  # noqa: PLC0415 - plotly only when asked

        return export(self, directory)


def _breaker_row(event: BreakerEvent) -> dict[str, Any]:
    tripped = isinstance(event, CircuitBreakerTripped)
    level = event.level.label if event.level is not None else ""
    return {
        "ts": pd.Timestamp(event.ts, unit="ns", tz="UTC"),
        "breaker": event.breaker,
        "event": "tripped" if tripped else "released",
        "level": level,
        "value": event.value,
        "threshold": event.threshold if isinstance(event, CircuitBreakerTripped) else np.nan,
        "until": (
            pd.Timestamp(event.until_ns, unit="ns", tz="UTC")
            if isinstance(event, CircuitBreakerTripped)
            else pd.NaT
        ),
        "message": event.message,
    }


_BREAKER_COLUMNS = ["ts", "breaker", "event", "level", "value", "threshold", "until", "message"]


def _nanos(stamps: list[int] | list[int | None]) -> NDArray[np.int64]:
    """Nanosecond times as int64 (``None``: NaT), converted in one pass."""
    return np.array([NAT_NS if ts is None else ts for ts in stamps], dtype=np.int64)


_TRADE_COLUMNS = [
    "symbol",
    "side",
    "size",
    "entry_time",
    "exit_time",
    "entry_price",
    "exit_price",
    "pnl",
    "fees",
    "net_pnl",
    "return_pct",
    "entry_order",
    "exit_order",
    "tags",
    "exit_tags",
]
_ORDER_COLUMNS = [
    "client_order_id",
    "symbol",
    "side",
    "type",
    "quantity",
    "price",
    "stop_price",
    "status",
    "filled_qty",
    "avg_px",
    "ts_init",
    "reason",
    "tags",
]


class VectorizedResult:
    """The outcome of a vectorized run: float64 fills, trades and equity."""

    def __init__(self, run: SignalRun, series: BarSeries, params: dict[str, Any]) -> None:
        self.run = run
        self.series = series
        self.params = params
        self.final_equity = run.final_equity

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Round trips with entry and exit times and prices; the exit time of a trade still
        open is NaT.

        A fill's time is the one the event-driven mode stamps it with: its bar's open time, or
        its bar's close time for a market order filled at the close (``market_fill="close"``).
        """
        run, series = self.run, self.series
        frame = run.trades()
        times = series.ts_open[run.fill_bar]
        if run.fill_at_close is not None:
            times = np.where(run.fill_at_close, series.ts_close[run.fill_bar], times)
        entries, exits = run.round_trip_fills()
        closed = exits >= 0
        frame["entry_time"] = utc_index(times[entries])
        exit_times = utc_index(times[np.where(closed, exits, 0)])
        frame["exit_time"] = exit_times.where(closed)
        return frame

    @cached_property
    def equity(self) -> pd.Series:
        """Equity at every close."""
        index = utc_index(self.series.ts_close)
        return pd.Series(self.run.equity, index=index, name="equity")
