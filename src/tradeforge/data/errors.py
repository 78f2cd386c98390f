"""Errors raised by the market-data package.

Every malformed input ends in a :class:`DataError`; when the problem sits in a file (or in a
frame handed to the catalog) it is a :class:`DataFileError` that names the file, the 1-based
data row and the column, so a trader can open the file and find the cell.
"""

from __future__ import annotations

from pathlib import Path


class DataError(ValueError):
    """Market data that tradeforge cannot read, store or use; the message says why."""


class UnsupportedDataError(DataError):
    """A recognised file of a kind tradeforge cannot store yet (freqtrade mark or funding data).

    Importing a folder skips such files and says so; naming one explicitly is an error.
    """


class DataFileError(DataError):
    """A problem at a known place in a file or frame.

    Parameters
    ----------
    path : Path or str or None
        The file the data came from; ``None`` for an in-memory frame.
    message : str
        What is wrong, e.g. ``"'abc' is not a number"``.
    row : int, optional
        1-based data row in the file (the header is not counted), when the problem has one.
    column : str, optional
        The column name as the file spells it, when the problem has one.
    source : str, optional
        A label for in-memory frames (``"bars binance BTC/USDT 5m"``), used when ``path`` is
        ``None``.

    Examples
    --------
    >>> str(DataFileError("data/SOL_USDT-5m.csv", "'abc' is not a number", row=17, column="close"))
    "SOL_USDT-5m.csv: row 17, column 'close': 'abc' is not a number"
    """

    def __init__(
        self,
        path: Path | str | None,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        source: str | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.row = row
        self.column = column
        self.message = message
        self.source = source
        super().__init__(self._render())

    @property
    def where(self) -> str:
        """The file name (or frame label) the error is about."""
        if self.path is not None:
            return self.path.name
        return self.source or "<frame>"

    def _render(self) -> str:
        location = []
        if self.row is not None:
            location.append(f"row {self.row}")
        if self.column is not None:
            location.append(f"column {self.column!r}")
        prefix = self.where if not location else f"{self.where}: {', '.join(location)}"
        return f"{prefix}: {self.message}"

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_file_error, (self.path, self.message, self.row, self.column, self.source))


def _rebuild_file_error(
    path: Path | None, message: str, row: int | None, column: str | None, source: str | None
) -> DataFileError:
    return DataFileError(path, message, row=row, column=column, source=source)
