"""The node's parts on their own: the bar sequencer, the clock, growing series and their
indicators."""

from __future__ import annotations

import numpy as np

from tradeforge.common.clock import TestClock
from tradeforge.data.lines import crossover
from tradeforge.indicators import sma
from tradeforge.live.clock import NodeClock
from tradeforge.live.indicators import IndicatorBook
from tradeforge.live.sequencer import BarSequencer
from tradeforge.live.series import append_bar, bar_at, series_of
from tradeforge.model.market_data import Bar
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.strategy.base import Strategy
from tradeforge.strategy.context import StrategyContext

BTC, ETH = Symbol.parse("BTC/USDT"), Symbol.parse("ETH/USDT")
M5, H1 = Timeframe.parse("5m"), Timeframe.parse("1h")
T0 = 1_610_236_800_000_000_000  # 2021-01-10 00:00
MIN = 60_000_000_000


def bar(symbol: Symbol, tf: Timeframe, open_ns: int, close: float = 100.0) -> Bar:
    return Bar(symbol, tf, open_ns, close, close, close, close, 1.0)


def test_bars_closing_together_go_longer_timeframe_first_then_in_series_order() -> None:
    keys = [(BTC, M5), (BTC, H1), (ETH, M5)]
    last = {(BTC, M5): T0 - 0, (BTC, H1): T0, (ETH, M5): T0}
    sequencer = BarSequencer(keys, dict(last), patience=2.0)
    ready = []
    for k in range(11):  # 00:00 to 00:50 five-minute bars of both symbols
        ready += sequencer.push(bar(ETH, M5, T0 + 5 * k * MIN), 0.0)
        ready += sequencer.push(bar(BTC, M5, T0 + 5 * k * MIN), 0.0)
    assert len(ready) == 22
    assert [(b.symbol, b.ts_open) for b in ready[:4]] == [
        (BTC, T0), (ETH, T0), (BTC, T0 + 5 * MIN), (ETH, T0 + 5 * MIN),
    ]  # fmt: skip
    hour_end = [bar(ETH, M5, T0 + 55 * MIN), bar(BTC, M5, T0 + 55 * MIN)]
    assert sequencer.push(hour_end[0], 0.0) == []  # the 1h bar closing at 01:00 is owed
    assert sequencer.push(hour_end[1], 0.0) == []
    hour = bar(BTC, H1, T0)
    assert sequencer.push(hour, 0.1) == [hour, hour_end[1], hour_end[0]]


def test_a_bar_that_never_comes_is_waited_for_once() -> None:
    keys = [(BTC, M5), (BTC, H1)]
    sequencer = BarSequencer(keys, {(BTC, M5): T0 + 50 * MIN, (BTC, H1): T0}, patience=2.0)
    late = bar(BTC, M5, T0 + 55 * MIN)
    assert sequencer.push(late, 10.0) == []
    assert sequencer.poll(11.9) == []
    assert sequencer.poll(12.0) == [late]
    after = bar(BTC, M5, T0 + 60 * MIN)
    assert sequencer.push(after, 12.1) == [after]  # not kept waiting again for that hour
    assert sequencer.push(late, 12.2) == []  # a bar seen already


def test_the_clock_stands_at_the_bar_and_runs_on_between_bars() -> None:
    wall = TestClock(5 * MIN)
    clock = NodeClock(wall, start_ns=T0)
    assert clock.timestamp_ns() == T0
    wall.set_time(5 * MIN + 7)
    assert clock.timestamp_ns() == T0 + 7
    clock.hold(T0 + 5 * MIN)
    wall.set_time(5 * MIN + 99)
    assert clock.timestamp_ns() == T0 + 5 * MIN
    clock.release()
    wall.set_time(5 * MIN + 100)
    assert clock.timestamp_ns() == T0 + 5 * MIN + 1
    clock.hold(T0)  # never before the time held last
    assert clock.timestamp_ns() == T0 + 5 * MIN


def test_timers_fire_by_market_time() -> None:
    clock = NodeClock(TestClock(0), start_ns=T0)
    fired: list[int] = []
    clock.set_timer("s:tick", 5 * MIN, lambda e: fired.append(e.ts_event))
    events = clock.due(T0 + 12 * MIN)
    assert [e.ts_event for e, _ in events] == [T0 + 5 * MIN, T0 + 10 * MIN]
    assert clock.timer_names == ["s:tick"]


class Crossing(Strategy):
    def on_start(self) -> None:
        self.fast = self.indicator(sma, self.close, 2, name="fast")
        self.slow = self.indicator(sma, self.fast, 3, name="slow")  # an indicator of one


def test_indicators_are_computed_again_when_the_series_grows() -> None:
    closes = [10.0, 11.0, 12.0, 11.0, 10.0, 9.0]
    series = series_of(BTC, M5, [bar(BTC, M5, T0 + 5 * k * MIN, c) for k, c in enumerate(closes)])
    strategy = Crossing()
    clock = TestClock(T0)
    strategy._bind(StrategyContext("c", clock, None, None, {}, [series], None))  # type: ignore[arg-type]
    book = IndicatorBook(strategy)
    strategy.on_start()
    fast, slow = strategy.fast, strategy.slow
    assert strategy.warmup == 3
    assert not crossover(fast, slow)
    assert append_bar(series, bar(BTC, M5, T0 + 30 * MIN, 14.0))
    assert not append_bar(series, bar(BTC, M5, T0 + 30 * MIN, 14.0))
    series.cursor.i = len(series) - 1
    book.recompute()
    full = np.array([*closes, 14.0])
    assert (strategy.fast, strategy.slow) == (fast, slow)  # the same lines, new values
    np.testing.assert_array_equal(fast.full(), sma(full, 2))
    np.testing.assert_array_equal(slow.full(), sma(sma(full, 2), 3))
    assert (fast[-1], slow[-1]) == (11.5, 10.5)
    assert crossover(fast, slow)
    assert book.ready() and strategy.warmup == 3
    assert bar_at(series, 6) == bar(BTC, M5, T0 + 30 * MIN, 14.0)
