from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tradeforge.data.errors import DataError
from tradeforge.data.timestamps import (
    bar_lengths,
    bar_number,
    bar_opens,
    floor_ns,
    is_aligned,
    iso,
    to_ns,
)
from tradeforge.model.timeframe import Timeframe

JAN_1_2021 = 1_609_459_200_000_000_000


@pytest.mark.parametrize(
    "value",
    [
        "2021-01-01",
        "2021-01-01T00:00:00Z",
        "2021-01-01 01:00:00+01:00",
        JAN_1_2021,
        datetime(2021, 1, 1, tzinfo=UTC),
        datetime(2021, 1, 1, 2, tzinfo=timezone(timedelta(hours=2))),
        pd.Timestamp("2021-01-01", tz="UTC"),
        date(2021, 1, 1),
        np.datetime64("2021-01-01T00:00:00"),
    ],
)
def test_to_ns_reads_every_spelling(value: object) -> None:
    assert to_ns(value) == JAN_1_2021  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [datetime(2021, 1, 1), "yesterday-ish", 1.5, True])  # noqa: DTZ001
def test_to_ns_refuses_naive_datetimes_and_junk(value: object) -> None:
    with pytest.raises(DataError):
        to_ns(value)  # type: ignore[arg-type]


def test_iso() -> None:
    assert iso(JAN_1_2021) == "2021-01-01T00:00:00+00:00"


TIMEFRAMES = [Timeframe.parse(t) for t in Timeframe.SUPPORTED]


@given(
    st.lists(st.integers(0, 4_000_000_000_000_000_000), min_size=1, max_size=20),
    st.sampled_from(TIMEFRAMES),
)
def test_floor_matches_timeframe_floor(stamps: list[int], tf: Timeframe) -> None:
    ts = np.asarray(stamps, dtype=np.int64)
    assert floor_ns(ts, tf).tolist() == [tf.floor(int(t)) for t in stamps]
    assert is_aligned(ts, tf).tolist() == [tf.is_aligned(int(t)) for t in stamps]


def test_bar_number_counts_consecutive_bars() -> None:
    month = Timeframe.parse("1M")
    opens = bar_opens(to_ns("2020-11-01"), to_ns("2021-03-01"), month)
    assert [iso(int(t))[:10] for t in opens] == [
        "2020-11-01", "2020-12-01", "2021-01-01", "2021-02-01", "2021-03-01",
    ]  # fmt: skip
    assert np.diff(bar_number(opens, month)).tolist() == [1, 1, 1, 1]
    assert (bar_lengths(opens, month) // 86_400_000_000_000).tolist() == [30, 31, 31, 28, 31]
    week = Timeframe.parse("1w")
    mondays = np.asarray([to_ns("2021-01-04"), to_ns("2021-01-18")], dtype=np.int64)
    assert np.diff(bar_number(mondays, week)).tolist() == [2]
