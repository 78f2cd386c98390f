"""Trading symbols: ``BTC/USDT`` spot pairs and ``BTC/USDT:USDT`` derivatives.

One value object names a market everywhere in tradeforge. :meth:`Symbol.parse` reads the forms
traders and venues write (``BTC/USDT``, ``btc-usdt``, ``BTC_USDT``, ``BTCUSDT``, ``ETHBTC``,
``BTC``, ``BTC/USDT:USDT``) and caches what it has read, because symbols are parsed on every
message that crosses an adapter.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

DEFAULT_QUOTE = "USDT"
KNOWN_QUOTES: tuple[str, ...] = (
    "USDT", "USDC", "FDUSD", "BUSD", "TUSD", "DAI", "USD", "EUR", "GBP", "TRY", "BRL",
    "BTC", "ETH", "BNB",
)  # fmt: skip
_SEPARATORS = ("/", "-", "_")
_CACHE_LIMIT = 100_000
# A joined spelling without a known quote suffix reads as a bare base up to this length.
_MAX_BARE_BASE = 5
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


class SymbolError(ValueError):
    """A symbol that cannot be read; the message names the offending input."""


class Symbol:
    """A market: base and quote currency, and for derivatives the settle currency.

    One object per market: ``Symbol("BTC", "USDT")`` returns the symbol already made for
    those currencies while one is alive, so symbols compare and hash by identity, at C speed
    (they key every hot dictionary: positions, prices, instruments, risk state). Symbols are
    immutable; a pickled one is rebuilt from its currencies (and is the same object again).

    Parameters
    ----------
    base : str
        The asset bought or sold (``BTC``); upper case letters and digits (``1000PEPE``).
    quote : str
        The currency prices are quoted in (``USDT``).
    settle : str or None
        The settle (margin) currency of a derivative: ``BTC/USDT:USDT`` is the USDT-margined
        perpetual, ``BTC/USD:BTC`` the inverse one. ``None`` for spot.

    Raises
    ------
    SymbolError
        When a currency is not upper-case letters and digits, or base equals quote.
    """

    __slots__ = ("__weakref__", "base", "quote", "settle")
    base: str
    quote: str
    settle: str | None

    def __new__(cls, base: str, quote: str, settle: str | None = None) -> Symbol:
        key = (base, quote, settle)
        known = _MADE.get(key)
        if known is not None:
            return known
        _check_currencies(base, quote, settle)
        with _MAKING:
            known = _MADE.get(key)  # another thread may have made it meanwhile
            if known is None:
                known = object.__new__(cls)
                for name, code in zip(("base", "quote", "settle"), key, strict=True):
                    object.__setattr__(known, name, code)
                _MADE[key] = known
        return known

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"symbol {self} is immutable: cannot set {name}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"symbol {self} is immutable: cannot delete {name}")

    def __reduce__(self) -> tuple[type[Symbol], tuple[str, str, str | None]]:
        # rebuilt from its currencies: the one symbol of the process that loads it
        return (Symbol, (self.base, self.quote, self.settle))

    def __copy__(self) -> Symbol:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Symbol:
        return self

    @classmethod
    def parse(
        cls,
        text: Any,
        *,
        default_quote: str | None = None,
        markets: MarketIndex | None = None,
    ) -> Symbol:
        """Read a symbol from any common spelling.

        Parameters
        ----------
        text : str
            ``BTC/USDT``, ``btc-usdt``, ``BTC_USDT``, ``BTCUSDT``, ``ETHBTC``, ``BTC`` or
            ``BTC/USDT:USDT``. Case and surrounding spaces do not matter.
        default_quote : str, optional
            Quote for a bare base such as ``BTC``; defaults to the process default
            (``USDT``, changed with :func:`set_default_quote`).
        markets : MarketIndex, optional
            A venue's list of markets. When given, spellings without a separator are looked up
            there first, which settles ambiguous ones (``BTCTUSD``) the way that venue does.

        Raises
        ------
        SymbolError
            When the text is empty, not a string, digits only, has no separator and no known
            quote suffix (joined spellings of up to 5 characters, such as ``SOL``, read as a
            bare base instead), or names the same currency as base and quote.
        """
        if default_quote is None and markets is None:
            return _DEFAULT_PARSER.parse(text)
        parser = SymbolParser(default_quote or _DEFAULT_PARSER.default_quote, markets=markets)
        return parser.parse(text)

    def __str__(self) -> str:
        if self.settle is None:
            return f"{self.base}/{self.quote}"
        return f"{self.base}/{self.quote}:{self.settle}"

    def __repr__(self) -> str:
        return f"Symbol({str(self)!r})"

    @property
    def venue_id(self) -> str:
        """The id most venues use, Binance's among them: ``BTCUSDT``."""
        return f"{self.base}{self.quote}"

    @property
    def cache_key(self) -> str:
        """A key safe in file paths and cache keys: ``BTC-USDT``, ``BTC-USDT-USDT``."""
        if self.settle is None:
            return f"{self.base}-{self.quote}"
        return f"{self.base}-{self.quote}-{self.settle}"

    @property
    def is_derivative(self) -> bool:
        """True when the symbol has a settle currency."""
        return self.settle is not None

    def to_dict(self) -> dict[str, str | None]:
        """Plain dictionary with ``base``, ``quote`` and ``settle``."""
        return {"base": self.base, "quote": self.quote, "settle": self.settle}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Symbol:
        """Inverse of :meth:`to_dict`; unknown keys are refused by name."""
        unknown = set(data) - {"base", "quote", "settle"}
        if unknown:
            raise SymbolError(f"unknown symbol field(s) {sorted(unknown)} in {dict(data)!r}")
        try:
            return cls(data["base"], data["quote"], data.get("settle"))
        except KeyError as missing:
            raise SymbolError(f"symbol field {missing} missing in {dict(data)!r}") from None

    def sort_key(self) -> tuple[str, str, str]:
        """Key for stable ordering (spot before derivatives of the same pair)."""
        return (self.base, self.quote, self.settle or "")

    def __lt__(self, other: Symbol) -> bool:
        return self.sort_key() < other.sort_key()


