"""A refusal of the risk gate is stored and read back, on SQLite and PostgreSQL: the refused
order with its ``OrderRejected`` event and reason, and the gate's record of the rule."""

from __future__ import annotations

from sqlalchemy import select

from tests.backtest.helpers import bars, run
from tests.risk.helpers import rejections
from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import OrderRejected
from tradeforge.persistence.models import RiskEventRecord
from tradeforge.persistence.repositories import OrderRepository, RiskRepository
from tradeforge.persistence.store import Store
from tradeforge.persistence.types import ns_to_datetime

DATA = bars((100, 101, 99, 100), (102, 104, 101, 103), (105, 106, 104, 105))
REFUSED = "max position notional: 412.00 USD would exceed 350 USD"  # 4 x the close of 103


def test_a_locally_rejected_order_is_stored_with_its_reason(store: Store) -> None:
    risk = {"default": {"allow_pyramiding": True, "max_position_notional": 350}}
    result = run(DATA, {0: lambda s: s.buy(3), 1: lambda s: s.buy(1)}, risk=risk)
    filled, refused = result.run.execution.orders.values()
    [rejection] = rejections(result)
    with store.session() as session:
        orders = OrderRepository(session, actor="risk")
        for order in (filled, refused):
            orders.save(order, venue="sim")
        RiskRepository(session).add_event(
            RiskEventRecord(
                ts=ns_to_datetime(rejection.ts),
                rule=rejection.rule,
                action="reject",
                strategy_id=rejection.strategy_id,
                client_order_id=rejection.client_order_id,
                message=rejection.reason,
                data={},
            )
        )
    with store.session() as session:  # read back in a new unit of work
        repo = OrderRepository(session)
        row = repo.get(refused.client_order_id)
        assert row is not None
        assert row.status is OrderStatus.REJECTED
        assert [(s.event, s.status, s.reason) for s in row.states] == [
            ("OrderInitialized", OrderStatus.INITIALIZED, None),
            ("OrderRejected", OrderStatus.REJECTED, REFUSED),
        ]
        rebuilt = repo.load(refused.client_order_id)
        assert rebuilt is not None
        assert rebuilt.events == refused.events
        event = rebuilt.last_event
        assert isinstance(event, OrderRejected)
        assert event.reason == REFUSED
        assert [o.client_order_id for o in repo.open_orders()] == []
        [stored] = session.scalars(select(RiskEventRecord)).all()
        assert (stored.rule, stored.action, stored.strategy_id, stored.client_order_id) == (
            "max_position_size", "reject", "Scripted", refused.client_order_id,
        )  # fmt: skip
        assert stored.message == REFUSED
        assert stored.ts == ns_to_datetime(rejection.ts)
        assert stored.ts.isoformat() == "2024-01-01T02:00:00+00:00"  # bar 1's close
