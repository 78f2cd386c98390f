"""backtrader running the SMA-cross strategy of ``bench.peers.common``.

Market orders placed in ``next()`` fill at the next bar's open (``cheat_on_open`` and
``coc`` off, the defaults). Commission is a percentage of notional
(``COMM_PERC``, ``percabs=True`` so 0.001 means 0.1%), charged on every execution.

The bars go in through a small numpy-backed feed rather than ``bt.feeds.PandasData``: the
stock pandas feed reads each value with ``DataFrame.iloc`` and more than doubles the run
time, which would measure pandas indexing rather than backtrader.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from bench.peers.common import CASH, COMMISSION, FAST, SIZE, SLOW, PeerResult, measure

NAME = "backtrader"


def _strategy_class() -> type[Any]:
    """Build the Strategy subclass (backtrader is imported lazily: it is optional)."""
    import backtrader as bt

    class SmaCross(bt.Strategy):  # type: ignore[misc]
        """Buy ``SIZE`` on a cross up, close the position on a cross down; count trades."""

        def __init__(self) -> None:
            self.fast = bt.indicators.SimpleMovingAverage(self.data.close, period=FAST)
            self.slow = bt.indicators.SimpleMovingAverage(self.data.close, period=SLOW)
            self.closed_trades = 0

        def notify_trade(self, trade: Any) -> None:
            if trade.isclosed:
                self.closed_trades += 1

        def next(self) -> None:
            fast, slow = self.fast, self.slow
            if fast[-1] <= slow[-1] and fast[0] > slow[0]:
                if not self.position:
                    self.buy(size=SIZE)
            elif fast[-1] >= slow[-1] and fast[0] < slow[0] and self.position:
                self.close()

    return SmaCross


UNIX_EPOCH_ORDINAL = 719_163  # datetime.date(1970, 1, 1).toordinal()
NS_PER_DAY = 86_400 * 10**9
FIELDS = ("open", "high", "low", "close", "volume")


def date_numbers(index: pd.DatetimeIndex) -> np.ndarray:
    """backtrader's float datetimes (``bt.date2num``: proleptic ordinal days, UTC)."""
    return UNIX_EPOCH_ORDINAL + index.tz_convert("UTC").asi8 / NS_PER_DAY


def _feed(bars: pd.DataFrame) -> Any:
    """A backtrader data feed that loads the bars row by row from numpy arrays."""
    import backtrader as bt

    columns = [date_numbers(pd.DatetimeIndex(bars.index))]
    columns += [bars[name].to_numpy(np.float64) for name in FIELDS]

    class ArrayFeed(bt.feed.DataBase):  # type: ignore[misc]
        """Feeds pre-converted rows (datetime number, open, high, low, close, volume)."""

        def start(self) -> None:
            super().start()
            self._rows = zip(*(column.tolist() for column in columns), strict=True)

        def _load(self) -> bool:
            row = next(self._rows, None)
            if row is None:
                return False
            lines = self.lines
            (lines.datetime[0], lines.open[0], lines.high[0], lines.low[0], lines.close[0],
             lines.volume[0]) = row  # fmt: skip
            return True

    return ArrayFeed(timeframe=bt.TimeFrame.Minutes, compression=1)


def _cerebro(bars: pd.DataFrame) -> Any:
    """A Cerebro with the bars as a pandas feed, the broker configured, the strategy added."""
    import backtrader as bt

    cerebro = bt.Cerebro(stdstats=False, cheat_on_open=False)
    cerebro.adddata(_feed(bars))
    cerebro.addstrategy(_strategy_class())
    cerebro.broker.setcash(CASH)
    cerebro.broker.set_coc(False)  # no cheat-on-close: fills at the next bar's open
    cerebro.broker.setcommission(
        commission=COMMISSION,
        commtype=bt.CommInfoBase.COMM_PERC,
        percabs=True,
        stocklike=True,
    )
    return cerebro


def run(bars: pd.DataFrame) -> PeerResult:
    """Run the strategy on ``bars`` and report the result."""
    import backtrader as bt

    with measure() as timing:
        cerebro = _cerebro(bars)
        strategy = cerebro.run()[0]
        final_equity = cerebro.broker.getvalue()
    return PeerResult(
        name=NAME,
        version=bt.__version__,
        bars=len(bars),
        seconds=timing.seconds,
        closed_trades=strategy.closed_trades,
        open_trades=1 if strategy.position.size > 0 else 0,
        final_equity=float(final_equity),
        peak_rss_mb=timing.peak_rss_mb,
        start_rss_mb=timing.start_rss_mb,
        cpu_seconds=timing.cpu_seconds,
    )
