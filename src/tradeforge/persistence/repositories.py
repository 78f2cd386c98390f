"""Repositories: what the engines read and write, one small class per kind of record.

Each repository works inside the caller's :class:`~sqlalchemy.orm.Session` (one unit of work:
``with store.session() as session``), so several writes commit together or not at all. List
methods load everything they return in one query (no lazy loads: relationships are declared
``lazy="raise"``, so an N+1 pattern fails loudly instead of running slowly).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session, selectinload

from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import OrderEvent, OrderFilled, OrderInitialized
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.model.signal import Signal
from tradeforge.model.symbol import Symbol
from tradeforge.persistence import audit
from tradeforge.persistence.events_codec import decode_event, encode_event
from tradeforge.persistence.models import (
    BalanceRecord,
    EquitySnapshotRecord,
    FillRecord,
    InstrumentRecord,
    OrderRecord,
    OrderStateRecord,
    PositionRecord,
    PositionSnapshotRecord,
    RiskEventRecord,
    SignalRecord,
    StrategyRunRecord,
    TradingStateChangeRecord,
)
from tradeforge.persistence.types import datetime_to_ns, ns_to_datetime


class InstrumentRepository:
    """Instruments by venue and symbol."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, instrument: Instrument, *, updated_at: datetime) -> InstrumentRecord:
        """Insert or update the instrument's row."""
        row = self.get(instrument.venue, instrument.symbol)
        if row is None:
            row = InstrumentRecord(venue=instrument.venue, symbol=instrument.symbol)
            self.session.add(row)
        row.kind = instrument.kind
        for name in ("price_tick", "quantity_step", "min_quantity", "max_quantity",
                     "min_notional", "maker_fee", "taker_fee", "contract_size",
                     "max_leverage", "is_inverse"):  # fmt: skip
            setattr(row, name, getattr(instrument, name))
        row.settle = instrument.settle
        row.expiry = None if instrument.expiry_ns is None else ns_to_datetime(instrument.expiry_ns)
        row.updated_at = updated_at
        self.session.flush()
        return row

    def get(self, venue: str, symbol: Symbol) -> InstrumentRecord | None:
        """The stored row, or ``None``."""
        return self.session.scalars(
            select(InstrumentRecord).where(
                InstrumentRecord.venue == venue, InstrumentRecord.symbol == symbol
            )
        ).one_or_none()

    def load(self, venue: str, symbol: Symbol) -> Instrument | None:
        """The stored instrument as the domain object, or ``None``."""
        row = self.get(venue, symbol)
        if row is None:
            return None
        return Instrument(
            symbol=row.symbol,
            venue=row.venue,
            kind=row.kind,
            price_tick=row.price_tick,
            quantity_step=row.quantity_step,
            min_quantity=row.min_quantity,
            max_quantity=row.max_quantity,
            min_notional=row.min_notional,
            maker_fee=row.maker_fee,
            taker_fee=row.taker_fee,
            contract_size=row.contract_size,
            settle=row.settle,
            max_leverage=row.max_leverage,
            is_inverse=row.is_inverse,
            expiry_ns=None if row.expiry is None else datetime_to_ns(row.expiry),
        )


