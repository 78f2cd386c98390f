"""The account breakers (daily loss, drawdown, losing streak) through engine runs: constructed
bars worked out by hand, then real Binance hourly bars checked against the run's own equity
curve and round trips."""

from __future__ import annotations

import pandas as pd

from tests.backtest.helpers import bars, instrument, ns
from tests.risk.engine_runs import each, engine_run
from tests.risk.helpers import OK, reasons, sample_bars
from tradeforge.risk.breakers import BreakerLevel, CircuitBreakerReleased, CircuitBreakerTripped
from tradeforge.risk.state import TradingState, TradingStateChanged

ACTIVE, REDUCING, HALTED = TradingState.ACTIVE, TradingState.REDUCING, TradingState.HALTED
WARN, REDUCE, HALT = BreakerLevel.WARN, BreakerLevel.REDUCE, BreakerLevel.HALT
PYRAMIDING = {"allow_pyramiding": True}
REAL = {"cash": 10_000, "commission": 0.001, "instruments": [instrument("BTC/USDT", step="1e-8")]}


def utc(hours: float) -> pd.Timestamp:
    return pd.Timestamp(ns(hours), unit="ns", tz="UTC")


def _falling_day() -> pd.DataFrame:
    """Closes 100, 100, 98, 96, 94, 90, then 92 to bar 24 (bar 23 closes at 00:00 day 2)."""
    closes = [100.0, 100.0, 98.0, 96.0, 94.0, 90.0] + [92.0] * 19
    opens = [100.0, *closes[:-1]]
    return bars(*[(o, max(o, c), min(o, c), c) for o, c in zip(opens, closes, strict=True)])


def test_daily_loss_warns_reduces_halts_steps_down_and_resumes_at_midnight() -> None:
    script = {
        0: lambda s, e: s.buy(5),  # fills at bar 1's open, 100: cash 500
        4: lambda s, e: s.buy(1),  # REDUCING: refused
        5: lambda s, e: s.sell(1),  # HALTED: refused
        6: lambda s, e: s.sell(1),  # the loss is back to 4 %, but the 2h cooldown runs on
        7: each(lambda s, e: s.buy(1), lambda s, e: s.sell(1)),  # REDUCING again: the sell
        23: lambda s, e: s.buy(1),  # 00:00 of day 2: the day starts over, ACTIVE
    }
    risk = {
        "default": PYRAMIDING,
        "breakers": {"daily_loss": {"warn": 0.02, "reduce": 0.03, "halt": 0.05, "cooldown": "2h"}},
    }
    done = engine_run(_falling_day(), script, risk=risk)
    down = "equity is down {} USD ({}%) from {} USD at 00:00 UTC"
    warned = down.format("20.00", "2.00", "1,000.00") + ", the warn level is 2%"
    reduced = down.format("30.00", "3.00", "1,000.00") + ", the reduce level is 3%"
    halted = down.format("50.00", "5.00", "1,000.00") + ", the halt level is 5%"
    stepped = "down to the reduce level after the 2h cooldown: " + down.format(
        "40.00", "4.00", "1,000.00"
    )
    # 00:00 day 2: cash 592 (the sell filled at 92), 4 x 92: the day starts at 960
    released = "released after the 2h cooldown: " + down.format("0.00", "0.00", "960.00")
    two_hours = 2 * 3_600_000_000_000
    assert done.published == [
        CircuitBreakerTripped(ns(4), "daily_loss", WARN, 0.02, 0.02, ns(4) + two_hours, warned),
        CircuitBreakerTripped(ns(5), "daily_loss", REDUCE, 0.03, 0.03, ns(5) + two_hours, reduced),
        TradingStateChanged(ns(5), REDUCING, ACTIVE, reduced, "daily_loss"),
        CircuitBreakerTripped(ns(6), "daily_loss", HALT, 0.05, 0.05, ns(8), halted),
        TradingStateChanged(ns(6), HALTED, REDUCING, halted, "daily_loss"),
        CircuitBreakerReleased(ns(8), "daily_loss", REDUCE, HALT, 0.04, stepped),
        TradingStateChanged(ns(8), REDUCING, HALTED, stepped, "daily_loss"),
        CircuitBreakerReleased(ns(24), "daily_loss", None, REDUCE, 0.0, released),
        TradingStateChanged(ns(24), ACTIVE, REDUCING, released, "daily_loss"),
    ]
    adds = "; BUY 1.000 ASSET/USD would add exposure"
    assert reasons(done.result) == [
        OK,
        f"trading is REDUCING by daily_loss: {reduced}{adds}",
        f"trading is HALTED by daily_loss: {halted}",
        f"trading is HALTED by daily_loss: {halted}",
        f"trading is REDUCING by daily_loss: {stepped}{adds}",
        OK,
        OK,
    ]
    assert done.states == [
        (utc(5), "REDUCING", "daily_loss"),
        (utc(6), "HALTED", "daily_loss"),
        (utc(8), "REDUCING", "daily_loss"),
        (utc(24), "ACTIVE", "daily_loss"),
    ]
    events = done.result.breaker_events
    assert list(events["event"]) == ["tripped"] * 3 + ["released"] * 2
    assert list(events["level"]) == ["warn", "reduce", "halt", "reduce", ""]
    assert list(events["until"][:3]) == [utc(6), utc(7), utc(8)]


