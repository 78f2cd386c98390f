"""Rows and domain objects with fixed values, for the persistence tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.persistence.conftest import T0
from tradeforge.model.enums import (
    LiquiditySide,
    OrderSide,
    OrderStatus,
    OrderType,
    TimeInForce,
)
from tradeforge.model.events import OrderAccepted, OrderFilled, OrderSubmitted
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity
from tradeforge.persistence.models import BalanceRecord, OrderRecord

BTC = Symbol("BTC", "USDT")
NS = 1_704_164_645_678_901_000  # T0 in nanoseconds


def balance(**overrides: Any) -> BalanceRecord:
    values: dict[str, Any] = {
        "venue": "binance",
        "account": "spot",
        "currency": "USDT",
        "total": Decimal("100"),
        "free": Decimal("60"),
        "locked": Decimal("40"),
        "updated_at": T0,
    }
    values.update(overrides)
    return BalanceRecord(**values)


def order_row(client_order_id: str, **overrides: Any) -> OrderRecord:
    values: dict[str, Any] = {
        "client_order_id": client_order_id,
        "venue": "binance",
        "symbol": BTC,
        "side": OrderSide.BUY,
        "order_type": OrderType.LIMIT,
        "time_in_force": TimeInForce.GTC,
        "quantity": Decimal("0.5"),
        "price": Decimal("42000.10"),
        "post_only": False,
        "reduce_only": False,
        "tags": ["entry"],
        "status": OrderStatus.ACCEPTED,
        "filled_qty": Decimal("0"),
        "created_at": T0,
        "updated_at": T0,
    }
    values.update(overrides)
    return OrderRecord(**values)


def limit_order(client_order_id: str = "O-240102030405-sma-1", ts: int = NS) -> Order:
    """A LIMIT buy of 0.5 BTC at 42000.10, initialized at ``ts``."""
    return Order.limit(client_order_id, BTC, OrderSide.BUY, Quantity("0.5"), Price("42000.10"),
                       ts_init=ts, strategy_id="sma", tags=("entry",))  # fmt: skip


def accept(order: Order, ts: int = NS + 1_000) -> None:
    order.apply(OrderSubmitted(ts=ts, client_order_id=order.client_order_id, symbol=order.symbol))
    order.apply(OrderAccepted(ts=ts + 1_000, client_order_id=order.client_order_id,
                              symbol=order.symbol, venue_order_id="V-77"))  # fmt: skip


def fill(order: Order, qty: str, price: str, trade_id: str, ts: int) -> None:
    order.apply(
        OrderFilled(
            ts=ts,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            trade_id=trade_id,
            venue_order_id="V-77",
            order_side=order.side,
            last_qty=Quantity(qty),
            last_price=Price(price),
            fee=Money(Decimal("0.00000001"), "BTC"),
            liquidity_side=LiquiditySide.MAKER,
        )
    )


def moment(seconds: int) -> datetime:
    """T0 plus whole seconds."""
    from datetime import timedelta

    return T0 + timedelta(seconds=seconds)