class OrderRepository:
    """Orders with their whole state history and their fills.

    :meth:`save` is idempotent: it writes the order's current state and appends the events
    not stored yet (one history row each, plus a fill row per ``OrderFilled``), so calling it
    after every event, or once at the end, stores the same rows. With ``actor`` set, every
    new event is also appended to the audit log, in the same transaction.
    """

    def __init__(self, session: Session, *, actor: str | None = None) -> None:
        self.session = session
        self.actor = actor

    def save(self, order: Order, *, venue: str, strategy_run_id: int | None = None) -> OrderRecord:
        """Write the order and its new events; returns the order's row."""
        row = self.session.scalars(
            select(OrderRecord)
            .where(OrderRecord.client_order_id == order.client_order_id)
            .options(selectinload(OrderRecord.states))
        ).one_or_none()
        stored = 0 if row is None else len(row.states)
        if row is None:
            row = _new_order_row(order, venue, strategy_run_id)
            self.session.add(row)
        _update_order_row(row, order)
        self.session.flush()
        statuses = _statuses(order)
        for seq, event in enumerate(order.events[stored:], start=stored + 1):
            self._append_event(row, seq, event, order, statuses[seq - 1])
        self.session.flush()
        return row

    def _append_event(
        self, row: OrderRecord, seq: int, event: OrderEvent, order: Order, status: OrderStatus
    ) -> None:
        self.session.add(OrderStateRecord(**_state_values(row.id, seq, event, status)))
        if isinstance(event, OrderFilled):
            self.session.add(FillRecord(**_fill_values(row.id, event)))
        if self.actor is not None:
            entry = _audit_entry(self.actor, seq, event, status, order)
            audit.append(
                self.session, ts=entry.ts, actor=entry.actor, action=entry.action,
                subject=entry.subject, details=entry.details,
            )  # fmt: skip

    def insert_new(self, order: Order, *, venue: str, strategy_run_id: int | None = None) -> int:
        """Write an order the store does not hold yet, without looking (a client order id
        already stored fails the unique constraint: nothing is written); its row id
        (:func:`insert_order` in the session's transaction)."""
        connection = self.session.connection()
        return insert_order(connection, order, venue, self.actor, strategy_run_id)

    def append_new(self, order: Order, row_id: int, stored: int) -> None:
        """Write what :meth:`save` would for an order whose row (``row_id``) already holds its
        first ``stored`` events (:func:`append_events` in the session's transaction)."""
        append_events(self.session.connection(), order, row_id, stored, self.actor)

    def get(self, client_order_id: str) -> OrderRecord | None:
        """The order's row with its state history and fills, or ``None``."""
        return self.session.scalars(
            select(OrderRecord)
            .where(OrderRecord.client_order_id == client_order_id)
            .options(selectinload(OrderRecord.states), selectinload(OrderRecord.fills))
        ).one_or_none()

    def load(self, client_order_id: str) -> Order | None:
        """The order rebuilt from its stored events (what a restarted node works with)."""
        row = self.get(client_order_id)
        if row is None:
            return None
        return Order.from_events(decode_event(s.event, s.data) for s in row.states)

    def find(
        self,
        *,
        symbol: Symbol | None = None,
        open_only: bool = False,
        limit: int | None = None,
        venue: str | None = None,
    ) -> Sequence[OrderRecord]:
        """Orders (of ``venue``), newest first, each with its state history (two queries)."""
        query = select(OrderRecord).options(selectinload(OrderRecord.states))
        if symbol is not None:
            query = query.where(OrderRecord.symbol == symbol)
        if venue is not None:
            query = query.where(OrderRecord.venue == venue)
        if open_only:
            query = query.where(OrderRecord.status.in_(_OPEN_STATUSES))
        query = query.order_by(OrderRecord.created_at.desc(), OrderRecord.id.desc()).limit(limit)
        return self.session.scalars(query).all()

    def open_orders(self, venue: str | None = None) -> list[Order]:
        """Every order (of ``venue``) still working or in flight, rebuilt from its events."""
        return [rebuild(row) for row in self.find(open_only=True, venue=venue)]

    def orders(self, venue: str) -> list[Order]:
        """Every order of ``venue``, rebuilt from its events, oldest first (what a restarted
        node starts from)."""
        return [rebuild(row) for row in reversed(self.find(venue=venue))]


def insert_order(
    connection: Connection,
    order: Order,
    venue: str,
    actor: str | None,
    strategy_run_id: int | None = None,
) -> int:
    """Write an order the store does not hold yet, with its events, without looking first
    (a client order id already stored fails the unique constraint); its row id."""
    values = _new_order_values(order, venue, strategy_run_id) | _state_of(order)
    row_id: int = connection.execute(_INSERT_ORDER, values).scalar_one()
    append_events(connection, order, row_id, 0, actor)
    return row_id


