"""What the execution engine emulates, worked out again from orders rebuilt after a restart.

The engine emulates, on venues without native order lists, what ties orders together: a
bracket's (or an OTO's) children wait in the engine until their entry fills, OCO siblings are
canceled when one of them fills, and a trailing stop is a stop order the engine moves after
every bar. None of that is at the venue, so a restarted node must find it again in the stored
orders (:meth:`~tradeforge.execution.engine.ExecutionEngine.relink`):

- a child never sent (``INITIALIZED``, with a ``parent_order_id``) is held again while its
  entry works, sent now when the entry filled while the node was down, and canceled when the
  entry closed unfilled (or is not in the store);
- open orders of one ``order_list_id`` (an OCO list, or a bracket's released exits) are
  siblings again;
- an open ``TRAILING_STOP_MARKET`` order is followed again from its last stop.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tradeforge.model.enums import OrderStatus, OrderType
from tradeforge.model.orders import Order


@dataclass
class LinkPlan:
    """The links to restore.

    Attributes
    ----------
    held : dict
        Entry id to the children that keep waiting for it.
    release : dict
        Entry id (filled while the node was down) to the children to send now.
    drop : dict
        Entry id (closed unfilled, or unknown) to the children to cancel.
    oco : list of list of str
        Client order ids that cancel each other.
    trailing : list of Order
        Trailing stops to follow again.
    """

    held: dict[str, list[Order]] = field(default_factory=dict)
    release: dict[str, list[Order]] = field(default_factory=dict)
    drop: dict[str, list[Order]] = field(default_factory=dict)
    oco: list[list[str]] = field(default_factory=list)
    trailing: list[Order] = field(default_factory=list)


def plan_links(orders: Iterable[Order]) -> LinkPlan:
    """The links among ``orders`` (every order of the node, as restored)."""
    everything = list(orders)
    by_id = {o.client_order_id: o for o in everything}
    plan = LinkPlan()
    for parent_id, children in _waiting_children(everything).items():
        parent = by_id.get(parent_id)
        if parent is not None and parent.status is OrderStatus.FILLED:
            plan.release[parent_id] = children
        elif parent is None or parent.is_closed:
            plan.drop[parent_id] = children
        else:
            plan.held[parent_id] = children
    working = [o for o in everything if _working(o)]
    lists: dict[str, list[str]] = {}
    for order in working:
        if order.order_list_id is not None:
            lists.setdefault(order.order_list_id, []).append(order.client_order_id)
    plan.oco = [ids for ids in lists.values() if len(ids) > 1]
    plan.trailing = [o for o in working if o.order_type is OrderType.TRAILING_STOP_MARKET]
    return plan


def _waiting_children(orders: list[Order]) -> dict[str, list[Order]]:
    children: dict[str, list[Order]] = {}
    for order in orders:
        if order.status is OrderStatus.INITIALIZED and order.parent_order_id is not None:
            children.setdefault(order.parent_order_id, []).append(order)
    return children


def _working(order: Order) -> bool:
    return not order.is_closed and order.status is not OrderStatus.INITIALIZED
