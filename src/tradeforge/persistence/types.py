"""Column types that keep tradeforge's values exact on SQLite and PostgreSQL.

- :class:`ExactDecimal`: ``NUMERIC`` (unconstrained, so any precision and scale, exact) on
  PostgreSQL; fixed-point text on SQLite, so no value ever goes through a float. Floats are
  refused on the way in. On SQLite, ``ORDER BY`` and ``SUM`` on these columns compare and add
  text: sort and add decimals in Python (or on PostgreSQL).
- :class:`UtcDateTime`: timezone-aware UTC in, timezone-aware UTC out (``timestamptz`` on
  PostgreSQL, ISO text on SQLite); naive datetimes are refused. Precision is one microsecond.
- :class:`SymbolType`: :class:`~tradeforge.model.symbol.Symbol` in and out, stored as
  ``BTC/USDT`` or ``BTC/USDT:USDT``, so ``select(OrderRecord).where(OrderRecord.symbol ==
  Symbol.parse("ETHBTC"))`` works; text is read with :meth:`Symbol.parse`.
- :class:`EnumText`: a domain enum stored as its value (``"BUY"``), read back as the member.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from tradeforge.model.symbol import Symbol, SymbolError
from tradeforge.model.values import NumberError, to_decimal
from tradeforge.persistence.errors import StoreValueError

_NANOS_PER_MICRO = 1_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

JsonType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")
"""JSON documents: ``JSONB`` on PostgreSQL, JSON text on SQLite."""


class ExactDecimal(TypeDecorator[Decimal]):
    """An exact decimal: ``NUMERIC`` on PostgreSQL, fixed-point text on SQLite."""

    impl = Numeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(asdecimal=True))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise StoreValueError(f"refusing float {value!r} for an exact decimal column")
        try:
            number = to_decimal(value, "decimal column value")
        except NumberError as error:
            raise StoreValueError(str(error)) from None
        if dialect.name == "postgresql":
            return number
        return format(number, "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(value)

    def process_literal_param(self, value: Any, dialect: Dialect) -> str:
        return str(self.process_bind_param(value, dialect))

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes; naive ones are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            raise StoreValueError(
                f"timestamps must be timezone-aware datetimes (UTC), got {value!r}"
            )
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime


class SymbolType(TypeDecorator[Symbol]):
    """A :class:`Symbol`, stored as its text (``BTC/USDT``, ``BTC/USDT:USDT``)."""

    impl = String(48)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            symbol = value if isinstance(value, Symbol) else Symbol.parse(value)
        except SymbolError as error:
            raise StoreValueError(str(error)) from None
        return str(symbol)

    def process_result_value(self, value: Any, dialect: Dialect) -> Symbol | None:
        return None if value is None else Symbol.parse(value)

    @property
    def python_type(self) -> type[Symbol]:
        return Symbol


E = TypeVar("E", bound=Enum)


class EnumText(TypeDecorator[E]):
    """A domain enum stored as its value, read back as the member.

    Parameters
    ----------
    enum : type of Enum
        The enum class (``OrderSide``).
    """

    impl = String(32)
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            member = value if isinstance(value, self.enum) else self.enum(value)
        except ValueError:
            names = ", ".join(str(m.value) for m in self.enum)
            raise StoreValueError(
                f"{value!r} is not a {self.enum.__name__} (one of {names})"
            ) from None
        return str(member.value)

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def ns_to_datetime(ns: int) -> datetime:
    """Integer nanoseconds UTC to an aware datetime, truncated to the microsecond."""
    seconds, micros = divmod(ns // _NANOS_PER_MICRO, 1_000_000)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)


def datetime_to_ns(moment: datetime) -> int:
    """An aware datetime to integer nanoseconds UTC (exact)."""
    if moment.utcoffset() is None:
        raise StoreValueError(f"timestamps must be timezone-aware (UTC), got {moment!r}")
    delta = moment - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros * _NANOS_PER_MICRO
