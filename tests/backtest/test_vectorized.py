"""The vectorized signal mode: the same trades as the event-driven engine, without its cost.

``run_vectorized`` binds the strategy to its series without building a ``BacktestEngine``
(the engine is built only when the strategy reaches for its services), trades
``strategy.signals()`` in one compiled pass and returns a lazy ``VectorizedResult``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.strategies.conftest import bars as sample_bars
from tradeforge.backtest import Backtest
from tradeforge.backtest import vectorized as vectorized_module
from tradeforge.backtest.result import BacktestResult, VectorizedResult
from tradeforge.data.lines import Cursor, Line, crosses_above, crossover
from tradeforge.indicators import sma
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.strategy import Strategy, crossunder

SIZE = 0.01


class Cross(Strategy):
    """SMA cross: buy ``SIZE`` on a golden cross, close on a death cross (both modes)."""

    fast: int = 5
    slow: int = 20

    def on_start(self) -> None:
        """The two averages."""
        self.fast_ma = self.indicator(sma, self.close, self.fast)
        self.slow_ma = self.indicator(sma, self.close, self.slow)

    def on_bar(self, bar: object) -> None:
        """Trade the crossings."""
        if crossover(self.fast_ma, self.slow_ma):
            self.buy(SIZE)
        elif crossunder(self.fast_ma, self.slow_ma):
            self.close_position()

    def signals(self) -> tuple[np.ndarray, np.ndarray]:
        """The same crossings as arrays."""
        return crosses_above(self.fast_ma, self.slow_ma), crosses_above(self.slow_ma, self.fast_ma)


def walk(n: int, seed: int, *, gaps: bool = True) -> pd.DataFrame:
    """Minute bars of a random walk with 2-decimal prices; with ``gaps`` the open is not the
    previous close, so a fill at the next open differs from one at the signal's close."""
    rng = np.random.default_rng(seed)
    close = np.round(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, n))), 2)
    previous = np.concatenate([[100.0], close[:-1]])
    jump = rng.normal(0.0, 0.05, n) if gaps else np.zeros(n)
    open_ = np.round(previous + jump, 2)
    high = np.round(np.maximum(open_, close) + rng.uniform(0.0, 0.1, n), 2)
    low = np.round(np.minimum(open_, close) - rng.uniform(0.0, 0.1, n), 2)
    index = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC", name="ts")
    return pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": 1.0}, index=index
    )


def both(data: Any, **config: Any) -> tuple[BacktestResult, VectorizedResult]:
    """The event-driven and the vectorized run of :class:`Cross` on the same backtest."""
    backtest = Backtest(data, Cross, cash=10_000, commission=0.001, symbol="X/USD",
                        quantity_step=Decimal("0.01"), **config)  # fmt: skip
    return backtest.run(), backtest.run_vectorized(quantity=SIZE)


