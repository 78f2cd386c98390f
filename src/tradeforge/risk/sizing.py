"""Position sizing: how much to trade, as an exact quantity, by one of six models.

A *sizer* turns what a strategy knows when it decides (equity, entry price, the instrument,
the stop, its closed trades, the bars so far: a :class:`SizingInputs`) into a quantity::

    sl = bar.close - 2 * self.atr[-1]
    self.buy(self.size(RiskPerTrade(0.01), stop=sl), sl=sl, tp=bar.close * 1.05)

Every model works in two steps, the same for all:

1. **The model** proposes a quantity (see each class).
2. **The limits** (:class:`SizingLimits`) clamp it: its value at the entry price, as a share of
   equity, is raised to at least ``min_fraction`` (default 1 %) and cut to at most
   ``max_fraction`` (default 15 %); then it is truncated to the instrument's quantity step.
   A model that proposes zero (:class:`FractionalKelly` without an edge) is not raised: zero
   means "do not trade", and :meth:`Strategy.size <tradeforge.strategy.Strategy.size>`
   returns it for the strategy to skip the order.

What changes results, for every model: the equity (cash plus positions at the last prices),
the entry price (the last price by default: a market order fills later, at the next open, so
its value differs from the share computed here by the gap), the limits and the quantity step.
Value-based models (:class:`FixedNotional`, :class:`PercentOfEquity`,
:class:`FractionalKelly`) buy what the value pays *with the taker fee*, as
``buy(notional=...)`` does; the limits value a quantity at the entry price without fees.

Arithmetic is ``Decimal`` throughout (40 digits, quotients rounded toward zero before the
truncation to the step), so a quantity never exceeds what its formula allows. Inputs that make
no sense (a negative risk, a stop on the wrong side, an ATR of zero, NaN) raise
:class:`SizingError` naming the input.

Defaults, and why
-----------------
``SizingLimits(min_fraction=0.01, max_fraction=0.15)``
    15 %: no single trade may put more than about a sixth of the account at the mercy of one
    gap, however tight its stop or however lucky its recent trades; seven such positions fit
    in a spot account. 1 %: below it, fees and the quantity step dominate the trade, and a
    model that trades at all should trade a size that matters.
``PercentOfEquity(0.10)``
    Ten concurrent positions fill the account; under the 15 % cap.
``RiskPerTrade(0.01)``
    The classic 1 % rule: ten losses in a row cost under 10 % of equity.
``FractionalKelly(fraction=0.25, window=50, min_trades=20)``
    Full Kelly maximizes growth only with the true win rate and payoff; estimated from a few
    dozen trades it overbets, and its drawdowns are deep (a 50 % drawdown has a 50 % chance
    under full Kelly). A quarter of Kelly keeps 44 % of the growth rate (``c * (2 - c)``
    for a share ``c``) for a sixteenth of the variance. 50 trades: recent enough to follow a
    changing market, enough to estimate W and R; below 20 trades the estimate is noise, so the
    minimum size is used; without an edge (``f* <= 0``) the size is zero.
``VolatilityTarget(target=0.01, period=14, horizon="1d")``
    A typical day's move (the ATR, scaled to a day) costs or earns 1 % of equity, in line with
    the 1 % risk per trade; 14 bars is Wilder's ATR period.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import (
    ROUND_DOWN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from tradeforge.indicators.volatility import atr
from tradeforge.model.enums import OrderSide
from tradeforge.model.instrument import Instrument
from tradeforge.model.timeframe import Timeframe, TimeframeError
from tradeforge.model.values import Quantity, truncate_to_step
from tradeforge.portfolio.trades import TradeRecord

FloatArray = NDArray[np.float64]

SIZING = Context(prec=40, rounding=ROUND_DOWN, traps=[InvalidOperation, DivisionByZero, Overflow])
"""The arithmetic of sizing: 40 digits, rounded toward zero (a size is never rounded up)."""

_ZERO = Decimal(0)
_ONE = Decimal(1)
_NO_BARS: FloatArray = np.empty(0, dtype=np.float64)


class SizingError(ValueError):
    """A sizer or its inputs make no sense; the message names the input."""


# -- inputs -------------------------------------------------------------------------------------


def _decimal(value: object, name: str) -> Decimal:
    """``value`` as an exact finite Decimal (floats through their shortest text)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise SizingError(f"{name} must be a number, got {value!r}")
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise SizingError(f"{name} {value!r} is not a number") from None
    if not result.is_finite():
        raise SizingError(f"{name} must be a finite number, got {value!r}")
    return result


