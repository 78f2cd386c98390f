from __future__ import annotations

from decimal import Decimal
from enum import Enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeforge.model.instrument import (
    Instrument,
    InstrumentError,
    InstrumentKind,
    OrderCheck,
    OrderFilter,
)
from tradeforge.model.market_data import AggressorSide
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, NumberError, Price, Quantity

BTC_USDT = Symbol("BTC", "USDT")
BTC_USDT_PERP = Symbol("BTC", "USDT", "USDT")
BTC_USD_INVERSE = Symbol("BTC", "USD", "BTC")


def spot(**overrides: Any) -> Instrument:
    """Binance spot BTC/USDT's filters: tick 0.01, step 0.00001, 5 USDT minimum notional."""
    terms: dict[str, Any] = {
        "symbol": BTC_USDT,
        "venue": "binance",
        "kind": InstrumentKind.SPOT,
        "price_tick": Decimal("0.01"),
        "quantity_step": Decimal("0.00001"),
        "min_quantity": Decimal("0.00001"),
        "max_quantity": Decimal("9000"),
        "min_notional": Decimal("5"),
        "maker_fee": Decimal("0.001"),
        "taker_fee": Decimal("0.001"),
    }
    terms.update(overrides)
    return Instrument(**terms)


def perp(**overrides: Any) -> Instrument:
    terms: dict[str, Any] = {
        "symbol": BTC_USDT_PERP,
        "venue": "binanceusdm",
        "kind": InstrumentKind.PERPETUAL,
        "price_tick": Decimal("0.10"),
        "quantity_step": Decimal("0.001"),
        "min_quantity": Decimal("0.001"),
        "min_notional": Decimal("100"),
        "maker_fee": Decimal("-0.0001"),
        "taker_fee": Decimal("0.0004"),
        "max_leverage": Decimal("125"),
    }
    terms.update(overrides)
    return Instrument(**terms)


def inverse(**overrides: Any) -> Instrument:
    """A BitMEX XBTUSD-like inverse perpetual: one contract is worth 1 USD."""
    terms: dict[str, Any] = {
        "symbol": BTC_USD_INVERSE,
        "venue": "bitmex",
        "kind": InstrumentKind.PERPETUAL,
        "price_tick": Decimal("0.5"),
        "quantity_step": Decimal("1"),
        "contract_size": Decimal("1"),
        "is_inverse": True,
        "max_leverage": Decimal("100"),
    }
    terms.update(overrides)
    return Instrument(**terms)


# -- construction ------------------------------------------------------------------------------


def test_settle_defaults_from_the_symbol() -> None:
    assert spot().settle is None
    assert perp().settle == "USDT"
    assert inverse().settle == "BTC"


def test_decimal_fields_accept_text_and_are_stored_exactly() -> None:
    instrument = spot(price_tick="0.01", quantity_step=0.00001, min_notional=5)
    assert instrument.price_tick == Decimal("0.01")
    assert str(instrument.quantity_step) == "0.00001"
    assert instrument.min_notional == Decimal(5)
    assert instrument == spot()


@pytest.mark.parametrize(
    ("builder", "overrides", "message"),
    [
        (spot, {"price_tick": Decimal(0)}, "price_tick must be positive, got 0"),
        (spot, {"price_tick": Decimal("-0.01")}, "price_tick must be positive, got -0.01"),
        (spot, {"quantity_step": Decimal(0)}, "quantity_step must be positive, got 0"),
        (spot, {"price_tick": "abc"}, "price_tick 'abc' is not a number"),
        (spot, {"min_quantity": Decimal("-1")}, "min_quantity must be >= 0, got -1"),
        (spot, {"min_notional": Decimal("-5")}, "min_notional must be >= 0, got -5"),
        (spot, {"max_quantity": Decimal("0.000001")}, "max_quantity 0.000001 is below"),
        (spot, {"taker_fee": Decimal("1.5")}, "taker_fee is a rate between -1 and 1"),
        (perp, {"max_leverage": Decimal("0.5")}, "max_leverage must be >= 1, got 0.5"),
        (perp, {"contract_size": Decimal(0)}, "contract_size must be positive, got 0"),
        (spot, {"symbol": BTC_USDT_PERP}, "kind SPOT needs a symbol without settle currency"),
        (perp, {"symbol": BTC_USDT}, "kind PERPETUAL needs a settle currency in the symbol"),
        (perp, {"settle": "BTC"}, "settle 'BTC' differs from the symbol's settle currency"),
        (perp, {"is_inverse": True}, "is_inverse needs the base BTC as settle currency"),
        (perp, {"kind": InstrumentKind.FUTURE}, "expiry_ns is required for a FUTURE"),
        (perp, {"expiry_ns": 1_711_699_200_000_000_000}, "expiry_ns must be None for a PERP"),
        (spot, {"venue": ""}, "venue must be an id like 'binance'"),
        (spot, {"kind": "spot"}, "kind must be an InstrumentKind"),
    ],
)
def test_inconsistent_terms_are_refused_by_field(
    builder: Any, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InstrumentError, match=message.replace("(", r"\(")):
        builder(**overrides)


