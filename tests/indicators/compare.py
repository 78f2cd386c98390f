"""The equality check against TA-Lib used by every indicator test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
RTOL = 1e-9


@dataclass(frozen=True)
class Bars:
    """One real OHLCV series as float64 arrays."""

    COLUMNS: ClassVar[tuple[str, ...]] = ("high", "low", "close", "volume")

    name: str
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray

    def price_atol(self) -> float:
        """An absolute tolerance of 1e-12 of the series' price level.

        For outputs that are price differences crossing zero (MACD line, signal, histogram):
        TA-Lib 0.8 fuses multiply-adds (FMA) in its EMA, so its values differ from ours in the
        last bit of the price level (~1e-16 of it), which near a zero crossing is a large
        *relative* error; 1e-12 of the price level is still 10,000 times tighter than a tick.
        """
        return 1e-12 * float(np.nanmax(np.abs(self.close)))


def assert_matches(ours: FloatArray, theirs: FloatArray, *, atol: float = 0.0) -> None:
    """Same shape and dtype, NaN at exactly TA-Lib's positions, values within ``RTOL``."""
    assert isinstance(ours, np.ndarray)
    assert ours.dtype == np.float64
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs), err_msg="NaN positions")
    valid = ~np.isnan(theirs)
    assert valid.sum() > 0, "nothing to compare: TA-Lib returned only NaN"
    np.testing.assert_allclose(ours[valid], theirs[valid], rtol=RTOL, atol=atol)


def assert_all_match(
    ours: tuple[FloatArray, ...], theirs: tuple[FloatArray, ...], *, atol: float = 0.0
) -> None:
    """:func:`assert_matches` on every output of a multi-output indicator."""
    assert isinstance(ours, tuple)
    assert len(ours) == len(theirs)
    for mine, reference in zip(ours, theirs, strict=True):
        assert_matches(mine, reference, atol=atol)
