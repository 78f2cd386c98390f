"""The sandbox's markets: each symbol's filters, fees, and its ``exchangeInfo`` entry.

Filters are Binance's (``PRICE_FILTER``, ``LOT_SIZE``, ``MARKET_LOT_SIZE``, ``NOTIONAL``):

* the price tick is the finest one the replayed prices use (the catalog holds the venue's
  prices, so this is the tick they were quoted in), unless the config sets one;
* the quantity step, minimum and maximum come from a table of Binance's current values for
  the bundled sample pairs, or else from the price (a step worth about one quote unit);
* the minimum notional is 5 quote units, as on Binance.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
from numpy.typing import NDArray

from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.sandbox.config import InstrumentConfig

MAX_PRICE = Decimal(1_000_000)
MIN_NOTIONAL = Decimal(5)
MAX_NOTIONAL = Decimal(9_000_000)
ORDER_TYPES = (
    "LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT",
    "TAKE_PROFIT_LIMIT",
)  # fmt: skip
# Binance spot LOT_SIZE (step, max quantity) of the bundled sample pairs
_KNOWN_LOTS: dict[str, tuple[str, str]] = {
    "BTCUSDT": ("0.00001", "9000"),
    "ETHUSDT": ("0.0001", "9000"),
    "SOLUSDT": ("0.001", "9000000"),
    "XRPUSDT": ("0.1", "9000000"),
    "ADAUSDT": ("0.1", "9000000"),
    "DOGEUSDT": ("1", "9000000"),
    "LINKUSDT": ("0.01", "9000000"),
    "LTCUSDT": ("0.001", "9000000"),
    "DOTUSDT": ("0.01", "9000000"),
}
_MAX_DECIMALS = 8


def build_instrument(
    symbol: Symbol,
    prices: NDArray[np.float64],
    venue: str,
    fees: tuple[Decimal, Decimal],
    terms: InstrumentConfig | None = None,
) -> Instrument:
    """The instrument of ``symbol`` whose replayed prices are ``prices``.

    Parameters
    ----------
    symbol : Symbol
        The spot market.
    prices : numpy.ndarray
        Prices of the replayed bars (any of open, high, low, close); they decide the tick.
    venue : str
        The sandbox's name.
    fees : tuple of Decimal
        Maker and taker fee rates.
    terms : InstrumentConfig, optional
        Overrides from the config.
    """
    terms = terms or InstrumentConfig()
    tick = terms.price_tick or infer_tick(prices)
    reference = float(prices[0]) if len(prices) else 1.0
    default_step, default_max = _KNOWN_LOTS.get(symbol.venue_id, (None, "9000000"))
    step = terms.quantity_step or (Decimal(default_step) if default_step else _step_for(reference))
    return Instrument(
        symbol=symbol,
        venue=venue,
        kind=InstrumentKind.SPOT,
        price_tick=tick,
        quantity_step=step,
        min_quantity=terms.min_quantity if terms.min_quantity is not None else step,
        max_quantity=terms.max_quantity or Decimal(default_max),
        min_notional=terms.min_notional if terms.min_notional is not None else MIN_NOTIONAL,
        maker_fee=fees[0],
        taker_fee=fees[1],
    )


def infer_tick(prices: NDArray[np.float64]) -> Decimal:
    """The coarsest tick ``10**-d`` (d ≤ 8) on which every price lies."""
    sample = np.abs(prices[:20_000])
    for places in range(_MAX_DECIMALS + 1):
        scaled = sample * 10**places
        if bool(np.all(np.abs(scaled - np.rint(scaled)) <= 1e-6 * np.maximum(scaled, 1.0))):
            return Decimal(1).scaleb(-places)
    return Decimal(1).scaleb(-_MAX_DECIMALS)


def _step_for(price: float) -> Decimal:
    """A quantity step worth about one quote unit at ``price`` (at most 8 decimals)."""
    places = min(_MAX_DECIMALS, max(0, math.floor(math.log10(max(price, 1e-12))) + 1))
    return Decimal(1).scaleb(-places)


def fmt(value: Decimal, places: int = 8) -> str:
    """A decimal as Binance writes it: fixed point with ``places`` decimals."""
    return f"{value:.{places}f}"


def symbol_info(instrument: Instrument) -> dict[str, Any]:
    """One entry of ``exchangeInfo.symbols`` (no contract markers: ccxt reads it as spot)."""
    symbol = instrument.symbol
    step = instrument.quantity_step
    max_qty = instrument.max_quantity or Decimal(9_000_000)
    return {
        "symbol": symbol.venue_id,
        "status": "TRADING",
        "baseAsset": symbol.base,
        "baseAssetPrecision": 8,
        "quoteAsset": symbol.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": list(ORDER_TYPES),
        "icebergAllowed": False,
        "ocoAllowed": True,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": [
            {"filterType": "PRICE_FILTER", "minPrice": fmt(instrument.price_tick),
             "maxPrice": fmt(MAX_PRICE), "tickSize": fmt(instrument.price_tick)},
            {"filterType": "LOT_SIZE", "minQty": fmt(instrument.min_quantity),
             "maxQty": fmt(max_qty), "stepSize": fmt(step)},
            {"filterType": "MARKET_LOT_SIZE", "minQty": fmt(Decimal(0)),
             "maxQty": fmt(max_qty), "stepSize": fmt(Decimal(0))},
            {"filterType": "NOTIONAL", "minNotional": fmt(instrument.min_notional),
             "applyMinToMarket": True, "maxNotional": fmt(MAX_NOTIONAL),
             "applyMaxToMarket": False, "avgPriceMins": 5},
            {"filterType": "MAX_NUM_ORDERS", "maxNumOrders": 200},
        ],
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "EXPIRE_MAKER",
        "allowedSelfTradePreventionModes": ["EXPIRE_MAKER"],
    }  # fmt: skip


def exchange_info(instruments: list[Instrument], server_time_ms: int) -> dict[str, Any]:
    """The ``GET /api/v3/exchangeInfo`` document for ``instruments``."""
    return {
        "timezone": "UTC",
        "serverTime": server_time_ms,
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1,
             "limit": 6000},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
        ],
        "exchangeFilters": [],
        "symbols": [symbol_info(i) for i in instruments],
    }  # fmt: skip