def test_dated_future_keeps_its_expiry() -> None:
    future = perp(kind=InstrumentKind.FUTURE, expiry_ns=1_711_699_200_000_000_000)
    assert future.expiry_ns == 1_711_699_200_000_000_000
    assert future.kind.expires and future.kind.is_derivative
    assert not InstrumentKind.PERPETUAL.expires


@pytest.mark.parametrize(
    ("tick", "places"),
    [("0.01", 2), ("0.010", 2), ("0.5", 1), ("0.00001", 5), ("1", 0), ("10", 0), ("1E+1", 0)],
)
def test_price_precision_counts_decimal_places_of_the_tick(tick: str, places: int) -> None:
    assert spot(price_tick=Decimal(tick)).price_precision == places


@pytest.mark.parametrize(("step", "places"), [("0.001", 3), ("0.00001", 5), ("1", 0)])
def test_quantity_precision_counts_decimal_places_of_the_step(step: str, places: int) -> None:
    assert spot(quantity_step=Decimal(step), min_quantity=0).quantity_precision == places


# -- rounding ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tick", "price", "side", "expected"),
    [
        # Half-even to the nearest tick when no side is given.
        ("0.01", "100.005", None, "100.00"),
        ("0.01", "100.015", None, "100.02"),
        ("0.01", "100.0149", None, "100.01"),
        ("0.01", "100.0151", None, "100.02"),
        ("0.01", "100", None, "100.00"),
        ("0.01", 100.019, None, "100.02"),
        # A side rounds toward the passive side: a buy never pays more, a sell never gets less.
        ("0.01", "100.019", "buy", "100.01"),
        ("0.01", "100.011", "sell", "100.02"),
        ("0.01", "100.01", "buy", "100.01"),
        ("0.01", "100.01", "sell", "100.01"),
        ("0.01", "-1.005", "buy", "-1.01"),
        ("0.01", "-1.005", "sell", "-1.00"),
        ("0.5", "20377.25", None, "20377.0"),
        ("0.5", "20377.75", None, "20378.0"),
        ("0.5", "20377.3", None, "20377.5"),
        ("0.5", "20377.9", "buy", "20377.5"),
        ("0.5", "20377.1", "sell", "20377.5"),
        ("0.5", "20377.5", "buy", "20377.5"),
        ("0.00001", "0.123455", None, "0.12346"),
        ("0.00001", "0.123445", None, "0.12344"),
        ("0.00001", "0.123459", "buy", "0.12345"),
        ("0.00001", "0.123451", "sell", "0.12346"),
        ("0.00001", "0.1", None, "0.10000"),
    ],
)
def test_round_price_table(tick: str, price: object, side: str | None, expected: str) -> None:
    rounded = spot(price_tick=Decimal(tick)).round_price(price, side)
    assert isinstance(rounded, Price)
    assert str(rounded) == expected


class UpperCaseSide(Enum):
    """Shaped like the order module's ``OrderSide`` (values ``BUY``/``SELL``)."""

    BUY = "BUY"
    SELL = "SELL"


def test_round_price_accepts_side_enums() -> None:
    instrument = spot()
    assert instrument.round_price("100.019", AggressorSide.BUY) == Decimal("100.01")
    assert instrument.round_price("100.011", AggressorSide.SELL) == Decimal("100.02")
    assert instrument.round_price("100.019", UpperCaseSide.BUY) == Decimal("100.01")
    assert instrument.round_price("100.011", UpperCaseSide.SELL) == Decimal("100.02")


def test_round_price_refuses_an_unknown_side() -> None:
    with pytest.raises(ValueError, match="side must be 'buy', 'sell' or None, got 'long'"):
        spot().round_price("100", "long")


