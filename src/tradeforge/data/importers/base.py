"""What an importer returns: the raw rows of a file and what could be inferred about them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import pandas as pd

from tradeforge.data.errors import DataError
from tradeforge.data.schema import DataKind
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

TsUnit = Literal["auto", "s", "ms", "us", "ns", "iso"]
TS_UNITS: tuple[str, ...] = ("auto", "s", "ms", "us", "ns", "iso")
# canonical column name -> file column name, or 0-based column index
ColumnMap = Mapping[str, str | int]


@dataclass(frozen=True, slots=True)
class FileInfo:
    """What is known about a file's contents, from its name, folder, columns or the caller.

    Parameters
    ----------
    format : str
        ``csv``, ``feather``, ``json`` or ``parquet``.
    kind : DataKind or None
        Bars, trades or quotes.
    symbol : Symbol or None
        The market, e.g. from ``SOL_USDT-5m.feather``.
    timeframe : Timeframe or None
        For bars.
    venue : str or None
        A ccxt exchange id (``binance``), e.g. from a parent folder.
    market : str or None
        ``spot`` or ``futures``, when the name says.
    """

    format: str
    kind: DataKind | None = None
    symbol: Symbol | None = None
    timeframe: Timeframe | None = None
    venue: str | None = None
    market: str | None = None

    def overridden(self, **values: object) -> FileInfo:
        """A copy where every given value that is not ``None`` wins."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A file's rows as they are in the file, plus what is known about them.

    ``frame`` is raw: unsorted and not deduplicated, with an int64 ``ts`` column (ns UTC), a
    ``source_row`` column (1-based data row in the file) and the canonical value columns of
    its kind.
    """

    path: Path
    frame: pd.DataFrame
    info: FileInfo

    @property
    def kind(self) -> DataKind:
        """The data kind; raises when it could not be inferred."""
        if self.info.kind is None:
            raise DataError(f"{self.path.name}: pass kind= (bars, trades or quotes)")
        return self.info.kind
