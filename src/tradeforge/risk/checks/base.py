"""What every limit check shares: its strategy's limits, read once, and its two entry points.

A check runs two ways. The risk engine asks it once per strategy for its verdict
(:meth:`LimitCheck.verdict_for`): the check as it applies to that strategy's orders, with
its limits read (and converted) once, or ``None`` when they can refuse nothing (the engine
then skips the check for that strategy). It then calls the verdict with each order's
:class:`~tradeforge.risk.ticket.Ticket`. Called on its own, :meth:`LimitCheck.reason` does
both for one order: the outcome is the same.

A verdict is ``None`` only when the check would pass every order of the strategy without
reading anything: a check that reads the order's exposure before its limits (and so may
raise what the projection raises) keeps a verdict that reads it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from mypy_extensions import mypyc_attr

from tradeforge.model.orders import Order
from tradeforge.risk.context import RiskContext
from tradeforge.risk.limits import LimitsIndex, RiskConfig, RiskLimits
from tradeforge.risk.ticket import Ticket, Verdict

__all__ = ["LimitCheck", "exposure_only"]


@mypyc_attr(allow_interpreted_subclasses=True)  # custom checks subclass it, compiled or not
class LimitCheck:
    """A pre-trade check of the limits of a :class:`~tradeforge.risk.limits.RiskConfig`.

    Parameters
    ----------
    config : RiskConfig
        The limits; each order reads those of its strategy.
    context : RiskContext
        What the check reads.
    """

    rule: ClassVar[str] = ""
    """The short name the check's refusals are stored under."""

    def __init__(self, config: RiskConfig, context: RiskContext) -> None:
        self._limits = LimitsIndex(config)
        self._context = context
        self._verdicts: dict[str | None, Verdict | None] = {}

    def reason(self, order: Order, price: Decimal | None, notional: Decimal | None) -> str:
        """Why ``order`` (valued at ``price``, or ``notional``) is refused; empty when it
        passes."""
        verdict = self._verdict(order.strategy_id)
        if verdict is None:
            return ""
        return verdict(Ticket(order, price, notional, self._context))

    def verdict_for(self, strategy_id: str | None, context: RiskContext | None) -> Verdict | None:
        """The check for ``strategy_id``'s orders, called with tickets of ``context``
        (``None``: it passes them all). On another context than its own, the check reads
        its own."""
        verdict = self._verdict(strategy_id)
        if verdict is None or context is self._context:
            return verdict
        return self._on_own_ticket

    def bind(self, strategy_id: str | None, limits: RiskLimits) -> Verdict | None:
        """The verdict on the orders of ``strategy_id``, whose limits are ``limits``;
        ``None`` when they refuse nothing."""
        raise NotImplementedError

    def _verdict(self, strategy_id: str | None) -> Verdict | None:
        verdicts = self._verdicts
        if strategy_id in verdicts:
            return verdicts[strategy_id]
        verdict = verdicts[strategy_id] = self.bind(strategy_id, self._limits.of(strategy_id))
        return verdict

    def _on_own_ticket(self, ticket: Ticket) -> str:
        return self.reason(ticket.order, ticket.price, ticket.notional)


def exposure_only(ticket: Ticket) -> str:
    """The verdict of a check whose limits are off for a strategy but that projects the
    order first: it passes, once the projection holds (it may raise
    :class:`~tradeforge.portfolio.portfolio.PortfolioError`, as the check would)."""
    if ticket.projected is None:
        ticket.exposure()
    return ""
