"""Validation reports: frozen, JSON-ready summaries of what a series or file contains.

A report separates *errors* (data that would be wrong to store or trade on: NaNs, non-positive
prices, negative volume, misaligned bars, OHLC violations, conflicting duplicates) from
*warnings* (facts a trader should know: gaps, outlier moves, zero-volume bars, exact duplicates,
rows out of time order). ``report.ok`` is true when there are no errors.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from tradeforge.data.timestamps import iso

MAX_EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class RowIssue:
    """One offending row: where it is and what is wrong with it.

    Parameters
    ----------
    row : int
        1-based data row in the source file (or position in the frame).
    ts : int
        The row's timestamp, ns since the epoch UTC.
    column : str or None
        The column at fault, when one is.
    detail : str
        What is wrong, in words.
    """

    row: int
    ts: int
    column: str | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (ISO timestamp)."""
        return {"row": self.row, "ts": iso(self.ts), "column": self.column, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Finding:
    """How many rows show one problem, with the first few as examples."""

    count: int = 0
    examples: tuple[RowIssue, ...] = ()

    def __bool__(self) -> bool:
        return self.count > 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary."""
        return {"count": self.count, "examples": [e.to_dict() for e in self.examples]}


NO_FINDING = Finding()


@dataclass(frozen=True, slots=True)
class Gap:
    """Missing bars: ``missing_bars`` bars opening from ``start`` up to (excluding) ``end``.

    ``start`` is the open time of the first missing bar, ``end`` the open time of the next bar
    present, both ns UTC.
    """

    start: int
    end: int
    missing_bars: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (ISO timestamps)."""
        return {"start": iso(self.start), "end": iso(self.end), "missing_bars": self.missing_bars}


class _ReportMixin:
    """Shared behaviour: ``ok``, errors, warnings and ``to_dict``."""

    ERROR_FIELDS: ClassVar[tuple[str, ...]] = ()
    WARNING_FIELDS: ClassVar[tuple[str, ...]] = ()

    @property
    def ok(self) -> bool:
        """True when the data has no errors (warnings such as gaps are allowed)."""
        return not any(getattr(self, name) for name in self.ERROR_FIELDS)

    def errors(self) -> list[str]:
        """One line per kind of error, e.g. ``"nan_values: 3 rows"``."""
        return [self._line(name) for name in self.ERROR_FIELDS if getattr(self, name)]

    def warnings(self) -> list[str]:
        """One line per kind of warning."""
        return [self._line(name) for name in self.WARNING_FIELDS if getattr(self, name)]

    def first_error(self, *, skip: tuple[str, ...] = ()) -> tuple[str, RowIssue] | None:
        """The first example of the first kind of error (in ``ERROR_FIELDS`` order)."""
        for name in self.ERROR_FIELDS:
            finding = getattr(self, name)
            if name not in skip and finding and finding.examples:
                return name, finding.examples[0]
        return None

    def _line(self, name: str) -> str:
        value = getattr(self, name)
        count = value.count if isinstance(value, Finding) else value
        return f"{name}: {count}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary: ISO timestamps, ``ok``, ``errors`` and ``warnings``."""
        out: dict[str, Any] = {"ok": self.ok, "errors": self.errors(), "warnings": self.warnings()}
        for item in fields(self):  # type: ignore[arg-type]
            out[item.name] = _jsonable(item.name, getattr(self, item.name))
        return out


def _jsonable(name: str, value: Any) -> Any:
    if isinstance(value, Finding | Gap | RowIssue):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_jsonable(name, v) for v in value]
    if name in ("first", "last") and value is not None:
        return iso(value)
    return value


@dataclass(frozen=True, slots=True)
class BarValidationReport(_ReportMixin):
    """What a bar series contains; see :func:`tradeforge.data.validate.validate_bars`.

    Timestamps (``first``, ``last``, gap bounds) are ns UTC; ``to_dict`` writes them as ISO.
    ``rows`` counts input rows, ``bars`` distinct bar open times.
    """

    timeframe: str
    rows: int
    bars: int
    first: int | None
    last: int | None
    gaps: tuple[Gap, ...]
    nan_values: Finding
    non_positive_prices: Finding
    negative_volume: Finding
    misaligned: Finding
    ohlc_violations: Finding
    conflicting_duplicates: Finding
    exact_duplicates: Finding
    out_of_order: Finding
    outliers: Finding
    zero_volume_bars: int
    robust_sigma: float
    outlier_sigma: float

    ERROR_FIELDS: ClassVar[tuple[str, ...]] = (
        "nan_values", "non_positive_prices", "negative_volume", "misaligned",
        "ohlc_violations", "conflicting_duplicates",
    )  # fmt: skip
    WARNING_FIELDS: ClassVar[tuple[str, ...]] = (
        "gap_count", "exact_duplicates", "out_of_order", "outliers", "zero_volume_bars",
    )  # fmt: skip

    @property
    def gap_count(self) -> int:
        """How many gaps the series has."""
        return len(self.gaps)

    @property
    def missing_bars(self) -> int:
        """Bars missing inside all gaps together."""
        return sum(g.missing_bars for g in self.gaps)

    @property
    def longest_gap(self) -> Gap | None:
        """The gap with the most missing bars (the earliest among equals)."""
        return max(self.gaps, key=lambda g: g.missing_bars, default=None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary, with gap totals."""
        out = _ReportMixin.to_dict(self)
        longest = self.longest_gap
        out.update(
            gap_count=self.gap_count,
            missing_bars=self.missing_bars,
            longest_gap=None if longest is None else longest.to_dict(),
        )
        return out


@dataclass(frozen=True, slots=True)
class TradeValidationReport(_ReportMixin):
    """What a trade series contains; see :func:`tradeforge.data.validate.validate_trades`.

    Duplicates are only judged for trades with ids: the same ``(ts, trade_id)`` twice is an
    exact duplicate when the values agree and a conflict when they do not.
    """

    rows: int
    first: int | None
    last: int | None
    nan_values: Finding
    non_positive_prices: Finding
    non_positive_sizes: Finding
    invalid_sides: Finding
    conflicting_duplicates: Finding
    exact_duplicates: Finding
    out_of_order: Finding
    outliers: Finding
    unknown_side_trades: int
    robust_sigma: float
    outlier_sigma: float

    ERROR_FIELDS: ClassVar[tuple[str, ...]] = (
        "nan_values", "non_positive_prices", "non_positive_sizes", "invalid_sides",
        "conflicting_duplicates",
    )  # fmt: skip
    WARNING_FIELDS: ClassVar[tuple[str, ...]] = (
        "exact_duplicates", "out_of_order", "outliers", "unknown_side_trades",
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class QuoteValidationReport(_ReportMixin):
    """What a quote series contains; see :func:`tradeforge.data.validate.validate_quotes`."""

    rows: int
    first: int | None
    last: int | None
    nan_values: Finding
    non_positive_prices: Finding
    negative_sizes: Finding
    crossed: Finding
    out_of_order: Finding

    ERROR_FIELDS: ClassVar[tuple[str, ...]] = (
        "nan_values",
        "non_positive_prices",
        "negative_sizes",
    )
    WARNING_FIELDS: ClassVar[tuple[str, ...]] = ("crossed", "out_of_order")


ValidationReport = BarValidationReport | TradeValidationReport | QuoteValidationReport
