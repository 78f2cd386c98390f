"""Where and when entries go, through engine runs: allowed symbols and venues, trading hours,
and the correlation limit on real BTC, ETH and DOGE hourly bars."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from tests.backtest.helpers import bars, instrument, run
from tests.risk.helpers import OK, reasons, run_many, sample_bars

FLAT = bars(*[(100, 100, 100, 100)] * 6)  # Monday 2024-01-01, bar i closes at (i + 1):00


def _limits(**fields: Any) -> dict[str, Any]:
    return {"default": {"allow_pyramiding": True, **fields}}


# -- allowed symbols and venues -------------------------------------------------------------


def test_entries_only_in_allowed_symbols() -> None:
    data = {"AAA/USD": FLAT, "BBB/USD": FLAT}
    script = {0: lambda s: s.buy(1, symbol="AAA/USD"), 1: lambda s: s.buy(1, symbol="BBB/USD")}
    result = run_many(data, script, risk=_limits(allowed_symbols=["aaa-usd"]))
    assert reasons(result) == [OK, "symbol not allowed: BBB/USD is not in allowed_symbols"]


def test_entries_only_on_allowed_venues() -> None:
    binance = replace(instrument(), venue="binance")
    script = {0: lambda s: s.buy(1)}
    refused = run(FLAT, script, risk=_limits(allowed_venues=["binance"]))
    assert reasons(refused) == ["venue not allowed: ASSET/USD trades on sim, not in allowed_venues"]
    allowed = run(FLAT, script, risk=_limits(allowed_venues=["binance"]), instruments=[binance])
    assert reasons(allowed) == [OK]


# -- trading hours --------------------------------------------------------------------------


def test_entries_only_inside_the_trading_hours_exits_always() -> None:
    script = {
        0: lambda s: s.buy(1),  # Mon 01:00
        1: lambda s: s.buy(1),  # 02:00: the window opens
        2: lambda s: s.buy(1),  # 03:00
        3: lambda s: s.buy(1),  # 04:00: the window has closed
        4: lambda s: s.sell(2),  # 05:00: an exit
    }
    window = [{"start": "02:00", "end": "04:00", "days": ["mon"]}]
    assert reasons(run(FLAT, script, risk=_limits(trading_hours=window))) == [
        "trading hours: Mon 01:00:00 UTC is outside the trading hours",
        OK,
        OK,
        "trading hours: Mon 04:00:00 UTC is outside the trading hours",
        OK,
    ]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # Sunday 22:00 to Monday 02:00 belongs to Sunday
        ({"start": "22:00", "end": "02:00", "days": ["sun"]}, [OK, "Mon 02:00:00"]),
        ({"start": "22:00", "end": "02:00", "days": ["mon"]}, ["Mon 01:00:00", "Mon 02:00:00"]),
        ({"start": "00:00", "end": "00:00", "days": ["mon"]}, [OK, OK]),  # the whole day
        ({"start": "00:00", "end": "00:00", "days": ["tue"]}, ["Mon 01:00:00", "Mon 02:00:00"]),
    ],
)
def test_windows_that_wrap_midnight_or_span_the_day(
    window: dict[str, Any], expected: list[str]
) -> None:
    script = {0: lambda s: s.buy(1), 1: lambda s: s.buy(1)}
    got = reasons(run(FLAT, script, risk=_limits(trading_hours=[window])))
    assert got == [
        e if e == OK else f"trading hours: {e} UTC is outside the trading hours" for e in expected
    ]


# -- correlation on real bars ---------------------------------------------------------------


@pytest.fixture(scope="module")
def majors() -> dict[str, pd.DataFrame]:
    """BTC, ETH and DOGE against USDT, January 2021, 744 aligned hourly bars each."""
    return {s: sample_bars(s, "2021-01-01", "2021-02-01") for s in ("BTC/USDT", "ETH/USDT",
                                                                    "DOGE/USDT")}  # fmt: skip


def _rho(data: dict[str, pd.DataFrame], a: str, b: str, at: int, lookback: int = 100) -> float:
    """Pearson correlation of the hourly returns of ``a`` and ``b`` over the ``lookback``
    returns ending at bar ``at`` (pandas, independent of the check)."""
    returns = pd.DataFrame({s: data[s]["close"] for s in (a, b)}).pct_change()
    window = returns.iloc[at - lookback + 1 : at + 1]
    return float(window[a].corr(window[b]))


def test_an_entry_correlated_with_an_open_position_is_refused(
    majors: dict[str, pd.DataFrame],
) -> None:
    script = {
        298: lambda s: s.buy(fraction=0.2, symbol="BTC/USDT"),
        300: lambda s: (s.buy(fraction=0.2, symbol="ETH/USDT"),
                        s.buy(fraction=0.2, symbol="DOGE/USDT")),
        400: lambda s: (s.buy(fraction=0.2, symbol="DOGE/USDT"),
                        s.buy(fraction=0.2, symbol="ETH/USDT")),
    }  # fmt: skip
    result = run_many(
        majors, script, cash=10_000, tick="0.00000001", risk=_limits(max_correlation=0.8)
    )
    eth_300 = _rho(majors, "ETH/USDT", "BTC/USDT", 300)
    doge_300 = _rho(majors, "DOGE/USDT", "BTC/USDT", 300)
    doge_400 = _rho(majors, "DOGE/USDT", "BTC/USDT", 400)
    eth_400 = _rho(majors, "ETH/USDT", "BTC/USDT", 400)
    assert (round(eth_300, 4), round(doge_300, 4)) == (0.9064, 0.8041)
    assert (round(doge_400, 4), round(eth_400, 4)) == (0.6362, 0.8688)
    assert reasons(result) == [
        OK,
        "correlation limit: BUY ETH/USDT correlates 0.91 with the open long BTC/USDT over the "
        "last 100 bars, above 0.8",
        "correlation limit: BUY DOGE/USDT correlates 0.80 with the open long BTC/USDT over the "
        "last 100 bars, above 0.8",
        OK,
        "correlation limit: BUY ETH/USDT correlates 0.87 with the open long BTC/USDT over the "
        "last 100 bars, above 0.8",
    ]


def test_an_opposite_position_is_a_hedge_and_passes(majors: dict[str, pd.DataFrame]) -> None:
    script = {
        298: lambda s: s.buy(fraction=0.2, symbol="BTC/USDT"),
        300: lambda s: s.sell(0.5, symbol="ETH/USDT"),  # short ETH against long BTC: -0.91
        302: lambda s: s.sell(0.5, symbol="ETH/USDT"),  # adds to the short: -0.91 again
        304: lambda s: s.buy(1000, symbol="DOGE/USDT"),  # long BTC 0.80, short ETH -0.78
    }
    risk = _limits(max_correlation=0.8)
    result = run_many(majors, script, cash=10_000, tick="0.00000001", risk=risk, account="margin")
    doge_btc = _rho(majors, "DOGE/USDT", "BTC/USDT", 304)
    assert doge_btc > 0.8
    assert reasons(result) == [
        OK,
        OK,
        OK,
        f"correlation limit: BUY DOGE/USDT correlates {doge_btc:.2f} with the open long "
        "BTC/USDT over the last 100 bars, above 0.8",
    ]


def test_too_short_a_history_passes(majors: dict[str, pd.DataFrame]) -> None:
    # at bar 40 there are 40 joint returns, fewer than half the lookback of 100
    script = {0: lambda s: s.buy(0.01, symbol="BTC/USDT"),
              40: lambda s: s.buy(1, symbol="ETH/USDT")}  # fmt: skip
    risk = _limits(max_correlation=0.1)
    result = run_many(majors, script, cash=10_000, tick="0.00000001", risk=risk)
    assert reasons(result) == [OK, OK]
    shorter = _limits(max_correlation=0.1, correlation_lookback=60)  # 30 needed: refused
    rho = _rho(majors, "ETH/USDT", "BTC/USDT", 40, 40)
    result = run_many(majors, script, cash=10_000, tick="0.00000001", risk=shorter)
    assert reasons(result) == [
        OK,
        f"correlation limit: BUY ETH/USDT correlates {rho:.2f} with the open long BTC/USDT "
        "over the last 60 bars, above 0.1",
    ]
