from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from tradeforge.model.enums import PositionSide
from tradeforge.model.signal import Signal, SignalError
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Price

BTC = Symbol("BTC", "USDT")
LONG, SHORT, FLAT = PositionSide.LONG, PositionSide.SHORT, PositionSide.FLAT


def signal(direction: PositionSide = LONG, **kwargs: Any) -> Signal:
    return Signal(BTC, direction, ts=kwargs.pop("ts", 1), **kwargs)


def test_valid_long_and_short() -> None:
    long = signal(LONG, confidence=0.8, entry=Price(100), stop_loss=Price(95),
                  take_profit=Price(110), source="ema-cross", reason="fast above slow")  # fmt: skip
    assert long.is_long and not long.is_short and not long.is_flat
    assert (long.entry, long.stop_loss, long.take_profit) == (100, 95, 110)
    short = signal(SHORT, entry=Price(100), stop_loss=Price(105), take_profit=Price(90))
    assert short.is_short and short.confidence == 1.0
    assert signal(FLAT, entry=Price(100)).is_flat


def test_prices_are_coerced_and_signal_is_frozen() -> None:
    value = signal(entry=Decimal("100.5"), stop_loss="99")  # type: ignore[arg-type]
    assert isinstance(value.entry, Price) and isinstance(value.stop_loss, Price)
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.confidence = 0.1  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"confidence": 1.01}, "confidence must be a number from 0 to 1, got 1.01"),
        ({"confidence": -0.1}, "confidence must be a number from 0 to 1"),
        ({"confidence": float("nan")}, "confidence must be a number from 0 to 1, got nan"),
        ({"confidence": True}, "confidence must be a number from 0 to 1"),
        ({"ts": -1}, "ts must be a non-negative int"),
        ({"entry": Price(100), "stop_loss": Price(100)},
         "stop_loss 100 must be below entry 100 for a LONG signal"),
        ({"entry": Price(100), "take_profit": Price(99)},
         "take_profit 99 must be above entry 100 for a LONG signal"),
        ({"stop_loss": Price(111), "take_profit": Price(110)},
         "stop_loss 111 must be below take_profit 110 for a LONG signal"),
        ({"direction": SHORT, "entry": Price(100), "stop_loss": Price(99)},
         "stop_loss 99 must be above entry 100 for a SHORT signal"),
        ({"direction": SHORT, "entry": Price(100), "take_profit": Price(101)},
         "take_profit 101 must be below entry 100 for a SHORT signal"),
        ({"direction": FLAT, "stop_loss": Price(1)}, "stop_loss makes no sense on a FLAT signal"),
        ({"direction": FLAT, "take_profit": Price(1)}, "take_profit makes no sense on a FLAT"),
        ({"direction": "LONG"}, "direction must be LONG, SHORT or FLAT"),
        ({"entry": "abc"}, "entry: price 'abc' is not a number"),
    ],
)  # fmt: skip
def test_invalid_signals_name_the_field(kwargs: dict[str, Any], message: str) -> None:
    direction = kwargs.pop("direction", LONG)
    with pytest.raises(SignalError, match=message):
        signal(direction, **kwargs)


def test_symbol_must_be_a_symbol() -> None:
    with pytest.raises(SignalError, match="symbol must be a Symbol"):
        Signal("BTC/USDT", LONG, ts=1)  # type: ignore[arg-type]
