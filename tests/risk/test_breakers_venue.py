"""The breakers on the link to the market through engine runs: the venue's round trip (fed
explicitly, and by the backtest's latency model), stale data on real Binance bars with a gap
cut into them and a dropped venue connection, and the rate of rejected orders."""

from __future__ import annotations

import pandas as pd

from tests.backtest.helpers import bars, instrument, ns
from tests.risk.engine_runs import each, engine_run
from tests.risk.helpers import OK, reasons, sample_bars
from tradeforge.risk.breakers import BreakerLevel, CircuitBreakerReleased, CircuitBreakerTripped
from tradeforge.risk.state import TradingState, TradingStateChanged

ACTIVE, HALTED = TradingState.ACTIVE, TradingState.HALTED
WARN, HALT = BreakerLevel.WARN, BreakerLevel.HALT
FLAT = bars(*[(100.0, 100.0, 100.0, 100.0)] * 8)
MINUTES_5 = 5 * 60 * 1_000_000_000


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def latency(ms: float) -> object:
    return lambda s, e: e.trading.board.record_latency(ms)


def test_a_slow_round_trip_halts_until_a_fast_one_after_the_cooldown() -> None:
    script = {
        1: each(latency(700), lambda s, e: s.buy(1)),  # warns; trading goes on
        2: each(latency(2500), lambda s, e: s.buy(1)),  # halts
        3: lambda s, e: s.buy(1),  # the last round trip is still 2.5 s
        4: each(latency(300), lambda s, e: s.buy(1)),  # fast again, the 5m are over
    }
    risk = {"default": {"allow_pyramiding": True},
            "breakers": {"latency": {"warn": "500ms", "halt": "2s"}}}  # fmt: skip
    done = engine_run(FLAT, script, risk=risk)
    warned = "the venue round trip took 700 ms, the warn level is 500 ms"
    halted = "the venue round trip took 2500 ms, the halt level is 2000 ms"
    released = "released after the 5m cooldown: the venue round trip took 300 ms"
    assert done.published == [
        CircuitBreakerTripped(ns(2), "latency", WARN, 700.0, 500.0, ns(2) + MINUTES_5, warned),
        CircuitBreakerTripped(ns(3), "latency", HALT, 2500.0, 2000.0, ns(3) + MINUTES_5, halted),
        TradingStateChanged(ns(3), HALTED, ACTIVE, halted, "latency"),
        CircuitBreakerReleased(ns(5), "latency", None, HALT, 300.0, released),
        TradingStateChanged(ns(5), ACTIVE, HALTED, released, "latency"),
    ]
    refused = f"trading is HALTED by latency: {halted}"
    assert reasons(done.result) == [OK, refused, refused, OK]


def test_the_backtest_latency_model_feeds_the_breaker_from_the_start() -> None:
    risk = {"breakers": {"latency": {"halt": "1s"}}}
    done = engine_run(FLAT, {0: lambda s, e: s.buy(1)}, risk=risk, latency_ms=1500)
    halted = "the venue round trip took 1500 ms, the halt level is 1000 ms"
    assert done.engine.trading.history == [
        TradingStateChanged(ns(0), HALTED, ACTIVE, halted, "latency")
    ]
    assert reasons(done.result) == [f"trading is HALTED by latency: {halted}"]


