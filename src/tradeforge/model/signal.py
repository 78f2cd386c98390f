"""Trading signals: a strategy's or an outside source's view, before sizing and risk.

A :class:`Signal` says which way to be in a market (LONG, SHORT or FLAT), how sure the source
is, and optionally where to enter, where the idea is wrong (stop loss) and where to take
profit. It is validated on construction so a malformed webhook or parsed message cannot
reach the order path.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from tradeforge.model.enums import PositionSide
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import NumberError, Price


class SignalError(ValueError):
    """An invalid signal; the message names the field."""


@dataclass(frozen=True, slots=True)
class Signal:
    """A directional view on one market.

    Parameters
    ----------
    symbol : Symbol
        The market.
    direction : PositionSide
        LONG, SHORT, or FLAT (close any position).
    ts : int
        When the signal was produced, integer nanoseconds UTC.
    confidence : float
        From 0 (none) to 1 (certain).
    entry : Price, optional
        Suggested entry price; ``None`` means at market.
    stop_loss : Price, optional
        Below ``entry`` for a LONG, above for a SHORT; refused for FLAT.
    take_profit : Price, optional
        Above ``entry`` for a LONG, below for a SHORT; refused for FLAT. Without an entry,
        the stop loss must still lie on the losing side of the take profit.
    source : str
        Who produced it (a strategy id, ``webhook:tradingview``).
    reason : str
        Free text: why.

    Raises
    ------
    SignalError
        When a field is invalid; the message names it.
    """

    symbol: Symbol
    direction: PositionSide
    ts: int
    confidence: float = 1.0
    entry: Price | None = None
    stop_loss: Price | None = None
    take_profit: Price | None = None
    source: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.symbol, Symbol):
            raise SignalError(f"symbol must be a Symbol, got {self.symbol!r}")
        if not isinstance(self.direction, PositionSide):
            raise SignalError(f"direction must be LONG, SHORT or FLAT, got {self.direction!r}")
        if not isinstance(self.ts, int) or isinstance(self.ts, bool) or self.ts < 0:
            raise SignalError(f"ts must be a non-negative int of nanoseconds, got {self.ts!r}")
        self._check_confidence()
        for name in ("entry", "stop_loss", "take_profit"):
            self._coerce_price(name)
        self._check_levels()

    @property
    def is_long(self) -> bool:
        """True for a LONG signal."""
        return self.direction is PositionSide.LONG

    @property
    def is_short(self) -> bool:
        """True for a SHORT signal."""
        return self.direction is PositionSide.SHORT

    @property
    def is_flat(self) -> bool:
        """True for a FLAT (exit) signal."""
        return self.direction is PositionSide.FLAT

    def _check_confidence(self) -> None:
        value = self.confidence
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float | Decimal)
            or not math.isfinite(value)
            or not 0 <= value <= 1
        ):
            raise SignalError(f"confidence must be a number from 0 to 1, got {value!r}")
        object.__setattr__(self, "confidence", float(value))

    def _coerce_price(self, name: str) -> None:
        value = getattr(self, name)
        if value is None or isinstance(value, Price):
            return
        try:
            object.__setattr__(self, name, Price(value))
        except NumberError as error:
            raise SignalError(f"{name}: {error}") from None

    def _check_levels(self) -> None:
        sl, tp, entry = self.stop_loss, self.take_profit, self.entry
        if self.direction is PositionSide.FLAT:
            for name, value in (("stop_loss", sl), ("take_profit", tp)):
                if value is not None:
                    raise SignalError(f"{name} makes no sense on a FLAT signal, got {value}")
            return
        long = self.direction is PositionSide.LONG
        below, above = ("below", "above") if long else ("above", "below")
        what = self.direction.name
        if entry is not None and sl is not None and (sl >= entry if long else sl <= entry):
            raise SignalError(f"stop_loss {sl} must be {below} entry {entry} for a {what} signal")
        if entry is not None and tp is not None and (tp <= entry if long else tp >= entry):
            raise SignalError(f"take_profit {tp} must be {above} entry {entry} for a {what} signal")
        if sl is not None and tp is not None and (sl >= tp if long else sl <= tp):
            raise SignalError(
                f"stop_loss {sl} must be {below} take_profit {tp} for a {what} signal"
            )
