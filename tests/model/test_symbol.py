from __future__ import annotations

import copy
import gc
import pickle
import weakref

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeforge.model.symbol import (
    KNOWN_QUOTES,
    MarketIndex,
    Symbol,
    SymbolError,
    SymbolParser,
    default_quote,
    set_default_quote,
)

BTC_USDT = Symbol("BTC", "USDT")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("BTC/USDT", BTC_USDT),
        ("btc-usdt", BTC_USDT),
        ("BTC_USDT", BTC_USDT),
        ("BTCUSDT", BTC_USDT),
        ("  btcusdt ", BTC_USDT),
        ("BTC", BTC_USDT),
        ("ETHBTC", Symbol("ETH", "BTC")),
        ("BNBETH", Symbol("BNB", "ETH")),
        ("BTC/USDT:USDT", Symbol("BTC", "USDT", "USDT")),
        ("BTC/USD:BTC", Symbol("BTC", "USD", "BTC")),
        ("BTC_USDT_USDT", Symbol("BTC", "USDT", "USDT")),
        ("BTCUSDT:USDT", Symbol("BTC", "USDT", "USDT")),
        ("1000PEPEUSDT", Symbol("1000PEPE", "USDT")),
        ("FDUSDUSDT", Symbol("FDUSD", "USDT")),  # longest suffix first: USDT, not DUSDT
        ("BTCTUSD", Symbol("BTC", "TUSD")),  # TUSD beats USD
        ("USDTTRY", Symbol("USDT", "TRY")),
        ("ETHEUR", Symbol("ETH", "EUR")),
        ("SOL", Symbol("SOL", "USDT")),  # a bare base of up to five characters
        ("MATIC", Symbol("MATIC", "USDT")),
    ],
)
def test_parse_accepts_common_spellings(text: str, expected: Symbol) -> None:
    assert Symbol.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty symbol ''"),
        ("   ", "empty symbol '   '"),
        (None, "symbol must be a string, got NoneType None"),
        (42, "symbol must be a string, got int 42"),
        ("12345", "symbol '12345' is digits only"),
        ("ABCDEFGH", "cannot read symbol 'ABCDEFGH': no separator and no known quote"),
        ("USDT", "cannot read symbol 'USDT': base equals quote"),
        ("BTC/BTC", "cannot read symbol 'BTC/BTC': base equals quote"),
        ("BTC/", "cannot read symbol 'BTC/': invalid quote currency ''"),
        ("BTC/USDT:", "cannot read symbol 'BTC/USDT:': settle currency missing"),
        ("A/B/C/D", "cannot read symbol 'A/B/C/D': too many separators"),
        ("BT$/USDT", "cannot read symbol 'BT$/USDT': invalid base currency 'BT$'"),
    ],
)
def test_parse_refuses_bad_input_naming_it(text: object, message: str) -> None:
    with pytest.raises(SymbolError) as error:
        Symbol.parse(text)
    assert str(error.value).startswith(message)


def test_conversions() -> None:
    perp = Symbol.parse("btc/usdt:usdt")
    assert str(BTC_USDT) == "BTC/USDT"
    assert str(perp) == "BTC/USDT:USDT"
    assert BTC_USDT.venue_id == "BTCUSDT"
    assert perp.venue_id == "BTCUSDT"
    assert BTC_USDT.cache_key == "BTC-USDT"
    assert perp.cache_key == "BTC-USDT-USDT"
    assert BTC_USDT.to_dict() == {"base": "BTC", "quote": "USDT", "settle": None}
    assert perp.is_derivative and not BTC_USDT.is_derivative
    assert sorted([perp, Symbol("ETH", "BTC"), BTC_USDT]) == [BTC_USDT, perp, Symbol("ETH", "BTC")]


def test_from_dict_refuses_unknown_and_missing_fields() -> None:
    with pytest.raises(SymbolError, match=r"unknown symbol field\(s\) \['qoute'\]"):
        Symbol.from_dict({"base": "BTC", "qoute": "USDT"})
    with pytest.raises(SymbolError, match="symbol field 'quote' missing"):
        Symbol.from_dict({"base": "BTC"})


currency = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8).filter(
    lambda code: not code.isdigit()
)


