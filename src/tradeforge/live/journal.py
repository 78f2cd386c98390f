"""The node's record in the store: its orders (with every event), its runs, its counters.

Every order is written before it is sent (:mod:`~tradeforge.live.store_first`) and again after
each event, each write its own committed unit of work, so a node killed at any moment
restarts from what the store holds: the orders rebuilt event for event
(:meth:`OrderJournal.orders`), the client order id counters (ids never repeat), the trade ids
already booked, and when it last looked at the venue (its last run's start).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from tradeforge.model.events import OrderFilled
from tradeforge.model.orders import Order
from tradeforge.persistence.models import StrategyRunRecord
from tradeforge.persistence.models.runs import RunMode
from tradeforge.persistence.repositories import (
    OrderRepository,
    StrategyRepository,
    append_events,
    insert_order,
    rebuild,
)
from tradeforge.persistence.store import Store
from tradeforge.persistence.types import datetime_to_ns, ns_to_datetime


@dataclass
class _Batch:
    """Orders recorded inside :meth:`OrderJournal.batch` and what to do once they are stored."""

    orders: dict[str, Order] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)


_ID = re.compile(r"^O-\d{12}-(?P<tag>.+)-(?P<count>\d+)$")


class OrderJournal:
    """One node's orders and runs in a store.

    Parameters
    ----------
    store : Store
        The state store (migrated).
    venue : str
        The venue the orders are stored under (``binance``, ``binance-paper``).
    actor : str
        Who the audit log says wrote the events (``node:<name>``).
    """

    def __init__(self, store: Store, venue: str, actor: str) -> None:
        self.store = store
        self.venue = venue
        self.actor = actor
        self._batch: _Batch | None = None
        self._stored: dict[str, tuple[int, int]] = {}
        """Client order id to (row id, events stored), for orders this journal wrote."""

    # -- orders -----------------------------------------------------------------------------

    def record(self, order: Order, then: Callable[[], None] | None = None) -> None:
        """Write ``order`` and the events not stored yet, committed before this returns (in a
        :meth:`batch`: when the batch ends); then call ``then``."""
        if self._batch is not None:
            self._batch.orders[order.client_order_id] = order
            if then is not None:
                self._batch.after.append(then)
            return
        self.record_all((order,))
        if then is not None:
            then()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the :meth:`record` calls made inside into one unit of work, written when the
        block ends, before their ``then`` callbacks run (the node applies a burst of venue
        events, then stores them with one commit). Nested batches join the outer one."""
        if self._batch is not None:
            yield
            return
        self._batch = batch = _Batch()
        try:
            yield
        finally:
            self._batch = None
            if batch.orders:
                self.record_all(batch.orders.values())
        for then in batch.after:
            then()

    def record_new(self, order: Order) -> None:
        """Write an order just created (never stored: its client order id is new), without
        looking for it first; committed before this returns."""
        self.record_all((order,), new=True)

    def record_all(self, orders: Iterable[Order], *, new: bool = False) -> None:
        """Write several orders in one unit of work.

        An order this journal wrote before gets only its new events appended, without reading
        its rows back (:meth:`OrderRepository.append_new`); with ``new``, the others are
        inserted without looking (:meth:`OrderRepository.insert_new`); without, they go
        through :meth:`OrderRepository.save`.
        """
        batch = list(orders)
        written = {c: self._stored[c] for o in batch if (c := o.client_order_id) in self._stored}
        fast = new or len(written) == len({o.client_order_id for o in batch})
        # the fast path needs no ORM session: a plain connection and Core statements
        unit = self.store.transaction() if fast else self.store.session()
        with unit as held:
            if isinstance(held, Connection):
                connection, repository = held, None
            else:
                connection, repository = held.connection(), OrderRepository(held, actor=self.actor)
            for order in batch:
                cid = order.client_order_id
                if cid in written:
                    row_id, stored = written[cid]
                    append_events(connection, order, row_id, stored, self.actor)
                elif repository is None:
                    row_id = insert_order(connection, order, self.venue, self.actor)
                else:  # not written by this journal: looked up through the ORM
                    row_id = repository.save(order, venue=self.venue).id
                written[cid] = (row_id, len(order.events))
        self._stored.update(written)  # only once committed

    def orders(self) -> list[Order]:
        """Every order of the venue, rebuilt from its events, oldest first (the journal
        appends to them from now on without reading them back)."""
        with self.store.session() as session:
            rows = list(reversed(OrderRepository(session).find(venue=self.venue)))
            orders = [rebuild(row) for row in rows]
            self._stored.update({row.client_order_id: (row.id, len(row.states)) for row in rows})
        return orders

    # -- what a restart continues from ------------------------------------------------------

    @staticmethod
    def counters(orders: Iterable[Order]) -> dict[str, int]:
        """The highest client order id counter of each tag (``O-<time>-<tag>-<n>``)."""
        out: dict[str, int] = {}
        for order in orders:
            match = _ID.match(order.client_order_id)
            if match:
                tag, count = match.group("tag"), int(match.group("count"))
                out[tag] = max(out.get(tag, 0), count)
        return out

    @staticmethod
    def fills(orders: Iterable[Order]) -> list[tuple[Order, OrderFilled]]:
        """Every fill of ``orders`` with its order, in time order (ties: as stored)."""
        found = [
            (order, event)
            for order in orders
            for event in order.events
            if isinstance(event, OrderFilled)
        ]
        return sorted(found, key=lambda pair: pair[1].ts)

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, mode: str, ts_ns: int, config: dict[str, Any]) -> str:
        """Record that the node starts; its run id."""
        run_id = f"{self.venue}-{ts_ns}"
        with self.store.session() as session:
            StrategyRepository(session).start_run(
                StrategyRunRecord(
                    run_id=run_id, strategy=self._run_name, mode=RunMode(mode), config=config,
                    code_hash=None, started_at=ns_to_datetime(ts_ns),
                )
            )  # fmt: skip
        return run_id

    def stop_run(self, run_id: str, ts_ns: int, reason: str) -> None:
        """Record that the node stopped, and why."""
        with self.store.session() as session:
            StrategyRepository(session).stop_run(
                run_id, stopped_at=ns_to_datetime(ts_ns), reason=reason
            )

    def last_run_start(self) -> int | None:
        """When the node's latest run started (ns), None before its first."""
        with self.store.session() as session:
            started = session.scalars(
                select(StrategyRunRecord.started_at)
                .where(StrategyRunRecord.strategy == self._run_name)
                .order_by(StrategyRunRecord.started_at.desc())
                .limit(1)
            ).first()
        return None if started is None else datetime_to_ns(started)

    @property
    def _run_name(self) -> str:
        return f"node:{self.venue}"
