"""The report's HTML tables: statistics (one run or several side by side) and trades."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from html import escape
from typing import Any

import numpy as np
import pandas as pd

MAX_TRADE_ROWS = 500
"""Trades listed in a report: the first and last half of this many when there are more."""

_TRADE_VIEW = {
    "side": "side",
    "size": "size",
    "entry_time": "entry (UTC)",
    "entry_price": "entry price",
    "exit_time": "exit (UTC)",
    "exit_price": "exit price",
    "net_pnl": "net PnL",
    "return_pct": "return %",
    "fees": "fees",
    "duration": "duration",
    "exit_tags": "exit tags",
}

_NUMBER_FORMATS = {
    "size": "{:.8g}",
    "entry_price": "{:,.8g}",
    "exit_price": "{:,.8g}",
    "net_pnl": "{:,.2f}",
    "return_pct": "{:.2f}",
    "fees": "{:,.2f}",
}


def flatten(stats: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings flattened to ``outer.inner`` keys, in order."""
    flat: dict[str, Any] = {}
    for key, value in stats.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def format_value(name: str, value: Any) -> str:
    """One statistic as text: thousands separators, ``%`` for ``*_pct``, ``–`` for NaN."""
    if isinstance(value, Enum):
        value = value.value
    if value is None:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating | Decimal):
        return _format_number(name, float(value))
    if isinstance(value, datetime | pd.Timestamp | timedelta):
        return str(value)
    return str(value)


def _format_number(name: str, number: float) -> str:
    if not math.isfinite(number):
        return "–" if math.isnan(number) else ("∞" if number > 0 else "-∞")
    suffix = " %" if name.endswith(("_pct", "pct")) else ""
    if abs(number) >= 100 or suffix:
        return f"{number:,.2f}{suffix}"
    return f"{number:.4g}"


def stats_frame(columns: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Statistics of one or more runs as text: one row per statistic, one column per run.

    Rows follow the first run's order; statistics only some runs have are shown as ``–``
    for the others.
    """
    flat = {label: flatten(stats) for label, stats in columns.items()}
    names = list(dict.fromkeys(name for values in flat.values() for name in values))
    table = {
        label: [format_value(n, values[n]) if n in values else "–" for n in names]
        for label, values in flat.items()
    }
    return pd.DataFrame(table, index=pd.Index(names, name="statistic"))


def stat_label(name: str) -> str:
    """``max_drawdown_pct`` as ``max drawdown %``; nested keys joined with `` · ``."""
    return " · ".join(
        part.removesuffix("_pct").replace("_", " ") + (" %" if part.endswith("_pct") else "")
        for part in name.split(".")
    )


def stats_html(columns: Mapping[str, Mapping[str, Any]]) -> str:
    """The statistics table (see :func:`stats_frame`) as an HTML ``table``."""
    frame = stats_frame(columns)
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    rows = "".join(
        f'<tr><th title="{escape(name)}">{escape(stat_label(name))}</th>'
        + "".join(f"<td>{escape(v)}</td>" for v in frame.loc[name])
        + "</tr>"
        for name in frame.index
    )
    return (
        f'<table class="stats"><thead><tr><th></th>{head}</tr></thead><tbody>{rows}</tbody></table>'
    )


def trades_view(trades: pd.DataFrame, limit: int = MAX_TRADE_ROWS) -> tuple[pd.DataFrame, str]:
    """The trades to list (numbered from 1) and a note when some are left out.

    Parameters
    ----------
    trades : pandas.DataFrame
        ``result.trades``.
    limit : int
        Most rows to list: the first and last ``limit // 2`` trades beyond that.

    Returns
    -------
    (pandas.DataFrame, str)
        The rows, formatted as text with readable column names, and the note (``""`` when
        every trade is listed).
    """
    numbered = trades.set_axis(pd.RangeIndex(1, len(trades) + 1, name="#"))
    note = ""
    if len(trades) > limit:
        half = limit // 2
        numbered = pd.concat([numbered.iloc[:half], numbered.iloc[-half:]])
        note = (
            f"{len(trades):,} trades: the first {half} and the last {half} are listed; every "
            "trade is in trades.csv (result.export(directory) or tradeforge backtest --export)."
        )
    columns = [c for c in _TRADE_VIEW if c in numbered.columns]
    view = numbered[columns].copy()
    for column in ("entry_time", "exit_time"):
        if column in view:
            view[column] = pd.to_datetime(view[column], utc=True).dt.strftime("%Y-%m-%d %H:%M:%S")
    if "side" in view:
        view["side"] = view["side"].astype(str).str.rsplit(".", n=1).str[-1]
    if "duration" in view:
        view["duration"] = pd.to_timedelta(view["duration"]).dt.round("s").astype(str)
    for column, spec in _NUMBER_FORMATS.items():
        if column in view:
            values = view[column]
            view[column] = values.map(spec.format).where(values.notna(), "")
    return view.rename(columns=_TRADE_VIEW), note


def trades_html(trades: pd.DataFrame, limit: int = MAX_TRADE_ROWS) -> str:
    """The trades table (at most ``limit`` rows, with a note when capped) as HTML."""
    if not len(trades):
        return '<p class="note">No trades: the strategy never entered a position.</p>'
    view, note = trades_view(trades, limit)
    table = view.to_html(classes="trades", border=0, na_rep="", escape=True)
    return (f'<p class="note">{escape(note)}</p>' if note else "") + table
