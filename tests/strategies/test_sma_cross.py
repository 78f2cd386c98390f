"""SmaCross on BTC/USDT 1h, Q1 2021: golden figures, cross-checked with pandas."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from tests.strategies import reference as ref
from tests.strategies.conftest import fill_rows, price, run, trade_rows
from tradeforge.backtest.result import BacktestResult
from tradeforge.strategies import SmaCross
from tradeforge.strategy import ParameterError

UTC = "UTC"


@pytest.fixture(scope="module")
def result(btc_1h_q1: pd.DataFrame) -> BacktestResult:
    return run(btc_1h_q1, SmaCross)


def test_golden_figures(result: BacktestResult) -> None:
    trades = result.trades
    assert len(trades) == 47  # 46 closed, the last one still open at the end
    assert trades["exit_time"].isna().sum() == 1
    first, second = trades.iloc[0], trades.iloc[1]
    assert first["entry_time"] == pd.Timestamp("2021-01-05 16:00", tz=UTC)
    assert first["entry_price"] == 32099.97
    assert first["exit_time"] == pd.Timestamp("2021-01-09 09:00", tz=UTC)
    assert first["exit_price"] == 40167.54
    assert second["entry_time"] == pd.Timestamp("2021-01-09 17:00", tz=UTC)
    assert second["entry_price"] == 39995.09
    assert second["exit_time"] == pd.Timestamp("2021-01-10 13:00", tz=UTC)
    assert second["exit_price"] == 39538.56
    assert result.final_equity == Decimal("13302.7584994200810")
    assert str(result.final_equity) == "13302.7584994200810"
    assert result.accounting_gap() == 0


def test_entries_and_exits_follow_pandas_crossings(
    result: BacktestResult, btc_1h_q1: pd.DataFrame
) -> None:
    """Every entry is at the open after a bar where the 10-SMA crossed above the 30-SMA (pandas
    rolling means), every exit at the open after a cross below, and no crossing while in the
    matching state is missed."""
    close = btc_1h_q1["close"]
    fast, slow = close.rolling(10).mean(), close.rolling(30).mean()
    up = ref.crosses_above(fast, slow)
    down = ref.crosses_above(slow, fast)
    opens = pd.DatetimeIndex(btc_1h_q1.index)
    next_open = opens + pd.Timedelta(hours=1)  # fill time of a signal at bar i
    trades = trade_rows(result)
    # crossings alternate, so each up-cross finds the strategy flat and each down-cross long
    entries = [t.entry_time for t in trades]
    assert entries == [t for t in next_open[up] if t <= opens[-1]]
    exits = [t.exit_time for t in trades if t.exit_time is not None]
    assert exits == [t for t in next_open[down] if entries[0] < t <= opens[-1]]
    for trade in trades:
        assert trade.entry_price == price(btc_1h_q1, trade.entry_time, "open")
        if trade.exit_time is not None:
            assert trade.exit_price == price(btc_1h_q1, trade.exit_time, "open")


def test_matches_an_independent_simulation(result: BacktestResult, btc_1h_q1: pd.DataFrame) -> None:
    """Fills and final equity equal a plain Decimal simulation of the documented rules."""
    close = btc_1h_q1["close"]
    fast, slow = close.rolling(10).mean(), close.rolling(30).mean()
    account = ref.simulate_long_only(
        btc_1h_q1, ref.crosses_above(fast, slow), ref.crosses_above(slow, fast), "BTC/USDT"
    )
    expected = [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    assert fill_rows(result) == expected
    assert result.final_equity == account.equity({"BTC/USDT": ref.dec(close.iloc[-1])})


def test_sizing_is_99_percent_of_equity_at_the_signal_close(
    result: BacktestResult, btc_1h_q1: pd.DataFrame
) -> None:
    first = trade_rows(result)[0]
    signal_close = price(btc_1h_q1, first.entry_time - pd.Timedelta(hours=1), "close")
    expected = ref.affordable(Decimal(10_000), signal_close)
    assert ref.dec(first.size) == expected


def test_warmup_is_the_slow_period(btc_1h_q1: pd.DataFrame) -> None:
    result = run(btc_1h_q1, SmaCross, fast=5, slow=20)
    strategy = result.run.strategies[0]
    assert strategy.warmup == 19
    assert result.params == {"fast": 5, "slow": 20}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"fast": 30, "slow": 30}, "fast must be below slow"),
        ({"fast": 40, "slow": 10}, "fast must be below slow"),
        ({"fast": 0}, "fast must be >= 1"),
        ({"fast": "ten"}, "parameter 'fast'"),
        ({"period": 3}, "unknown parameter 'period'"),
    ],
)
def test_parameter_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        SmaCross(**params)


def test_bad_parameters_fail_the_run_before_any_bar(btc_1h_q1: pd.DataFrame) -> None:
    with pytest.raises(ParameterError, match="fast must be below slow"):
        run(btc_1h_q1, SmaCross, fast=50, slow=20)