def _positive(value: object, name: str) -> Decimal:
    number = _decimal(value, name)
    if number <= 0:
        raise SizingError(f"{name} must be positive, got {value!r}")
    return number


def _share(value: object, name: str) -> Decimal:
    """A fraction in ``(0, 1]``."""
    number = _positive(value, name)
    if number > _ONE:
        raise SizingError(f"{name} must be at most 1, got {value!r}")
    return number


def _side(side: OrderSide | str | None) -> OrderSide | None:
    if side is None or isinstance(side, OrderSide):
        return side
    try:
        return OrderSide(str(side).upper())
    except ValueError:
        raise SizingError(f"side must be 'buy' or 'sell', got {side!r}") from None


@dataclass(frozen=True, slots=True, eq=False)
class SizingInputs:
    """What a sizer sees when a strategy sizes an order (build it with :meth:`of`).

    Attributes
    ----------
    equity : Decimal
        Cash plus positions at the last prices, > 0.
    price : Decimal
        The entry price the size is computed at, > 0.
    instrument : Instrument
        Its quantity step truncates the size; its taker fee is paid from value-based sizes.
    stop : Decimal or None
        The protective stop's price, for :class:`RiskPerTrade`.
    side : OrderSide or None
        When given, the stop must lie on the losing side of the entry.
    trades : tuple of TradeRecord
        The strategy's closed round trips, oldest first, for :class:`FractionalKelly`.
    high, low, close : ndarray
        The bars of the traded symbol up to now, for :class:`VolatilityTarget`.
    timeframe : Timeframe or None
        The length of those bars.
    """

    equity: Decimal
    price: Decimal
    instrument: Instrument
    stop: Decimal | None = None
    side: OrderSide | None = None
    trades: tuple[TradeRecord, ...] = ()
    high: FloatArray = field(default_factory=lambda: _NO_BARS)
    low: FloatArray = field(default_factory=lambda: _NO_BARS)
    close: FloatArray = field(default_factory=lambda: _NO_BARS)
    timeframe: Timeframe | None = None

    @classmethod
    def of(
        cls,
        *,
        equity: Decimal | float | str,
        price: Decimal | float | str,
        instrument: Instrument,
        stop: Decimal | float | str | None = None,
        side: OrderSide | str | None = None,
        trades: Iterable[TradeRecord] = (),
        bars: tuple[FloatArray, FloatArray, FloatArray] | None = None,
        timeframe: Timeframe | str | None = None,
    ) -> SizingInputs:
        """Check and convert the inputs (floats through their shortest text, as typed).

        Raises
        ------
        SizingError
            When the equity or the price is not positive, the stop is not a finite number, or
            the side is neither buy nor sell.
        """
        high, low, close = bars if bars is not None else (_NO_BARS, _NO_BARS, _NO_BARS)
        return cls(
            equity=_positive(equity, "equity"),
            price=_positive(price, "price"),
            instrument=instrument,
            stop=None if stop is None else _decimal(stop, "stop"),
            side=_side(side),
            trades=tuple(t for t in trades if not t.is_open),
            high=np.asarray(high, dtype=np.float64),
            low=np.asarray(low, dtype=np.float64),
            close=np.asarray(close, dtype=np.float64),
            timeframe=None if timeframe is None else Timeframe.parse(timeframe),
        )


def strategy_trades(trades: Iterable[TradeRecord], strategy_tag: str) -> tuple[TradeRecord, ...]:
    """The closed round trips opened by one strategy's orders, oldest first.

    A round trip belongs to the strategy whose client order id opened it: ids read
    ``O-<YYMMDDHHMMSS>-<tag>-<n>`` (a bracket's entry ``B-O-...-<n>-E``; see
    :mod:`tradeforge.common.ids`).

    Parameters
    ----------
    trades : iterable of TradeRecord
        A portfolio's round trips (``Portfolio.trades``), shared by its strategies.
    strategy_tag : str
        The strategy's tag (``ClientOrderIdGenerator.strategy_tag``).
    """
    own = re.compile(rf"O-\d{{12}}-{re.escape(strategy_tag)}-\d+(?:-E)?$")
    return tuple(t for t in trades if not t.is_open and own.search(t.entry_order))