@given(base=currency, quote=currency, settle=st.none() | currency)
def test_every_round_trip_is_exact(base: str, quote: str, settle: str | None) -> None:
    if base == quote:
        return
    symbol = Symbol(base, quote, settle)
    assert Symbol.parse(str(symbol)) == symbol
    assert Symbol.parse(symbol.cache_key) == symbol
    assert Symbol.from_dict(symbol.to_dict()) == symbol
    if (
        settle is None
        and quote in KNOWN_QUOTES
        and not any(
            (base + quote).endswith(longer) for longer in KNOWN_QUOTES if len(longer) > len(quote)
        )
    ):
        assert Symbol.parse(symbol.venue_id) == symbol


def test_venue_markets_settle_ambiguous_spellings() -> None:
    # Without markets BTCTUSD reads as BTC/TUSD; a venue listing BTCT/USD says otherwise.
    markets = MarketIndex([Symbol("BTCT", "USD"), Symbol("ETH", "BTC")])
    assert Symbol.parse("BTCTUSD") == Symbol("BTC", "TUSD")
    assert Symbol.parse("BTCTUSD", markets=markets) == Symbol("BTCT", "USD")
    assert Symbol.parse("ethbtc", markets=markets) == Symbol("ETH", "BTC")
    assert len(markets) == 2 and "ETHBTC" in markets


def test_markets_from_ccxt() -> None:
    ccxt_markets = {
        "XBT/USD": {"id": "XXBTZUSD", "base": "BTC", "quote": "USD", "settle": None},
        "BTC/USDT:USDT": {"id": "BTCUSDT", "base": "BTC", "quote": "USDT", "settle": "USDT"},
    }
    markets = MarketIndex.from_ccxt(ccxt_markets)
    assert Symbol.parse("XXBTZUSD", markets=markets) == Symbol("BTC", "USD")
    assert Symbol.parse("BTCUSDT", markets=markets) == Symbol("BTC", "USDT", "USDT")


def test_default_quote_is_configurable() -> None:
    assert Symbol.parse("ETH", default_quote="EUR") == Symbol("ETH", "EUR")
    assert SymbolParser("USDC").parse("btc") == Symbol("BTC", "USDC")
    previous = default_quote()
    try:
        set_default_quote("fdusd")
        assert Symbol.parse("BTC") == Symbol("BTC", "FDUSD")
    finally:
        set_default_quote(previous)
    assert Symbol.parse("BTC") == BTC_USDT
    with pytest.raises(SymbolError, match="invalid default quote 'US-D'"):
        SymbolParser("US-D")


def test_parse_caches_and_returns_the_same_object() -> None:
    parser = SymbolParser()
    assert parser.parse("ETH-USDT") is parser.parse("ETH-USDT")


def test_one_object_per_market_compared_by_identity() -> None:
    made = Symbol("BTC", "USDT")
    assert Symbol.parse("btc_usdt") is made
    assert Symbol.from_dict({"base": "BTC", "quote": "USDT"}) is made
    assert Symbol("BTC", "USDT", "USDT") is not made
    assert hash(made) == hash(Symbol("BTC", "USDT"))
    assert {made: 1}[Symbol.parse("BTCUSDT")] == 1
    assert pickle.loads(pickle.dumps(made)) is made
    assert copy.copy(made) is made
    assert copy.deepcopy({"s": made})["s"] is made


def test_symbols_are_immutable_and_not_kept_alive() -> None:
    made = Symbol("QQQ", "ZZZ")
    with pytest.raises(AttributeError, match="symbol QQQ/ZZZ is immutable: cannot set base"):
        made.base = "XXX"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="cannot delete quote"):
        del made.quote  # type: ignore[misc]
    assert (made.base, made.quote, made.settle) == ("QQQ", "ZZZ", None)
    gone = weakref.ref(made)
    del made
    gc.collect()
    assert gone() is None  # the table of live symbols holds none of them


def test_invalid_currencies_make_no_symbol() -> None:
    with pytest.raises(SymbolError, match="invalid quote currency 'usdt'"):
        Symbol("BTC", "usdt")
    with pytest.raises(SymbolError, match="base equals quote in symbol BTC/BTC"):
        Symbol("BTC", "BTC")