def _expected_daily_halts(equity: pd.Series, level: float, cooldown: int) -> list[bool]:
    """Per bar close, whether trading is HALTED after the breaker's check, worked out from
    the equity curve: halted when the day's loss reaches ``level``; released at the first
    close ``cooldown`` bars or more after the trip where the loss is below it."""
    halted, until, out = False, 0, []
    for i, now in enumerate(equity.to_numpy()):
        start = float(equity.get(equity.index[i].floor("D"), 10_000.0))
        reached = (start - now) / start >= level
        if reached and not halted:
            halted, until = True, i + cooldown
        elif halted and i >= until and not reached:
            halted = False
        out.append(halted)
    return out


def test_a_month_of_real_bars_halts_where_the_equity_curve_says() -> None:
    frame = sample_bars("BTC/USDT", "2021-01-01", "2021-02-01")  # 744 hourly bars
    script = {0: lambda s, e: s.buy(fraction=0.5)}  # then 0.00001 BTC a bar
    script |= dict.fromkeys(range(1, len(frame)), lambda s, e: s.buy(0.00001))
    risk = {"default": PYRAMIDING, "breakers": {"daily_loss": {"halt": 0.03, "cooldown": "3h"}}}
    done = engine_run({"BTC/USDT": frame}, script, **REAL, risk=risk)
    result = done.result
    expected = _expected_daily_halts(result.equity, 0.03, 3)
    got = reasons(result)
    assert [r != OK for r in got] == expected
    assert all(r.startswith("trading is HALTED by daily_loss: equity is down ") for r in got
               if r != OK)  # fmt: skip
    assert sum(expected) == 76
    assert done.states[:6] == [
        (pd.Timestamp(t, tz="UTC"), state, "daily_loss")
        for t, state in [
            ("2021-01-04 10:00", "HALTED"), ("2021-01-04 13:00", "ACTIVE"),
            ("2021-01-04 18:00", "HALTED"), ("2021-01-04 21:00", "ACTIVE"),
            ("2021-01-04 22:00", "HALTED"), ("2021-01-05 01:00", "ACTIVE"),  # a new day
        ]
    ]  # fmt: skip
    halted, released = done.engine.trading.history[:2]
    assert halted.reason == (
        "equity is down 339.46 USDT (3.18%) from 10,686.22 USDT at 00:00 UTC, the halt level is 3%"
    )
    assert released.reason == (
        "released after the 3h cooldown: equity is down 308.24 USDT (2.88%) from 10,686.22 "
        "USDT at 00:00 UTC"
    )
    assert f"{result.equity[pd.Timestamp('2021-01-04', tz='UTC')]:,.2f}" == "10,686.22"


