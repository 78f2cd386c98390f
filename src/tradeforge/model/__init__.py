"""The pure domain model: symbols, instruments, exact values, market data, orders, positions.

Nothing here does I/O or reads the wall clock; timestamps are integer nanoseconds UTC passed in.
"""

from tradeforge.model.account import Account, AccountBalance, InsufficientBalanceError
from tradeforge.model.enums import (
    ContingencyType,
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    PositionSide,
    TimeInForce,
    TrailingOffsetType,
)
from tradeforge.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderInitialized,
    OrderPendingCancel,
    OrderRejected,
    OrderSubmitted,
    OrderUpdated,
    PositionChanged,
    PositionClosed,
    PositionEvent,
    PositionOpened,
)
from tradeforge.model.fill import Fill
from tradeforge.model.instrument import Instrument, InstrumentKind, OrderCheck, OrderFilter
from tradeforge.model.market_data import AggressorSide, Bar, QuoteTick, TradeTick
from tradeforge.model.order_list import OrderList
from tradeforge.model.orderbook import BookLevel, BookSide, OrderBook, OrderBookSequenceError
from tradeforge.model.orders import InvalidOrderTransition, Order
from tradeforge.model.position import Position
from tradeforge.model.signal import Signal
from tradeforge.model.symbol import MarketIndex, Symbol, SymbolError
from tradeforge.model.timeframe import Timeframe, TimeframeError
from tradeforge.model.values import CurrencyMismatchError, Money, NumberError, Price, Quantity

__all__ = [
    "Account",
    "AccountBalance",
    "AggressorSide",
    "Bar",
    "BookLevel",
    "BookSide",
    "ContingencyType",
    "CurrencyMismatchError",
    "Fill",
    "Instrument",
    "InstrumentKind",
    "InsufficientBalanceError",
    "InvalidOrderTransition",
    "LiquiditySide",
    "MarketIndex",
    "Money",
    "NumberError",
    "Order",
    "OrderAccepted",
    "OrderBook",
    "OrderBookSequenceError",
    "OrderCancelRejected",
    "OrderCanceled",
    "OrderCheck",
    "OrderEvent",
    "OrderExpired",
    "OrderFilled",
    "OrderFilter",
    "OrderInitialized",
    "OrderList",
    "OrderPendingCancel",
    "OrderRejected",
    "OrderSide",
    "OrderStatus",
    "OrderSubmitted",
    "OrderType",
    "OrderUpdated",
    "Position",
    "PositionChanged",
    "PositionClosed",
    "PositionEvent",
    "PositionOpened",
    "PositionSide",
    "Price",
    "Quantity",
    "QuoteTick",
    "Signal",
    "Symbol",
    "SymbolError",
    "TimeInForce",
    "Timeframe",
    "TimeframeError",
    "TradeTick",
    "TrailingOffsetType",
]
