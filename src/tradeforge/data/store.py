"""Parquet files of the catalog: schemas, atomic writes, filtered reads, metadata."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from tradeforge.data.schema import BOOL_COLUMNS, COLUMNS, STRING_COLUMNS, TS, DataKind

COMPRESSION = "zstd"
# Prices barely compress as plain float64; splitting their bytes into streams and skipping the
# dictionary roughly halves the files (65k bars of BTC/USDT 5m: 2.7 MB -> 1.6 MB).
COMPRESSION_LEVEL = 9
TS_TYPE = pa.timestamp("ns", tz="UTC")
ProgressCallback = Callable[[int, int], None]


def _arrow_type(column: str) -> pa.DataType:
    if column in STRING_COLUMNS:
        return pa.string()
    if column in BOOL_COLUMNS:
        return pa.bool_()
    return pa.float64()


SCHEMAS: Mapping[DataKind, pa.Schema] = {
    kind: pa.schema([(TS, TS_TYPE), *((c, _arrow_type(c)) for c in COLUMNS[kind])])
    for kind in DataKind
}


def to_arrow(table: pd.DataFrame, kind: DataKind) -> pa.Table:
    """Arrow table in the catalog schema from a table-form frame."""
    schema = SCHEMAS[kind]
    arrays = [pa.array(table[TS].to_numpy(dtype=np.int64)).cast(TS_TYPE)]
    for column in COLUMNS[kind]:
        values = table[column].to_numpy()
        if column in STRING_COLUMNS:
            values = values.astype(object)
        arrays.append(pa.array(values, type=schema.field(column).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def read_partition(path: Path, kind: DataKind) -> pd.DataFrame:
    """A stored partition in table form (``ts`` as int64 ns), empty if the file is absent."""
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=t.to_pandas_dtype()) for c, t in _columns(kind)})
    table = pq.read_table(path, schema=SCHEMAS[kind])
    frame: pd.DataFrame = table.to_pandas()
    frame[TS] = table.column(TS).cast(pa.int64()).to_numpy()
    return frame


def _columns(kind: DataKind) -> list[tuple[str, pa.DataType]]:
    return [(TS, pa.int64()), *((c, _arrow_type(c)) for c in COLUMNS[kind])]


def read_range(paths: list[Path], kind: DataKind, start: int | None, end: int | None) -> pa.Table:
    """Rows of ``paths`` with ``start <= ts < end`` (either bound optional), in file order."""
    condition = None
    if start is not None:
        condition = pc.field(TS) >= pa.scalar(start, TS_TYPE)
    if end is not None:
        upper = pc.field(TS) < pa.scalar(end, TS_TYPE)
        condition = upper if condition is None else condition & upper
    tables = [pq.read_table(path, schema=SCHEMAS[kind], filters=condition) for path in paths]
    if not tables:
        return SCHEMAS[kind].empty_table()
    return pa.concat_tables(tables)


def _write_parquet(table: pa.Table, path: Path) -> None:
    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
    pq.write_table(
        table,
        path,
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        use_dictionary=False,
        column_encoding={TS: "DELTA_BINARY_PACKED", **dict.fromkeys(floats, "BYTE_STREAM_SPLIT")},
    )


def write_atomic(
    tables: Mapping[Path, pa.Table], on_progress: ProgressCallback | None = None
) -> None:
    """Write each table to a temporary file beside its target, then rename them all.

    Every file is complete before the first rename; a reader sees either the old or the new
    version of each partition, never a half-written one.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for done, (target, table) in enumerate(tables.items(), start=1):
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            staged.append((temporary, target))
            _write_parquet(table, temporary)
            if on_progress is not None:
                on_progress(done, len(tables))
        for temporary, target in staged:
            os.replace(temporary, target)
    finally:
        for temporary, _ in staged:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()


@dataclass(frozen=True, slots=True)
class FileStats:
    """Rows, first and last ``ts`` (ns) and size of one partition, from its metadata."""

    rows: int
    first: int | None
    last: int | None
    bytes: int


def file_stats(path: Path) -> FileStats:
    """Read a partition's footer only: row count and ``ts`` min/max statistics."""
    metadata = pq.read_metadata(path)
    firsts, lasts = [], []
    for index in range(metadata.num_row_groups):
        stats = metadata.row_group(index).column(0).statistics
        if stats is not None and stats.has_min_max:
            firsts.append(int(stats.min_raw))
            lasts.append(int(stats.max_raw))
    return FileStats(
        metadata.num_rows, min(firsts, default=None), max(lasts, default=None), path.stat().st_size
    )