def append_events(
    connection: Connection, order: Order, row_id: int, stored: int, actor: str | None
) -> None:
    """Write what :meth:`OrderRepository.save` would for an order whose row (``row_id``)
    already holds its first ``stored`` events, without reading anything back: one update of
    the order's row and one insert per table, constant Core statements (the hot path of a
    live node, which writes every event of every order before it goes on)."""
    new = order.events[stored:]
    if not new:
        return
    statuses = _statuses(order)[stored:]
    if stored:
        connection.execute(_UPDATE_ORDER, {"row_id": row_id, **_state_of(order)})
    numbered = list(zip(range(stored + 1, stored + 1 + len(new)), new, statuses, strict=True))
    connection.execute(
        _INSERT_STATE,
        [_state_values(row_id, seq, event, status) for seq, event, status in numbered],
    )
    fills = [_fill_values(row_id, e) for e in new if isinstance(e, OrderFilled)]
    if fills:
        connection.execute(_INSERT_FILL, fills)
    if actor is not None:
        audit.append_many(connection, [_audit_entry(actor, *item, order) for item in numbered])


def rebuild(row: OrderRecord) -> Order:
    """The domain order of a stored row (its state history loaded)."""
    return Order.from_events(decode_event(s.event, s.data) for s in row.states)


_ORDERS = cast(Table, OrderRecord.__table__)
_INSERT_ORDER = _ORDERS.insert().returning(_ORDERS.c.id)
_UPDATE_ORDER = _ORDERS.update().where(_ORDERS.c.id == bindparam("row_id"))
_INSERT_STATE = cast(Table, OrderStateRecord.__table__).insert()
_INSERT_FILL = cast(Table, FillRecord.__table__).insert()
_OPEN_STATUSES = tuple(s for s in OrderStatus if s.is_open or s.is_in_flight)


def _statuses(order: Order) -> list[OrderStatus]:
    """The status the order had right after each of its events."""
    events = order.events
    first = events[0]
    assert isinstance(first, OrderInitialized)
    replay = Order.from_init(first)
    statuses = [replay.status]
    for event in events[1:]:
        replay.apply(event)
        statuses.append(replay.status)
    return statuses


def _new_order_row(order: Order, venue: str, strategy_run_id: int | None) -> OrderRecord:
    return OrderRecord(**_new_order_values(order, venue, strategy_run_id))


def _new_order_values(order: Order, venue: str, strategy_run_id: int | None) -> dict[str, Any]:
    """The order row's columns that never change."""
    return {
        "client_order_id": order.client_order_id,
        "venue": venue,
        "symbol": order.symbol,
        "strategy_id": order.strategy_id,
        "strategy_run_id": strategy_run_id,
        "side": order.side,
        "order_type": order.order_type,
        "time_in_force": order.time_in_force,
        "trailing_offset": order.trailing_offset,
        "trailing_offset_type": (
            None if order.trailing_offset_type is None else order.trailing_offset_type.value
        ),
        "expire_time": (
            None if order.expire_time_ns is None else ns_to_datetime(order.expire_time_ns)
        ),
        "post_only": order.post_only,
        "reduce_only": order.reduce_only,
        "tags": list(order.tags),
        "order_list_id": order.order_list_id,
        "parent_order_id": order.parent_order_id,
        "created_at": ns_to_datetime(order.ts_init),
    }


def _update_order_row(row: OrderRecord, order: Order) -> None:
    for column, value in _state_of(order).items():
        setattr(row, column, value)


def _state_of(order: Order) -> dict[str, Any]:
    """The order row's columns that change with the order's state."""
    return {
        "quantity": order.quantity, "price": order.price, "stop_price": order.stop_price,
        "status": order.status, "filled_qty": order.filled_qty, "avg_px": order.avg_px,
        "venue_order_id": order.venue_order_id, "updated_at": ns_to_datetime(order.ts_last),
    }  # fmt: skip