def _expected_drawdown_halts(equity: pd.Series, level: float, cooldown: int) -> list[bool]:
    """Per close, whether HALTED: the drawdown from the peak of the closes since the last
    release reaches ``level``; released ``cooldown`` bars after the trip, the peak then
    restarting at that close's equity."""
    halted, until, peak, out = False, 0, None, []
    for i, now in enumerate(equity.to_numpy()):
        peak = now if peak is None or now > peak else peak
        if not halted and (peak - now) / peak >= level:
            halted, until = True, i + cooldown
        elif halted and i >= until:
            halted, peak = False, now
        out.append(halted)
    return out


def test_drawdown_halts_for_the_cooldown_then_measures_from_the_equity_of_then() -> None:
    frame = sample_bars("BTC/USDT", "2021-01-01", "2021-02-01")
    script = {0: lambda s, e: s.buy(fraction=0.9)}  # then 0.00001 BTC (about 0.35 USDT) a bar
    script |= dict.fromkeys(range(1, len(frame)), lambda s, e: s.buy(0.00001))
    risk = {"default": PYRAMIDING, "breakers": {"drawdown": {"warn": 0.08, "halt": 0.12}}}
    done = engine_run({"BTC/USDT": frame}, script, **REAL, risk=risk)
    result = done.result
    expected = _expected_drawdown_halts(result.equity, 0.12, 24)  # the default cooldown: 1d
    assert [r != OK for r in reasons(result)] == expected
    assert done.states == [
        (pd.Timestamp(t, tz="UTC"), state, "drawdown")
        for t, state in [
            ("2021-01-11 04:00", "HALTED"), ("2021-01-12 04:00", "ACTIVE"),
            ("2021-01-17 09:00", "HALTED"), ("2021-01-18 09:00", "ACTIVE"),
            ("2021-01-21 12:00", "HALTED"), ("2021-01-22 12:00", "ACTIVE"),
            ("2021-01-27 15:00", "HALTED"), ("2021-01-28 15:00", "ACTIVE"),
            ("2021-01-30 04:00", "HALTED"), ("2021-01-31 04:00", "ACTIVE"),
        ]
    ]  # fmt: skip
    first, resumed = done.engine.trading.history[:2]
    assert first.reason == (
        "equity 11,989.75 USDT is 13.55% below its peak 13,868.83 USDT, the halt level is 12%"
    )
    assert resumed.reason == (
        "released after the 1d cooldown: equity 11,848.10 USDT is 0.00% below its peak "
        "11,848.10 USDT"
    )
    warnings = result.breaker_events.query("level == 'warn' and event == 'tripped'")
    first_warning = pd.Timestamp("2021-01-04 10:00", tz="UTC")
    assert warnings["ts"].iloc[0] == first_warning
    before = result.equity[result.equity.index < first_warning]
    assert (before.cummax() - before).div(before.cummax()).max() < 0.08
    peak = result.equity[result.equity.index <= first_warning].max()
    assert (peak - result.equity[first_warning]) / peak >= 0.08


