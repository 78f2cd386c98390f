"""The daily loss limit through engine runs: constructed bars worked out by hand, then a month of
real BTC/USDT hourly bars checked against the run's own equity curve."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from tests.backtest.helpers import bars, run
from tests.risk.helpers import OK, reasons, sample_bars, scripted_on
from tradeforge.backtest import Backtest
from tradeforge.common.clock import TestClock
from tradeforge.risk.checks.account import NANOS_PER_DAY, DayStartEquity
from tradeforge.risk.context import BarHistory, RiskContext

LIMITS = {"default": {"allow_pyramiding": True, "daily_loss_limit": 0.03}}


def _two_days() -> pd.DataFrame:
    """Day 1 (2024-01-01): flat at 100, then 105, closing the day at 110. Day 2 falls."""
    rows = [(100.0, 100.0, 100.0, 100.0)] * 21  # bars 0-20
    rows += [(100.0, 105.0, 100.0, 105.0), (105.0, 105.0, 105.0, 105.0)]  # bars 21, 22
    rows += [(105.0, 110.0, 105.0, 110.0)]  # bar 23 closes at 00:00 of day 2
    rows += [(110.0, 110.0, 106.0, 106.0), (106.0, 106.0, 101.0, 102.0)]  # bars 24, 25
    rows += [(102.0, 103.0, 101.0, 102.0)] * 4  # bars 26-29
    return bars(*rows)


def test_entries_stop_once_the_day_has_lost_the_limit() -> None:
    script = {
        20: lambda s: s.buy(5),  # fills at bar 21's open, 100: cash 500
        22: lambda s: s.buy(0.1),  # day 1 began at the initial 1,000; equity 1,025: a gain
        24: lambda s: s.buy(0.1),  # 01:00 day 2: equity 1,030.10, down 20.40 (1.94 %)
        25: lambda s: s.buy(0.1),  # 02:00 day 2: see below
        26: lambda s: s.sell(5.2),  # reducing: always allowed
        27: lambda s: s.buy(0.1),  # flat now, still down as much on the day
    }
    result = run(_two_days(), script, risk=LIMITS)
    # 00:00 day 2: the second buy filled at bar 23's open (105): cash 500 - 10.50 = 489.50,
    # 5.1 x 110 = 561: the day starts at 1,050.50. At 02:00: cash 489.50 - 10.60 = 478.90,
    # 5.2 x 102 = 530.40: equity 1,009.30, down 41.20 = 3.92 % of 1,050.50
    refused = (
        "daily loss limit: equity is down 41.20 USD (3.92%) from 1,050.50 USD at 00:00 UTC, "
        "the limit is 3%"
    )
    assert reasons(result) == [OK, OK, OK, refused, OK, refused]
    assert result.portfolio.positions() == {}


def test_the_start_of_day_equity_reads_the_ledger_at_midnight() -> None:
    result = run(_two_days(), {20: lambda s: s.buy(5), 24: lambda s: s.sell(2)})
    context = RiskContext(
        result.portfolio, TestClock(), {}, list, lambda s: None,
        history=BarHistory(result.run.series),
    )  # fmt: skip
    assert context.history is not None
    day2 = int(result.run.series[0].ts_close[23])
    assert day2 % NANOS_PER_DAY == 0
    start = DayStartEquity(context, context.history)
    assert start.at(day2 + 5) == Decimal(1050)  # 500 cash + 5 x 110; the sell came later
    assert start.at(day2 + NANOS_PER_DAY - 1) == Decimal(1050)  # the same day
    fresh = DayStartEquity(context, context.history)
    assert fresh.at(day2 - 5) == Decimal(1000)  # day 1: the initial cash


def test_a_month_of_real_bars_refuses_exactly_where_the_equity_curve_says() -> None:
    frame = sample_bars("BTC/USDT", "2021-01-01", "2021-02-01")  # 744 hourly bars
    script = {0: lambda s: s.buy(fraction=0.5)}
    script |= dict.fromkeys(range(1, len(frame)), lambda s: s.buy(0.0001))
    strategy = scripted_on(script, "BTC/USDT")
    result = Backtest(
        frame, strategy, cash=10_000, commission=0.001, symbol="BTC/USDT", risk=LIMITS
    ).run()
    equity = result.equity  # at every close, from the ledger: independent of the check
    got = reasons(result)
    expected = []
    for i, now in enumerate(equity.to_numpy()):
        day = equity.index[i].floor("D")
        start = float(equity.get(day, 10_000.0))
        expected.append((start - now) / start >= 0.03)
    assert [r != OK for r in got] == expected
    refused = [i for i, flag in enumerate(expected) if flag]
    assert len(refused) == 78
    assert refused[:5] == [81, 82, 83, 84, 89]  # 2021-01-04, from 09:00
    assert got[81] == (
        "daily loss limit: equity is down 353.55 USDT (3.30%) from 10,697.81 USDT at 00:00 "
        "UTC, the limit is 3%"
    )
    assert f"{equity[pd.Timestamp('2021-01-04', tz='UTC')]:,.2f}" == "10,697.81"
    assert all(r.startswith("daily loss limit: ") for r in got if r != OK)
