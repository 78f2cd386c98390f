"""The bars of a search, packed once into one block that every worker maps without copying.

:func:`pack` lays the series out column after column (``ts_open`` as int64, then open, high,
low, close, volume as float64) in one byte buffer; :func:`unpack` rebuilds the
:class:`~tradeforge.data.replay.BarSeries` as read-only views of it. :class:`SharedBars` puts
the buffer in POSIX shared memory (``multiprocessing.shared_memory``) for a process pool: the
parent writes it once, each worker attaches once when it starts, and a trial carries only its
parameters. The Ray executor puts the same buffer in Ray's object store instead.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from multiprocessing import shared_memory
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from tradeforge.data.replay import BarSeries
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

COLUMNS = ("ts_open", "open", "high", "low", "close", "volume")
_ITEM = 8  # bytes per value: int64 times, float64 prices
_Item = TypeVar("_Item", np.int64, np.float64)
SEGMENT_PREFIX = "tf_opt_"
"""Shared-memory segments of tradeforge searches are named ``tf_opt_<pid>_<token>``."""


@dataclass(frozen=True, slots=True)
class SeriesLayout:
    """Where one series lies in the block."""

    symbol: Symbol
    timeframe: Timeframe
    rows: int
    offset: int


@dataclass(frozen=True, slots=True)
class PackedBars:
    """The layout of a block: the backtest's series first, then its detail series."""

    layouts: tuple[SeriesLayout, ...]
    primary: int
    nbytes: int


def layout(series: list[BarSeries], detail: list[BarSeries]) -> PackedBars:
    """The layout of ``series`` and ``detail`` in one block."""
    layouts, offset = [], 0
    for s in (*series, *detail):
        layouts.append(SeriesLayout(s.symbol, s.timeframe, len(s), offset))
        offset += len(COLUMNS) * _ITEM * len(s)
    return PackedBars(tuple(layouts), len(series), offset)


def pack(series: list[BarSeries], detail: list[BarSeries]) -> tuple[PackedBars, NDArray[np.uint8]]:
    """The layout and a new byte array holding every series."""
    packed = layout(series, detail)
    buffer = np.empty(packed.nbytes, dtype=np.uint8)
    write(buffer, packed, [*series, *detail])
    return packed, buffer


def write(buffer: NDArray[np.uint8], packed: PackedBars, series: list[BarSeries]) -> None:
    """Copy every column of ``series`` into ``buffer`` at its place."""
    for place, s in zip(packed.layouts, series, strict=True):
        _column(buffer, place, 0, np.int64)[:] = s.ts_open
        for k, name in enumerate(COLUMNS[1:], start=1):
            _column(buffer, place, k, np.float64)[:] = getattr(s, name)


def unpack(
    buffer: NDArray[np.uint8], packed: PackedBars
) -> tuple[list[BarSeries], list[BarSeries]]:
    """The series and detail series as read-only views of ``buffer`` (nothing copied but the
    close times each ``BarSeries`` derives)."""
    rebuilt = []
    for place in packed.layouts:
        ts = _column(buffer, place, 0, np.int64)
        o, h, low, c, v = (_column(buffer, place, k, np.float64) for k in range(1, len(COLUMNS)))
        for column in (ts, o, h, low, c, v):
            column.flags.writeable = False
        rebuilt.append(BarSeries(place.symbol, place.timeframe, ts, o, h, low, c, v))
    return rebuilt[: packed.primary], rebuilt[packed.primary :]


def _column(
    buffer: NDArray[np.uint8], place: SeriesLayout, k: int, dtype: type[_Item]
) -> NDArray[_Item]:
    start = place.offset + k * _ITEM * place.rows
    return buffer[start : start + _ITEM * place.rows].view(dtype)


@dataclass(frozen=True, slots=True)
class SharedHandle:
    """What a worker needs to attach: the segment's name and the layout (a few hundred
    bytes, whatever the number of bars)."""

    name: str
    packed: PackedBars


class SharedBars:
    """Bars in a shared-memory segment owned by this process; :meth:`close` removes it.

    Parameters
    ----------
    series, detail : list of BarSeries
        The backtest's series and its detail series.
    """

    def __init__(self, series: list[BarSeries], detail: list[BarSeries]) -> None:
        packed = layout(series, detail)
        name = f"{SEGMENT_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
        self._segment = shared_memory.SharedMemory(name, create=True, size=max(packed.nbytes, 1))
        view = np.ndarray((packed.nbytes,), dtype=np.uint8, buffer=self._segment.buf)
        write(view, packed, [*series, *detail])
        del view  # no export may outlive the segment
        self.handle = SharedHandle(name, packed)

    def close(self) -> None:
        """Unmap and remove the segment (workers still attached keep their mapping)."""
        self._segment.close()
        self._segment.unlink()


def attach(
    handle: SharedHandle,
) -> tuple[shared_memory.SharedMemory, list[BarSeries], list[BarSeries]]:
    """Map the segment of ``handle``; keep the returned segment alive as long as the series."""
    segment = shared_memory.SharedMemory(handle.name)
    buffer = np.ndarray((handle.packed.nbytes,), dtype=np.uint8, buffer=segment.buf)
    series, detail = unpack(buffer, handle.packed)
    return segment, series, detail