def _state_values(
    order_id: int, seq: int, event: OrderEvent, status: OrderStatus
) -> dict[str, Any]:
    return {
        "order_id": order_id, "seq": seq, "event": type(event).__name__, "status": status,
        "ts": ns_to_datetime(event.ts), "reason": getattr(event, "reason", None) or None,
        "data": encode_event(event),
    }  # fmt: skip


def _fill_values(order_id: int, event: OrderFilled) -> dict[str, Any]:
    return {
        "order_id": order_id, "trade_id": event.trade_id,
        "client_order_id": event.client_order_id, "venue_order_id": event.venue_order_id,
        "symbol": event.symbol, "side": event.order_side, "quantity": event.last_qty,
        "price": event.last_price, "fee": event.fee.amount, "fee_currency": event.fee.currency,
        "liquidity_side": event.liquidity_side, "ts": ns_to_datetime(event.ts),
    }  # fmt: skip


def _audit_entry(
    actor: str, seq: int, event: OrderEvent, status: OrderStatus, order: Order
) -> audit.AuditEntry:
    return audit.AuditEntry(
        ts=ns_to_datetime(event.ts),
        actor=actor,
        action=f"order.{type(event).__name__.removeprefix('Order').lower()}",
        subject=order.client_order_id,
        details={"status": status.value, "seq": seq},
    )


class FillRepository:
    """Fills by symbol and time."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def find(
        self, *, symbol: Symbol | None = None, since: datetime | None = None
    ) -> Sequence[FillRecord]:
        """Fills in time order."""
        query = select(FillRecord)
        if symbol is not None:
            query = query.where(FillRecord.symbol == symbol)
        if since is not None:
            query = query.where(FillRecord.ts >= since)
        return self.session.scalars(query.order_by(FillRecord.ts, FillRecord.id)).all()


class PortfolioRepository:
    """Positions and their snapshots, balances, equity snapshots."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save_position(self, position: PositionRecord) -> PositionRecord:
        """Insert or update a position by its ``position_id``."""
        stored = self.session.scalars(
            select(PositionRecord).where(PositionRecord.position_id == position.position_id)
        ).one_or_none()
        if stored is None:
            self.session.add(position)
            self.session.flush()
            return position
        for column in PositionRecord.__table__.columns.keys():  # noqa: SIM118 - names, not columns
            if column != "id":
                setattr(stored, column, getattr(position, column))
        self.session.flush()
        return stored

    def snapshot_position(
        self,
        position: PositionRecord,
        *,
        ts: datetime,
        mark_price: Decimal | None,
        unrealized_pnl: Decimal,
    ) -> PositionSnapshotRecord:
        """Record the position as it is now, marked to ``mark_price``."""
        snapshot = PositionSnapshotRecord(
            position_id=position.id,
            ts=ts,
            signed_qty=position.signed_qty,
            avg_px_open=position.avg_px_open,
            mark_price=mark_price,
            realized_pnl=position.realized_pnl,
            unrealized_pnl=unrealized_pnl,
        )
        self.session.add(snapshot)
        self.session.flush()
        return snapshot

    def open_positions(self) -> Sequence[PositionRecord]:
        """Positions not closed, by symbol."""
        return self.session.scalars(
            select(PositionRecord)
            .where(PositionRecord.closed_at.is_(None))
            .order_by(PositionRecord.symbol, PositionRecord.id)
        ).all()

    def set_balance(
        self,
        *,
        venue: str,
        account: str,
        currency: str,
        total: Decimal,
        free: Decimal,
        locked: Decimal,
        updated_at: datetime,
    ) -> BalanceRecord:
        """Insert or update one currency's balance."""
        row = self.session.scalars(
            select(BalanceRecord).where(
                BalanceRecord.venue == venue,
                BalanceRecord.account == account,
                BalanceRecord.currency == currency,
            )
        ).one_or_none()
        if row is None:
            row = BalanceRecord(venue=venue, account=account, currency=currency)
            self.session.add(row)
        row.total, row.free, row.locked, row.updated_at = total, free, locked, updated_at
        self.session.flush()
        return row

    def balances(self, venue: str, account: str) -> Sequence[BalanceRecord]:
        """An account's balances by currency."""
        return self.session.scalars(
            select(BalanceRecord)
            .where(BalanceRecord.venue == venue, BalanceRecord.account == account)
            .order_by(BalanceRecord.currency)
        ).all()

    def snapshot_equity(self, snapshot: EquitySnapshotRecord) -> EquitySnapshotRecord:
        """Record an equity snapshot."""
        self.session.add(snapshot)
        self.session.flush()
        return snapshot

    def equity_curve(
        self, venue: str, account: str, start: datetime | None = None
    ) -> Sequence[EquitySnapshotRecord]:
        """An account's equity snapshots in time order."""
        query = select(EquitySnapshotRecord).where(
            EquitySnapshotRecord.venue == venue, EquitySnapshotRecord.account == account
        )
        if start is not None:
            query = query.where(EquitySnapshotRecord.ts >= start)
        return self.session.scalars(query.order_by(EquitySnapshotRecord.ts)).all()


