"""What a strategy sees and what happens when it fails: errors, look-ahead, timeframes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.backtest.helpers import T0, bars, ns, run
from tradeforge.backtest import Backtest
from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.strategy import LookAheadError, Strategy, StrategyError

DATA = bars(*[(100 + i, 101 + i, 99 + i, 100.5 + i) for i in range(6)])


# -- StrategyError --------------------------------------------------------------------------


class Boom(Strategy):
    def on_bar(self, bar: Any) -> None:
        if bar.index == 2:
            self.explode(bar.close)

    def explode(self, price: float) -> None:
        raise ValueError(f"no luck at {price}")


def test_an_exception_in_on_bar_becomes_a_strategy_error() -> None:
    with pytest.raises(StrategyError) as caught:
        Backtest(DATA, Boom).run()
    error = caught.value
    # bar 2 closes at 03:00
    assert str(error) == (
        "strategy Boom failed in on_bar at 2024-01-01T03:00:00+00:00: ValueError: no luck at 102.5"
    )
    assert (error.strategy, error.hook, error.ts) == ("Boom", "on_bar", ns(3))
    assert isinstance(error.__cause__, ValueError)
    text = error.traceback_text
    assert text.startswith("Traceback (most recent call last):")
    assert "in explode" in text
    assert 'raise ValueError(f"no luck at {price}")' in text
    assert text.rstrip().endswith("ValueError: no luck at 102.5")


def test_a_custom_strategy_id_is_named() -> None:
    class Named(Boom):
        def __init__(self, **params: Any) -> None:
            super().__init__("alpha-1", **params)

    with pytest.raises(StrategyError, match=r"^strategy alpha-1 failed in on_bar at "):
        Backtest(DATA, Named).run()


@pytest.mark.parametrize("hook", ["on_start", "on_stop", "on_order_event"])
def test_other_hooks_are_named(hook: str) -> None:
    def fail(self: Strategy, *args: Any) -> None:
        raise RuntimeError(f"broken {hook}")

    def on_bar(self: Strategy, bar: Any) -> None:
        if bar.index == 0:
            self.buy(1)

    cls = type("Hooked", (Strategy,), {hook: fail, "on_bar": on_bar})
    with pytest.raises(StrategyError) as caught:
        Backtest(DATA, cls).run()
    assert caught.value.hook == hook
    assert f"failed in {hook}" in str(caught.value)
    assert str(caught.value).endswith(f"RuntimeError: broken {hook}")


# -- look-ahead -----------------------------------------------------------------------------


def _cumulative_mean(x: np.ndarray) -> np.ndarray:
    return np.cumsum(x) / np.arange(1, len(x) + 1)


def _centered(x: np.ndarray) -> np.ndarray:
    # a non-causal indicator: it uses the next bar (values are still revealed bar by bar)
    out = np.full_like(x, np.nan)
    out[1:-1] = (x[:-2] + x[1:-1] + x[2:]) / 3
    return out


class Peek(Strategy):
    def on_start(self) -> None:
        self.mean = self.indicator(_cumulative_mean, self.close)
        self.seen: list[dict[str, Any]] = []

    def on_bar(self, bar: Any) -> None:
        n = len(self.close)
        row: dict[str, Any] = {
            "index": bar.index,
            "len": n,
            "close": self.close[-1],
            "bar_close": bar.close,
            "first": self.close[0],
            "mean": self.mean[-1],
            "values": self.close.values.tolist(),
            "slice": self.close[:].tolist(),
        }
        for name, probe in {
            "next": lambda: self.close[n],
            "relative_next": lambda: self.close[1 - 1 + n],
            "before_first": lambda: self.close[-n - 1],
            "mean_next": lambda: self.mean[n],
        }.items():
            try:
                probe()
            except LookAheadError as exc:
                row[name] = str(exc)
        self.seen.append(row)


def test_a_strategy_sees_the_bars_up_to_the_current_one_only() -> None:
    result = run(DATA, Peek)
    seen = result.run.strategies[0].seen  # type: ignore[attr-defined]
    closes = DATA["close"].tolist()
    assert [r["index"] for r in seen] == list(range(6))
    for i, row in enumerate(seen):
        assert row["len"] == i + 1
        assert row["close"] == row["bar_close"] == closes[i]
        assert row["first"] == closes[0]
        assert row["values"] == row["slice"] == closes[: i + 1]
        assert row["next"] == f"close[{i + 1}] is not revealed: {i + 1} values so far"
        assert row["before_first"] == f"close[{-i - 2}] is not revealed: {i + 1} values so far"
        assert "is not revealed" in row["mean_next"]


def test_an_indicator_at_bar_i_is_its_full_series_value_at_i() -> None:
    result = run(DATA, Peek)
    seen = result.run.strategies[0].seen  # type: ignore[attr-defined]
    full = _cumulative_mean(DATA["close"].to_numpy())
    assert [r["mean"] for r in seen] == full.tolist()


def test_the_warm_up_is_the_first_bar_where_every_indicator_is_defined() -> None:
    calls: list[tuple[int, float]] = []

    class Warm(Strategy):
        def on_start(self) -> None:
            self.center = self.indicator(_centered, self.close)

        def on_bar(self, bar: Any) -> None:
            calls.append((bar.index, self.center[-1]))

    result = run(DATA, Warm)
    assert result.run.strategies[0].warmup == 1
    full = _centered(DATA["close"].to_numpy())
    assert [i for i, _ in calls] == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal([v for _, v in calls], full[1:])  # the last is NaN


def test_indicator_values_cannot_be_written_through_the_view() -> None:
    class Write(Strategy):
        def on_bar(self, bar: Any) -> None:
            with pytest.raises(ValueError, match="read-only"):
                self.close.values[0] = 0.0

    run(DATA, Write)


# -- several timeframes ---------------------------------------------------------------------

SYMBOL = Symbol.parse("ASSET/USD")


def _five_minute_frame(hours: int = 3) -> pd.DataFrame:
    n = hours * 12
    rng = np.random.default_rng(7)
    close = np.round(100 + np.cumsum(rng.normal(0, 0.5, n)), 2)
    open_ = np.concatenate([[100.0], close[:-1]])
    high = np.round(np.maximum(open_, close) + 0.25, 2)
    low = np.round(np.minimum(open_, close) - 0.25, 2)
    index = pd.date_range(T0, periods=n, freq="5min")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": np.arange(1.0, n + 1)},
        index=index,
    )


def _hourly(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.resample("1h").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )


class TwoClocks(Strategy):
    def on_start(self) -> None:
        self.log: list[tuple[str, int, int, Any]] = []

    def on_bar(self, bar: Any) -> None:
        hourly = self.data(self.symbol, "1h")
        try:
            last_hour: Any = (hourly.close[-1], len(hourly))
        except LookAheadError:
            last_hour = None
        self.log.append((str(bar.timeframe), bar.index, bar.ts_close, last_hour))


def _two_timeframes() -> tuple[pd.DataFrame, pd.DataFrame, list[tuple[str, int, int, Any]]]:
    five = _five_minute_frame()
    hour = _hourly(five)
    series = [
        BarSeries.from_frame(SYMBOL, five, Timeframe.parse("5m")),
        BarSeries.from_frame(SYMBOL, hour, Timeframe.parse("1h")),
    ]
    result = run(series, TwoClocks)
    return five, hour, result.run.strategies[0].log  # type: ignore[attr-defined]


def test_the_hour_is_delivered_at_its_close_before_the_five_minutes_closing_with_it() -> None:
    _, hour, log = _two_timeframes()
    order = [(tf, ts) for tf, _, ts, _ in log]
    assert len(order) == 36 + 3
    for h in range(3):
        at = order.index(("1h", ns(h + 1)))
        assert order[at + 1] == ("5m", ns(h + 1))
        assert order[at - 1] == ("5m", ns(h + 1) - 5 * 60 * 1_000_000_000)
    assert [ts for _, ts in order] == sorted(ts for _, ts in order)
    assert len(hour) == 3


def test_inside_a_five_minute_bar_the_hour_is_the_last_completed_one() -> None:
    five, hour, log = _two_timeframes()
    hourly_closes = hour["close"].tolist()
    for tf, index, ts_close, last_hour in log:
        if tf != "5m":
            continue
        completed = (index + 1) // 12  # hours closed at this bar's close
        if completed == 0:
            assert last_hour is None  # no hour has closed yet
        else:
            assert last_hour == (hourly_closes[completed - 1], completed)
            # the completed hour closed with the 5m bar that ends it
            assert hourly_closes[completed - 1] == five["close"].iloc[12 * completed - 1]
        assert ts_close == ns((index + 1) / 12)


def test_orders_match_against_the_shortest_timeframe() -> None:
    five = _five_minute_frame()
    hour = _hourly(five)
    series = [
        BarSeries.from_frame(SYMBOL, five, Timeframe.parse("5m")),
        BarSeries.from_frame(SYMBOL, hour, Timeframe.parse("1h")),
    ]

    class BuyOnTheHour(Strategy):
        def on_bar(self, bar: Any) -> None:
            if str(bar.timeframe) == "1h" and bar.index == 0:
                self.buy(1)

    result = run(series, BuyOnTheHour)
    [order] = result.run.execution.orders.values()
    # sent at 01:00 (the first hour's close): fills at the open of the 5m bar opening then
    assert float(order.avg_px) == five["open"].iloc[12]
    assert order.events[-1].ts == ns(1)
