"""Request parameters, read the way Binance reads them.

A request's query string (and form body) becomes :class:`Params`: every accessor validates
its value and raises the :class:`~tradeforge.sandbox.errors.BinanceError` Binance answers
(-1100 bad characters, -1101 a duplicate, -1102 a missing mandatory value), so handlers work
with typed values only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl

from tradeforge.sandbox import errors
from tradeforge.sandbox.errors import CLIENT_ID_RANGE, INTEGER_RANGE, NUMBER_RANGE

_NUMBER = re.compile(NUMBER_RANGE)
_INTEGER = re.compile(INTEGER_RANGE)
_CLIENT_ID = re.compile(CLIENT_ID_RANGE)
_SYMBOL = re.compile(r"^[A-Z0-9-_.]{1,20}$")
_MAX_INT = 2**63 - 1


class Params(Mapping[str, str]):
    """The decoded parameters of one request (query string plus form body).

    Parameters
    ----------
    items : mapping of str to str
        Name to raw text; duplicates were refused by :meth:`parse`.
    """

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)

    @classmethod
    def parse(cls, *encoded: str) -> Params:
        """Decode ``application/x-www-form-urlencoded`` texts; a name sent twice is -1101."""
        items: dict[str, str] = {}
        for text in encoded:
            for name, value in parse_qsl(text, keep_blank_values=True):
                if name in items:
                    raise errors.duplicate_parameter(name)
                items[name] = value
        return cls(items)

    def __getitem__(self, name: str) -> str:
        return self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def text(self, name: str) -> str | None:
        """The raw value, ``None`` when absent or empty."""
        value = self._items.get(name)
        return value if value else None

    def required(self, name: str) -> str:
        """The raw value; -1102 when absent or empty."""
        value = self.text(name)
        if value is None:
            raise errors.mandatory(name)
        return value

    def decimal(self, name: str, required: bool = False) -> Decimal | None:
        """A non-negative decimal such as ``0.001``; -1100 for anything else."""
        value = self.required(name) if required else self.text(name)
        if value is None:
            return None
        if not _NUMBER.match(value):
            raise errors.illegal_characters(name, NUMBER_RANGE)
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise errors.illegal_characters(name, NUMBER_RANGE) from None

    def positive(self, name: str, required: bool = False) -> Decimal | None:
        """A decimal above zero; -1100 for zero or anything else, as Binance answers."""
        value = self.decimal(name, required)
        if value is not None and value <= 0:
            raise errors.illegal_characters(name, NUMBER_RANGE)
        return value

    def integer(self, name: str, required: bool = False) -> int | None:
        """A non-negative integer (ids, times, limits); -1100 for anything else."""
        value = self.required(name) if required else self.text(name)
        if value is None:
            return None
        if not _INTEGER.match(value) or int(value) > _MAX_INT:
            raise errors.illegal_characters(name, INTEGER_RANGE)
        return int(value)

    def limit(self, name: str, default: int, largest: int) -> int:
        """A row limit: ``default`` when absent, -1130 outside ``1..largest``."""
        value = self.integer(name)
        if value is None:
            return default
        if not 1 <= value <= largest:
            raise errors.invalid_value(name)
        return value

    def client_id(self, name: str) -> str | None:
        """A client order id matching Binance's alphabet; -1100 otherwise."""
        value = self.text(name)
        if value is not None and not _CLIENT_ID.match(value):
            raise errors.illegal_characters(name, CLIENT_ID_RANGE)
        return value

    def symbol_id(self, name: str = "symbol", required: bool = True) -> str | None:
        """A Binance symbol id (``BTCUSDT``), upper-cased; -1100 for bad characters."""
        value = self.required(name) if required else self.text(name)
        if value is None:
            return None
        value = value.upper()
        if not _SYMBOL.match(value):
            raise errors.illegal_characters(name, r"^[A-Z0-9-_.]{1,20}$")
        return value

    def symbol_list(self, name: str = "symbols") -> list[str] | None:
        """A JSON array of symbol ids (``["BTCUSDT","ETHUSDT"]``); -1100 when malformed."""
        value = self.text(name)
        if value is None:
            return None
        try:
            parsed = json.loads(value)
        except ValueError:
            raise errors.illegal_characters(name, r'^\[("[A-Z0-9-_.]{1,20}"(,)?)+\]$') from None
        if (
            not isinstance(parsed, list)
            or not parsed
            or not all(isinstance(s, str) and _SYMBOL.match(s.upper()) for s in parsed)
        ):
            raise errors.illegal_characters(name, r'^\[("[A-Z0-9-_.]{1,20}"(,)?)+\]$')
        return [s.upper() for s in parsed]

    def choice(self, name: str, choices: Mapping[str, object], error: errors.BinanceError) -> str:
        """A required value out of ``choices`` (upper-cased); ``error`` otherwise."""
        value = self.required(name).upper()
        if value not in choices:
            raise error
        return value
