"""Real bars from the bundled sample catalog, loaded once per worker, and a backtest helper."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from tradeforge.backtest import Backtest
from tradeforge.backtest.result import BacktestResult
from tradeforge.data import ParquetCatalog
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategy import Strategy

CASH = 10_000
COMMISSION = 0.001
ALTS = ("ETH/USDT", "SOL/USDT", "ADA/USDT", "DOGE/USDT", "LINK/USDT", "DOT/USDT")
"""Six of the eight aligned 1h pairs of the samples."""


def bars(symbol: str, timeframe: str, start: str, end: str) -> pd.DataFrame:
    """Sample bars with ``start <= open time < end``, OHLCV columns only."""
    frame = ParquetCatalog(SAMPLE_CATALOG).read_bars("binance", symbol, timeframe, start, end)
    return frame[["open", "high", "low", "close", "volume"]]


def run(
    data: Any, strategy: type[Strategy], symbol: str = "BTC/USDT", **params: Any
) -> BacktestResult:
    """A backtest with 10,000 USDT and a 0.1 % fee, default venue settings (fills of market
    orders at the next open, adverse intrabar path)."""
    backtest = Backtest(data, strategy, cash=CASH, commission=COMMISSION, symbol=symbol)
    return backtest.run(**params)


def fill_rows(result: BacktestResult) -> list[tuple[pd.Timestamp, str, str, Decimal, Decimal]]:
    """The engine's fills as (time, symbol, side, quantity, price), exact decimals."""
    return [
        (
            pd.Timestamp(row["ts"]),
            str(row["symbol"]),
            str(row["side"]),
            _dec(row["quantity"]),
            _dec(row["price"]),
        )
        for row in result.fills.to_dict("records")
    ]


@dataclass(frozen=True)
class TradeRow:
    """One row of ``result.trades``, typed."""

    symbol: str
    size: float
    entry_time: pd.Timestamp
    entry_price: float
    exit_time: pd.Timestamp | None  # None while open
    exit_price: float
    exit_order: str


def trade_rows(result: BacktestResult) -> list[TradeRow]:
    """The engine's round trips, typed."""
    return [
        TradeRow(
            symbol=str(row["symbol"]),
            size=float(row["size"]),
            entry_time=pd.Timestamp(row["entry_time"]),
            entry_price=float(row["entry_price"]),
            exit_time=None if pd.isna(row["exit_time"]) else pd.Timestamp(row["exit_time"]),
            exit_price=float(row["exit_price"]),
            exit_order=str(row["exit_order"] or ""),
        )
        for row in result.trades.to_dict("records")
    ]


def price(frame: pd.DataFrame, ts: pd.Timestamp, column: str) -> float:
    """``frame.loc[ts, column]`` as a float."""
    value: Any = frame.at[ts, column]
    return float(value)


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


@pytest.fixture(scope="session")
def btc_1h_q1() -> pd.DataFrame:
    """BTC/USDT 1h, 2021-01-01 to 2021-03-31 (2,160 bars)."""
    return bars("BTC/USDT", "1h", "2021-01-01", "2021-04-01")


@pytest.fixture(scope="session")
def eth_1h_q1() -> pd.DataFrame:
    """ETH/USDT 1h, 2021-01-01 to 2021-03-31."""
    return bars("ETH/USDT", "1h", "2021-01-01", "2021-04-01")


@pytest.fixture(scope="session")
def btc_5m_march() -> pd.DataFrame:
    """BTC/USDT 5m, March 2021 (8,928 bars)."""
    return bars("BTC/USDT", "5m", "2021-03-01", "2021-04-01")


@pytest.fixture(scope="session")
def btc_1h_jan_apr() -> pd.DataFrame:
    """BTC/USDT 1h, 2021-01-01 to 2021-04-30 (2,880 bars)."""
    return bars("BTC/USDT", "1h", "2021-01-01", "2021-05-01")


@pytest.fixture(scope="session")
def alts_1h_q1() -> dict[str, pd.DataFrame]:
    """Six USDT pairs 1h, 2021-01-01 to 2021-03-31, aligned (the same bar times)."""
    return {s: bars(s, "1h", "2021-01-01", "2021-04-01") for s in ALTS}
