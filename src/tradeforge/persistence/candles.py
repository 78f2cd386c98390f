"""A candle store in PostgreSQL, an alternative to the Parquet catalog for shared servers.

Layout: one table ``candles`` (venue, symbol, timeframe, ts, OHLCV as ``float8``, the
``synthetic`` and ``partial`` flags; primary key venue, symbol, timeframe, ts).

- When the TimescaleDB extension is available (``pg_available_extensions``), ``candles`` is a
  hypertable (7-day chunks) with continuous aggregates ``candles_15m``, ``candles_1h``,
  ``candles_4h`` and ``candles_1d`` (real-time: materialized buckets plus the newest rows),
  refreshed hourly by a policy.
- Otherwise ``candles`` is natively partitioned (``PARTITION BY RANGE (ts)``) with one
  partition per calendar month, created on demand before each load.

Loads go through ``COPY ... FROM STDIN (FORMAT BINARY)``: the rows are packed by numpy into
PostgreSQL's binary COPY format (no per-row Python), copied into a temporary table and
upserted, so reloading a range replaces it (like the Parquet catalog). Reads use binary
``COPY ... TO STDOUT`` of fixed-width rows, unpacked by numpy in one call.

Aggregation is exact where floats allow: open, high, low, close and the flags equal
:func:`tradeforge.data.resample.resample_bars`; volume is summed exactly in ``numeric`` (each
float through its shortest text) and rounded once to ``float8``, so it is the correctly
rounded sum, where numpy's pairwise float sum may differ in the last bit.

The candle store manages its own DDL (it depends on the extension), so it is not part of the
Alembic schema; the migrations ignore tables named ``candles*``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from psycopg import sql

from tradeforge.data.schema import BAR_COLUMNS, DataKind, table_form, utc_index
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe
from tradeforge.persistence.errors import StoreError
from tradeforge.persistence.store import Store

Layout = Literal["timescaledb", "partitioned"]
CONTINUOUS_AGGREGATES: dict[str, str] = {
    "15m": "15 minutes",
    "1h": "1 hour",
    "4h": "4 hours",
    "1d": "1 day",
}
"""Target timeframes with a TimescaleDB continuous aggregate, and their bucket widths."""

_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in microseconds since 1970-01-01
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_COPY_TRAILER = b"\xff\xff"
_VALUES = ("open", "high", "low", "close", "volume")
_ROW = np.dtype(
    [("fields", ">i2"), ("ts_len", ">i4"), ("ts", ">i8")]
    + [item for name in _VALUES for item in ((f"{name}_len", ">i4"), (name, ">f8"))]
    + [("synthetic_len", ">i4"), ("synthetic", "?"), ("partial_len", ">i4"), ("partial", "?")]
)
_COLUMNS = "ts, open, high, low, close, volume, synthetic, partial"


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Rows loaded and the partitions (or chunks) they went to."""

    rows: int
    partitions: tuple[str, ...]