# -- the limits ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SizingLimits:
    """The clamp every sizer's quantity passes, as a share of equity at the entry price.

    Parameters
    ----------
    min_fraction : float, default 0.01
        A positive size is raised to at least this share of equity (0: no floor). The
        truncation to the step comes after, so the floor may be missed by less than one step.
    max_fraction : float or None, default 0.15
        No size is worth more than this share of equity (``None``: no cap). Above 1 only makes
        sense with leverage.
    """

    min_fraction: float | Decimal = 0.01
    max_fraction: float | Decimal | None = 0.15

    def __post_init__(self) -> None:
        low = _decimal(self.min_fraction, "min_fraction")
        if low < 0:
            raise SizingError(f"min_fraction must be 0 or more, got {self.min_fraction!r}")
        if self.max_fraction is not None:
            high = _positive(self.max_fraction, "max_fraction")
            if low > high:
                raise SizingError(
                    f"min_fraction {self.min_fraction} exceeds max_fraction {self.max_fraction}"
                )

    def apply(self, quantity: Decimal, inputs: SizingInputs) -> Quantity:
        """Clamp ``quantity`` to the limits, then truncate it to the instrument's step.

        Returns
        -------
        Quantity
            Zero when ``quantity`` is zero (no trade) or the clamped size is below one step.
        """
        if quantity < 0:
            raise SizingError(f"a sizer proposed a negative quantity {quantity}")
        if quantity > 0:
            quantity = max(quantity, self.quantity_worth(self.min_fraction, inputs))
            if self.max_fraction is not None:
                quantity = min(quantity, self.quantity_worth(self.max_fraction, inputs))
        return Quantity(truncate_to_step(quantity, inputs.instrument.quantity_step))

    @staticmethod
    def quantity_worth(fraction: float | Decimal, inputs: SizingInputs) -> Decimal:
        """The quantity worth ``fraction`` of equity at the entry price."""
        value = SIZING.multiply(inputs.equity, _decimal(fraction, "fraction"))
        return SIZING.divide(value, inputs.price)


# -- the models ---------------------------------------------------------------------------------


class PositionSizer(Protocol):
    """Anything that sizes an order: ``size(inputs)`` returns the quantity to trade.

    A custom model implements this one method (and should pass its result through a
    :class:`SizingLimits`); zero means "do not trade".
    """

    def size(self, inputs: SizingInputs) -> Quantity:
        """The quantity to trade, truncated to the instrument's step, never negative."""
        ...


class _Model:
    """The shared second step: the model's proposal through its limits."""

    __slots__ = ()
    limits: SizingLimits

    def size(self, inputs: SizingInputs) -> Quantity:
        """The model's quantity clamped by :attr:`limits` and truncated to the step."""
        return self.limits.apply(self.proposal(inputs), inputs)

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """The model's quantity before the limits."""
        raise NotImplementedError


def _buys(value: Decimal, inputs: SizingInputs) -> Decimal:
    """The quantity ``value`` pays for at the entry price, the taker fee included."""
    unit = SIZING.multiply(inputs.price, _ONE + inputs.instrument.taker_fee)
    return SIZING.divide(value, unit)


@dataclass(frozen=True, slots=True)
class FixedQuantity(_Model):
    """The same quantity every time (base units), within the limits.

    Parameters
    ----------
    quantity : Decimal, float or str
        Base units, > 0. What changes results: only the limits (a quantity worth more than
        ``max_fraction`` of equity is cut) and the step.
    limits : SizingLimits
    """

    quantity: Decimal | float | str
    limits: SizingLimits = field(default_factory=SizingLimits, kw_only=True)

    def __post_init__(self) -> None:
        _positive(self.quantity, "FixedQuantity quantity")

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """``quantity``."""
        return _decimal(self.quantity, "quantity")


@dataclass(frozen=True, slots=True)
class FixedNotional(_Model):
    """The same value every time (quote currency, the taker fee included).

    Parameters
    ----------
    notional : Decimal, float or str
        Quote value, > 0; the quantity is ``notional / (price * (1 + taker_fee))``.
    limits : SizingLimits
    """

    notional: Decimal | float | str
    limits: SizingLimits = field(default_factory=SizingLimits, kw_only=True)

    def __post_init__(self) -> None:
        _positive(self.notional, "FixedNotional notional")

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """What ``notional`` buys at the entry price, fee included."""
        return _buys(_decimal(self.notional, "notional"), inputs)


@dataclass(frozen=True, slots=True)
class PercentOfEquity(_Model):
    """A share of equity (the taker fee included), as ``buy(fraction=...)`` sizes it.

    Parameters
    ----------
    fraction : float, default 0.10
        Share of equity in ``(0, 1]``: ``quantity = equity * fraction / (price * (1 + fee))``.
    limits : SizingLimits
    """

    fraction: float | Decimal = 0.10
    limits: SizingLimits = field(default_factory=SizingLimits, kw_only=True)

    def __post_init__(self) -> None:
        _share(self.fraction, "PercentOfEquity fraction")

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """``fraction`` of equity, bought at the entry price with the fee."""
        return _buys(SIZING.multiply(inputs.equity, _decimal(self.fraction, "fraction")), inputs)


