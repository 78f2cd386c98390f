"""A file's cells as read, before any canonical column is picked out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from tradeforge.data.schema import DataKind


@dataclass(frozen=True, slots=True)
class Sheet:
    """The cells of a file.

    Parameters
    ----------
    table : pandas.DataFrame
        One column per file column; header-less files have integer column labels.
    rows : numpy.ndarray
        1-based data row number of each table row in the file.
    headerless : bool
        True when the file has no column names.
    kind : DataKind or None
        The kind when the format itself says (a 7-value freqtrade JSON row is a trade).
    """

    table: pd.DataFrame
    rows: npt.NDArray[np.int64]
    headerless: bool = False
    kind: DataKind | None = None

    @staticmethod
    def of(table: pd.DataFrame, *, headerless: bool = False, kind: DataKind | None = None) -> Sheet:
        """A sheet whose rows are numbered 1, 2, ... in table order."""
        table = table.reset_index(drop=True)
        rows = np.arange(1, len(table) + 1, dtype=np.int64)
        return Sheet(table, rows, headerless, kind)
