"""Statistics computed by hand on small constructed cases, and the edge cases: a run without
trades, a run that loses everything, ratios over a zero denominator."""

from __future__ import annotations

import itertools
import json
import math
import statistics
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from tests.backtest.helpers import T0, D, bars, instrument, ns, run
from tradeforge.backtest import Backtest
from tradeforge.backtest.stats import (
    CRYPTO,
    EQUITY,
    Calendar,
    Stats,
    SymbolStats,
    compute_stats,
    per_period_rate,
)
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.strategy import Strategy

pytestmark = pytest.mark.filterwarnings("error")  # edge cases must not warn either

HOURLY = 365 * 24
H = pd.Timedelta(hours=1)

# -- a known equity path ------------------------------------------------------------------------
#
# anchor 100 at T0 (the first bar's open), then the closes at T0 + 1h ... T0 + 6h:
#   equity   100  110   99  121  110   88   99
#   peak     100  110  110  121  121  121  121
#   drawdown   0    0 -10%    0 -1/11 -3/11 -2/11
# two drawdowns: 110 -> 99 -> 121 (peak at 1h, back at the peak at 3h: 2 h, -10 %) and
# 121 -> 88 -> 99 (peak at 3h, never recovered: to the last close at 6h, 3 h, -300/11 %).
PATH = [110, 99, 121, 110, 88, 99]


def path_stats(**options: Any) -> Stats:
    equity = pd.Series(
        [float(v) for v in PATH], index=pd.date_range(T0 + H, periods=len(PATH), freq="h")
    )
    return compute_stats(
        equity, pd.DataFrame(), initial_cash=D(100), final_equity=D(PATH[-1]), **options
    )


def path_returns() -> list[Fraction]:
    values = [Fraction(100), *map(Fraction, PATH)]
    return [b / a - 1 for a, b in itertools.pairwise(values)]


def test_drawdowns_of_a_known_path() -> None:
    stats = path_stats()
    assert stats.max_drawdown_pct == pytest.approx(-300 / 11, rel=1e-12)
    assert stats.max_drawdown_duration == 3 * H
    assert stats.avg_drawdown_pct == pytest.approx((-10 - 300 / 11) / 2, rel=1e-12)
    assert stats.avg_drawdown_duration == 2.5 * H
    assert stats.peak_equity == 121.0
    assert (stats.start, stats.end, stats.duration) == (T0, T0 + 6 * H, 6 * H)


def test_returns_statistics_of_a_known_path() -> None:
    # returns 1/10, -1/10, 2/9, -1/11, -1/5, 1/8, exactly
    returns = path_returns()
    assert returns == [Fraction(1, 10), Fraction(-1, 10), Fraction(2, 9), Fraction(-1, 11),
                       Fraction(-1, 5), Fraction(1, 8)]  # fmt: skip
    mean, stdev = statistics.mean(returns), statistics.stdev(returns)  # sample: ddof=1
    downside = math.sqrt(sum(min(r, 0) ** 2 for r in returns) / len(returns))
    cagr = 0.99 ** (HOURLY / 6) - 1  # 6 hours of a 365-day year, growth 99/100
    stats = path_stats()
    assert stats.periods_per_year == HOURLY
    assert stats.total_return_pct == -1.0
    assert stats.volatility_ann_pct == pytest.approx(100 * stdev * math.sqrt(HOURLY), rel=1e-12)
    assert stats.sharpe == pytest.approx(float(mean) / stdev * math.sqrt(HOURLY), rel=1e-12)
    assert stats.sortino == pytest.approx(float(mean) / downside * math.sqrt(HOURLY), rel=1e-12)
    assert stats.cagr_pct == pytest.approx(100 * cagr, rel=1e-12)
    assert stats.calmar == pytest.approx(cagr / (3 / 11), rel=1e-12)


def test_risk_free_rate_is_compounded_to_a_per_bar_rate() -> None:
    per_bar = 1.04 ** (1 / HOURLY) - 1
    assert per_period_rate(0.04, HOURLY) == pytest.approx(per_bar, rel=1e-12)
    excess = [float(r) - per_bar for r in path_returns()]
    stats = path_stats(risk_free_rate=0.04)
    expected = statistics.mean(excess) / statistics.stdev(excess) * math.sqrt(HOURLY)
    assert stats.sharpe == pytest.approx(expected, rel=1e-12)
    assert stats.risk_free_rate == 0.04