@dataclass(frozen=True, slots=True)
class RiskPerTrade(_Model):
    """Lose ``risk`` of equity if the stop is hit: ``quantity = equity * risk / |entry - stop|``.

    What changes results: the stop's distance (a tight stop makes a large position, which the
    limits then cap) and the entry price. Fees and slippage at the stop are not counted, and a
    gap through the stop loses more than ``risk``.

    Parameters
    ----------
    risk : float, default 0.01
        Share of equity lost at the stop, in ``(0, 1]``.
    limits : SizingLimits
    """

    risk: float | Decimal = 0.01
    limits: SizingLimits = field(default_factory=SizingLimits, kw_only=True)

    def __post_init__(self) -> None:
        _share(self.risk, "RiskPerTrade risk")

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """``equity * risk / |price - stop|``."""
        distance = _stop_distance(inputs)
        return SIZING.divide(SIZING.multiply(inputs.equity, _decimal(self.risk, "risk")), distance)


def _stop_distance(inputs: SizingInputs) -> Decimal:
    """``|price - stop|``, the stop checked against the side when there is one."""
    stop, price = inputs.stop, inputs.price
    if stop is None:
        raise SizingError("RiskPerTrade needs a stop price (size(..., stop=...))")
    if stop == price:
        raise SizingError(f"stop {stop} equals the entry price: no distance to size on")
    if stop <= 0:
        raise SizingError(f"stop must be positive, got {stop}")
    if inputs.side is OrderSide.BUY and stop > price:
        raise SizingError(f"stop {stop} is above the entry {price} of a buy")
    if inputs.side is OrderSide.SELL and stop < price:
        raise SizingError(f"stop {stop} is below the entry {price} of a sell")
    return abs(price - stop)


@dataclass(frozen=True, slots=True)
class FractionalKelly(_Model):
    """A fraction of the Kelly bet estimated from the strategy's last closed round trips.

    Full Kelly is ``f* = W - (1 - W) / R``: ``W`` the share of winning trades, ``R`` the payoff
    ratio, the average winning return over the average losing return. Returns are each
    trade's net PnL (fees included) over its entry value (``result.trades.return_pct``), so the
    sizes the sizer chose do not weigh in the estimate (``stats.kelly`` uses money PnL).
    Breakevens count in the trades but neither win nor lose. Without losers ``R`` is infinite
    and ``f* = W``.

    The position is worth ``fraction * f*`` of equity (fee included). Read this way, Kelly's
    "bet" is the whole position, of which a losing trade loses only part: more conservative
    than reading it as the amount at risk.

    Fallback and no edge: with fewer than ``min_trades`` closed trades, the size is the
    limits' minimum (``min_fraction`` of equity): too few trades to estimate an edge, still a
    trade to learn from (with ``min_fraction=0``, no trade). When ``f* <= 0`` (no edge, or no
    winner) the size is **zero**: Kelly says not to bet, and the minimum would override the
    model's one clear message. The strategy skips the order.

    Parameters
    ----------
    fraction : float, default 0.25
        Share of full Kelly, in ``(0, 1]``.
    window : int, default 50
        How many of the most recent closed trades estimate ``W`` and ``R``.
    min_trades : int, default 20
        Closed trades needed before Kelly is used, ``1 <= min_trades <= window``.
    limits : SizingLimits
    """

    fraction: float | Decimal = 0.25
    window: int = 50
    min_trades: int = 20
    limits: SizingLimits = field(default_factory=SizingLimits, kw_only=True)

    def __post_init__(self) -> None:
        _share(self.fraction, "FractionalKelly fraction")
        _count(self.window, "FractionalKelly window")
        _count(self.min_trades, "FractionalKelly min_trades")
        if self.min_trades > self.window:
            raise SizingError(
                f"FractionalKelly min_trades {self.min_trades} exceeds window {self.window}"
            )

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """``fraction * f*`` of equity; the minimum before ``min_trades``; 0 without edge."""
        recent = inputs.trades[-self.window :]
        if len(recent) < self.min_trades:
            return self.limits.quantity_worth(self.limits.min_fraction, inputs)
        edge = kelly_fraction(trade_returns(recent))
        if edge <= 0:
            return _ZERO
        share = SIZING.multiply(_decimal(self.fraction, "fraction"), edge)
        return _buys(SIZING.multiply(inputs.equity, share), inputs)


def _count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SizingError(f"{name} must be an int >= 1, got {value!r}")


