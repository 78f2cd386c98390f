"""What the sandbox venue remembers: orders, fills, order lists, and the user-stream updates.

These are the venue's books in Binance's vocabulary (``orderId``, ``clientOrderId``, status
``NEW``/``PARTIALLY_FILLED``/``FILLED``/``CANCELED``/``EXPIRED``); :mod:`tradeforge.sandbox.wire`
renders them as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})
STOP_TYPES = frozenset({"STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"})
_ZERO = Decimal(0)


@dataclass(slots=True)
class Fill:
    """One trade of an order (``myTrades`` row, ``fills`` entry)."""

    trade_id: int
    order_id: int
    symbol: Symbol
    price: Decimal
    qty: Decimal
    commission: Decimal
    commission_asset: str
    time: int
    is_buyer: bool
    is_maker: bool
    order_list_id: int = -1

    @property
    def quote_qty(self) -> Decimal:
        """``price × qty``."""
        return EXACT.multiply(self.price, self.qty)


@dataclass(slots=True)
class OrderRecord:
    """An order as the venue keeps it.

    ``order_type`` is Binance's (``LIMIT``, ``STOP_LOSS_LIMIT``...); ``price`` and
    ``stop_price`` are zero when the type has none.
    """

    order_id: int
    client_order_id: str
    symbol: Symbol
    side: str
    order_type: str
    time_in_force: str
    orig_qty: Decimal
    price: Decimal
    stop_price: Decimal
    time: int
    orig_quote_qty: Decimal = _ZERO
    order_list_id: int = -1
    status: str = "NEW"
    executed_qty: Decimal = _ZERO
    quote_qty: Decimal = _ZERO
    update_time: int = 0
    fills: list[Fill] = field(default_factory=list)
    canceled_by_user: bool = False

    @property
    def is_open(self) -> bool:
        """True while the order works (NEW or PARTIALLY_FILLED)."""
        return self.status in OPEN_STATUSES

    @property
    def is_stop(self) -> bool:
        """True for the stop-loss and take-profit types."""
        return self.order_type in STOP_TYPES

    def book_fill(self, fill: Fill) -> None:
        """Add a fill: the executed quantities and the status move on."""
        self.fills.append(fill)
        self.executed_qty += fill.qty
        self.quote_qty += fill.quote_qty
        self.update_time = fill.time
        self.status = "FILLED" if self.executed_qty >= self.orig_qty else "PARTIALLY_FILLED"


@dataclass(slots=True)
class OrderListRecord:
    """An OCO order list."""

    order_list_id: int
    list_client_order_id: str
    symbol: Symbol
    order_ids: tuple[int, ...]
    time: int
    status: str = "EXEC_STARTED"  # listStatusType: EXEC_STARTED, ALL_DONE
    order_status: str = "EXECUTING"  # listOrderStatus: EXECUTING, ALL_DONE, REJECT
    reserved_key: str = ""

    @property
    def is_open(self) -> bool:
        """True until one leg filled or the list was canceled."""
        return self.status == "EXEC_STARTED"


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    """A change of one order for the user data stream (``executionReport``).

    ``execution`` is Binance's execution type: ``NEW``, ``TRADE``, ``CANCELED``, ``EXPIRED``.
    """

    order: OrderRecord
    execution: str
    time: int
    fill: Fill | None = None
    status: str = ""
    executed_qty: Decimal = _ZERO
    quote_qty: Decimal = _ZERO
    cancel_client_id: str = ""


@dataclass(frozen=True, slots=True)
class ListUpdate:
    """A change of an order list (``listStatus``)."""

    order_list: OrderListRecord
    time: int
    status: str
    order_status: str


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    """The balances of the assets an event touched (``outboundAccountPosition``)."""

    time: int
    balances: tuple[tuple[str, Decimal, Decimal], ...]  # asset, free, locked


UserUpdate = OrderUpdate | ListUpdate | BalanceUpdate
