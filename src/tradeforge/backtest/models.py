"""Realism models of the simulated exchange: slippage, volume participation, latency.

Each model is a small immutable object injected into
:class:`~tradeforge.backtest.exchange.SimulatedExchange`. Its docstring is its contract: what
it receives, what it may return, and how that changes results. Fees are not a model here:
they come from the instrument (``maker_fee``, ``taker_fee``), as on a real venue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol


class SlippageModel(Protocol):
    """Moves the price of a taker fill against the taker.

    ``slipped_price(price, side, quantity, bar_volume)`` receives the price the matching rules
    chose (the open, a stop level, ...), the side (+1 buy, -1 sell), the fill quantity and the
    volume of the bar it fills in, and returns a price that is never better for the taker
    (``>= price`` for a buy, ``<= price`` for a sell). The exchange then rounds it to the tick,
    away from the taker's favour. Maker fills (resting limits) never slip.
    """

    def slipped_price(self, price: float, side: int, quantity: float, bar_volume: float) -> float:
        """The fill price after slippage."""
        ...


@dataclass(frozen=True, slots=True)
class NoSlippage:
    """Taker fills trade exactly at the price the matching rules chose."""

    def slipped_price(self, price: float, side: int, quantity: float, bar_volume: float) -> float:
        """Return ``price`` unchanged."""
        return price


@dataclass(frozen=True, slots=True)
class FixedBpsSlippage:
    """Every taker fill pays ``bps`` basis points: ``price * (1 + side * bps / 10_000)``."""

    bps: float

    def __post_init__(self) -> None:
        if not math.isfinite(self.bps) or self.bps < 0:
            raise ValueError(f"slippage bps must be a finite number >= 0, got {self.bps!r}")

    def slipped_price(self, price: float, side: int, quantity: float, bar_volume: float) -> float:
        """Return the price moved ``bps`` against the taker."""
        return price * (1.0 + side * self.bps / 10_000.0)


@dataclass(frozen=True, slots=True)
class VolumeShareSlippage:
    """Price impact growing with the share of the bar's volume taken (square-root law).

    ``impact = impact_coefficient * sqrt(quantity / bar_volume)`` as a fraction of the price,
    plus a constant ``spread_bps / 2``; a bar without volume takes the largest impact,
    ``impact_coefficient``.
    """

    impact_coefficient: float = 0.1
    spread_bps: float = 0.0

    def __post_init__(self) -> None:
        for name in ("impact_coefficient", "spread_bps"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")

    def slipped_price(self, price: float, side: int, quantity: float, bar_volume: float) -> float:
        """Return the price moved by the spread and the impact of the volume share."""
        share = 1.0 if bar_volume <= 0 else min(1.0, quantity / bar_volume)
        impact = self.impact_coefficient * math.sqrt(share) + self.spread_bps / 20_000.0
        return price * (1.0 + side * impact)


@dataclass(frozen=True, slots=True)
class VolumeParticipation:
    """Caps the quantity one order may fill in one bar at ``max_share`` of the bar's volume.

    ``None`` (the default) means no cap: an order fills in full when its price is reached.
    With a cap, the order fills ``min(leaves, max_share * volume)`` rounded down to the step in
    each bar its price is reached, emitting partial fills, and keeps working for the rest.
    """

    max_share: float | None = None

    def __post_init__(self) -> None:
        share = self.max_share
        if share is not None and not (math.isfinite(share) and 0 < share <= 1):
            raise ValueError(f"max_share must be in (0, 1], got {share!r}")

    def cap(self, bar_volume: float) -> float:
        """The largest quantity an order may fill in a bar of ``bar_volume``."""
        return math.inf if self.max_share is None else self.max_share * max(bar_volume, 0.0)


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """Delay between a decision and the moment the venue acts on it.

    An order (or a cancel) submitted at ``t`` reaches the venue at ``t + delay_ns``. Inside a
    bar, time is assumed to flow uniformly along the price path, so an order arriving 10 % into
    a bar can trade from 10 % along its path on. Zero delay (the default) makes an order sent
    at a bar's close active from the next bar's open.
    """

    delay_ns: int = 0

    def __post_init__(self) -> None:
        if self.delay_ns < 0:
            raise ValueError(f"latency delay_ns must be >= 0, got {self.delay_ns!r}")
