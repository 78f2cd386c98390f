"""Parquet files: tradeforge's own canonical layout (catalog exports) or any columns."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tradeforge.data.errors import DataError
from tradeforge.data.importers.sheet import Sheet
from tradeforge.data.schema import TS


def read_parquet(path: Path) -> Sheet:
    """Read a Parquet file; a ``ts`` index written by pandas becomes a column."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise DataError(f"{path.name}: not a readable Parquet file ({error})") from None
    frame = table.to_pandas()
    if frame.index.name == TS:
        frame = frame.reset_index()
    return Sheet.of(frame)
