"""Public market data through the real ccxt client (REST), on a paused sandbox."""

from __future__ import annotations

import time

import pandas as pd

from tradeforge.sandbox import SandboxServer

from .conftest import BAR_MS, START, START_MS, catalog_bars, rest


def test_load_markets_reads_binance_filters(paused: SandboxServer) -> None:
    exchange = rest(paused)
    markets = exchange.load_markets()
    assert list(markets) == ["BTC/USDT"]
    market = markets["BTC/USDT"]
    assert (market["type"], market["spot"], market["active"]) == ("spot", True, True)
    assert market["precision"] == {"amount": 1e-05, "price": 0.01, "base": 1e-08, "quote": 1e-08}
    assert market["limits"]["amount"] == {"min": 1e-05, "max": 9000.0}
    assert market["limits"]["cost"] == {"min": 5.0, "max": 9000000.0}
    assert market["limits"]["price"] == {"min": 0.01, "max": 1000000.0}


def test_fetch_time_is_the_wall_clock(paused: SandboxServer) -> None:
    before = int(time.time() * 1000)
    server_time = rest(paused).fetch_time()
    assert before <= server_time <= int(time.time() * 1000)


def test_fetch_ohlcv_returns_the_catalog_bars_up_to_now(paused: SandboxServer) -> None:
    paused.advance(3 * BAR_MS)  # 00:15: three bars done, the fourth printed its open
    rows = rest(paused).fetch_ohlcv("BTC/USDT", "5m", since=START_MS)
    bars = catalog_bars().loc[START:].iloc[:4]
    assert rows[:3] == [
        [int(ts.timestamp() * 1000), b.open, b.high, b.low, b.close, round(b.volume, 8)]
        for ts, b in zip(bars.index[:3], bars.iloc[:3].itertuples(), strict=True)
    ]
    opened = bars.iloc[3]
    assert rows[3][1:5] == [opened.open] * 4  # only its opening trade so far: no future
    assert len(rows) == 4


def test_fetch_ticker_is_the_rolling_day(paused: SandboxServer) -> None:
    ticker = rest(paused).fetch_ticker("BTC/USDT")
    bars = catalog_bars()
    day = bars.loc["2021-01-01 00:00":"2021-01-01 23:55"]
    assert ticker["last"] == 29331.70
    assert ticker["open"] == day["open"].iloc[0]
    assert ticker["high"] == max(day["high"].max(), 29331.70)
    assert ticker["low"] == day["low"].min()
    assert (ticker["bid"], ticker["ask"]) == (29331.69, 29331.71)
    assert (ticker["bidVolume"], ticker["askVolume"]) == (0.34573, 0.34573)
    assert ticker["timestamp"] == START_MS


def test_fetch_order_book_is_the_ladder_with_the_depth_counter(paused: SandboxServer) -> None:
    book = rest(paused).fetch_order_book("BTC/USDT", 5)
    assert [b[0] for b in book["bids"]] == [29331.69, 29331.68, 29331.67, 29331.66, 29331.65]
    assert [a[0] for a in book["asks"]] == [29331.71, 29331.72, 29331.73, 29331.74, 29331.75]
    assert {level[1] for level in book["bids"] + book["asks"]} == {0.34573}
    # the last trade printed is the 00:00 open, after 288 bars x 13 trades on 1 January
    assert book["nonce"] == 288 * 13 + 1


def test_fetch_trades_are_the_replayed_trades(paused: SandboxServer) -> None:
    paused.advance(BAR_MS // 13 * 3 + 2)  # three more trades of the 00:00 bar
    trades = rest(paused).fetch_trades("BTC/USDT", limit=4)
    assert [t["price"] for t in trades] == [29331.70] * 4
    assert [int(t["id"]) for t in trades] == [3745, 3746, 3747, 3748]
    assert [t["timestamp"] - START_MS for t in trades] == [0, 23076, 46153, 69230]
    assert sum(t["amount"] for t in trades) == 4 * 21.78127661


def test_fetch_trades_since_reads_an_hour_of_history(paused: SandboxServer) -> None:
    since = START_MS - 60_000
    trades = rest(paused).fetch_trades("BTC/USDT", since=since, limit=10)
    # the two last trades of the 23:55 bar on 1 January, then the 00:00 open
    assert [t["timestamp"] for t in trades] == [
        START_MS - BAR_MS + (11 * BAR_MS) // 13, START_MS - BAR_MS + (12 * BAR_MS) // 13,
        START_MS,
    ]  # fmt: skip
    assert trades[-1]["price"] == 29331.70


def test_fetch_tickers_and_last_prices_of_two_markets(live: SandboxServer) -> None:
    exchange = rest(live)
    tickers = exchange.fetch_tickers(["BTC/USDT", "ETH/USDT"])
    assert sorted(tickers) == ["BTC/USDT", "ETH/USDT"]
    bars = catalog_bars("ETH/USDT").loc[START:]
    now = pd.Timestamp(tickers["ETH/USDT"]["timestamp"], unit="ms", tz="UTC")
    window = bars.loc[:now]
    assert window["low"].min() <= tickers["ETH/USDT"]["last"] <= window["high"].max()
