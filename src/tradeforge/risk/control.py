"""Trading control: the trading state of one account and everything that moves it.

:class:`TradingControl` holds the :class:`~tradeforge.risk.state.TradingStateMachine`, the
gate the risk engine runs first, the :class:`~tradeforge.risk.breakers.BreakerBoard` (when
breakers are configured) and the kill switch. The kernel builds it (:meth:`TradingControl.build`),
puts :attr:`TradingControl.gate` first among the risk checks and attaches the execution engine
(:meth:`TradingControl.attach`); a person (later the CLI and the API) calls :meth:`halt`,
:meth:`reduce`, :meth:`resume` and :meth:`kill_switch`; a strategy gets a read-only
:class:`StrategyTrading` view with the kill switch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tradeforge.common.bus import MessageBus
from tradeforge.common.ids import ClientOrderIdGenerator
from tradeforge.data.replay import BarSeries
from tradeforge.model.events import OrderRejected
from tradeforge.model.orders import Order
from tradeforge.portfolio.portfolio import Portfolio
from tradeforge.risk.breakers.board import BreakerBoard
from tradeforge.risk.context import RiskContext
from tradeforge.risk.gate import TradingStateGate
from tradeforge.risk.kill_switch import KillSwitchReport, KillSwitchRoute, kill_switch
from tradeforge.risk.limits import RiskConfig
from tradeforge.risk.state import (
    MANUAL,
    TradingState,
    TradingStateChanged,
    TradingStateMachine,
)

KILL_SWITCH_IDS = "kill"
"""The tag in the client order ids of the kill switch's orders."""


class ExecutionRoute(KillSwitchRoute, Protocol):
    """The execution engine as trading control uses it: the kill switch's route, and the
    listeners of rejected orders (the error-rate breaker)."""

    rejection_listeners: list[Callable[[Order, OrderRejected], None]]


class TradingControl:
    """The trading state, its gate, the breakers and the kill switch of one account.

    Parameters
    ----------
    machine : TradingStateMachine
        The state.
    gate : TradingStateGate
        The risk engine's first check.
    portfolio : Portfolio
        The positions the kill switch closes.
    board : BreakerBoard, optional
        The breakers (``None``: none configured; the state changes only by hand).
    """

    def __init__(
        self,
        machine: TradingStateMachine,
        gate: TradingStateGate,
        portfolio: Portfolio,
        board: BreakerBoard | None = None,
    ) -> None:
        self.machine = machine
        self.gate = gate
        self.portfolio = portfolio
        self.board = board
        self.route: KillSwitchRoute | None = None
        """The execution engine (:meth:`attach`)."""
        self.ids = ClientOrderIdGenerator(KILL_SWITCH_IDS, machine.clock)
        """Client order ids of the kill switch's orders."""

    @classmethod
    def build(
        cls,
        config: RiskConfig | None,
        context: RiskContext,
        series: list[BarSeries],
        bus: MessageBus | None = None,
    ) -> TradingControl:
        """The state machine, the gate and the breakers ``config`` names.

        Parameters
        ----------
        config : RiskConfig or None
            Its ``breakers`` section; ``None`` (or no section): no breaker.
        context : RiskContext
            What the gate and the breakers read (its clock stamps every change).
        series : list of BarSeries
            The execution series, one per traded symbol (volatility, stale data).
        bus : MessageBus, optional
            Where state changes and breaker events are published.
        """
        machine = TradingStateMachine(context.clock, bus)
        gate = TradingStateGate(machine, context)
        breakers = None if config is None else config.breakers
        board = (
            None
            if breakers is None
            else BreakerBoard.from_config(breakers, machine, context, series, bus)
        )
        return cls(machine, gate, context.portfolio, board)

    def attach(self, route: ExecutionRoute) -> None:
        """Use ``route`` (the execution engine) for the kill switch, and count its rejections
        in the error-rate breaker."""
        self.route = route
        if self.board is not None:
            route.rejection_listeners.append(self.board.on_rejection)

    # -- reading ----------------------------------------------------------------------------

    @property
    def state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self.machine.state

    @property
    def reason(self) -> str:
        """Why the state is what it is."""
        return self.machine.reason

    @property
    def source(self) -> str:
        """Who set it: a breaker's name, ``"manual"`` or ``"kill switch"``."""
        return self.machine.source

    @property
    def history(self) -> list[TradingStateChanged]:
        """Every change, oldest first."""
        return self.machine.history

    # -- commands ---------------------------------------------------------------------------

    def halt(self, reason: str, source: str = MANUAL) -> None:
        """Refuse every order until :meth:`resume`."""
        self.machine.set_state(TradingState.HALTED, reason, source)

    def reduce(self, reason: str, source: str = MANUAL) -> None:
        """Let only orders that reduce exposure through until :meth:`resume`."""
        self.machine.set_state(TradingState.REDUCING, reason, source)

    def resume(self, reason: str, source: str = MANUAL) -> None:
        """Trade again: every hold (breakers, kill switch, manual) is let go and the
        breakers measure afresh."""
        self.machine.resume(reason, source)

    def kill_switch(
        self, reason: str, *, flatten: bool = False, strategy_id: str | None = None
    ) -> KillSwitchReport:
        """Halt, cancel every open order and, with ``flatten``, close every position
        (:func:`~tradeforge.risk.kill_switch.kill_switch`).

        Raises
        ------
        RuntimeError
            Before :meth:`attach`: there is no execution engine to cancel through.
        """
        return kill_switch(self, reason, flatten=flatten, strategy_id=strategy_id)

    def for_strategy(self, strategy_id: str) -> StrategyTrading:
        """What a strategy may see and do: the state, read-only, and the kill switch."""
        return StrategyTrading(self, strategy_id)


class StrategyTrading:
    """A strategy's view of the trading state (read-only) and its kill switch.

    Parameters
    ----------
    control : TradingControl
    strategy_id : str
        Owner of the orders the kill switch sends to flatten.
    """

    __slots__ = ("_control", "_strategy_id")

    def __init__(self, control: TradingControl, strategy_id: str) -> None:
        self._control = control
        self._strategy_id = strategy_id

    @property
    def state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED."""
        return self._control.machine.state

    @property
    def reason(self) -> str:
        """Why the state is what it is."""
        return self._control.machine.reason

    def kill_switch(self, reason: str, *, flatten: bool = False) -> KillSwitchReport:
        """Halt trading, cancel every open order (of every strategy) and, with ``flatten``,
        close every position; trading stays halted until a person resumes it."""
        return self._control.kill_switch(reason, flatten=flatten, strategy_id=self._strategy_id)
