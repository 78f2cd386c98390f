"""Breakout on BTC/USDT 1h + 1d, Jan-Apr 2021: golden figures, cross-checked with pandas."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.strategies import reference as ref
from tests.strategies.conftest import fill_rows, price, run, trade_rows
from tradeforge.backtest.result import BacktestResult
from tradeforge.data.replay import BarSeries
from tradeforge.model.timeframe import Timeframe
from tradeforge.strategies import Breakout, breakout_data
from tradeforge.strategies.breakout import rolling_max
from tradeforge.strategy import ParameterError

UTC = "UTC"
HOUR = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def data(btc_1h_jan_apr: pd.DataFrame) -> list[BarSeries]:
    return breakout_data(btc_1h_jan_apr, "BTC/USDT")


@pytest.fixture(scope="module")
def result(data: list[BarSeries]) -> BacktestResult:
    return run(data, Breakout)


def test_golden_figures(result: BacktestResult) -> None:
    trades = result.trades
    assert len(trades) == 8
    first, second = trades.iloc[0], trades.iloc[1]
    assert first["entry_time"] == pd.Timestamp("2021-02-06 01:00", tz=UTC)
    assert first["entry_price"] == 38740.92
    # exits fill inside the bar, at the time the assumed path reaches the level
    assert first["exit_time"] == pd.Timestamp("2021-02-08 12:31:24.185260654", tz=UTC)
    assert first["exit_price"] == 41452.79
    assert second["entry_time"] == pd.Timestamp("2021-02-08 13:00", tz=UTC)
    assert second["entry_price"] == 42984.07
    assert second["exit_time"] == pd.Timestamp("2021-02-08 23:32:42.521378406", tz=UTC)
    assert second["exit_price"] == 45992.96
    assert trades["exit_order"].str[-2:].tolist() == ["TP"] * 5 + ["SL", "TP", "SL"]
    assert str(result.final_equity) == "10420.6672231697294"
    assert result.accounting_gap() == 0


def test_every_entry_is_an_hourly_close_above_the_20_day_high(
    result: BacktestResult, btc_1h_jan_apr: pd.DataFrame
) -> None:
    """Pandas: days from ``resample("1D")``, resistance = max high of the last 20 days closed
    at the signal bar's close; the entry fills at the next open."""
    frame = btc_1h_jan_apr
    resistance = ref.daily_resistance(frame, 20)
    daily_high = frame["high"].resample("1D").max()
    day_close = pd.DatetimeIndex(daily_high.index) + pd.Timedelta(days=1)
    for trade in trade_rows(result):
        signal = trade.entry_time - HOUR  # open time of the signal bar
        completed = daily_high[day_close <= signal + HOUR]
        assert len(completed) >= 20
        assert resistance[signal] == completed.iloc[-20:].max()
        assert price(frame, signal, "close") > resistance[signal]
        assert trade.entry_price == price(frame, trade.entry_time, "open")


def test_every_entry_is_the_first_breakout_while_flat(
    result: BacktestResult, btc_1h_jan_apr: pd.DataFrame
) -> None:
    """No hourly close above the resistance while flat is skipped."""
    frame = btc_1h_jan_apr
    opens = pd.DatetimeIndex(frame.index)
    above = (frame["close"] > ref.daily_resistance(frame, 20)).to_numpy()
    trades = trade_rows(result)
    flat = np.ones(len(frame), dtype=bool)
    for trade in trades:
        # at the close of a bar: long from the entry bar up to the bar the exit filled in,
        # flat again at that bar's close (a re-entry may follow at once)
        exit_bar = trade.exit_time.floor("h") if trade.exit_time is not None else opens[-1]
        flat[(opens >= trade.entry_time) & (opens < exit_bar)] = False
    signals = opens[above & flat]
    assert list(signals[signals < opens[-1]] + HOUR) == [t.entry_time for t in trades]


def test_exits_are_at_the_take_profit_or_stop_loss(
    result: BacktestResult, btc_1h_jan_apr: pd.DataFrame
) -> None:
    """TP = signal close x 1.07, SL = signal close x 0.84, rounded up to the 0.01 tick; an
    exit fills at its level, or at the bar's open when the bar opened beyond it."""
    frame = btc_1h_jan_apr
    kinds = []
    for trade in trade_rows(result):
        assert trade.exit_time is not None
        reference = ref.dec(price(frame, trade.entry_time - HOUR, "close"))
        tp = (reference * Decimal("1.07")).quantize(Decimal("0.01"), ROUND_CEILING)
        sl = (reference * Decimal("0.84")).quantize(Decimal("0.01"), ROUND_CEILING)
        bar = trade.exit_time.floor("h")
        bar_open = ref.dec(price(frame, bar, "open"))
        if trade.exit_order.endswith("-TP"):
            expected = max(tp, bar_open)
            assert price(frame, bar, "high") >= tp
        else:
            assert trade.exit_order.endswith("-SL")
            expected = min(sl, bar_open)
            assert price(frame, bar, "low") <= sl
        assert ref.dec(trade.exit_price) == expected
        kinds.append("gap" if expected == bar_open else "level")
        # nothing between the entry and the exit bar reached either level
        held = frame.loc[trade.entry_time : bar - HOUR]
        assert (held["high"] < tp).all()
        assert (held["low"] > sl).all()
    assert kinds == ["level"] * 8


