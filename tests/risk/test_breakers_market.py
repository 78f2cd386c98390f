"""The volatility breaker through engine runs: realized volatility on the real hourly bars of
Bitcoin's May 2021 crash, checked against an independent computation, and the relative ATR on
constructed bars worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.backtest.helpers import bars, instrument, ns
from tests.risk.engine_runs import engine_run
from tests.risk.helpers import OK, reasons, sample_bars
from tradeforge.risk.breakers import (
    BreakerLevel,
    CircuitBreakerReleased,
    CircuitBreakerTripped,
    realized_volatility,
)
from tradeforge.risk.state import TradingState, TradingStateChanged

HOUR = pd.Timedelta("1h")


def _expected_reducing(measure: pd.Series, level: float, cooldown: pd.Timedelta) -> pd.Series:
    """Per bar (by close time), whether REDUCING: the measure reaches ``level``; released at
    the first close from ``cooldown`` after the trip where it is below."""
    held, until, out = False, None, {}
    for opened, value in measure.items():
        now = opened + HOUR
        reached = bool(value >= level)
        if reached and not held:
            held, until = True, now + cooldown
        elif held and now >= until and not reached:
            held = False
        out[now] = held
    return pd.Series(out)


def test_the_may_2021_crash_pauses_entries_while_exits_go_on() -> None:
    frame = sample_bars("BTC/USDT", "2021-05-01", "2021-06-01")  # 744 hourly bars
    script = {i: (lambda s, e: s.sell(0.001)) if i % 4 == 3 else (lambda s, e: s.buy(0.001))
              for i in range(1, len(frame))}  # fmt: skip
    script[0] = lambda s, e: s.buy(0.01)
    risk = {"default": {"allow_pyramiding": True}, "breakers": {"volatility": {}}}
    done = engine_run(
        {"BTC/USDT": frame}, script, cash=100_000, risk=risk,
        instruments=[instrument("BTC/USDT", step="0.001")],
    )  # fmt: skip
    # independent: pandas' rolling standard deviation of the log returns, scaled to a day
    daily = np.log(frame["close"]).diff().rolling(24).std() * math.sqrt(24)
    reducing = _expected_reducing(daily, 0.10, HOUR)
    orders = done.result.orders
    refused = orders["reason"] != ""
    buys = orders["side"] == "BUY"
    expected = [reducing[t] and buy for t, buy in zip(orders["ts_init"], buys, strict=True)]
    assert list(refused) == expected
    assert refused.sum() == 45
    texts = orders["reason"][refused]
    assert texts.str.startswith("trading is REDUCING by volatility: BTC/USDT realized ").all()
    assert texts.str.endswith("; BUY 0.001 BTC/USDT would add exposure").all()
    changes = done.engine.trading.history
    assert [(c.ts, c.state) for c in changes] == [
        (int(t.value), TradingState.REDUCING if now else TradingState.ACTIVE)
        for t, now in reducing[reducing != reducing.shift(fill_value=False)].items()
    ]
    first = next(e for e in done.published if isinstance(e, CircuitBreakerTripped)
                 and e.level is BreakerLevel.REDUCE)  # fmt: skip
    assert pd.Timestamp(first.ts, unit="ns", tz="UTC") == pd.Timestamp("2021-05-19 13:00", tz="UTC")
    i = frame.index.get_loc(pd.Timestamp("2021-05-19 12:00", tz="UTC"))
    returns = np.diff(np.log(frame["close"].to_numpy()[i - 24 : i + 1]))
    assert first.value == float(np.std(returns, ddof=1)) * math.sqrt(24)
    assert first.value == pytest.approx(daily.iloc[i], rel=1e-12)
    assert first.message == (
        f"BTC/USDT realized volatility is {first.value * 100:.2f}% a day over the last 24 "
        "bars, the reduce level is 10%"
    )
    warned = [e for e in done.published if isinstance(e, CircuitBreakerTripped)
              and e.level is BreakerLevel.WARN]  # fmt: skip
    assert pd.Timestamp(warned[0].ts, unit="ns", tz="UTC") == (daily[daily >= 0.06].index[0] + HOUR)


def test_realized_volatility_is_the_sample_deviation_of_the_last_log_returns() -> None:
    close = np.array([100.0, 110.0, 99.0, 108.9, 98.01])
    got = realized_volatility(close, 3)
    returns = np.log(close[1:] / close[:-1])
    assert np.isnan(got[:3]).all()
    assert got[3] == pytest.approx(np.std(returns[:3], ddof=1), rel=1e-15)
    assert got[4] == pytest.approx(np.std(returns[1:], ddof=1), rel=1e-15)


def test_the_relative_atr_reduces_and_releases_by_hand() -> None:
    # true ranges: 2, 2, 2, then 16 at bar 4, then 2; Wilder's ATR(3) from bar 3:
    # 2, (2 x 2 + 16) / 3 = 6.67, (6.67 x 2 + 2) / 3 = 5.11, (5.11 x 2 + 2) / 3 = 4.07
    data = bars(*[(100.0, 101.0, 99.0, 100.0)] * 4, (100.0, 110.0, 94.0, 100.0),
                *[(100.0, 101.0, 99.0, 100.0)] * 3)  # fmt: skip
    script = {i: lambda s, e: s.buy(1) for i in range(3, 8)}
    limits = {"measure": "atr", "window": 3, "horizon": None, "reduce": 0.05, "cooldown": "1h"}
    risk = {"default": {"allow_pyramiding": True}, "breakers": {"volatility": limits}}
    done = engine_run(data, script, cash=10_000, risk=risk)
    atr4 = (2.0 * 2 + 16.0) / 3
    atr6 = ((atr4 * 2 + 2.0) / 3 * 2 + 2.0) / 3
    tripped, changed, released, back = done.published
    assert isinstance(tripped, CircuitBreakerTripped)
    assert (tripped.ts, tripped.level, tripped.threshold, tripped.until_ns) == (
        ns(5), BreakerLevel.REDUCE, 0.05, ns(6),
    )  # fmt: skip
    assert tripped.value == pytest.approx(atr4 / 100, rel=1e-14)
    assert tripped.message == (
        "ASSET/USD ATR is 6.67% a bar over the last 3 bars, the reduce level is 5%"
    )
    assert changed == TradingStateChanged(
        ns(5), TradingState.REDUCING, TradingState.ACTIVE, tripped.message, "volatility"
    )
    assert isinstance(released, CircuitBreakerReleased)
    assert (released.ts, released.level, released.previous) == (ns(7), None, BreakerLevel.REDUCE)
    assert released.value == pytest.approx(atr6 / 100, rel=1e-14)
    assert released.message == (
        "released after the 1h cooldown: ASSET/USD ATR is 4.07% a bar over the last 3 bars"
    )
    assert (back.ts, back.state) == (ns(7), TradingState.ACTIVE)  # type: ignore[union-attr]
    adds = "; BUY 1.000 ASSET/USD would add exposure"
    refused = f"trading is REDUCING by volatility: {tripped.message}{adds}"
    # bar 5's 5.11 % still reaches 5 %: the level holds until bar 6's 4.07 %
    assert reasons(done.result) == [OK, refused, refused, OK, OK]