def test_a_losing_streak_warns_halts_and_counts_again_after_the_cooldown() -> None:
    # even bars open at 100, odd bars at 99: bought at an odd bar's close (filled at 100) and
    # sold at the next close (filled at 99), every round trip loses 1.00
    data = bars(*[(100.0, 100.0, 99.0, 99.0), (99.0, 100.0, 99.0, 100.0)] * 8)
    script = {i: (lambda s, e: s.buy(1)) if i % 2 else (lambda s, e: s.sell(1))
              for i in range(1, 15)}  # fmt: skip
    risk = {"breakers": {"consecutive_losses": {"warn": 2, "halt": 3, "cooldown": "4h"}}}
    done = engine_run(data, script, risk=risk)
    trades = done.result.trades
    assert list(trades["net_pnl"]) == [-1.0] * 5
    assert list(trades["exit_time"]) == [utc(3), utc(5), utc(7), utc(13), utc(15)]
    warned = "2 losing round trips in a row, the warn level is 2"
    halted = "3 losing round trips in a row, the halt level is 3"
    released = "released after the 4h cooldown: 0 losing round trips in a row"
    name = "consecutive_losses"
    assert done.published == [
        CircuitBreakerTripped(ns(6), name, WARN, 2.0, 2.0, ns(10), warned),
        CircuitBreakerTripped(ns(8), name, HALT, 3.0, 3.0, ns(12), halted),
        TradingStateChanged(ns(8), HALTED, ACTIVE, halted, name),
        CircuitBreakerReleased(ns(12), name, None, HALT, 0.0, released),
        TradingStateChanged(ns(12), ACTIVE, HALTED, released, name),
        CircuitBreakerTripped(ns(16), name, WARN, 2.0, 2.0, ns(20), warned),
    ]
    refused = f"trading is HALTED by consecutive_losses: {halted}"
    assert reasons(done.result) == [OK] * 6 + [refused] * 4 + [OK] * 4


def _expected_streak_halts(
    trades: pd.DataFrame, closes: pd.DatetimeIndex, level: int, cooldown: pd.Timedelta
) -> dict[pd.Timestamp, bool]:
    """Per close, whether HALTED: round trips count from the close after their exit fill;
    ``level`` losses in a row halt; the cooldown later the count starts over."""
    exits = trades.sort_values("exit_time", kind="stable")
    streak, halted, until, seen, out = 0, False, closes[0], 0, {}
    for now in closes:
        while seen < len(exits) and exits["exit_time"].iloc[seen] < now:
            streak = streak + 1 if exits["net_pnl"].iloc[seen] < 0 else 0
            seen += 1
        if not halted and streak >= level:
            halted, until = True, now + cooldown
        elif halted and now >= until:
            halted, streak = False, 0
        out[now] = halted
    return out


def test_a_month_of_real_round_trips_halts_on_every_third_loss_in_a_row() -> None:
    frame = sample_bars("ETH/USDT", "2021-03-01", "2021-04-01")
    script = {i: (lambda s, e: s.buy(0.5)) if i % 6 == 0 else (lambda s, e: s.close_position())
              for i in range(len(frame)) if i % 6 in (0, 3)}  # fmt: skip
    risk = {"breakers": {"consecutive_losses": {"halt": 3, "cooldown": "12h"}}}
    config = {**REAL, "instruments": [instrument("ETH/USDT", step="1e-8")]}
    done = engine_run({"ETH/USDT": frame}, script, **config, risk=risk)
    result = done.result
    closes = pd.DatetimeIndex(result.equity.index)
    expected = _expected_streak_halts(result.trades, closes, 3, pd.Timedelta("12h"))
    orders = result.orders
    refused = orders["reason"].str.startswith("trading is HALTED by consecutive_losses: ")
    assert list(refused) == [expected[t] for t in orders["ts_init"]]
    assert (orders["status"][~refused] != "REJECTED").all()
    assert refused.sum() == 18
    got = [(t.strftime("%m-%d %H:%M"), state) for t, state, _ in done.states]
    halts = ["03-04 05:00", "03-05 17:00", "03-14 06:00", "03-15 18:00", "03-17 12:00",
             "03-21 06:00", "03-23 06:00", "03-26 06:00", "03-31 06:00"]  # fmt: skip
    resumes = [
        "03-04 17:00",
        "03-06 05:00",
        "03-14 18:00",
        "03-16 06:00",
        "03-18 00:00",
        "03-21 18:00",
        "03-23 18:00",
        "03-26 18:00",
        "03-31 18:00",
    ]  # 12h later
    assert got == [
        pair for h, r in zip(halts, resumes, strict=True) for pair in ((h, "HALTED"), (r, "ACTIVE"))
    ]
    assert (len(result.trades), int((result.trades["net_pnl"] < 0).sum())) == (106, 57)
