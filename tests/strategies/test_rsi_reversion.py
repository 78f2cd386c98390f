"""RsiReversion on ETH/USDT 1h, Q1 2021: golden figures, cross-checked with TA-Lib's RSI."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
import talib

from tests.strategies import reference as ref
from tests.strategies.conftest import fill_rows, price, run, trade_rows
from tradeforge.backtest.result import BacktestResult
from tradeforge.strategies import RsiReversion
from tradeforge.strategy import ParameterError

UTC = "UTC"


@pytest.fixture(scope="module")
def result(eth_1h_q1: pd.DataFrame) -> BacktestResult:
    return run(eth_1h_q1, RsiReversion, symbol="ETH/USDT")


def test_golden_figures(result: BacktestResult) -> None:
    trades = result.trades
    assert len(trades) == 8
    assert trades["symbol"].unique().tolist() == ["ETH/USDT"]
    first, second = trades.iloc[0], trades.iloc[1]
    assert first["entry_time"] == pd.Timestamp("2021-01-11 09:00", tz=UTC)
    assert first["entry_price"] == 1108.69
    assert first["exit_time"] == pd.Timestamp("2021-01-14 14:00", tz=UTC)
    assert first["exit_price"] == 1193.41
    assert second["entry_time"] == pd.Timestamp("2021-01-21 18:00", tz=UTC)
    assert second["entry_price"] == 1195.95
    assert second["exit_time"] == pd.Timestamp("2021-01-24 05:00", tz=UTC)
    assert second["exit_price"] == 1319.8
    assert str(result.final_equity) == "13254.2398966205324"
    assert result.accounting_gap() == 0


def test_signals_follow_talib_rsi(result: BacktestResult, eth_1h_q1: pd.DataFrame) -> None:
    """Each entry fills at the open after a bar where TA-Lib's RSI crossed up through 30, each
    exit at the open after a bar where it crossed up through 70."""
    value = talib.RSI(eth_1h_q1["close"].to_numpy(), 14)
    row_of = {ts: k for k, ts in enumerate(eth_1h_q1.index)}
    hour = pd.Timedelta(hours=1)
    for trade in trade_rows(result):
        k = row_of[trade.entry_time - hour]  # the signal bar
        assert value[k - 1] < 30 < value[k]
        assert trade.entry_price == price(eth_1h_q1, trade.entry_time, "open")
        if trade.exit_time is not None:
            k = row_of[trade.exit_time - hour]
            assert value[k - 1] < 70 < value[k]
            assert trade.exit_price == price(eth_1h_q1, trade.exit_time, "open")


def test_matches_an_independent_simulation(result: BacktestResult, eth_1h_q1: pd.DataFrame) -> None:
    value = talib.RSI(eth_1h_q1["close"].to_numpy(), 14)
    account = ref.simulate_long_only(
        eth_1h_q1, ref.crosses_above(value, 30.0), ref.crosses_above(value, 70.0), "ETH/USDT"
    )
    assert fill_rows(result) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    last = ref.dec(eth_1h_q1["close"].iloc[-1])
    assert result.final_equity == account.equity({"ETH/USDT": last})


def test_other_levels(eth_1h_q1: pd.DataFrame) -> None:
    result = run(eth_1h_q1, RsiReversion, symbol="ETH/USDT", period=7, lower=25, upper=75)
    value = talib.RSI(eth_1h_q1["close"].to_numpy(), 7)
    account = ref.simulate_long_only(
        eth_1h_q1, ref.crosses_above(value, 25.0), ref.crosses_above(value, 75.0), "ETH/USDT"
    )
    assert len(account.fills) > 10
    assert fill_rows(result) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    assert result.run.strategies[0].warmup == 7
    assert result.accounting_gap() == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": 1}, "period must be >= 2"),
        ({"lower": 70, "upper": 30}, "0 < lower < upper < 100"),
        ({"lower": 50, "upper": 50}, "0 < lower < upper < 100"),
        ({"lower": 0}, "0 < lower < upper < 100"),
        ({"upper": 100}, "0 < lower < upper < 100"),
        ({"lower": float("nan")}, "0 < lower < upper < 100"),
    ],
)
def test_parameter_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        RsiReversion(**params)


def test_defaults() -> None:
    strategy = RsiReversion()
    assert strategy.params == {"period": 14, "lower": 30.0, "upper": 70.0}
    assert Decimal(repr(strategy.default_fraction)) == Decimal("0.99")
