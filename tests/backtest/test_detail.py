"""Lower-timeframe detail: orders trade along the detail bars' paths, not an assumed path."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.backtest.helpers import HOUR, T0, D, bars, fills, ns, run

# bar 1 reaches both the stop loss (95) and the take profit (105) of a long entered at its open
HOURLY = bars((100, 101, 99, 100), (100, 106, 94, 100), (100, 101, 99, 100))
# bar 1's four quarters: the rise to the take profit comes before the fall to the stop loss
QUARTERS = bars(
    (100, 103, 99, 102), (102, 106, 101, 105), (105, 105, 94, 95), (95, 100, 95, 100),
    freq="15min", start=T0 + pd.Timedelta(hours=1),
)  # fmt: skip
BRACKET = {0: lambda s: s.buy(1, sl=95, tp=105)}


def exits(result: object) -> list[tuple[D, int]]:
    return [(f.last_price, f.ts) for f in fills(result)[1:]]  # type: ignore[arg-type]


def test_without_detail_the_adverse_assumption_takes_the_stop_first() -> None:
    # path 100 -> 94 -> 106 -> 100: the stop (95) at 5/6 of the first of three segments
    [(price, ts)] = exits(run(HOURLY, BRACKET))
    assert price == 95
    assert ts == ns(1) + round(HOUR * (5 / 6) / 3)


def test_detail_bars_decide_the_take_profit_came_first() -> None:
    # quarters joined: 100 99 103 102 | 102 101 106 105 | ... (each low first: a long is held)
    # the take profit (105) is touched between 101 (position 5) and 106 (position 6), at 5.8
    # of 15 positions
    result = run(HOURLY, BRACKET, detail=QUARTERS)
    [(price, ts)] = exits(result)
    assert price == 105
    assert ts == ns(1) + int(HOUR * 5.8 / 15)
    [trade] = result.portfolio.trades
    assert (trade.entry_price, trade.exit_price, trade.pnl) == (100, 105, 5)


def test_detail_agrees_with_the_assumption_when_it_shows_the_same_order() -> None:
    falling_first = bars(
        (100, 100, 94, 95), (95, 106, 95, 100), (100, 101, 99, 100), (100, 101, 99, 100),
        freq="15min", start=T0 + pd.Timedelta(hours=1),
    )  # fmt: skip
    [(price, _)] = exits(run(HOURLY, BRACKET, detail=falling_first))
    assert price == 95


def test_detail_must_be_shorter_than_the_traded_bars() -> None:
    with pytest.raises(ValueError, match="detail bars of ASSET/USD must be shorter than 1h"):
        run(HOURLY, BRACKET, detail=HOURLY)


def test_detail_must_be_of_a_traded_symbol() -> None:
    with pytest.raises(ValueError, match="detail bars for OTHER/USD, which no series trades"):
        run(HOURLY, BRACKET, detail={"OTHER/USD": QUARTERS})
