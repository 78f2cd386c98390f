"""Order lists: OCO groups, OTO parents with children, and brackets.

An :class:`OrderList` validates how its orders belong together and answers the questions the
execution engine asks when one of them changes: which orders to cancel
(:meth:`OrderList.siblings_to_cancel`), which to reduce (:meth:`OrderList.siblings_to_reduce`)
and which to submit (:meth:`OrderList.children_to_activate`). It never changes an order itself.

- ``OCO``: two or more orders; a fill of one (full or partial) cancels the others.
- ``OTO``: a parent (first order) whose fill activates its children.
- ``BRACKET``: an OTO of an entry, a stop loss and a take profit; the two children are
  opposite to the entry, of its quantity, the stop loss below and the take profit above the
  entry for a long (the reverse for a short). A full fill of one child cancels the other;
  a partial fill reduces the other to what is left, so the position stays protected.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from tradeforge.model.enums import ContingencyType, OrderSide, OrderStatus, OrderType, TimeInForce
from tradeforge.model.orders import Order
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import EXACT, Price, Quantity

_STOP_LOSS_TYPES = frozenset(
    {OrderType.STOP_MARKET, OrderType.STOP_LIMIT, OrderType.TRAILING_STOP_MARKET}
)
_TAKE_PROFIT_TYPES = frozenset(
    {OrderType.LIMIT, OrderType.TAKE_PROFIT_MARKET, OrderType.TAKE_PROFIT_LIMIT}
)


class OrderListError(ValueError):
    """An invalid order list, or a question about an order that is not in it."""


@dataclass(frozen=True, slots=True)
class OrderList:
    """Orders that depend on each other.

    Parameters
    ----------
    order_list_id : str
        The list's id; every member must carry it as ``order_list_id``.
    contingency : ContingencyType
        ``OCO``, ``OTO`` or ``BRACKET``.
    orders : tuple of Order
        The members. For ``OTO`` and ``BRACKET`` the first is the parent (entry) and the others
        carry its id as ``parent_order_id``; a bracket is ``(entry, stop_loss, take_profit)``.

    Raises
    ------
    OrderListError
        When the members do not fit the contingency; the message names the list, the order
        and the field.
    """

    order_list_id: str
    contingency: ContingencyType
    orders: tuple[Order, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(self.orders))
        self._check_members()
        if self.contingency is ContingencyType.OCO:
            return
        if self.contingency is ContingencyType.NONE:
            raise OrderListError(f"order list {self.order_list_id}: contingency cannot be NONE")
        self._check_children()
        if self.contingency is ContingencyType.BRACKET:
            self._check_bracket()

    # -- factories --------------------------------------------------------------------------

    @classmethod
    def oco(cls, order_list_id: str, orders: Iterable[Order]) -> OrderList:
        """An OCO list of two or more orders."""
        return cls(order_list_id, ContingencyType.OCO, tuple(orders))

    @classmethod
    def oto(cls, order_list_id: str, parent: Order, children: Iterable[Order]) -> OrderList:
        """An OTO list: ``parent``'s fill activates ``children``."""
        return cls(order_list_id, ContingencyType.OTO, (parent, *children))

    @classmethod
    def bracket(
        cls,
        order_list_id: str,
        symbol: Symbol | str,
        side: OrderSide,
        quantity: Quantity | Decimal | int | str,
        *,
        stop_loss: Price | Decimal | int | str,
        take_profit: Price | Decimal | int | str,
        ts_init: int,
        entry_price: Price | Decimal | int | str | None = None,
        time_in_force: TimeInForce = TimeInForce.GTC,
        strategy_id: str | None = None,
        tags: Iterable[str] = (),
    ) -> OrderList:
        """Build and validate a bracket: a MARKET (or, with ``entry_price``, LIMIT) entry, a
        reduce-only STOP_MARKET stop loss and a reduce-only LIMIT take profit.

        The orders get the ids ``<order_list_id>-E``, ``-SL`` and ``-TP``.
        """
        tags = tuple(tags)
        entry_id = f"{order_list_id}-E"
        entry = Order(
            entry_id, symbol, side,
            OrderType.MARKET if entry_price is None else OrderType.LIMIT, quantity,
            price=entry_price, time_in_force=time_in_force, ts_init=ts_init,
            strategy_id=strategy_id, tags=tags, order_list_id=order_list_id,
        )  # fmt: skip
        exit_side, qty = side.opposite, entry.quantity
        sl = Order.stop_market(
            f"{order_list_id}-SL", entry.symbol, exit_side, qty, stop_loss,
            ts_init=ts_init, reduce_only=True, strategy_id=strategy_id, tags=tags,
            order_list_id=order_list_id, parent_order_id=entry_id,
        )  # fmt: skip
        tp = Order.limit(
            f"{order_list_id}-TP", entry.symbol, exit_side, qty, take_profit,
            ts_init=ts_init, reduce_only=True, strategy_id=strategy_id, tags=tags,
            order_list_id=order_list_id, parent_order_id=entry_id,
        )  # fmt: skip
        return cls(order_list_id, ContingencyType.BRACKET, (entry, sl, tp))

    # -- members ----------------------------------------------------------------------------

    @property
    def parent(self) -> Order | None:
        """The parent (entry) of an OTO or bracket; ``None`` for OCO."""
        return None if self.contingency is ContingencyType.OCO else self.orders[0]

    @property
    def children(self) -> tuple[Order, ...]:
        """The orders the parent's fill activates; empty for OCO."""
        return () if self.contingency is ContingencyType.OCO else self.orders[1:]

    @property
    def entry(self) -> Order:
        """A bracket's entry order."""
        return self._bracket_member(0)

    @property
    def stop_loss(self) -> Order:
        """A bracket's stop loss order."""
        return self._bracket_member(1)

    @property
    def take_profit(self) -> Order:
        """A bracket's take profit order."""
        return self._bracket_member(2)

    @property
    def is_closed(self) -> bool:
        """True when every member is in a terminal status."""
        return all(order.is_closed for order in self.orders)

    def get(self, client_order_id: str) -> Order | None:
        """The member with this id, or ``None``."""
        for order in self.orders:
            if order.client_order_id == client_order_id:
                return order
        return None

    def __contains__(self, order: object) -> bool:
        return isinstance(order, Order) and self.get(order.client_order_id) is not None

    def __iter__(self) -> Iterator[Order]:
        return iter(self.orders)

    def __len__(self) -> int:
        return len(self.orders)

    # -- contingent actions -----------------------------------------------------------------

    def siblings_to_cancel(self, member: Order) -> tuple[Order, ...]:
        """The orders to cancel now that ``member`` changed.

        - OCO: once ``member`` has any fill, every other member not yet closed.
        - Bracket: once a child is FILLED, the other child if not closed.
        - OTO and bracket: once the parent closed without any fill (canceled, rejected,
          expired), its children not yet closed (they were never submitted).

        Otherwise nothing.

        Raises
        ------
        OrderListError
            When ``member`` is not in the list.
        """
        self._require(member)
        if self.contingency is ContingencyType.OCO:
            return self._open_others(member) if member.filled_qty else ()
        if member == self.orders[0]:
            if member.is_closed and not member.filled_qty:
                return self._open_others(member)
            return ()
        if self.contingency is ContingencyType.BRACKET and member.status is OrderStatus.FILLED:
            return tuple(o for o in self.children if o != member and not o.is_closed)
        return ()

    def siblings_to_reduce(self, member: Order) -> tuple[tuple[Order, Quantity], ...]:
        """Bracket children to reduce after a partial fill of the other child.

        Returns
        -------
        tuple of (Order, Quantity)
            Each open sibling with the quantity it should be modified to: its own filled
            quantity plus ``member``'s leaves quantity. Empty unless ``member`` is a partially
            filled bracket child.
        """
        self._require(member)
        if (
            self.contingency is not ContingencyType.BRACKET
            or member == self.orders[0]
            or member.status is not OrderStatus.PARTIALLY_FILLED
        ):
            return ()
        leaves = member.leaves_qty
        return tuple(
            (o, Quantity(EXACT.add(o.filled_qty, leaves)))
            for o in self.children
            if o != member and not o.is_closed and o.quantity != o.filled_qty + leaves
        )

    def children_to_activate(self, member: Order) -> tuple[Order, ...]:
        """Children to submit now that the parent filled.

        For OTO and bracket lists: when ``member`` is the parent and is FILLED, or closed after
        a partial fill, the children still INITIALIZED. (After a partial fill that was then
        canceled, the children carry the full quantity: submit them reduce-only, or at the
        parent's ``filled_qty``.) Otherwise nothing.
        """
        self._require(member)
        if self.contingency is ContingencyType.OCO or member != self.orders[0]:
            return ()
        if member.status is OrderStatus.FILLED or (member.is_closed and member.filled_qty):
            return tuple(o for o in self.children if o.status is OrderStatus.INITIALIZED)
        return ()

    # -- validation -------------------------------------------------------------------------

    def _require(self, member: Order) -> None:
        if member not in self:
            raise OrderListError(
                f"order {member.client_order_id} is not in order list {self.order_list_id}"
            )

    def _open_others(self, member: Order) -> tuple[Order, ...]:
        return tuple(o for o in self.orders if o != member and not o.is_closed)

    def _bracket_member(self, index: int) -> Order:
        if self.contingency is not ContingencyType.BRACKET:
            raise OrderListError(
                f"order list {self.order_list_id} is {self.contingency.name}, not a BRACKET"
            )
        return self.orders[index]

    def _check_members(self) -> None:
        lid, orders = self.order_list_id, self.orders
        if not isinstance(lid, str) or not lid:
            raise OrderListError(f"order_list_id must be a non-empty string, got {lid!r}")
        if len(orders) < 2:
            raise OrderListError(f"order list {lid}: needs two or more orders, got {len(orders)}")
        ids = [o.client_order_id for o in orders]
        if len(set(ids)) != len(ids):
            raise OrderListError(f"order list {lid}: duplicate client_order_id in {ids}")
        for order in orders:
            if order.order_list_id != lid:
                raise OrderListError(
                    f"order list {lid}: order {order.client_order_id} has order_list_id "
                    f"{order.order_list_id!r}"
                )
            if order.symbol != orders[0].symbol:
                raise OrderListError(
                    f"order list {lid}: order {order.client_order_id} is for {order.symbol}, "
                    f"not {orders[0].symbol}"
                )

    def _check_children(self) -> None:
        parent = self.orders[0]
        if parent.parent_order_id is not None:
            raise OrderListError(
                f"order list {self.order_list_id}: parent {parent.client_order_id} has a "
                f"parent_order_id {parent.parent_order_id!r}"
            )
        for child in self.orders[1:]:
            if child.parent_order_id != parent.client_order_id:
                raise OrderListError(
                    f"order list {self.order_list_id}: child {child.client_order_id} has "
                    f"parent_order_id {child.parent_order_id!r}, expected "
                    f"{parent.client_order_id!r}"
                )

    def _check_bracket(self) -> None:
        if len(self.orders) != 3:
            raise OrderListError(
                f"bracket {self.order_list_id}: needs entry, stop_loss and take_profit, "
                f"got {len(self.orders)} orders"
            )
        entry, sl, tp = self.orders
        self._check_child("stop_loss", sl, entry, _STOP_LOSS_TYPES)
        self._check_child("take_profit", tp, entry, _TAKE_PROFIT_TYPES)
        self._check_bracket_prices(entry, _trigger(sl), _trigger(tp))

    def _check_child(
        self, role: str, child: Order, entry: Order, types: frozenset[OrderType]
    ) -> None:
        lid = self.order_list_id
        if child.order_type not in types:
            allowed = ", ".join(sorted(t.name for t in types))
            raise OrderListError(
                f"bracket {lid}: {role} order_type must be one of {allowed}, "
                f"got {child.order_type.name}"
            )
        if child.side is not entry.side.opposite:
            raise OrderListError(
                f"bracket {lid}: {role} side must be {entry.side.opposite.name} (opposite of "
                f"the {entry.side.name} entry), got {child.side.name}"
            )
        if child.quantity != entry.quantity:
            raise OrderListError(
                f"bracket {lid}: {role} quantity {child.quantity} must equal the entry "
                f"quantity {entry.quantity}"
            )

    def _check_bracket_prices(self, entry: Order, sl: Price | None, tp: Price | None) -> None:
        lid, long = self.order_list_id, entry.side is OrderSide.BUY
        reference = entry.price if entry.price is not None else entry.stop_price
        below, above = ("below", "above") if long else ("above", "below")
        side = entry.side.name
        if reference is not None:
            if sl is not None and (sl >= reference if long else sl <= reference):
                raise OrderListError(
                    f"bracket {lid}: stop_loss {sl} must be {below} the entry price "
                    f"{reference} for a {side} entry"
                )
            if tp is not None and (tp <= reference if long else tp >= reference):
                raise OrderListError(
                    f"bracket {lid}: take_profit {tp} must be {above} the entry price "
                    f"{reference} for a {side} entry"
                )
        if sl is not None and tp is not None and (sl >= tp if long else sl <= tp):
            raise OrderListError(
                f"bracket {lid}: stop_loss {sl} must be {below} take_profit {tp} for a {side} entry"
            )


def _trigger(order: Order) -> Price | None:
    """The price at which a bracket child acts: the limit price of a LIMIT, else the trigger."""
    return order.price if order.order_type is OrderType.LIMIT else order.stop_price
