from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tradeforge.model.timeframe import Timeframe, TimeframeError


def ns(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()) * 1_000_000_000


@pytest.mark.parametrize("text", Timeframe.SUPPORTED)
def test_every_supported_timeframe_round_trips(text: str) -> None:
    assert str(Timeframe.parse(text)) == text


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1), ("1m", 60), ("5m", 300), ("1h", 3600), ("12h", 43_200), ("1d", 86_400),
     ("3d", 259_200), ("1w", 604_800)],
)  # fmt: skip
def test_lengths(text: str, seconds: int) -> None:
    assert Timeframe.parse(text).seconds == seconds


@pytest.mark.parametrize("text", ["", "5", "m", "7m", "2d", "1y", "-1m", "5 min"])
def test_unsupported_timeframes_are_refused(text: str) -> None:
    with pytest.raises(TimeframeError, match="timeframe"):
        Timeframe.parse(text)


def test_minute_and_month_differ() -> None:
    assert Timeframe.parse("1m") != Timeframe.parse("1M")
    assert Timeframe.parse("1M").is_calendar


@pytest.mark.parametrize(
    ("tf", "moment", "open_at", "next_open"),
    [
        ("5m", "2021-05-19 13:37:12", "2021-05-19 13:35:00", "2021-05-19 13:40:00"),
        ("4h", "2021-05-19 13:37:12", "2021-05-19 12:00:00", "2021-05-19 16:00:00"),
        ("1d", "2021-05-19 13:37:12", "2021-05-19 00:00:00", "2021-05-20 00:00:00"),
        # Binance's 3d candles align to the epoch: 2021-05-18 is 18765 days after 1970-01-01.
        ("3d", "2021-05-19 13:37:12", "2021-05-18 00:00:00", "2021-05-21 00:00:00"),
        # Weekly bars open on Monday 00:00 UTC; 2021-05-19 is a Wednesday.
        ("1w", "2021-05-19 13:37:12", "2021-05-17 00:00:00", "2021-05-24 00:00:00"),
        ("1M", "2021-05-19 13:37:12", "2021-05-01 00:00:00", "2021-06-01 00:00:00"),
        ("1M", "2020-12-31 23:59:59", "2020-12-01 00:00:00", "2021-01-01 00:00:00"),
    ],
)
def test_alignment(tf: str, moment: str, open_at: str, next_open: str) -> None:
    timeframe = Timeframe.parse(tf)
    assert timeframe.floor(ns(moment)) == ns(open_at)
    assert timeframe.next_open(ns(open_at)) == ns(next_open)
    assert timeframe.close_time(ns(open_at)) == ns(next_open)
    assert timeframe.is_aligned(ns(open_at))
    assert not timeframe.is_aligned(ns(moment))


def test_bars_between() -> None:
    assert (
        Timeframe.parse("5m").bars_between(ns("2021-01-01 00:00:00"), ns("2021-01-01 01:00:00"))
        == 12
    )
    assert (
        Timeframe.parse("1M").bars_between(ns("2021-01-01 00:00:00"), ns("2021-07-01 00:00:00"))
        == 6
    )


@pytest.mark.parametrize(
    ("small", "large", "divides"),
    [("5m", "1h", True), ("1h", "1d", True), ("1d", "1w", True), ("1d", "1M", True),
     ("4h", "1M", True), ("3m", "5m", False), ("1w", "1M", False), ("8h", "1w", True),
     ("1d", "3d", True), ("1M", "1d", False)],
)  # fmt: skip
def test_divides(small: str, large: str, divides: bool) -> None:
    assert Timeframe.parse(small).divides(Timeframe.parse(large)) is divides


def test_pandas_freq() -> None:
    assert [Timeframe.parse(t).pandas_freq for t in ("5m", "1h", "1d", "1w", "1M")] == [
        "5min", "1h", "1D", "1W-MON", "1MS",
    ]  # fmt: skip
