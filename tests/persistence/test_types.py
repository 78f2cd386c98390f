from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.persistence.conftest import T0
from tests.persistence.factories import balance, order_row
from tradeforge.model.enums import OrderSide
from tradeforge.model.symbol import Symbol
from tradeforge.persistence.errors import StoreValueError
from tradeforge.persistence.models import BalanceRecord, OrderRecord
from tradeforge.persistence.store import Store
from tradeforge.persistence.types import datetime_to_ns, ns_to_datetime


def test_a_satoshi_and_a_long_decimal_come_back_exactly(store: Store) -> None:
    values = {
        "total": Decimal("0.00000001"),
        "free": Decimal("123456789012345678901234.123456789012345678"),
        "locked": Decimal("-1.50"),
    }
    with store.session() as session:
        session.add(balance(**values))
    with store.session() as session:
        row = session.scalars(select(BalanceRecord)).one()
        assert (row.total, row.free, row.locked) == (
            Decimal("0.00000001"),
            Decimal("123456789012345678901234.123456789012345678"),
            Decimal("-1.50"),
        )
        assert str(row.total) in ("1E-8", "0.00000001")
        assert row.total.as_tuple() == Decimal("0.00000001").as_tuple()
        assert row.locked.as_tuple() == Decimal("-1.50").as_tuple()


def test_floats_are_refused_for_money(store: Store) -> None:
    with pytest.raises(StoreValueError, match="refusing float 0.1"), store.session() as session:
        session.add(balance(total=0.1))  # type: ignore[arg-type]


def test_timestamps_come_back_timezone_aware_utc(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    moment = datetime(2024, 1, 2, 4, 4, 5, 678901, tzinfo=paris)
    with store.session() as session:
        session.add(balance(updated_at=moment))
    with store.session() as session:
        row = session.scalars(select(BalanceRecord)).one()
        assert row.updated_at == T0
        assert row.updated_at.tzinfo is UTC
        assert row.updated_at.isoformat() == "2024-01-02T03:04:05.678901+00:00"


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(StoreValueError, match="timezone-aware"), store.session() as session:
        session.add(balance(updated_at=datetime(2024, 1, 1)))  # noqa: DTZ001


def test_queries_take_and_return_symbols(store: Store) -> None:
    with store.session() as session:
        session.add(order_row("O-1", symbol=Symbol.parse("ETHBTC")))
        session.add(order_row("O-2", symbol=Symbol.parse("BTC/USDT:USDT")))
        session.add(order_row("O-3", symbol=Symbol.parse("ETH/BTC"), side=OrderSide.SELL))
    with store.session() as session:
        found = session.scalars(
            select(OrderRecord)
            .where(OrderRecord.symbol == Symbol.parse("ETHBTC"))
            .order_by(OrderRecord.client_order_id)
        ).all()
        assert [o.client_order_id for o in found] == ["O-1", "O-3"]
        assert found[0].symbol == Symbol("ETH", "BTC")
        assert isinstance(found[0].symbol, Symbol)
        assert found[1].side is OrderSide.SELL
        perp = session.scalars(
            select(OrderRecord.symbol).where(OrderRecord.client_order_id == "O-2")
        ).one()
        assert perp == Symbol("BTC", "USDT", "USDT")


def test_nanoseconds_convert_to_microsecond_datetimes() -> None:
    assert ns_to_datetime(1_704_164_645_678_901_999) == T0
    assert datetime_to_ns(T0) == 1_704_164_645_678_901_000
    assert ns_to_datetime(0) == datetime(1970, 1, 1, tzinfo=UTC)