class MarketIndex:
    """A venue's markets, indexed by the id the venue writes without separators.

    Parameters
    ----------
    symbols : iterable of Symbol
        The markets the venue lists. Ids are ``venue_id`` (``BTCUSDT``) unless given in ``ids``.
    ids : mapping of str to Symbol, optional
        Explicit venue ids, for venues whose ids differ from base + quote (``XXBTZUSD``).
    """

    def __init__(
        self, symbols: Iterable[Symbol] = (), ids: Mapping[str, Symbol] | None = None
    ) -> None:
        self._by_id: dict[str, Symbol] = {}
        for symbol in symbols:
            # Spot wins over a derivative with the same id (Binance spot and USD-M share ids).
            self._by_id.setdefault(symbol.venue_id, symbol)
        for venue_id, symbol in (ids or {}).items():
            self._by_id[venue_id.upper()] = symbol

    @classmethod
    def from_ccxt(cls, markets: Mapping[str, Mapping[str, Any]]) -> MarketIndex:
        """Build from ccxt's ``exchange.markets`` (``id``, ``base``, ``quote``, ``settle``)."""
        ids = {
            str(m["id"]): Symbol(str(m["base"]), str(m["quote"]), m.get("settle") or None)
            for m in markets.values()
        }
        return cls(ids=ids)

    def get(self, venue_id: str) -> Symbol | None:
        """The market with this id, or ``None``."""
        return self._by_id.get(venue_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, venue_id: object) -> bool:
        return venue_id in self._by_id


