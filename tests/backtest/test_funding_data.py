"""Funding-rate data: what :class:`FundingRates` accepts, and the errors that name the problem.

Also the venue side on its own: :meth:`SimulatedExchange.set_funding` settles funding on the
position held at each funding time and reports it as a :class:`FundingPaid` event.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.backtest.helpers import D, Venue, ns
from tradeforge.backtest import BacktestConfig
from tradeforge.backtest.perpetual import FundingDataError, FundingRates, MaintenanceMargin
from tradeforge.model.events import FundingPaid
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol


def frame(times: list[Any], rates: list[float], column: str = "open") -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(times, utc=True), column: rates})


def stamp(i: int) -> str:
    """``ns(i)`` as an error message writes it, escaped for a regex (2024-01-01T0i:00:00+00:00)."""
    return re.escape(pd.Timestamp(ns(i), tz="UTC").isoformat())


# -- accepted input -----------------------------------------------------------------------------


def test_freqtrade_layout_is_read_and_floored_to_the_second() -> None:
    data = frame([ns(0) + 17_000_000, ns(8) + 7_000_000, ns(16)], [0.0001, -0.0002, 0.00013])
    rates = FundingRates.from_frame(data)
    assert list(rates.ts) == [ns(0), ns(8), ns(16)]
    assert [rates.rate(k) for k in range(3)] == [D("0.0001"), D("-0.0002"), D("0.00013")]
    assert rates.mark(0) is None
    kept = FundingRates.from_frame(data, floor=None)
    assert kept.ts[0] == ns(0) + 17_000_000


def test_a_rate_column_and_a_datetime_index_are_found() -> None:
    data = frame([ns(0), ns(8)], [0.0001, 0.0002], column="funding_rate").set_index("date")
    assert list(FundingRates.from_frame(data).rates) == [0.0001, 0.0002]
    naive = pd.DataFrame({"rate": [0.0001]}, index=pd.DatetimeIndex([pd.Timestamp(ns(0))]))
    assert FundingRates.from_frame(naive).ts[0] == ns(0)  # a naive time is UTC


def test_marks_are_read_at_the_funding_times() -> None:
    mark = pd.DataFrame(
        {"date": pd.to_datetime([ns(0), ns(8), ns(16)], utc=True), "open": [1.5, 1.25, 1.0]}
    )
    rates = FundingRates.from_frame(frame([ns(8) + 5_000_000], [0.0001]), mark=mark)
    assert rates.mark(0) == D("1.25")
    assert list(rates.to_frame().columns) == ["rate", "mark"]


# -- errors that name the problem ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            frame([ns(8), ns(0)], [0.0001, 0.0001]),
            rf"not sorted: {stamp(0)} \(row 1\) comes after {stamp(8)} \(row 0\)",
        ),
        (frame([ns(0), ns(0)], [0.0001, 0.0002]), rf"duplicate funding times \(1\): {stamp(0)}"),
        # two records in the same second: the same funding time once floored
        (
            frame([ns(0) + 5_000_000, ns(0) + 17_000_000], [0.0001, 0.0002]),
            rf"duplicate funding times \(1\): {stamp(0)}",
        ),
        (
            frame([ns(0), ns(8), ns(16)], [0.0001, float("nan"), 0.0001]),
            rf"funding rate NaN or infinite at 1 funding time\(s\): {stamp(8)}",
        ),
        (
            frame([ns(0)], [0.0001], column="fr"),
            r"no rate column 'funding_rate' or 'rate' or 'open'; columns: \['date', 'fr'\]",
        ),
        (
            pd.DataFrame({"open": [0.0001]}),
            r"funding frame has no 'date' column and no DatetimeIndex",
        ),
        (
            pd.DataFrame({"date": [ns(0)], "open": [0.0001]}),
            r"funding times must be datetimes, got dtype int64",
        ),
        (
            frame([ns(0), None], [0.0001, 0.0001]),
            r"funding time missing \(NaT\) in row 1",
        ),
    ],
    ids=[
        "unsorted",
        "duplicate",
        "duplicate-after-floor",
        "nan",
        "missing-column",
        "no-times",
        "int-times",
        "nat",
    ],
)
def test_bad_funding_data_is_refused_by_name(data: pd.DataFrame, message: str) -> None:
    with pytest.raises(FundingDataError, match=message):
        FundingRates.from_frame(data)


def test_a_named_rate_column_must_exist() -> None:
    with pytest.raises(FundingDataError, match=r"no rate column 'fr'; columns: \['date', 'open'\]"):
        FundingRates.from_frame(frame([ns(0)], [0.0001]), column="fr")


def test_every_funding_time_needs_a_mark_candle() -> None:
    mark = pd.DataFrame({"date": pd.to_datetime([ns(0)], utc=True), "open": [1.0]})
    with pytest.raises(
        FundingDataError, match=rf"no mark candle at 1 funding time\(s\): {stamp(8)}"
    ):
        FundingRates.from_frame(frame([ns(0), ns(8)], [0.0001, 0.0001]), mark=mark)
    with pytest.raises(FundingDataError, match=r"mark frame has no column 'open'"):
        FundingRates.from_frame(frame([ns(0)], [0.0001]), mark=mark.rename(columns={"open": "o"}))
    bad = mark.assign(open=[0.0])
    with pytest.raises(FundingDataError, match=r"mark price NaN, infinite or not positive"):
        FundingRates.from_frame(frame([ns(0)], [0.0001]), mark=bad)


def test_the_arrays_must_agree() -> None:
    with pytest.raises(FundingDataError, match=r"2 funding times but \(1,\) funding rates"):
        FundingRates(np.array([ns(0), ns(8)]), np.array([0.0001]))
    with pytest.raises(FundingDataError, match=r"integer nanoseconds, got float64"):
        FundingRates(np.array([1.5]), np.array([0.0001]))


def test_config_refuses_what_is_not_funding_data() -> None:
    with pytest.raises(ValueError, match=r"funding for XRP/USDT:USDT: a DataFrame or FundingRates"):
        BacktestConfig(account="margin", funding={"XRP/USDT:USDT": [0.0001]})
    with pytest.raises(ValueError, match=r"not sorted"):
        BacktestConfig(account="margin", funding={"XRP/USDT:USDT": frame([ns(8), ns(0)], [0, 0])})
    with pytest.raises(ValueError, match=r"funding: perpetual-futures settings need"):
        BacktestConfig(account="cash", funding={"XRP/USDT:USDT": frame([ns(0)], [0.0001])})


def test_maintenance_margin_is_validated() -> None:
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\), got 1"):
        MaintenanceMargin(Decimal(1))
    with pytest.raises(ValueError, match=r"maintenance amount must be >= 0, got -1"):
        MaintenanceMargin(Decimal("0.01"), Decimal(-1))
    assert MaintenanceMargin(0.004).rate == D("0.004")  # type: ignore[arg-type]


# -- the venue ----------------------------------------------------------------------------------

PERP = Instrument(
    symbol=Symbol.parse("ASSET/USDT:USDT"),
    venue="sim",
    kind=InstrumentKind.PERPETUAL,
    price_tick=Decimal("0.01"),
    quantity_step=Decimal("0.001"),
)


def test_the_venue_settles_funding_on_the_position_held_at_each_time() -> None:
    venue = Venue(cash="1000", instruments=[PERP])
    rates = FundingRates.from_frame(frame([ns(1), ns(2), ns(4)], [0.01, 0.001, -0.002]))
    venue.exchange.set_funding(venue.symbol, rates)
    venue.exchange.submit_order(venue.order("buy", "market", "2"))
    # bar 1 (ns(1) -> ns(2)): ns(1) is settled before the bar trades (flat: nothing); the buy
    # fills at the open, 100; ns(2) is settled at the close: 2 × 101 × 0.001 = 0.202
    venue.bar(1, 100, 102, 99, 101)
    # bar 2 is never shown to the venue; bar 3 (ns(3) -> ns(4)) settles ns(4) at its close:
    # 2 × 99 × −0.002 = −0.396 (received)
    venue.bar(3, 100, 100, 98, 99)
    paid = [e for e in venue.events if isinstance(e, FundingPaid)]
    assert [(e.ts, e.mark_price, e.position_qty, e.amount) for e in paid] == [
        (ns(2), D(101), D(2), D("0.202")),
        (ns(4), D(99), D(2), D("-0.396")),
    ]
    assert venue.exchange.account.total("USDT") == D(1000) - D("0.202") + D("0.396")


def test_funding_needs_a_margin_account_and_a_listed_symbol() -> None:
    rates = FundingRates.from_frame(frame([ns(1)], [0.01]))
    with pytest.raises(ValueError, match=r"funding needs a margin account"):
        Venue(account="cash").exchange.set_funding(Symbol.parse("ASSET/USD"), rates)
    venue = Venue(cash="1000", instruments=[PERP])
    with pytest.raises(ValueError, match=r"funding for BTC/USDT:USDT, which sim does not list"):
        venue.exchange.set_funding(Symbol.parse("BTC/USDT:USDT"), rates)
