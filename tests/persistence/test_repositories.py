"""Orders with their history survive a restart; a failed unit of work leaves nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tests.persistence.conftest import T0
from tests.persistence.factories import BTC, NS, accept, fill, limit_order, moment
from tradeforge.model.enums import OrderStatus, PositionSide
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.signal import Signal
from tradeforge.persistence import audit, migrations, repositories
from tradeforge.persistence.models import (
    AuditEntryRecord,
    FillRecord,
    OrderRecord,
    OrderStateRecord,
)
from tradeforge.persistence.repositories import (
    InstrumentRepository,
    OrderRepository,
    PortfolioRepository,
    RiskRepository,
    StrategyRepository,
)
from tradeforge.persistence.store import Store


def test_an_order_is_rebuilt_from_its_stored_history(store: Store) -> None:
    order = limit_order()
    accept(order)
    fill(order, "0.2", "42000.10", "T-1", NS + 10_000)
    with store.session() as session:
        OrderRepository(session, actor="strategy:sma").save(order, venue="binance")
    with store.session() as session:  # a "restart": a new session, nothing in memory
        repo = OrderRepository(session)
        row = repo.get(order.client_order_id)
        assert row is not None
        assert [s.event for s in row.states] == [
            "OrderInitialized", "OrderSubmitted", "OrderAccepted", "OrderFilled",
        ]  # fmt: skip
        assert [s.status for s in row.states] == [
            OrderStatus.INITIALIZED, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED,
            OrderStatus.PARTIALLY_FILLED,
        ]  # fmt: skip
        assert row.status is OrderStatus.PARTIALLY_FILLED
        assert (row.filled_qty, row.avg_px, row.venue_order_id) == (
            Decimal("0.2"), Decimal("42000.10"), "V-77",
        )  # fmt: skip
        assert [(f.trade_id, f.quantity, f.fee) for f in row.fills] == [
            ("T-1", Decimal("0.2"), Decimal("0.00000001"))
        ]
        rebuilt = repo.load(order.client_order_id)
        assert rebuilt is not None
        assert rebuilt.events == order.events
        assert rebuilt.status is OrderStatus.PARTIALLY_FILLED
        assert rebuilt.leaves_qty == Decimal("0.3")
        assert [o.client_order_id for o in repo.open_orders()] == [order.client_order_id]
        actions = session.scalars(select(AuditEntryRecord.action).order_by(AuditEntryRecord.seq))
        assert list(actions) == [
            "order.initialized", "order.submitted", "order.accepted", "order.filled",
        ]  # fmt: skip


def test_saving_again_appends_only_new_events(store: Store) -> None:
    order = limit_order()
    with store.session() as session:
        OrderRepository(session).save(order, venue="binance")
    accept(order)
    fill(order, "0.5", "42000.10", "T-1", NS + 10_000)
    for _ in range(2):  # idempotent
        with store.session() as session:
            OrderRepository(session).save(order, venue="binance")
    with store.session() as session:
        assert session.scalars(select(OrderStateRecord.seq)).all() == [1, 2, 3, 4]
        assert len(session.scalars(select(FillRecord)).all()) == 1
        assert session.scalars(select(OrderRecord.status)).one() is OrderStatus.FILLED


def test_a_failure_between_order_and_history_leaves_neither(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(OrderRepository, "_append_event", crash)
    with pytest.raises(RuntimeError, match="power cut"), store.session() as session:
        OrderRepository(session).save(limit_order(), venue="binance")
    with store.session() as session:
        assert session.scalars(select(OrderRecord)).all() == []
        assert session.scalars(select(OrderStateRecord)).all() == []


def test_listing_orders_with_history_takes_two_queries_whatever_the_count(store: Store) -> None:
    with store.session() as session:
        repo = OrderRepository(session)
        for n in range(5):
            order = limit_order(f"O-{n}", ts=NS + n * 1_000_000)
            accept(order, ts=NS + n * 1_000_000 + 1_000)
            repo.save(order, venue="binance")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        with store.session() as session:
            listed = OrderRepository(session).find()
            histories = [[s.status for s in o.states] for o in listed]
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert [o.client_order_id for o in listed] == ["O-4", "O-3", "O-2", "O-1", "O-0"]
    assert histories == [[OrderStatus.INITIALIZED, OrderStatus.SUBMITTED,
                          OrderStatus.ACCEPTED]] * 5  # fmt: skip
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2


def test_instruments_positions_balances_signals_and_risk(store: Store) -> None:
    instrument = Instrument(symbol=BTC, venue="binance", kind=InstrumentKind.SPOT,
                            price_tick=Decimal("0.01"), quantity_step=Decimal("0.00001"),
                            min_notional=Decimal("5"), taker_fee=Decimal("0.001"))  # fmt: skip
    signal = Signal(symbol=BTC, direction=PositionSide.LONG, ts=NS, confidence=0.5,
                    entry=Decimal("42000"), stop_loss=Decimal("41000"), source="sma")  # fmt: skip
    with store.session() as session:
        InstrumentRepository(session).save(instrument, updated_at=T0)
        InstrumentRepository(session).save(instrument, updated_at=moment(1))  # update in place
        portfolio = PortfolioRepository(session)
        portfolio.set_balance(venue="binance", account="spot", currency="USDT",
                              total=Decimal("100.5"), free=Decimal("100.5"),
                              locked=Decimal("0"), updated_at=T0)  # fmt: skip
        portfolio.set_balance(venue="binance", account="spot", currency="USDT",
                              total=Decimal("90.5"), free=Decimal("80.5"),
                              locked=Decimal("10"), updated_at=moment(1))  # fmt: skip
        StrategyRepository(session).add_signal(signal)
        risk = RiskRepository(session)
        risk.change_state(ts=T0, old_state="ACTIVE", new_state="HALTED", reason="loss",
                          actor="risk")  # fmt: skip
    with store.session() as session:
        assert InstrumentRepository(session).load("binance", BTC) == instrument
        (usdt,) = PortfolioRepository(session).balances("binance", "spot")
        assert (usdt.total, usdt.free, usdt.locked, usdt.updated_at) == (
            Decimal("90.5"), Decimal("80.5"), Decimal("10"), moment(1),
        )  # fmt: skip
        (stored,) = StrategyRepository(session).signals(BTC)
        assert (stored.direction, stored.entry, stored.ts) == (PositionSide.LONG,
                                                               Decimal("42000"), T0)  # fmt: skip
        assert RiskRepository(session).current_state() == "HALTED"
        assert audit.verify(session).entries == 1


def test_sqlite_readers_and_a_writer_work_at_once(make_store: Callable[[str], Store]) -> None:
    store = make_store("sqlite")  # WAL is SQLite's concern; PostgreSQL has MVCC
    migrations.upgrade(store)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(40):
                with store.session() as session:
                    repositories.OrderRepository(session).save(
                        limit_order(f"W-{n}", ts=NS + n), venue="binance"
                    )
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def read() -> None:
        try:
            for _ in range(40):
                with store.session() as session:
                    repositories.OrderRepository(session).find(limit=10)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.session() as session:
        assert len(session.scalars(select(OrderRecord)).all()) == 40
        mode = session.connection().exec_driver_sql("PRAGMA journal_mode").scalar()
        keys = session.connection().exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert (mode, keys) == ("wal", 1)