class SymbolParser:
    """Parses symbol spellings with a default quote, a list of quotes and a cache.

    Most code calls :meth:`Symbol.parse`, which uses the process-wide parser.
    """

    def __init__(
        self,
        default_quote: str = DEFAULT_QUOTE,
        quotes: Iterable[str] = KNOWN_QUOTES,
        markets: MarketIndex | None = None,
    ) -> None:
        self.default_quote = default_quote.upper()
        if not _is_currency_code(self.default_quote):
            raise SymbolError(f"invalid default quote {default_quote!r}")
        # Longest first, so BTCTUSD reads as BTC/TUSD and FDUSDUSDT as FDUSD/USDT.
        self.quotes = tuple(sorted({q.upper() for q in quotes}, key=len, reverse=True))
        self.markets = markets
        self._cache: dict[str, Symbol] = {}

    def parse(self, text: Any) -> Symbol:
        """Parse one spelling; see :meth:`Symbol.parse`."""
        cached = self._cache.get(text) if isinstance(text, str) else None
        if cached is not None:
            return cached
        symbol = self._parse_uncached(text)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[text] = symbol
        return symbol

    def _parse_uncached(self, text: Any) -> Symbol:
        if not isinstance(text, str):
            raise SymbolError(f"symbol must be a string, got {type(text).__name__} {text!r}")
        cleaned = text.strip().upper()
        if not cleaned:
            raise SymbolError(f"empty symbol {text!r}")
        if cleaned.isdigit():
            raise SymbolError(f"symbol {text!r} is digits only")
        try:
            return self._split(cleaned)
        except SymbolError as error:
            raise SymbolError(f"cannot read symbol {text!r}: {error}") from None

    def _split(self, cleaned: str) -> Symbol:
        pair, _, settle = cleaned.partition(":")
        if ":" in cleaned and not settle:
            raise SymbolError("settle currency missing after ':'")
        parts = _split_on_separator(pair)
        if len(parts) == 3 and not settle:  # BTC_USDT_USDT, freqtrade's futures file names
            parts, settle = parts[:2], parts[2]
        if len(parts) == 2:
            return Symbol(parts[0], parts[1], settle or None)
        if len(parts) > 2:
            raise SymbolError("too many separators")
        return self._split_joined(pair, settle or None)

    def _split_joined(self, joined: str, settle: str | None) -> Symbol:
        if self.markets is not None:
            listed = self.markets.get(joined)
            if listed is not None:
                return listed if settle is None else Symbol(listed.base, listed.quote, settle)
        for quote in self.quotes:
            if joined.endswith(quote):
                base = joined[: -len(quote)]
                if not base:  # a bare currency: BTC means BTC/<default quote>
                    return Symbol(joined, self.default_quote, settle)
                return Symbol(base, quote, settle)
        if _is_currency_code(joined) and len(joined) <= _MAX_BARE_BASE:  # SOL, DOGE, AVAX
            return Symbol(joined, self.default_quote, settle)
        raise SymbolError("no separator and no known quote currency at its end")


def _split_on_separator(pair: str) -> list[str]:
    for separator in _SEPARATORS:
        if separator in pair:
            return pair.split(separator)
    return [pair]


def _check_currencies(base: object, quote: object, settle: object) -> None:
    """Refuse currencies that are not codes, and a base equal to the quote."""
    for role, code in (("base", base), ("quote", quote), ("settle", settle)):
        if code is None and role == "settle":
            continue
        if not _is_currency_code(code):
            raise SymbolError(
                f"invalid {role} currency {code!r} in symbol "
                f"{base!r}/{quote!r}: use upper-case letters and digits"
            )
    if base == quote:
        raise SymbolError(f"base equals quote in symbol {base}/{quote}")


_MADE: weakref.WeakValueDictionary[tuple[str, str, str | None], Symbol] = (
    weakref.WeakValueDictionary()
)
"""The live symbols by their currencies: one object per market."""
_MAKING = threading.Lock()


def _is_currency_code(code: object) -> bool:
    return (
        isinstance(code, str)
        and 0 < len(code) <= 20
        and _ALNUM.issuperset(code)
        and not code.isdigit()
    )


_DEFAULT_PARSER = SymbolParser()


def set_default_quote(quote: str) -> None:
    """Change the quote a bare base (``BTC``) gets in :meth:`Symbol.parse` for this process."""
    global _DEFAULT_PARSER  # noqa: PLW0603 - one process-wide parser and its cache
    _DEFAULT_PARSER = SymbolParser(quote)


def default_quote() -> str:
    """The quote a bare base currently gets."""
    return _DEFAULT_PARSER.default_quote