class StrategyRepository:
    """Strategy runs and the signals they produced."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def start_run(self, run: StrategyRunRecord) -> StrategyRunRecord:
        """Record a run that has started."""
        self.session.add(run)
        self.session.flush()
        return run

    def stop_run(self, run_id: str, *, stopped_at: datetime, reason: str = "") -> None:
        """Mark a run stopped."""
        run = self.session.scalars(
            select(StrategyRunRecord).where(StrategyRunRecord.run_id == run_id)
        ).one()
        run.stopped_at, run.stop_reason = stopped_at, reason or None
        self.session.flush()

    def add_signal(self, signal: Signal, *, strategy_run_id: int | None = None) -> SignalRecord:
        """Record a signal."""
        row = SignalRecord(
            strategy_run_id=strategy_run_id,
            symbol=signal.symbol,
            direction=signal.direction,
            ts=ns_to_datetime(signal.ts),
            confidence=signal.confidence,
            entry=signal.entry,
            stop_loss=signal.stop_loss,
            take_profit=signal.take_profit,
            source=signal.source,
            reason=signal.reason,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def signals(self, symbol: Symbol | None = None) -> Sequence[SignalRecord]:
        """Signals in time order."""
        query = select(SignalRecord)
        if symbol is not None:
            query = query.where(SignalRecord.symbol == symbol)
        return self.session.scalars(query.order_by(SignalRecord.ts, SignalRecord.id)).all()


class RiskRepository:
    """Risk events and trading-state changes."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add_event(self, event: RiskEventRecord) -> RiskEventRecord:
        """Record a risk event."""
        self.session.add(event)
        self.session.flush()
        return event

    def change_state(
        self,
        *,
        ts: datetime,
        old_state: str,
        new_state: str,
        reason: str,
        actor: str,
        source: str | None = None,
        ts_ns: int | None = None,
    ) -> TradingStateChangeRecord:
        """Record a trading-state change, and append it to the audit log (with its
        ``source``, when given: a breaker's name, ``manual``, ``kill switch``)."""
        row = TradingStateChangeRecord(
            ts=ts, old_state=old_state, new_state=new_state, reason=reason, actor=actor,
            source=source, ts_ns=ts_ns,
        )  # fmt: skip
        self.session.add(row)
        details = {"from": old_state, "reason": reason}
        if source is not None:
            details["source"] = source
        audit.append(
            self.session,
            ts=ts,
            actor=actor,
            action="trading_state.changed",
            subject=new_state,
            details=details,
        )
        self.session.flush()
        return row

    def current_state(self) -> str | None:
        """The latest trading state, ``None`` when it never changed."""
        return self.session.scalars(
            select(TradingStateChangeRecord.new_state)
            .order_by(TradingStateChangeRecord.ts.desc(), TradingStateChangeRecord.id.desc())
            .limit(1)
        ).first()