@pytest.mark.parametrize(
    ("step", "quantity", "expected"),
    [
        ("0.001", "1.2345", "1.234"),
        ("0.001", "1.2349999", "1.234"),
        ("0.001", "0.0019999", "0.001"),
        ("0.001", "0.0009", "0.000"),
        ("0.001", "5", "5.000"),
        ("0.001", 0.1, "0.100"),
        ("0.00001", "0.123456789", "0.12345"),
        ("0.1", "2.99", "2.9"),
        ("1", "41.9", "41"),
    ],
)
def test_round_quantity_truncates_never_up(step: str, quantity: object, expected: str) -> None:
    rounded = spot(quantity_step=Decimal(step), min_quantity=0).round_quantity(quantity)
    assert isinstance(rounded, Quantity)
    assert str(rounded) == expected


def test_round_quantity_refuses_a_negative_quantity() -> None:
    with pytest.raises(NumberError, match="quantity must not be negative"):
        spot().round_quantity("-1")


@given(
    quantity=st.decimals(min_value=0, max_value=10_000, places=8),
    step=st.sampled_from(["0.001", "0.00001", "0.1", "1", "0.25"]),
)
def test_truncation_stays_within_one_step_below(quantity: Decimal, step: str) -> None:
    increment = Decimal(step)
    truncated = spot(quantity_step=increment, min_quantity=0).round_quantity(quantity)
    assert truncated <= quantity
    assert quantity - truncated < increment
    assert truncated % increment == 0


# -- value and fees ----------------------------------------------------------------------------


def test_linear_notional_is_price_times_quantity_in_quote() -> None:
    assert spot().notional("20377.00", "0.5") == Money("10188.5", "USDT")
    okx_swap = perp(contract_size=Decimal("0.01"), quantity_step=Decimal("1"), min_quantity=1)
    assert okx_swap.notional("20000.1", "3") == Money("600.003", "USDT")
    assert okx_swap.notional_currency == "USDT"


def test_inverse_notional_is_contracts_over_price_in_base() -> None:
    assert inverse().notional("20000", "1000") == Money("0.05", "BTC")
    coin_m = inverse(contract_size=Decimal("100"))
    assert coin_m.notional("20000", "10") == Money("0.05", "BTC")
    assert coin_m.notional("30000", "1").amount == Decimal("0.003333333333333333333333333333")
    assert coin_m.notional_currency == "BTC"


def test_inverse_notional_needs_a_positive_price() -> None:
    with pytest.raises(NumberError, match="positive price, got 0"):
        inverse().notional("0", "1")


def test_fee_uses_maker_or_taker_rate_and_rebates_are_negative() -> None:
    notional = Money("10188.5", "USDT")
    assert spot().fee(notional, maker=False) == Money("10.1885", "USDT")
    assert perp().fee(notional, maker=False) == Money("4.07540", "USDT")
    assert perp().fee(notional, maker=True) == Money("-1.01885", "USDT")
    assert perp().fee(Decimal("10188.5"), maker=True) == Decimal("-1.01885")


# -- order filters -----------------------------------------------------------------------------


def test_a_valid_order_passes_every_filter() -> None:
    assert spot().check_order("20377.01", "0.00100") == []


def test_price_off_the_tick_breaks_the_price_filter() -> None:
    assert spot().check_order("20377.005", "0.001") == [
        OrderCheck(
            OrderFilter.PRICE_TICK,
            Decimal("20377.005"),
            Decimal("0.01"),
            "price 20377.005 is not a multiple of the tick 0.01 (PRICE_FILTER)",
        )
    ]


def test_tiny_quantity_breaks_step_minimum_and_notional() -> None:
    checks = spot().check_order("20000", "0.000001")
    assert [check.filter for check in checks] == [
        OrderFilter.QUANTITY_STEP,
        OrderFilter.MIN_QUANTITY,
        OrderFilter.MIN_NOTIONAL,
    ]
    assert [check.message for check in checks] == [
        "quantity 0.000001 is not a multiple of the step 0.00001 (LOT_SIZE)",
        "quantity 0.000001 is below the minimum 0.00001 (LOT_SIZE)",
        "notional 0.020000 USDT is below the minimum 5 USDT (MIN_NOTIONAL)",
    ]
    assert checks[2].value == Decimal("0.02")
    assert checks[2].limit == Decimal("5")


