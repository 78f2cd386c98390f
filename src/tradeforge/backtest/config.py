"""The typed configuration of a backtest venue and account."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Literal, Self

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradeforge.backtest.perpetual import FundingRates
from tradeforge.risk.limits import RiskConfig, RiskConfigError

_MARGIN_ONLY = ("funding", "maintenance_margin_rate", "liquidation_fee")


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
    funding : mapping of symbol to DataFrame or FundingRates, optional
        Perpetual funding rates per symbol (``account="margin"`` only); frames are read with
        :meth:`FundingRates.from_frame` (Freqtrade's ``*-funding_rate.feather`` layout).
    maintenance_margin_rate : Decimal or None
        Maintenance margin rate of margin-account positions (default 0.005, Binance's first
        tier); a position is liquidated at the price where the account's margin balance falls
        to it. ``None`` disables liquidation. ``account="margin"`` only.
    liquidation_fee : Decimal
        Fee rate charged on the notional of a liquidation (default 0). ``account="margin"``
        only.
    calendar : {"crypto", "equity"}
        How statistics annualize: ``"crypto"`` (default) counts 365 days of 24 h, so a year
        is ``365 × 86,400 / bar seconds`` bars; ``"equity"`` 252 trading days of 6.5 h (see
        :class:`~tradeforge.backtest.stats.Calendar`).
    risk_free_rate : float
        Annual risk-free rate the Sharpe and Sortino ratios subtract (0.04 is 4 %), compounded
        to a per-bar rate.
    fast_path : bool
        Run market-order spot strategies on the engine's market-order fast path (default);
        results are identical to the full kernel's (see
        :mod:`tradeforge.backtest.fast_path`). ``False`` always runs the full kernel.
    risk : RiskConfig, mapping, path or None
        Pre-trade risk limits (:class:`~tradeforge.risk.limits.RiskConfig`; a mapping of its
        fields, or the path of a YAML file). ``None`` (default): only the venue's rules
        (instrument filters, balance or margin). With limits the run takes the full kernel.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

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
    funding: dict[str, FundingRates] | None = None
    maintenance_margin_rate: Decimal | None = Field(default=Decimal("0.005"), ge=0, lt=1)
    liquidation_fee: Decimal = Field(default=Decimal(0), ge=0, lt=1)
    calendar: Literal["crypto", "equity"] = "crypto"
    risk_free_rate: float = Field(default=0.0, gt=-1, lt=1)
    fast_path: bool = True
    risk: RiskConfig | None = None

    @field_validator(
        "cash", "leverage", "commission", "maintenance_margin_rate", "liquidation_fee",
        mode="before",
    )  # fmt: skip
    @classmethod
    def _exact(cls, value: object) -> object:
        """Floats become decimals through their shortest text (0.1 stays 0.1)."""
        return Decimal(repr(value)) if isinstance(value, float) else value

    @field_validator("funding", mode="before")
    @classmethod
    def _funding_rates(cls, value: object) -> object:
        """Symbol to :class:`FundingRates`; DataFrames are read with ``from_frame``."""
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise ValueError(  # pydantic reports a ValueError as the field's error
                f"funding must map a symbol to funding rates, got {type(value).__name__}"
            )
        rates: dict[str, FundingRates] = {}
        for key, item in value.items():
            if isinstance(item, pd.DataFrame):
                item = FundingRates.from_frame(item)  # noqa: PLW2901
            elif not isinstance(item, FundingRates):
                raise ValueError(
                    f"funding for {key}: a DataFrame or FundingRates, got {type(item).__name__}"
                )
            rates[str(key)] = item
        return rates

    @field_validator("risk", mode="before")
    @classmethod
    def _risk_file(cls, value: object) -> object:
        """A path is read as a YAML risk config (errors name the file and the key)."""
        if isinstance(value, str | Path):
            try:
                return RiskConfig.from_yaml(value)
            except RiskConfigError as error:
                raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _margin_only(self) -> Self:
        """Funding and liquidation settings describe perpetuals: a margin account's."""
        if self.account != "margin":
            given = [
                name
                for name in _MARGIN_ONLY
                if name in self.model_fields_set and (name != "funding" or self.funding)
            ]
            if given:
                raise ValueError(
                    f"{', '.join(given)}: perpetual-futures settings need account='margin' "
                    f"(got account={self.account!r})"
                )
        return self
