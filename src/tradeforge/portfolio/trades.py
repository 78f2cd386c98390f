"""Round-trip trades: from a position opening to its closing.

A *trade* here is one round trip of a net position: it opens when the position leaves flat and
closes when it returns to flat (a flip closes one trade and opens the next). Its PnL is the
position's realized PnL over the round trip, gross; ``fees`` are the fees of the fills that
belong to it, so ``net_pnl = pnl - fees``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradeforge.model.symbol import Symbol


@dataclass(slots=True)
class TradeRecord:
    """One round trip (open while ``exit_ts`` is ``None``)."""

    symbol: Symbol
    side: str  # "LONG" or "SHORT"
    entry_ts: int
    entry_price: Decimal
    size: Decimal = Decimal(0)  # the largest quantity held
    exit_ts: int | None = None
    exit_price: Decimal | None = None
    pnl: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    entry_order: str = ""
    exit_order: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)  # the entry order's
    exit_tags: tuple[str, ...] = field(default_factory=tuple)  # the exit order's (liquidation)

    @property
    def is_open(self) -> bool:
        """True until the position returns to flat."""
        return self.exit_ts is None

    @property
    def net_pnl(self) -> Decimal:
        """Realized PnL minus fees."""
        return self.pnl - self.fees