def _with_gap(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """``frame`` without the bars opening from ``start`` to ``end`` included."""
    return frame[(frame.index < utc(start)) | (frame.index > utc(end))]


def test_stale_data_and_a_dropped_connection_halt_until_they_are_over() -> None:
    btc = sample_bars("BTC/USDT", "2021-01-01", "2021-01-04")
    eth = _with_gap(sample_bars("ETH/USDT", "2021-01-01", "2021-01-04"),
                    "2021-01-02 05:00", "2021-01-02 09:00")  # 5 hourly bars missing  # fmt: skip
    script = dict.fromkeys(range(len(btc)), lambda s, e: s.buy(0.001))
    day3 = btc.index.get_loc(utc("2021-01-03 00:00"))
    script[day3] = each(lambda s, e: e.trading.board.venue_connected(False),
                        lambda s, e: s.buy(0.001))  # fmt: skip
    script[day3 + 2] = each(lambda s, e: e.trading.board.venue_connected(True),
                            lambda s, e: s.buy(0.001))  # fmt: skip
    risk = {"default": {"allow_pyramiding": True}, "breakers": {"connection": {}}}
    done = engine_run(
        {"ETH/USDT": eth, "BTC/USDT": btc}, script, cash=100_000, risk=risk,
        instruments=[instrument("ETH/USDT"), instrument("BTC/USDT")],
    )  # fmt: skip
    since = "missed since 2021-01-02 05:00 UTC"
    warned = f"1 ETH/USDT 1h bar {since}, the warn level is 1 missed bar"
    halted = f"3 ETH/USDT 1h bars {since}, the halt level is 3 missed bars"
    back = "released after the 5m cooldown: bars arrive on time"
    disconnected = "the venue is disconnected, the halt level is 3 missed bars"

    def at(text: str) -> int:
        return int(utc(text).value)

    assert done.published == [
        CircuitBreakerTripped(at("2021-01-02 07:00"), "connection", WARN, 1.0, 1.0,
                              at("2021-01-02 07:00") + MINUTES_5, warned),
        CircuitBreakerTripped(at("2021-01-02 09:00"), "connection", HALT, 3.0, 3.0,
                              at("2021-01-02 09:00") + MINUTES_5, halted),
        TradingStateChanged(at("2021-01-02 09:00"), HALTED, ACTIVE, halted, "connection"),
        CircuitBreakerReleased(at("2021-01-02 11:00"), "connection", None, HALT, 0.0, back),
        TradingStateChanged(at("2021-01-02 11:00"), ACTIVE, HALTED, back, "connection"),
        CircuitBreakerTripped(at("2021-01-03 01:00"), "connection", HALT, float("inf"), 3.0,
                              at("2021-01-03 01:00") + MINUTES_5, disconnected),
        TradingStateChanged(at("2021-01-03 01:00"), HALTED, ACTIVE, disconnected,
                            "connection"),
        CircuitBreakerReleased(at("2021-01-03 03:00"), "connection", None, HALT, 0.0, back),
        TradingStateChanged(at("2021-01-03 03:00"), ACTIVE, HALTED, back, "connection"),
    ]  # fmt: skip
    orders = done.result.orders
    refused = orders[orders["reason"] != ""]
    assert list(refused["ts_init"]) == [
        utc("2021-01-02 09:00"), utc("2021-01-02 10:00"),  # the stale ETH bars
        utc("2021-01-03 01:00"), utc("2021-01-03 02:00"),  # the venue disconnected
    ]  # fmt: skip
    assert (
        list(refused["reason"])
        == [f"trading is HALTED by connection: {halted}"] * 2
        + [f"trading is HALTED by connection: {disconnected}"] * 2
    )
    assert len(orders) == len(btc)


def test_rejections_per_minute_halt_and_the_gate_s_own_refusals_do_not_count() -> None:
    too_big = lambda s, e: s.buy(20)  # noqa: E731 - 2,000 USD on 1,000 USD: refused
    script = {
        1: each(too_big, too_big, too_big),  # 3 rejections: a warning
        2: each(*[too_big] * 5, lambda s, e: s.buy(1)),  # 5 in the minute: halted
        3: lambda s, e: s.buy(1),  # an hour later: none in the last minute
    }
    risk = {"breakers": {"error_rate": {"warn": 3, "halt": 5}}}
    done = engine_run(FLAT, script, risk=risk)
    balance = "insufficient USD: order needs 2000.00000000, free 1000.00000000"
    got = reasons(done.result)
    assert got[:8] == [balance] * 8
    warned = "3 orders rejected in the last 1m, the warn level is 3"
    halted = "5 orders rejected in the last 1m, the halt level is 5"
    assert got[8:] == [f"trading is HALTED by error_rate: {halted}", OK]
    assert done.published == [
        CircuitBreakerTripped(ns(2), "error_rate", WARN, 3.0, 3.0, ns(2) + MINUTES_5, warned),
        CircuitBreakerReleased(ns(3), "error_rate", None, WARN, 0.0,
                               "released after the 5m cooldown: 0 orders rejected in the last 1m"),
        CircuitBreakerTripped(ns(3), "error_rate", WARN, 3.0, 3.0, ns(3) + MINUTES_5, warned),
        CircuitBreakerTripped(ns(3), "error_rate", HALT, 5.0, 5.0, ns(3) + MINUTES_5, halted),
        TradingStateChanged(ns(3), HALTED, ACTIVE, halted, "error_rate"),
        CircuitBreakerReleased(ns(4), "error_rate", None, HALT, 0.0,
                               "released after the 5m cooldown: 0 orders rejected in the last 1m"),
        TradingStateChanged(ns(4), ACTIVE, HALTED,
                            "released after the 5m cooldown: 0 orders rejected in the last 1m",
                            "error_rate"),
    ]  # fmt: skip
