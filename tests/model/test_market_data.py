from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

from tradeforge.model.market_data import (
    AggressorSide,
    Bar,
    CrossedQuoteError,
    MarketDataError,
    QuoteTick,
    TradeTick,
)
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.model.values import Price, Quantity

BTC_USDT = Symbol("BTC", "USDT")
ONE_MINUTE = Timeframe.parse("1m")
# 2022-11-01 23:49:00 UTC, the minute of the Binance depth fixture.
TS_OPEN = 1_667_346_540_000_000_000


def bar(**overrides: Any) -> Bar:
    fields: dict[str, Any] = {
        "symbol": BTC_USDT,
        "timeframe": ONE_MINUTE,
        "ts_open": TS_OPEN,
        "open": 20370.5,
        "high": 20380.0,
        "low": 20365.9,
        "close": 20377.0,
        "volume": 152.318,
    }
    fields.update(overrides)
    return Bar(**fields)


# -- Bar ---------------------------------------------------------------------------------------


def test_bar_closes_when_the_next_bar_opens() -> None:
    assert bar().ts_close == TS_OPEN + 60_000_000_000
    four_hours = Timeframe.parse("4h")
    assert bar(timeframe=four_hours, ts_open=1_667_347_200_000_000_000).ts_close == (
        1_667_361_600_000_000_000
    )


def test_bar_prices_are_floats_and_numpy_values_are_accepted() -> None:
    made = bar(open=np.float64(20370.5), high=20380, ts_open=np.int64(TS_OPEN), volume=0)
    assert made.high == 20380.0
    assert isinstance(made.high, float)
    assert isinstance(made.open, float)
    assert type(made.ts_open) is int
    assert made.volume == 0.0


def test_bar_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        bar().close = 1.0  # type: ignore[misc]


def test_flat_bar_is_valid() -> None:
    flat = bar(open=1.0, high=1.0, low=1.0, close=1.0, volume=0.0)
    assert flat.high == flat.low


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"high": 20376.0}, "bar high 20376.0 is below max(open 20370.5, close 20377.0)"),
        ({"high": 20370.0}, "bar high 20370.0 is below max(open 20370.5, close 20377.0)"),
        ({"low": 20371.0}, "bar low 20371.0 is above min(open 20370.5, close 20377.0)"),
        ({"volume": -0.001}, "bar volume must be finite and >= 0, got -0.001"),
        ({"volume": float("nan")}, "bar volume must be finite and >= 0, got nan"),
        ({"open": 0.0}, "bar open must be a finite positive price, got 0.0"),
        ({"low": -1.0}, "bar low must be a finite positive price, got -1.0"),
        ({"close": float("inf")}, "bar close must be a finite positive price, got inf"),
        ({"high": float("nan")}, "bar high must be a finite positive price, got nan"),
        ({"close": "20377"}, "bar close must be a float, got '20377'"),
        ({"volume": True}, "bar volume must be a float, got True"),
        ({"ts_open": TS_OPEN + 1}, f"bar ts_open {TS_OPEN + 1} is not aligned to the 1m"),
        ({"ts_open": 1.5e18}, "ts_open must be int nanoseconds since the epoch, got 1.5e+18"),
    ],
)
def test_bar_validation_names_field_and_value(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(MarketDataError) as raised:
        bar(**overrides)
    assert message in str(raised.value)


def test_misaligned_bar_error_says_where_the_bar_opens() -> None:
    with pytest.raises(MarketDataError, match=f"the bar containing it opens at {TS_OPEN}"):
        bar(ts_open=TS_OPEN + 30_000_000_000)


# -- TradeTick ---------------------------------------------------------------------------------


def test_trade_tick_reads_exact_numbers_from_text() -> None:
    trade = TradeTick(BTC_USDT, 1_667_346_579_146_000_000, "20377.00", "0.015", "buy", "2069985")  # type: ignore[arg-type]
    assert isinstance(trade.price, Price)
    assert str(trade.price) == "20377.00"
    assert trade.size == Quantity("0.015")
    assert trade.aggressor is AggressorSide.BUY
    assert str(trade.aggressor) == "buy"
    assert trade.trade_id == "2069985"


def test_trade_tick_without_aggressor_or_id() -> None:
    trade = TradeTick(BTC_USDT, 0, Price("1"), Quantity("2"))
    assert trade.aggressor is None
    assert trade.trade_id == ""


@pytest.mark.parametrize(
    ("price", "size", "aggressor", "message"),
    [
        ("20377", "0", None, "trade size must be positive, got 0"),
        ("20377", "-1", None, "size: quantity must not be negative, got '-1'"),
        ("NaN", "1", None, "price: price must be finite"),
        ("20377", "1", "long", "aggressor must be 'buy', 'sell' or None, got 'long'"),
    ],
)
def test_trade_tick_validation(price: str, size: str, aggressor: Any, message: str) -> None:
    with pytest.raises(MarketDataError) as raised:
        TradeTick(BTC_USDT, 0, price, size, aggressor)  # type: ignore[arg-type]
    assert message in str(raised.value)


def test_trade_tick_refuses_a_float_timestamp() -> None:
    with pytest.raises(MarketDataError, match="ts must be int nanoseconds"):
        TradeTick(BTC_USDT, 1.0, Price("1"), Quantity("1"))  # type: ignore[arg-type]


# -- QuoteTick ---------------------------------------------------------------------------------


def quote(bid: str, ask: str, bid_size: str = "1.770", ask_size: str = "4.211") -> QuoteTick:
    return QuoteTick(BTC_USDT, 0, Price(bid), Quantity(bid_size), Price(ask), Quantity(ask_size))


def test_quote_mid_and_spread_are_exact() -> None:
    top = quote("20472.10", "20472.20")
    assert top.mid == Decimal("20472.15")
    assert isinstance(top.mid, Price)
    assert top.spread == Decimal("0.10")
    assert str(top.spread) == "0.10"
    assert quote("0.00001", "0.00002").mid == Decimal("0.000015")


def test_locked_quote_is_accepted() -> None:
    locked = quote("100", "100")
    assert locked.spread == 0
    assert locked.mid == 100


def test_crossed_quote_is_refused() -> None:
    with pytest.raises(CrossedQuoteError, match="bid 20472.30 is above ask 20472.20"):
        quote("20472.30", "20472.20")


def test_crossed_quote_error_is_a_market_data_error() -> None:
    assert issubclass(CrossedQuoteError, MarketDataError)


def test_quote_refuses_a_negative_size() -> None:
    with pytest.raises(MarketDataError, match="bid_size: quantity must not be negative"):
        QuoteTick(BTC_USDT, 0, Price("1"), "-1", Price("2"), Quantity("1"))  # type: ignore[arg-type]