def test_quantity_above_the_maximum_breaks_lot_size() -> None:
    (check,) = spot().check_order("20000", "9000.5")
    assert check.filter is OrderFilter.MAX_QUANTITY
    assert check.message == "quantity 9000.5 is above the maximum 9000 (LOT_SIZE)"
    assert check.filter.binance_filter == "LOT_SIZE"


def test_notional_below_the_minimum_names_value_and_limit() -> None:
    (check,) = spot().check_order("20000.00", "0.00024")
    assert check.message == "notional 4.8000000 USDT is below the minimum 5 USDT (MIN_NOTIONAL)"
    assert spot().check_order("20000.00", "0.00025") == []  # exactly 5 USDT passes


def test_zero_quantity_is_refused() -> None:
    checks = spot(min_notional=0).check_order("20000", "0")
    assert [check.message for check in checks] == ["quantity 0 must be positive (LOT_SIZE)"]


def test_inverse_minimum_notional_is_in_base() -> None:
    instrument = inverse(min_notional=Decimal("0.001"))
    (check,) = instrument.check_order("20000", "10")
    assert check.message == "notional 0.0005 BTC is below the minimum 0.001 BTC (MIN_NOTIONAL)"


# -- serialization -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "instrument",
    [
        spot(),
        perp(),
        inverse(),
        perp(kind=InstrumentKind.FUTURE, expiry_ns=1_711_699_200_000_000_000),
        spot(price_tick=Decimal("0.010"), max_quantity=None),
    ],
    ids=["spot", "perp", "inverse", "future", "trailing-zero-tick"],
)
def test_dict_round_trip_is_exact(instrument: Instrument) -> None:
    data = instrument.to_dict()
    back = Instrument.from_dict(data)
    assert back == instrument
    assert back.to_dict() == data
    assert all(isinstance(data[name], str) for name in ("price_tick", "maker_fee"))


def test_to_dict_writes_decimals_as_exact_text() -> None:
    assert perp().to_dict() == {
        "symbol": "BTC/USDT:USDT",
        "venue": "binanceusdm",
        "kind": "perpetual",
        "price_tick": "0.10",
        "quantity_step": "0.001",
        "min_quantity": "0.001",
        "max_quantity": None,
        "min_notional": "100",
        "maker_fee": "-0.0001",
        "taker_fee": "0.0004",
        "contract_size": "1",
        "settle": "USDT",
        "max_leverage": "125",
        "is_inverse": False,
        "expiry_ns": None,
    }


def test_from_dict_names_unknown_and_missing_fields() -> None:
    data = spot().to_dict()
    with pytest.raises(InstrumentError, match=r"unknown instrument field\(s\) \['tick'\]"):
        Instrument.from_dict({**data, "tick": "0.01"})
    del data["price_tick"]
    with pytest.raises(InstrumentError, match=r"field\(s\) \['price_tick'\] missing"):
        Instrument.from_dict(data)
    with pytest.raises(InstrumentError, match="unknown instrument kind 'swap'"):
        Instrument.from_dict({**spot().to_dict(), "kind": "swap"})


# -- ccxt markets ------------------------------------------------------------------------------

# Shaped like ccxt 4's `binance.markets["BTC/USDT"]` (precisionMode TICK_SIZE), trimmed `info`.
CCXT_BINANCE_BTC_USDT: dict[str, Any] = {
    "id": "BTCUSDT",
    "lowercaseId": "btcusdt",
    "symbol": "BTC/USDT",
    "base": "BTC",
    "quote": "USDT",
    "settle": None,
    "baseId": "BTC",
    "quoteId": "USDT",
    "settleId": None,
    "type": "spot",
    "spot": True,
    "margin": True,
    "swap": False,
    "future": False,
    "option": False,
    "active": True,
    "contract": False,
    "linear": None,
    "inverse": None,
    "taker": 0.001,
    "maker": 0.001,
    "contractSize": None,
    "expiry": None,
    "expiryDatetime": None,
    "strike": None,
    "optionType": None,
    "precision": {"amount": 1e-05, "price": 0.01, "cost": None, "base": 1e-08, "quote": 1e-08},
    "limits": {
        "leverage": {"min": None, "max": None},
        "amount": {"min": 1e-05, "max": 9000.0},
        "price": {"min": 0.01, "max": 1000000.0},
        "cost": {"min": 5.0, "max": 9000000.0},
        "market": {"min": 0.0, "max": 107.52690268},
    },
    "created": None,
    "percentage": True,
    "tierBased": False,
    "feeSide": "get",
    "info": {"symbol": "BTCUSDT", "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT"},
}

