"""What a file's name and folders say about its contents.

freqtrade names its files ``<PAIR>-<timeframe>[-<candle type>].<ext>`` with ``_`` between
the currencies: ``SOL_USDT-5m.feather`` (spot), ``BTC_USDT_USDT-5m-futures.feather``
(``BTC/USDT:USDT``), ``XRP_ETH-trades.feather``. Other tools write ``ADABTC-1m-2021-11-27.csv``
or ``btcusdt-trades.parquet``. The catalog writes hive folders (``venue=binance``). The venue
comes from the nearest parent folder named like a ccxt exchange id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tradeforge.data.errors import UnsupportedDataError
from tradeforge.data.schema import DataKind
from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.model.timeframe import Timeframe, TimeframeError

# ccxt exchange ids recognised as folder names (data, not code: extend freely).
KNOWN_VENUES: frozenset[str] = frozenset({
    "binance", "binanceus", "binanceusdm", "binancecoinm", "bybit", "okx", "kraken",
    "krakenfutures", "coinbase", "coinbaseexchange", "bitfinex", "bitmex", "bitstamp", "kucoin",
    "kucoinfutures", "gate", "gateio", "htx", "huobi", "bitget", "mexc", "deribit", "gemini",
    "bittrex", "poloniex", "ftx", "hyperliquid", "phemex", "bingx", "cryptocom", "bitvavo",
    "bitpanda", "upbit", "bithumb", "woo", "lbank", "ascendex",
})  # fmt: skip
_FREQTRADE = re.compile(r"^(?P<pair>[A-Za-z0-9]+(?:_[A-Za-z0-9]+){1,2})-(?P<rest>[A-Za-z0-9_-]+)$")
_UNSUPPORTED = {
    "mark": "mark-price candles",
    "funding_rate": "funding-rate history",
    "index": "index-price candles",
    "premiumIndex": "premium-index candles",
}
_SUFFIXES = (".csv.gz", ".json.gz", ".csv", ".json", ".feather", ".parquet")


@dataclass(frozen=True, slots=True)
class NameHints:
    """What the path says; any field may be ``None``."""

    kind: DataKind | None = None
    symbol: Symbol | None = None
    timeframe: Timeframe | None = None
    venue: str | None = None
    market: str | None = None


def stem(path: Path) -> str:
    """The file name without its data suffix (``.json.gz`` counts as one)."""
    name = path.name
    for suffix in _SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def hints_from_path(path: Path) -> NameHints:
    """Symbol, timeframe, kind, market and venue as far as the path tells them.

    Raises
    ------
    DataError
        For freqtrade files tradeforge cannot store yet (``-mark``, ``-funding_rate``).
    """
    hive = _hive(path)
    if hive is not None:
        return hive
    name = stem(path)
    match = _FREQTRADE.match(name)
    hints = _freqtrade(path, match["pair"], match["rest"]) if match else _generic(name)
    return NameHints(
        hints.kind, hints.symbol, hints.timeframe, venue_from_folders(path), hints.market
    )


def venue_from_folders(path: Path) -> str | None:
    """The nearest parent folder named like a ccxt exchange id (``futures`` and such skipped)."""
    for parent in path.resolve().parents:
        if parent.name.lower() in KNOWN_VENUES:
            return parent.name.lower()
    return None


def _freqtrade(path: Path, pair: str, rest: str) -> NameHints:
    tokens = rest.split("-")
    for token in tokens:
        if token in _UNSUPPORTED:
            raise UnsupportedDataError(f"{path.name}: {_UNSUPPORTED[token]} cannot be imported yet")
    symbol = _symbol(pair)
    kind = DataKind.TRADES if "trades" in tokens else DataKind.BARS
    timeframe = next((tf for tf in map(_timeframe, tokens) if tf is not None), None)
    futures = "futures" in tokens or (symbol is not None and symbol.settle is not None)
    return NameHints(kind, symbol, timeframe, None, "futures" if futures else "spot")


def _generic(name: str) -> NameHints:
    tokens = name.split("-")
    symbol = _joined_symbol(tokens[0])
    timeframes = {tf for tf in map(_timeframe, re.split(r"[-_ .]", name)) if tf is not None}
    kind = next((DataKind(t) for t in tokens if t in ("trades", "quotes")), None)
    timeframe = timeframes.pop() if len(timeframes) == 1 else None
    return NameHints(kind, symbol, timeframe, None, None)


def _hive(path: Path) -> NameHints | None:
    parts = {}
    for part in (*path.parent.parts[-3:], stem(path)):
        key, sep, value = part.partition("=")
        if sep:
            parts[key] = value
    if "venue" not in parts or "symbol" not in parts:
        return None
    kind = path.parents[3 if "timeframe" in parts else 2].name
    token = parts.get("timeframe")
    return NameHints(
        DataKind(kind) if kind in DataKind.__members__.values() else None,
        _symbol(parts["symbol"]),
        _timeframe("1M" if token == "1month" else token or ""),
        parts["venue"],
        None,
    )


def _symbol(text: str) -> Symbol | None:
    try:
        return Symbol.parse(text)
    except SymbolError:
        return None


def _joined_symbol(token: str) -> Symbol | None:
    """A symbol only when the token spells base and quote itself (``ADABTC``, not ``btc``)."""
    symbol = _symbol(token)
    if symbol is None:
        return None
    spelled = token.upper().replace("/", "").replace("_", "").replace(":", "")
    return symbol if spelled == f"{symbol.base}{symbol.quote}{symbol.settle or ''}" else None


def _timeframe(token: str) -> Timeframe | None:
    try:
        return Timeframe.parse(token)
    except TimeframeError:
        return None
