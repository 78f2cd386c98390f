"""The declarative base: type mapping, constraint naming, the id column."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase, mapped_column

from tradeforge.model.symbol import Symbol
from tradeforge.persistence.types import ExactDecimal, JsonType, SymbolType, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Every constraint has a predictable name, so migrations and error messages can use it."""

Id = Annotated[int, mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)]
"""A surrogate key: BIGINT identity on PostgreSQL, SQLite's rowid."""

RowRef = Annotated[int, mapped_column(BigInteger().with_variant(Integer(), "sqlite"))]
"""A foreign key column's type (matches :data:`Id`)."""

Json = dict[str, Any]


class Base(DeclarativeBase):
    """Base of every tradeforge table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute
        Decimal: ExactDecimal(),
        datetime: UtcDateTime(),
        Symbol: SymbolType(),
        dict[str, Any]: JsonType,
        list[Any]: JsonType,
        list[str]: JsonType,
    }