def trade_returns(trades: Sequence[TradeRecord]) -> list[Decimal]:
    """Each closed trade's net PnL over its entry value (``entry_price * size``)."""
    returns = []
    for trade in trades:
        cost = SIZING.multiply(trade.entry_price, trade.size)
        if cost <= 0:
            raise SizingError(f"trade {trade.entry_order} has no entry value to return on")
        returns.append(SIZING.divide(trade.net_pnl, cost))
    return returns


def kelly_fraction(returns: Sequence[Decimal]) -> Decimal:
    """Full Kelly ``W - (1 - W) / R`` of trade returns; ``W`` without losers; ``-1`` (no bet)
    without winners.

    Parameters
    ----------
    returns : sequence of Decimal
        Per-trade returns, at least one.
    """
    wins = [r for r in returns if r > 0]
    losses = [-r for r in returns if r < 0]
    win_rate = SIZING.divide(Decimal(len(wins)), Decimal(len(returns)))
    if not losses:
        return win_rate
    if not wins:
        return -_ONE
    payoff = SIZING.divide(_mean(wins), _mean(losses))
    return SIZING.subtract(win_rate, SIZING.divide(_ONE - win_rate, payoff))


def _mean(values: Sequence[Decimal]) -> Decimal:
    total = _ZERO
    for value in values:
        total = SIZING.add(total, value)
    return SIZING.divide(total, Decimal(len(values)))


@dataclass(frozen=True, slots=True)
class VolatilityTarget(_Model):
    """Size so that a typical move over ``horizon`` is worth ``target`` of equity.

    ``quantity = equity * target / (ATR * sqrt(horizon / bar))``: the ATR (Wilder, ``period``
    bars, of the bars so far) is the typical move of one bar, scaled to the horizon by the
    square root of time (moves of independent bars add in variance). On daily bars with the
    default horizon the factor is 1; on hourly bars ``sqrt(24)``.

    What changes results: the ATR's period (a short one follows volatility faster and resizes
    more), the target and the horizon. The ATR is computed over every bar revealed so far, so
    each call costs one pass over the history (equal to the ``atr`` indicator at this bar).

    Parameters
    ----------
    target : float, default 0.01
        Share of equity a typical ``horizon`` move is worth, in ``(0, 1]``.
    period : int, default 14
        ATR period in bars.
    horizon : str, default "1d"
        A fixed timeframe (not months); ``None`` sizes on one bar's ATR.
    limits : SizingLimits
    """

    target: float | Decimal = 0.01
    period: int = 14
    horizon: str | None = "1d"
    limits: SizingLimits = field(default_factory=SizingLimits, kw_only=True)

    def __post_init__(self) -> None:
        _share(self.target, "VolatilityTarget target")
        _count(self.period, "VolatilityTarget period")
        if self.horizon is not None:
            _horizon(self.horizon)

    def proposal(self, inputs: SizingInputs) -> Decimal:
        """``equity * target / (ATR * sqrt(horizon / bar))``."""
        move = SIZING.multiply(self.current_atr(inputs), self._scale(inputs))
        return SIZING.divide(SIZING.multiply(inputs.equity, _decimal(self.target, "target")), move)

    def current_atr(self, inputs: SizingInputs) -> Decimal:
        """The ATR at the last bar of ``inputs``, exactly as its float reads."""
        bars = len(inputs.close)
        if bars <= self.period:
            raise SizingError(
                f"VolatilityTarget: ATR({self.period}) is not defined yet: {bars} bars so far, "
                f"it needs {self.period + 1}"
            )
        value = float(atr(inputs.high, inputs.low, inputs.close, self.period)[-1])
        if not math.isfinite(value) or value <= 0:
            raise SizingError(
                f"VolatilityTarget: ATR({self.period}) is {value} at the last bar; "
                "it must be a positive number"
            )
        return Decimal(repr(value))

    def _scale(self, inputs: SizingInputs) -> Decimal:
        """``sqrt(horizon / bar)``."""
        if self.horizon is None:
            return _ONE
        if inputs.timeframe is None:
            raise SizingError("VolatilityTarget with a horizon needs the bars' timeframe")
        horizon = Decimal(_horizon(self.horizon).nanos)
        return SIZING.divide(horizon, Decimal(inputs.timeframe.nanos)).sqrt(SIZING)


def _horizon(text: str) -> Timeframe:
    try:
        frame = Timeframe.parse(text)
    except TimeframeError as error:
        raise SizingError(f"VolatilityTarget horizon {text!r}: {error}") from None
    if frame.is_calendar:
        raise SizingError(f"VolatilityTarget horizon {text!r} must be a fixed length, not months")
    return frame