@pytest.mark.parametrize(
    ("calendar", "bar_seconds", "periods"),
    [
        (CRYPTO, 3_600, 8_760),
        (CRYPTO, 300, 105_120),
        (CRYPTO, 86_400, 365),
        (EQUITY, 86_400, 252),  # a daily bar is one trading day
        (EQUITY, 3_600, 252 * 6.5),  # intraday: bars in a 6.5 h session
        (EQUITY, 1_800, 252 * 13),
        (EQUITY, 7 * 86_400, 365 / 7),  # weekly bars: calendar weeks
        (Calendar(trading_days=360, session_hours=24), 86_400, 360),
    ],
)
def test_periods_per_year_follow_the_bar_and_the_calendar(
    calendar: Calendar, bar_seconds: float, periods: float
) -> None:
    assert calendar.periods_per_year(bar_seconds) == pytest.approx(periods, rel=1e-12)


# -- trades ---------------------------------------------------------------------------------------


def trades_frame(rows: list[tuple[str, float, float, float, float | None]]) -> pd.DataFrame:
    """``(symbol, net_pnl, return_pct, fees, hours held or None while open)`` per trade."""
    entry = [T0 + i * H for i in range(len(rows))]
    return pd.DataFrame(
        {
            "symbol": [r[0] for r in rows],
            "entry_time": entry,
            "exit_time": [e + r[4] * H if r[4] is not None else pd.NaT
                          for e, r in zip(entry, rows, strict=True)],
            "net_pnl": [r[1] for r in rows],
            "return_pct": [r[2] for r in rows],
            "fees": [r[3] for r in rows],
        }
    )  # fmt: skip


def trade_stats(rows: list[tuple[str, float, float, float, float | None]]) -> Stats:
    equity = pd.Series([100.0, 100.0], index=[T0 + H, T0 + 2 * H])
    return compute_stats(
        equity, trades_frame(rows), initial_cash=D(100), final_equity=D(100), bar_seconds=3_600
    )


HANDFUL: list[tuple[str, float, float, float, float | None]] = [
    ("BTC/USDT", 50.0, 5.0, 1.0, 2),
    ("BTC/USDT", -20.0, -2.0, 1.0, 4),
    ("ETH/USDT", 30.0, 3.0, 2.0, 1),
    ("ETH/USDT", -10.0, -1.0, 2.0, 3),
    ("ETH/USDT", 0.0, 0.0, 1.0, 6),  # breakeven: neither a win nor a loss
    ("ETH/USDT", -5.0, -0.5, 0.5, None),  # still open: only its fees count
]


def test_trade_statistics_of_a_handful_of_trades() -> None:
    stats = trade_stats(HANDFUL)
    assert (stats.trades, stats.open_trades) == (5, 1)
    assert stats.win_rate_pct == 40.0  # 2 of 5
    assert (stats.best_trade_pct, stats.worst_trade_pct, stats.avg_trade_pct) == (5, -2, 1)
    assert stats.profit_factor == pytest.approx(80 / 30, rel=1e-15)  # (50 + 30) / (20 + 10)
    assert stats.expectancy == 10.0  # 50 / 5
    # SQN = sqrt(5) × 10 / stdev(50, -20, 30, -10, 0); deviations 40, -30, 20, -20, -10:
    # variance 3400 / 4 = 850
    assert stats.sqn == pytest.approx(math.sqrt(5) * 10 / math.sqrt(850), rel=1e-12)
    # Kelly = W - (1 - W) / R = 0.4 - 0.6 / (40 / 15) = 0.175
    assert stats.kelly == pytest.approx(0.175, rel=1e-12)
    assert stats.avg_trade_duration == pd.Timedelta(hours=3.2)  # (2 + 4 + 1 + 3 + 6) / 5
    assert stats.max_trade_duration == 6 * H
    assert stats.per_symbol == {
        "BTC/USDT": SymbolStats(trades=2, win_rate_pct=50.0, pnl=30.0, fees=2.0),
        "ETH/USDT": SymbolStats(trades=3, win_rate_pct=100 / 3, pnl=20.0, fees=5.5),
    }
    assert stats["per_symbol"]["ETH/USDT"]["fees"] == 5.5  # mappings all the way down


