"""The typed configuration of a backtest venue and account."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class BacktestConfig(BaseModel):
    """How the simulated venue and account behave. Every field changes results.

    Parameters
    ----------
    cash : Decimal
        Starting balance in ``currency``.
    currency : str or None
        Account currency; default: the quote of the first instrument.
    account : {"cash", "margin"}
        Spot (no shorting, no leverage) or margin (netted positions, shorts, ``leverage``).
    leverage : Decimal
        Largest leverage of a margin account.
    commission : Decimal or None
        Overrides the instruments' maker and taker fees (a fraction: 0.001 is 0.1 %).
    market_fill : {"next_open", "close"}
        Where a market order submitted at a bar's close trades.
    intrabar : {"adverse", "favorable", "high_first", "low_first", "nearest"}
        Which extreme of a bar the assumed price path visits first.
    slippage_bps : float
        Fixed slippage of taker fills, basis points.
    max_volume_share : float or None
        Cap on the share of a bar's volume one order may fill (partial fills).
    latency_ms : float
        Order latency.
    native_contingency : bool
        The venue runs OCO and bracket lists itself (otherwise the engine emulates them).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    cash: Decimal = Field(default=Decimal(10_000), gt=0)
    currency: str | None = None
    account: Literal["cash", "margin"] = "cash"
    leverage: Decimal = Field(default=Decimal(1), ge=1)
    commission: Decimal | None = Field(default=None, ge=-0.01, lt=0.1)
    market_fill: Literal["next_open", "close"] = "next_open"
    intrabar: Literal["adverse", "favorable", "high_first", "low_first", "nearest"] = "adverse"
    slippage_bps: float = Field(default=0.0, ge=0)
    max_volume_share: float | None = Field(default=None, gt=0, le=1)
    latency_ms: float = Field(default=0.0, ge=0)
    native_contingency: bool = True

    @field_validator("cash", "leverage", "commission", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        """Floats become decimals through their shortest text (0.1 stays 0.1)."""
        return Decimal(repr(value)) if isinstance(value, float) else value