def test_matches_an_independent_simulation(
    result: BacktestResult, btc_1h_jan_apr: pd.DataFrame
) -> None:
    account, trades = ref.simulate_breakout(btc_1h_jan_apr, "BTC/USDT")
    engine = trade_rows(result)
    assert len(trades) == len(engine)
    for mine, theirs in zip(trades, engine, strict=True):
        assert theirs.exit_time is not None
        assert mine.entry_time == theirs.entry_time
        assert mine.entry_price == ref.dec(theirs.entry_price)
        assert mine.exit_time == theirs.exit_time.floor("h")
        assert mine.exit_price == ref.dec(theirs.exit_price)
        assert mine.exit_kind == theirs.exit_order.rsplit("-", 1)[1]
    fills = [(f.side, f.qty, f.price) for f in account.fills]
    assert [(side, qty, px) for _, _, side, qty, px in fill_rows(result)] == fills
    last = ref.dec(btc_1h_jan_apr["close"].iloc[-1])
    assert result.final_equity == account.equity({"BTC/USDT": last})


def test_breakout_data(btc_1h_jan_apr: pd.DataFrame, data: list[BarSeries]) -> None:
    hourly, daily = data
    assert (str(hourly.symbol), str(hourly.timeframe)) == ("BTC/USDT", "1h")
    assert (str(daily.symbol), str(daily.timeframe)) == ("BTC/USDT", "1d")
    assert len(hourly) == len(btc_1h_jan_apr)
    days = btc_1h_jan_apr.resample("1D").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    assert len(daily) == len(days) == 120
    np.testing.assert_array_equal(daily.ts_open, pd.DatetimeIndex(days.index).as_unit("ns").asi8)
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(getattr(daily, column), days[column].to_numpy())
    np.testing.assert_allclose(daily.volume, days["volume"].to_numpy(), rtol=1e-12)


def test_series_order_does_not_matter(data: list[BarSeries], result: BacktestResult) -> None:
    reverse = run(list(reversed(data)), Breakout)
    assert reverse.fills.equals(result.fills)
    assert reverse.final_equity == result.final_equity


def test_hourly_bars_alone_are_resampled_to_the_daily_resistance(data: list[BarSeries]) -> None:
    alone = run(data[:1], Breakout)
    both = run(data, Breakout)
    assert alone.final_equity == both.final_equity
    assert alone.trades.drop(columns=["entry_order", "exit_order"]).equals(
        both.trades.drop(columns=["entry_order", "exit_order"])
    )


def test_other_parameters(btc_1h_jan_apr: pd.DataFrame, data: list[BarSeries]) -> None:
    result = run(data, Breakout, lookback_days=10, take_profit=0.05, stop_loss=0.05)
    account, trades = ref.simulate_breakout(
        btc_1h_jan_apr, "BTC/USDT", lookback=10, take_profit="0.05", stop_loss="0.05"
    )
    assert len(trades) == len(result.trades) > 8
    assert [t.exit_kind.split("-")[0] for t in trades] == [
        t.exit_order.rsplit("-", 1)[1] if t.exit_order else "" for t in trade_rows(result)
    ]
    last = ref.dec(btc_1h_jan_apr["close"].iloc[-1])
    assert result.final_equity == account.equity({"BTC/USDT": last})


def test_4h_entries_on_daily_resistance(btc_1h_jan_apr: pd.DataFrame) -> None:
    data = breakout_data(btc_1h_jan_apr, "BTC/USDT", entry_timeframe="1h")
    four_hourly = BarSeries.from_frame(
        data[0].symbol,
        btc_1h_jan_apr.resample("4h").agg(
            {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
        ),
        Timeframe.parse("4h"),
    )
    result = run([four_hourly, data[1]], Breakout, entry_timeframe="4h")
    assert len(result.trades) > 0
    assert all(t.entry_time.hour % 4 == 0 for t in trade_rows(result))
    assert result.accounting_gap() == 0


def test_rolling_max() -> None:
    values = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    np.testing.assert_array_equal(rolling_max(values, 2), [np.nan, 3, 3, 5, 5])
    np.testing.assert_array_equal(rolling_max(values, 5), [np.nan] * 4 + [5])
    assert np.isnan(rolling_max(values, 6)).all()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lookback_days": 0}, "lookback_days must be >= 1"),
        ({"take_profit": 0}, "take_profit must be > 0"),
        ({"stop_loss": 1.0}, r"stop_loss must be in \(0, 1\)"),
        ({"stop_loss": -0.1}, r"stop_loss must be in \(0, 1\)"),
        ({"entry_timeframe": "7m"}, "unsupported timeframe '7m'"),
        ({"resistance_timeframe": "1h"}, "must be longer than entry_timeframe"),
        ({"entry_timeframe": "1d", "resistance_timeframe": "4h"}, "must be longer"),
    ],
)
def test_parameter_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        Breakout(**params)