# Shaped like ccxt 4's `binanceusdm.markets["BTC/USDT:USDT"]`.
CCXT_BINANCE_BTC_USDT_SWAP: dict[str, Any] = {
    **CCXT_BINANCE_BTC_USDT,
    "symbol": "BTC/USDT:USDT",
    "settle": "USDT",
    "settleId": "USDT",
    "type": "swap",
    "spot": False,
    "swap": True,
    "contract": True,
    "linear": True,
    "inverse": False,
    "taker": 0.0005,
    "maker": 0.0002,
    "contractSize": 1.0,
    "precision": {"amount": 0.001, "price": 0.1, "base": 1e-08, "quote": 1e-08},
    "limits": {
        "leverage": {"min": 1.0, "max": 125.0},
        "amount": {"min": 0.001, "max": 1000.0},
        "price": {"min": 556.8, "max": 4529764.0},
        "cost": {"min": 100.0, "max": None},
        "market": {"min": 0.001, "max": 120.0},
    },
}

# Shaped like ccxt 4's `binancecoinm.markets["BTC/USD:BTC-240329"]`: an inverse dated future.
CCXT_BINANCE_BTC_USD_FUTURE: dict[str, Any] = {
    **CCXT_BINANCE_BTC_USDT_SWAP,
    "symbol": "BTC/USD:BTC-240329",
    "quote": "USD",
    "settle": "BTC",
    "type": "future",
    "swap": False,
    "future": True,
    "linear": False,
    "inverse": True,
    "contractSize": 100.0,
    "expiry": 1711699200000,
    "precision": {"amount": 1.0, "price": 0.1},
    "limits": {"amount": {"min": 1.0, "max": None}, "cost": {"min": None, "max": None}},
}


def test_from_ccxt_binance_spot_market() -> None:
    instrument = Instrument.from_ccxt_market(CCXT_BINANCE_BTC_USDT, venue="binance")
    assert instrument == spot(max_quantity=Decimal("9000.0"), min_notional=Decimal("5.0"))
    assert instrument.price_precision == 2
    assert instrument.quantity_precision == 5
    assert instrument.max_leverage == 1


def test_from_ccxt_linear_swap_market() -> None:
    instrument = Instrument.from_ccxt_market(CCXT_BINANCE_BTC_USDT_SWAP, venue="binanceusdm")
    assert instrument.symbol == BTC_USDT_PERP
    assert instrument.kind is InstrumentKind.PERPETUAL
    assert (instrument.price_tick, instrument.quantity_step) == (Decimal("0.1"), Decimal("0.001"))
    assert (instrument.min_quantity, instrument.max_quantity) == (Decimal("0.001"), Decimal(1000))
    assert instrument.min_notional == Decimal(100)
    assert (instrument.maker_fee, instrument.taker_fee) == (Decimal("0.0002"), Decimal("0.0005"))
    assert instrument.max_leverage == Decimal(125)
    assert not instrument.is_inverse


def test_from_ccxt_inverse_future_market() -> None:
    instrument = Instrument.from_ccxt_market(CCXT_BINANCE_BTC_USD_FUTURE, venue="binancecoinm")
    assert instrument.symbol == BTC_USD_INVERSE
    assert instrument.kind is InstrumentKind.FUTURE
    assert instrument.is_inverse
    assert instrument.contract_size == Decimal(100)
    assert instrument.expiry_ns == 1_711_699_200_000_000_000
    assert instrument.max_quantity is None
    assert instrument.min_notional == 0
    assert instrument.notional("20000", "10") == Money("0.05", "BTC")


@pytest.mark.parametrize(
    "market",
    [CCXT_BINANCE_BTC_USDT, CCXT_BINANCE_BTC_USDT_SWAP, CCXT_BINANCE_BTC_USD_FUTURE],
    ids=["spot", "swap", "inverse-future"],
)
def test_ccxt_market_round_trips_through_dict(market: dict[str, Any]) -> None:
    instrument = Instrument.from_ccxt_market(market, venue="binance")
    assert Instrument.from_dict(instrument.to_dict()) == instrument


def test_from_ccxt_refuses_an_unknown_market_type() -> None:
    with pytest.raises(InstrumentError, match="unsupported ccxt market type 'index'"):
        Instrument.from_ccxt_market({**CCXT_BINANCE_BTC_USDT, "type": "index"}, venue="binance")