def test_only_winners_only_losers_and_one_trade() -> None:
    winners = trade_stats([("A/B", 10.0, 1.0, 0.0, 1), ("A/B", 30.0, 3.0, 0.0, 1)])
    assert winners.profit_factor == math.inf  # no losing trade
    assert winners.kelly == 1.0  # W, R infinite
    losers = trade_stats([("A/B", -10.0, -1.0, 0.0, 1), ("A/B", -30.0, -3.0, 0.0, 1)])
    assert losers.profit_factor == 0.0
    assert losers.kelly == -math.inf  # R = 0: never bet
    assert losers.sqn == pytest.approx(math.sqrt(2) * -20 / math.sqrt(200), rel=1e-12)
    single = trade_stats([("A/B", 10.0, 1.0, 0.0, 1)])
    assert (single.sqn, single.win_rate_pct, single.profit_factor) == (0.0, 100.0, math.inf)
    even = trade_stats([("A/B", 0.0, 0.0, 0.0, 1), ("A/B", 0.0, 0.0, 0.0, 1)])
    assert (even.profit_factor, even.kelly, even.sqn, even.win_rate_pct) == (0, 0, 0, 0)
    document = winners.to_json()
    assert document["profit_factor"] is None  # JSON has no infinity
    json.dumps(document, allow_nan=False)


# -- runs without trades, and runs that lose everything -----------------------------------------

FLAT = bars(*[(100, 101, 99, 100 + i % 3) for i in range(6)])  # closes 100 ... 102


def test_a_run_without_trades() -> None:
    result = run(FLAT, {})
    stats = result.stats
    assert stats.trades == stats.open_trades == 0
    assert stats.final_equity == D(1_000) and stats.total_return_pct == 0.0
    for key in ("cagr_pct", "volatility_ann_pct", "sharpe", "sortino", "calmar",
                "max_drawdown_pct", "avg_drawdown_pct", "exposure_pct", "win_rate_pct",
                "best_trade_pct", "worst_trade_pct", "avg_trade_pct", "profit_factor",
                "expectancy", "sqn", "kelly"):  # fmt: skip
        assert stats[key] == 0.0, key
    for key in ("max_drawdown_duration", "avg_drawdown_duration", "avg_trade_duration",
                "max_trade_duration"):  # fmt: skip
        assert stats[key] == pd.Timedelta(0), key
    assert (stats.fees, stats.funding_paid, stats.per_symbol) == (D(0), D(0), {})
    assert stats.buy_and_hold_return_pct == pytest.approx(2.0)  # open 100, last close 102
    assert (stats.start, stats.end) == (T0, pd.Timestamp(ns(6), tz="UTC"))
    # a flat curve takes no risk: 0, not -sqrt(periods), even when it trails the risk-free rate
    trailing = result.stats_with(risk_free_rate=0.05)
    assert (trailing.sharpe, trailing.sortino) == (0.0, 0.0)
    json.dumps(result.summary(), allow_nan=False)


def perpetual() -> Instrument:
    return Instrument(symbol=Symbol.parse("ASSET/USDT:USDT"), venue="sim",
                      kind=InstrumentKind.PERPETUAL, price_tick=Decimal("0.01"),
                      quantity_step=Decimal("0.001"))  # fmt: skip