class CandleStore:
    """Candles in PostgreSQL: bulk load, time-range reads, aggregation.

    Parameters
    ----------
    store : Store
        A PostgreSQL store (its schema, when set, holds the candle tables).

    Raises
    ------
    StoreError
        When the store is not PostgreSQL.
    """

    def __init__(self, store: Store) -> None:
        if store.backend != "postgresql":
            raise StoreError("the candle store needs PostgreSQL; SQLite users have the catalog")
        self.store = store
        self._layout: Layout | None = None

    # -- schema -------------------------------------------------------------------------

    def timescaledb_available(self) -> bool:
        """True when the server can load the TimescaleDB extension."""
        return bool(self._scalar("SELECT 1 FROM pg_available_extensions WHERE name='timescaledb'"))

    def ensure_schema(self) -> Layout:
        """Create the candle table (hypertable and aggregates, or partitioned) if missing."""
        if self._layout is not None:
            return self._layout
        existing = self._scalar(
            "SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass('candles')"
        )
        if existing is not None:
            self._layout = "partitioned" if existing == "p" else "timescaledb"
            return self._layout
        self._layout = "timescaledb" if self.timescaledb_available() else "partitioned"
        if self._layout == "timescaledb":
            self._create_hypertable()
        else:
            self._execute([_TABLE_DDL + " PARTITION BY RANGE (ts)"])
        return self._layout

    def _create_hypertable(self) -> None:
        statements = [
            "CREATE EXTENSION IF NOT EXISTS timescaledb",
            _TABLE_DDL,
            "SELECT create_hypertable('candles', 'ts', "
            "chunk_time_interval => interval '7 days', if_not_exists => TRUE)",
        ]
        for name, width in CONTINUOUS_AGGREGATES.items():
            view = f"candles_{name}"
            statements += [
                f"CREATE MATERIALIZED VIEW IF NOT EXISTS {view} WITH (timescaledb.continuous, "
                f"timescaledb.materialized_only = false) AS SELECT venue, symbol, "
                f"timeframe AS source_timeframe, time_bucket(interval '{width}', ts) AS bucket, "
                "first(open, ts) AS open, max(high) AS high, min(low) AS low, "
                "last(close, ts) AS close, sum(volume::text::numeric) AS volume, "
                "count(*) AS bars, bool_and(synthetic) AS synthetic, bool_or(partial) AS partial "
                "FROM candles GROUP BY venue, symbol, timeframe, bucket WITH NO DATA",
                f"SELECT add_continuous_aggregate_policy('{view}', start_offset => NULL, "
                f"end_offset => interval '{width}', schedule_interval => interval '1 hour', "
                "if_not_exists => TRUE)",
            ]
        self._execute(statements, autocommit=True)  # continuous aggregates refuse transactions

    def _ensure_partitions(self, cursor: Any, ts_ns: npt.NDArray[np.int64]) -> tuple[str, ...]:
        months = np.unique(ts_ns.astype("datetime64[ns]").astype("datetime64[M]"))
        names = []
        for month in months:
            start = pd.Timestamp(month).tz_localize(UTC)
            end = start + pd.offsets.MonthBegin(1)
            name = f"candles_p{start:%Y_%m}"
            cursor.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF candles "
                    "FOR VALUES FROM ({}) TO ({})"
                ).format(
                    sql.Identifier(name),
                    sql.Literal(start.to_pydatetime()),
                    sql.Literal(end.to_pydatetime()),
                )
            )
            names.append(name)
        return tuple(names)

    # -- load -----------------------------------------------------------------------------

    def load(
        self, venue: str, symbol: Symbol, timeframe: Timeframe | str, frame: pd.DataFrame
    ) -> LoadReport:
        """Upsert canonical bars (see :mod:`tradeforge.data.schema`) through binary COPY.

        Returns
        -------
        LoadReport
            Rows written and the monthly partitions touched (empty for TimescaleDB).
        """
        layout = self.ensure_schema()
        table = table_form(frame, DataKind.BARS)
        ts_ns = table["ts"].to_numpy(dtype=np.int64)
        if len(ts_ns) and np.any(ts_ns % 1_000):
            raise StoreError("candle timestamps must be whole microseconds")
        payload = _pack(table, ts_ns)
        tf = str(Timeframe.parse(timeframe))
        with self.store.translate_errors(), self.store.engine.begin() as connection:
            raw: Any = connection.connection.dbapi_connection
            with raw.cursor() as cursor:
                partitions = (
                    self._ensure_partitions(cursor, ts_ns) if layout == "partitioned" else ()
                )
                cursor.execute(
                    "CREATE TEMP TABLE candle_stage (ts timestamptz, open float8, high float8, "
                    "low float8, close float8, volume float8, synthetic bool, partial bool) "
                    "ON COMMIT DROP"
                )
                with cursor.copy("COPY candle_stage FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(payload)
                cursor.execute(_UPSERT, (venue, str(symbol), tf))
        return LoadReport(len(ts_ns), partitions)

    # -- read -------------------------------------------------------------------------

    def read(
        self,
        venue: str,
        symbol: Symbol,
        timeframe: Timeframe | str,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> pd.DataFrame:
        """Canonical bars from ``start`` (inclusive) to ``end`` (exclusive), by binary COPY."""
        self.ensure_schema()
        query = sql.SQL(
            "COPY (SELECT " + _COLUMNS + " FROM candles WHERE {} ORDER BY ts) "
            "TO STDOUT (FORMAT BINARY)"
        ).format(_where(venue, symbol, timeframe, start, end))
        with self.store.translate_errors(), self.store.engine.connect() as connection:
            raw: Any = connection.connection.dbapi_connection
            with raw.cursor() as cursor, cursor.copy(query) as copy:
                data = b"".join(bytes(chunk) for chunk in copy)
            connection.rollback()
        return _unpack(data)

    def aggregate(
        self,
        venue: str,
        symbol: Symbol,
        source: Timeframe | str,
        target: Timeframe | str,
        *,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
    ) -> pd.DataFrame:
        """Bars of ``target`` built from the stored ``source`` bars, in canonical form.

        A bucket with fewer source bars than a full one is flagged ``partial``, as in
        :func:`~tradeforge.data.resample.resample_bars`. With TimescaleDB the 15m, 1h, 4h and
        1d targets read their continuous aggregate.

        Raises
        ------
        StoreError
            When ``target`` is not a whole multiple of ``source`` or is longer than a day.
        """
        layout = self.ensure_schema()
        src, dst = Timeframe.parse(source), Timeframe.parse(target)
        if not src.divides(dst) or dst.is_calendar or dst.nanos > Timeframe.parse("1d").nanos:
            raise StoreError(
                f"cannot aggregate {src} candles to {dst}: the target must be a whole multiple "
                "of the source, up to 1d"
            )
        full = dst.nanos // src.nanos
        where = _where(venue, symbol, src, start, end)
        if layout == "timescaledb" and str(dst) in CONTINUOUS_AGGREGATES:
            query = sql.SQL(
                "SELECT bucket, open, high, low, close, volume::float8, bars, synthetic, partial "
                "FROM {} WHERE {} ORDER BY bucket"
            ).format(
                sql.Identifier(f"candles_{dst}"),
                _where(venue, symbol, src, start, end, ts="bucket", tf="source_timeframe"),
            )
        else:
            query = sql.SQL(
                "SELECT date_bin({}::interval, ts, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS b, "
                "(array_agg(open ORDER BY ts))[1], max(high), min(low), "
                "(array_agg(close ORDER BY ts DESC))[1], sum(volume::text::numeric)::float8, "
                "count(*), bool_and(synthetic), bool_or(partial) "
                "FROM candles WHERE {} GROUP BY b ORDER BY b"
            ).format(sql.Literal(f"{dst.nanos // 1_000} microseconds"), where)
        with self.store.translate_errors(), self.store.engine.connect() as connection:
            raw: Any = connection.connection.dbapi_connection
            with raw.cursor() as cursor:
                cursor.execute("SET LOCAL extra_float_digits = 1")  # shortest exact float text
                rows = cursor.execute(query).fetchall()
            connection.rollback()
        return _aggregated_frame(rows, full)

    # -- helpers ----------------------------------------------------------------------

    def _scalar(self, statement: str) -> Any:
        with self.store.translate_errors(), self.store.engine.connect() as connection:
            raw: Any = connection.connection.dbapi_connection
            with raw.cursor() as cursor:
                found = cursor.execute(statement).fetchone()
            connection.rollback()
        return None if found is None else found[0]

    def _execute(self, statements: list[str], *, autocommit: bool = False) -> None:
        options: dict[str, Any] = {"isolation_level": "AUTOCOMMIT"} if autocommit else {}
        engine = self.store.engine.execution_options(**options)
        with self.store.translate_errors(), engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)


_TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS candles (venue text NOT NULL, symbol text NOT NULL, "
    "timeframe text NOT NULL, ts timestamptz NOT NULL, open float8 NOT NULL, "
    "high float8 NOT NULL, low float8 NOT NULL, close float8 NOT NULL, volume float8 NOT NULL, "
    "synthetic boolean NOT NULL DEFAULT false, partial boolean NOT NULL DEFAULT false, "
    "PRIMARY KEY (venue, symbol, timeframe, ts))"
)
_UPSERT = (
    "INSERT INTO candles (venue, symbol, timeframe, " + _COLUMNS + ") "
    "SELECT %s, %s, %s, " + _COLUMNS + " FROM candle_stage "
    "ON CONFLICT (venue, symbol, timeframe, ts) DO UPDATE SET open = EXCLUDED.open, "
    "high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, "
    "volume = EXCLUDED.volume, synthetic = EXCLUDED.synthetic, partial = EXCLUDED.partial"
)


def _where(
    venue: str,
    symbol: Symbol,
    timeframe: Timeframe | str,
    start: datetime | str | None,
    end: datetime | str | None,
    *,
    ts: str = "ts",
    tf: str = "timeframe",
) -> sql.Composed:
    parts = [
        sql.SQL("venue = {}").format(sql.Literal(venue)),
        sql.SQL("symbol = {}").format(sql.Literal(str(symbol))),
        sql.SQL("{} = {}").format(sql.Identifier(tf), sql.Literal(str(Timeframe.parse(timeframe)))),
    ]
    if start is not None:
        parts.append(sql.SQL("{} >= {}").format(sql.Identifier(ts), sql.Literal(_moment(start))))
    if end is not None:
        parts.append(sql.SQL("{} < {}").format(sql.Identifier(ts), sql.Literal(_moment(end))))
    return sql.SQL(" AND ").join(parts)


def _moment(value: datetime | str) -> datetime:
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return stamp.to_pydatetime()


def _pack(table: pd.DataFrame, ts_ns: npt.NDArray[np.int64]) -> bytes:
    rows = np.empty(len(ts_ns), dtype=_ROW)
    rows["fields"] = 8
    rows["ts_len"] = 8
    rows["ts"] = ts_ns // 1_000 - _PG_EPOCH_US
    for name in _VALUES:
        rows[f"{name}_len"] = 8
        rows[name] = table[name].to_numpy(dtype=np.float64)
    for flag in ("synthetic", "partial"):
        rows[f"{flag}_len"] = 1
        rows[flag] = table[flag].to_numpy(dtype=bool)
    return _COPY_HEADER + rows.tobytes() + _COPY_TRAILER


def _unpack(data: bytes) -> pd.DataFrame:
    """Binary COPY output (header, fixed-width rows, trailer) to canonical bars."""
    if not data.startswith(_COPY_HEADER[:11]):
        raise StoreError("unexpected COPY output from the server")
    body = len(data) - len(_COPY_HEADER) - len(_COPY_TRAILER)
    rows = np.frombuffer(data, dtype=_ROW, count=body // _ROW.itemsize, offset=len(_COPY_HEADER))
    ts_ns = (rows["ts"].astype(np.int64) + _PG_EPOCH_US) * 1_000
    columns: dict[str, Any] = {name: rows[name].astype(np.float64) for name in _VALUES}
    columns["synthetic"] = rows["synthetic"].astype(bool)
    columns["partial"] = rows["partial"].astype(bool)
    return pd.DataFrame(columns, index=utc_index(ts_ns))[list(BAR_COLUMNS)]


def _aggregated_frame(rows: list[tuple[Any, ...]], full: int) -> pd.DataFrame:
    ts_ns = np.array([pd.Timestamp(r[0]).value for r in rows], dtype=np.int64)  # bucket start times
    columns: dict[str, Any] = {
        name: np.array([float(r[i]) for r in rows], dtype=np.float64)
        for i, name in enumerate(_VALUES, start=1)
    }
    counts = np.array([r[6] for r in rows], dtype=np.int64)
    columns["synthetic"] = np.array([bool(r[7]) for r in rows], dtype=bool)
    columns["partial"] = np.array([bool(r[8]) for r in rows], dtype=bool) | (counts < full)
    return pd.DataFrame(columns, index=utc_index(ts_ns))[list(BAR_COLUMNS)]
