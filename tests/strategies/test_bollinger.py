"""BollingerReversion on BTC/USDT 5m, March 2021: golden figures, cross-checked with TA-Lib."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import talib

from tests.strategies import reference as ref
from tests.strategies.conftest import fill_rows, price, run, trade_rows
from tradeforge.backtest.result import BacktestResult
from tradeforge.strategies import BollingerReversion
from tradeforge.strategy import ParameterError

UTC = "UTC"


@pytest.fixture(scope="module")
def result(btc_5m_march: pd.DataFrame) -> BacktestResult:
    return run(btc_5m_march, BollingerReversion)


def test_golden_figures(result: BacktestResult) -> None:
    trades = result.trades
    assert len(trades) == 169
    first, second = trades.iloc[0], trades.iloc[1]
    assert first["entry_time"] == pd.Timestamp("2021-03-01 04:20", tz=UTC)
    assert first["entry_price"] == 46110.36
    assert first["exit_time"] == pd.Timestamp("2021-03-01 04:50", tz=UTC)
    assert first["exit_price"] == 46408.03
    assert second["entry_time"] == pd.Timestamp("2021-03-01 06:40", tz=UTC)
    assert second["entry_price"] == 45915.81
    assert second["exit_time"] == pd.Timestamp("2021-03-01 07:05", tz=UTC)
    assert second["exit_price"] == 46129.94
    assert str(result.final_equity) == "8105.4980581257420"
    assert result.accounting_gap() == 0


def _bands(frame: pd.DataFrame, period: int = 20, nbdev: float = 2.0) -> pd.DataFrame:
    upper, middle, lower = talib.BBANDS(frame["close"].to_numpy(), period, nbdev, nbdev)
    return pd.DataFrame({"upper": upper, "middle": middle, "lower": lower}, index=frame.index)


def test_signals_follow_talib_bands(result: BacktestResult, btc_5m_march: pd.DataFrame) -> None:
    """Each entry fills at the open after a close crossed below TA-Lib's lower band, each exit
    at the open after a close crossed above the middle band."""
    bands = _bands(btc_5m_march)
    close = btc_5m_march["close"].to_numpy()
    lower, middle = bands["lower"].to_numpy(), bands["middle"].to_numpy()
    row_of = {ts: k for k, ts in enumerate(btc_5m_march.index)}
    step = pd.Timedelta(minutes=5)
    for trade in trade_rows(result):
        k = row_of[trade.entry_time - step]  # the signal bar
        assert close[k - 1] > lower[k - 1]
        assert close[k] < lower[k]
        assert trade.entry_price == price(btc_5m_march, trade.entry_time, "open")
        if trade.exit_time is not None:
            k = row_of[trade.exit_time - step]
            assert close[k - 1] < middle[k - 1]
            assert close[k] > middle[k]
            assert trade.exit_price == price(btc_5m_march, trade.exit_time, "open")


def test_matches_an_independent_simulation(
    result: BacktestResult, btc_5m_march: pd.DataFrame
) -> None:
    bands = _bands(btc_5m_march)
    close = btc_5m_march["close"].to_numpy()
    account = ref.simulate_long_only(
        btc_5m_march,
        ref.crosses_above(bands["lower"], close),  # the close crossed below the lower band
        ref.crosses_above(close, bands["middle"]),
        "BTC/USDT",
    )
    assert fill_rows(result) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    assert result.final_equity == account.equity({"BTC/USDT": ref.dec(close[-1])})


def test_wider_bands_trade_less(btc_5m_march: pd.DataFrame, result: BacktestResult) -> None:
    wide = run(btc_5m_march, BollingerReversion, period=30, nbdev=3.0)
    bands = _bands(btc_5m_march, 30, 3.0)
    close = btc_5m_march["close"].to_numpy()
    account = ref.simulate_long_only(
        btc_5m_march,
        ref.crosses_above(bands["lower"], close),
        ref.crosses_above(close, bands["middle"]),
        "BTC/USDT",
    )
    assert fill_rows(wide) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    assert 0 < len(wide.trades) < len(result.trades)
    assert wide.run.strategies[0].warmup == 29


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": 1}, "period must be >= 2"),
        ({"nbdev": 0}, "nbdev must be a finite number > 0"),
        ({"nbdev": -1.5}, "nbdev must be a finite number > 0"),
        ({"nbdev": float("inf")}, "nbdev must be a finite number > 0"),
    ],
)
def test_parameter_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        BollingerReversion(**params)