def test_a_run_that_loses_more_than_everything() -> None:
    # a 10x long of 10 at 100 on a 104.5 wallet; bar 2 gaps to 88 through the liquidation
    # price 90: the venue closes at the open, 88, leaving the wallet at 104.5 - 120 = -15.5
    data = bars((100, 100.5, 99.5, 100), (100, 101, 95, 96), (88, 89, 85, 87), (87, 88, 86, 87))
    result = run(data, {0: lambda s: s.buy(10)}, cash=D("104.5"), symbol="ASSET/USDT:USDT",
                 account="margin", leverage=10, instruments=[perpetual()])  # fmt: skip
    assert result.final_equity == D("-15.5")
    stats = result.stats
    # anchored equity 104.5, 104.5, 64.5, -15.5, -15.5: floored at 0, returns 0, -40/104.5,
    # -1, 0; the drawdown bottoms at -100 %, the loss beyond shows in the total return
    assert stats.total_return_pct == pytest.approx(-100 * 120 / 104.5, rel=1e-12)
    assert (stats.max_drawdown_pct, stats.cagr_pct, stats.calmar) == (-100.0, -100.0, -1.0)
    assert stats.max_drawdown_duration == 3 * H  # from the peak at bar 0's close to the end
    returns = [0.0, 64.5 / 104.5 - 1, -1.0, 0.0]
    expected = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(HOURLY)
    assert stats.sharpe == pytest.approx(expected, rel=1e-12)
    assert math.isfinite(stats.sortino) and stats.sortino < 0
    assert (stats.trades, stats.win_rate_pct, stats.profit_factor) == (1, 0.0, 0.0)
    assert (stats.expectancy, stats.sqn, stats.kelly) == (-120.0, 0.0, -math.inf)
    assert stats.exposure_pct == 25.0  # held through bar 1's close of the 4 closes
    document = json.loads(json.dumps(result.summary(), allow_nan=False))
    assert document["stats"]["kelly"] is None
    assert document["max_drawdown"] == -1.0


def test_equity_reaching_exactly_zero_stays_defined() -> None:
    equity = pd.Series([50.0, 0.0, 0.0], index=pd.date_range(T0 + H, periods=3, freq="h"))
    stats = compute_stats(equity, pd.DataFrame(), initial_cash=D(100), final_equity=D(0))
    assert (stats.total_return_pct, stats.max_drawdown_pct, stats.cagr_pct) == (-100, -100, -100)
    mean, stdev = statistics.mean([-0.5, -1.0, 0.0]), statistics.stdev([-0.5, -1.0, 0.0])
    assert stats.sharpe == pytest.approx(mean / stdev * math.sqrt(HOURLY), rel=1e-12)


def test_a_single_bar_and_a_curve_that_never_falls() -> None:
    one = pd.Series([110.0], index=[T0 + H])
    stats = compute_stats(one, pd.DataFrame(), initial_cash=D(100), final_equity=D(110))
    assert stats.periods_per_year == 365  # one bar: a day is assumed without bar_seconds
    assert (stats.sharpe, stats.volatility_ann_pct, stats.sortino) == (0.0, 0.0, 0.0)
    assert stats.calmar == math.inf  # grew, never fell
    rising = pd.Series([150.0, 180.0, 200.0], index=pd.date_range(T0 + H, periods=3, freq="h"))
    up = compute_stats(rising, pd.DataFrame(), initial_cash=D(100), final_equity=D(200))
    assert (up.sortino, up.calmar, up.max_drawdown_pct) == (math.inf, math.inf, 0.0)
    assert up.cagr_pct == math.inf  # doubling every 3 hours: beyond the float range
    assert up.to_json()["cagr_pct"] is None


# -- the mapping and the configuration -----------------------------------------------------------


def test_stats_read_as_a_mapping_and_as_attributes() -> None:
    stats = path_stats()
    assert stats["sharpe"] == stats.sharpe
    assert "max_drawdown_pct" in stats and "nope" not in stats
    with pytest.raises(KeyError):
        stats["nope"]
    assert list(stats)[:3] == ["start", "end", "duration"]
    assert dict(stats)["trades"] == 0 and len(stats) == len(dict(stats))
    document = stats.to_json()
    assert document["start"] == "2024-01-01T00:00:00+00:00"
    assert document["duration"] == "0 days 06:00:00"
    assert document["final_equity"] == "99"


class Idle(Strategy):
    def on_bar(self, bar: object) -> None:
        pass


def test_the_calendar_and_risk_free_rate_come_from_the_backtest_config() -> None:
    bt = Backtest(FLAT, Idle, instruments=[instrument()], calendar="equity", risk_free_rate=0.02)
    stats = bt.run().stats
    assert (stats.periods_per_year, stats.risk_free_rate) == (252 * 6.5, 0.02)
    with pytest.raises(ValidationError, match="calendar"):
        Backtest(FLAT, Idle, calendar="lunar")
