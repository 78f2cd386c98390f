"""Plain HTML tables of DataFrames and settings, every cell through
:func:`~tradeforge.report.tables.format_value` (``%`` for ``*_pct`` columns, ``–`` for NaN)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np
import pandas as pd

from tradeforge.report.tables import format_value


def frame_html(frame: pd.DataFrame, columns: Sequence[str], *, index: str | None = None) -> str:
    """``columns`` of ``frame`` (its index first, headed ``index``, when given), one row per
    row; times without their zone (UTC)."""
    names = [index] if index is not None else []
    head = "".join(f"<th>{escape(c)}</th>" for c in [*names, *columns])
    rows = []
    for key, row in frame.iterrows():
        cells = [cell(index, key)] if index is not None else []
        cells += [cell(c, row[c]) for c in columns]
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    body = "".join(rows)
    return f'<table class="stats"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def settings_html(items: Sequence[tuple[str, Any]]) -> str:
    """``(label, value)`` pairs as a two-column table."""
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(cell(k, v))}</td></tr>" for k, v in items)
    return f'<table class="stats"><tbody>{body}</tbody></table>'


def cell(name: str, value: Any) -> str:
    """One value as text."""
    if value is pd.NA or value is pd.NaT:
        return "–"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M")
    return format_value(name, value)