def assert_same_trades(event: BacktestResult, vector: VectorizedResult) -> None:
    """Same round trips (times, prices, sizes, open or closed) and the same final equity."""
    expected, got = event.trades, vector.trades
    assert len(got) == len(expected) > 0
    for column in ("entry_time", "exit_time"):
        pd.testing.assert_series_equal(got[column], expected[column], check_index=False)
    assert list(got["entry_price"]) == list(expected["entry_price"])
    assert list(got["size"]) == list(expected["size"])
    pd.testing.assert_series_equal(
        got["exit_price"], expected["exit_price"], check_names=False, check_index=False
    )
    assert list(got["exit_bar"] < 0) == list(expected["exit_time"].isna())
    assert vector.final_equity == pytest.approx(float(event.final_equity), rel=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_same_trades_as_the_event_driven_mode(seed: int) -> None:
    event, vector = both(walk(3_000, seed))
    assert_same_trades(event, vector)


def test_the_same_trades_with_fills_at_the_close() -> None:
    """A market order fills at its signal bar's close, stamped with that bar's close time."""
    event, vector = both(walk(3_000, 4), market_fill="close")
    assert_same_trades(event, vector)
    first = vector.trades.iloc[0]
    assert first["entry_time"] == pd.Timestamp(vector.series.ts_close[first["entry_bar"]], tz="UTC")


def test_the_same_trades_on_real_bars() -> None:
    event, vector = both(sample_bars("BTC/USDT", "1h", "2021-01-01", "2021-04-01"))
    assert_same_trades(event, vector)


def test_no_engine_is_built_for_a_strategy_that_only_computes_signals(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the vectorized run built an engine")

    data = walk(500, 5)
    expected = Backtest(data, Cross, cash=10_000, commission=0.001).run_vectorized(quantity=SIZE)
    monkeypatch.setattr(vectorized_module, "BacktestEngine", refuse)
    result = Backtest(data, Cross, cash=10_000, commission=0.001).run_vectorized(quantity=SIZE)
    pd.testing.assert_frame_equal(result.trades, expected.trades)


class Curious(Cross):
    """Reads the engine's services in ``on_start``, as an event-driven strategy may."""

    def on_start(self) -> None:
        """Record what the engine says, then compute the averages."""
        self.seen = (self.equity, self.instrument().taker_fee, self.time, self.symbols)
        super().on_start()


def test_a_strategy_reaching_for_engine_services_gets_the_real_ones() -> None:
    data = walk(500, 6)
    backtest = Backtest(data, Curious, cash=10_000, commission=0.002, symbol="X/USD")
    event = backtest.run()
    vector = backtest.run_vectorized(quantity=SIZE)
    seen = event.run.strategies[0].seen
    assert seen == (Decimal(10_000), Decimal("0.002"), int(data.index[0].value), [
        Symbol.parse("X/USD")
    ])  # fmt: skip
    assert len(vector.trades) == len(event.trades) > 0


def test_the_fee_and_step_come_from_the_instrument_and_the_commission() -> None:
    data = walk(800, 7, gaps=False)
    instrument = Instrument(
        symbol=Symbol.parse("X/USD"),
        venue="sim",
        kind=InstrumentKind.SPOT,
        price_tick=Decimal("0.01"),
        quantity_step=Decimal("0.01"),
        taker_fee=Decimal("0.003"),
        maker_fee=Decimal("0.003"),
    )
    own = Backtest(data, Cross, cash=10_000, instruments=[instrument], symbol="X/USD")
    fees = own.run_vectorized(quantity=SIZE).trades
    assert np.allclose(fees["fees"], 0.003 * SIZE * (fees["entry_price"] + fees["exit_price"]))
    overridden = Backtest(
        data, Cross, cash=10_000, instruments=[instrument], symbol="X/USD", commission=0.0
    )
    assert (overridden.run_vectorized(quantity=SIZE).trades["fees"] == 0.0).all()


class Elsewhere(Cross):
    """Trades no symbol of the data."""

    def is_applicable(self, symbol: Symbol) -> bool:
        """None."""
        return False


def test_the_engine_checks_still_apply() -> None:
    data = walk(100, 8)
    with pytest.raises(ValueError, match="trades none of the given symbols"):
        Backtest(data, Elsewhere, cash=10_000).run_vectorized(quantity=SIZE)
    other = Instrument(
        symbol=Symbol.parse("Y/USD"),
        venue="sim",
        kind=InstrumentKind.SPOT,
        price_tick=Decimal("0.01"),
        quantity_step=Decimal("0.01"),
    )
    with pytest.raises(ValueError, match="no instrument for X/USD"):
        Backtest(data, Cross, symbol="X/USD", instruments=[other]).run_vectorized(quantity=SIZE)


def test_runs_do_not_share_state() -> None:
    backtest = Backtest(walk(1_000, 9), Cross, cash=10_000, commission=0.001)
    first = backtest.run_vectorized(quantity=SIZE)
    second = backtest.run_vectorized(quantity=SIZE, fast=7)
    again = backtest.run_vectorized(quantity=SIZE)
    pd.testing.assert_frame_equal(first.trades, again.trades)
    assert second.params == {"fast": 7, "slow": 20}
    assert first.series is not again.series
    assert first.series.cursor is not again.series.cursor
    assert first.series.close is again.series.close  # the bars themselves are not copied


def test_trades_of_an_open_position_and_of_none() -> None:
    # the last crossing is a golden cross: the position is still open at the end
    data = walk(3_000, 1)
    result = Backtest(data, Cross, cash=10_000, commission=0.001).run_vectorized(quantity=SIZE)
    trades = result.trades
    last = trades.iloc[-1]
    if last["exit_bar"] >= 0:  # pragma: no cover - depends on the walk
        pytest.skip("this walk ends flat")
    assert pd.isna(last["exit_time"]) and np.isnan(last["exit_price"]) and np.isnan(last["pnl"])
    assert last["entry_time"] == data.index[last["entry_bar"]]
    closed = trades.iloc[:-1]
    assert list(closed["exit_time"]) == list(data.index[closed["exit_bar"].to_numpy()])
    assert np.allclose(closed["pnl"], SIZE * (closed["exit_price"] - closed["entry_price"]))
    assert (
        str(trades["entry_time"].dtype) == str(trades["exit_time"].dtype) == "datetime64[ns, UTC]"
    )

    flat = Backtest(walk(15, 1), Cross, cash=10_000).run_vectorized(quantity=SIZE)
    assert len(flat.trades) == 0
    assert list(flat.trades.columns) == list(trades.columns)
    assert flat.final_equity == 10_000.0
    assert len(flat.equity) == 15


# -- crosses_above ---------------------------------------------------------------------------


def _reference(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    crossed = np.zeros(len(x), dtype=bool)
    with np.errstate(invalid="ignore"):
        crossed[1:] = (x[:-1] < y[:-1]) & (x[1:] > y[1:])
    return crossed


@pytest.mark.parametrize("seed", [0, 1])
def test_crosses_above_is_the_strict_crossing_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, 2_000).astype(float)  # many ties
    y = rng.integers(0, 4, 2_000).astype(float)
    x[rng.integers(0, 2_000, 100)] = np.nan
    assert (crosses_above(x, y) == _reference(x, y)).all()
    assert (crosses_above(x, 1.5) == _reference(x, np.full_like(x, 1.5))).all()
    assert (crosses_above(x, 2) == _reference(x, np.full_like(x, 2.0))).all()
    cursor = Cursor()
    assert (crosses_above(Line(x, cursor), Line(y, cursor)) == _reference(x, y)).all()


def test_crosses_above_of_short_series() -> None:
    assert crosses_above(np.array([]), 0.0).tolist() == []
    assert crosses_above(np.array([1.0]), 0.0).tolist() == [False]
    assert crosses_above(np.array([0.0, 1.0]), 0.5).tolist() == [False, True]
    assert crosses_above([0.0, 0.5, 1.0], np.array([0.5, 0.5, 0.5])).tolist() == [  # type: ignore[arg-type]
        False,
        False,
        False,
    ]
