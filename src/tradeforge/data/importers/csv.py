"""CSV files: any delimiter, with or without a header, plain or gzip-compressed."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from tradeforge.data.errors import DataError, DataFileError
from tradeforge.data.importers.sheet import Sheet

_DELIMITERS = (",", ";", "\t", "|")


def read_csv(path: Path, *, header: bool | None = None, delimiter: str | None = None) -> Sheet:
    """Read every cell of a CSV file as text.

    Parameters
    ----------
    path : Path
        The file; ``.gz`` files are decompressed.
    header : bool, optional
        Whether the first line names the columns; by default it does when none of its cells
        is a number.
    delimiter : str, optional
        By default the most frequent of ``,`` ``;`` tab ``|`` in the first line.

    Raises
    ------
    DataError
        For an empty file.
    DataFileError
        For rows pandas cannot split (the message has pandas' line number).
    """
    first = _first_line(path)
    if first is None:
        raise DataError(f"{path.name}: empty file")
    sep = delimiter or max(_DELIMITERS, key=first.count)
    if header is None:
        header = not any(_is_number(cell) for cell in first.split(sep))
    try:
        table = pd.read_csv(
            path, sep=sep, header=0 if header else None, dtype=str, keep_default_na=False,
            na_filter=False, skipinitialspace=True, skip_blank_lines=True, encoding="utf-8-sig",
        )  # fmt: skip
    except pd.errors.ParserError as error:
        raise DataFileError(path, f"cannot split rows: {error}") from None
    return Sheet.of(table, headerless=not header)


def _first_line(path: Path) -> str | None:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return str(line).rstrip("\r\n")
    return None


def _is_number(cell: str) -> bool:
    try:
        float(cell.strip().strip('"'))
    except ValueError:
        return False
    return True
