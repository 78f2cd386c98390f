"""Live bars of several series, handed on in the backtest's order.

Each series streams on its own, so a 1h bar and the 5m bar closing with it arrive in either
order. A backtest delivers bars by close time, the longer timeframe first on a tie, then in
the order the series were given (:func:`~tradeforge.data.replay.merge_schedule`). The
:class:`BarSequencer` restores that order: a bar waits while another series still owes a bar
closing at or before it (its next bar is due by then), until that bar arrives or ``patience``
seconds of wall-clock time pass (a venue prints no bar for a period without trades).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tradeforge.model.market_data import Bar
from tradeforge.model.symbol import Symbol
from tradeforge.model.timeframe import Timeframe

SeriesKey = tuple[Symbol, Timeframe]


@dataclass
class _Waiting:
    bar: Bar
    close_ns: int
    since_s: float


@dataclass
class BarSequencer:
    """Orders the bars of ``series`` (their keys, in the given order) for delivery.

    Parameters
    ----------
    series : list of (Symbol, Timeframe)
        The series, in the order ties go.
    last_close : dict
        Each series' last close delivered so far (the history's), ns.
    patience : float
        Seconds a bar waits for another series' bar at most; a series that kept it waiting
        that long is not waited for again before its next bar.
    """

    series: list[SeriesKey]
    last_close: dict[SeriesKey, int]
    patience: float = 2.0
    _waiting: list[_Waiting] = field(default_factory=list)
    _due: dict[SeriesKey, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for key, close in self.last_close.items():
            self._due[key] = key[1].close_time(close)

    def push(self, bar: Bar, now_s: float) -> list[Bar]:
        """Take a bar that arrived (at wall time ``now_s``); the bars ready to deliver."""
        key = (bar.symbol, bar.timeframe)
        if key not in self.last_close:
            return []
        close = bar.timeframe.close_time(bar.ts_open)
        if close <= self.last_close[key] or any(w.bar == bar for w in self._waiting):
            return []
        self._waiting.append(_Waiting(bar, close, now_s))
        return self.poll(now_s)

    def poll(self, now_s: float) -> list[Bar]:
        """The bars ready now, in delivery order (call it while idle: a wait may run out)."""
        ready: list[Bar] = []
        while self._waiting:
            first = min(self._waiting, key=self._rank)
            owing = self._owing(first)
            if owing and now_s - first.since_s < self.patience:
                break
            for key in owing:  # waited for long enough: not again before its next bar
                self._due[key] = _next_close_after(key[1], self._due[key], first.close_ns)
            self._waiting.remove(first)
            key = (first.bar.symbol, first.bar.timeframe)
            self.last_close[key] = first.close_ns
            self._due[key] = _next_close_after(key[1], self._due[key], first.close_ns)
            ready.append(first.bar)
        return ready

    def _rank(self, waiting: _Waiting) -> tuple[int, int, int]:
        key = (waiting.bar.symbol, waiting.bar.timeframe)
        return (waiting.close_ns, -waiting.bar.timeframe.nanos, self.series.index(key))

    def _owing(self, candidate: _Waiting) -> list[SeriesKey]:
        """The other series whose next bar is due by ``candidate``'s close and not here."""
        here = {(w.bar.symbol, w.bar.timeframe) for w in self._waiting}
        return [
            key for key in self.series if key not in here and self._due[key] <= candidate.close_ns
        ]


def _next_close_after(timeframe: Timeframe, due: int, after: int) -> int:
    """The first close of ``timeframe`` from ``due`` on that falls after ``after``."""
    while due <= after:
        due = timeframe.close_time(due)
    return due
