"""``tradeforge data download``: paged from the sandbox into a catalog, resumed after an
interruption, validated."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import ccxt
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from tradeforge.adapters.ccxt.data_client import CcxtDataClient
from tradeforge.adapters.ccxt.download import download_bars, plan_segments
from tradeforge.adapters.ccxt.errors import VenueUnavailableError
from tradeforge.adapters.ccxt.retry import RetryPolicy
from tradeforge.adapters.ccxt.session import SessionSettings
from tradeforge.cli.main import app
from tradeforge.data import ParquetCatalog
from tradeforge.model.timeframe import Timeframe
from tradeforge.sandbox import SandboxServer

from .conftest import (
    BAR_MS,
    START,
    START_MS,
    Sleeps,
    StartServer,
    catalog_rows,
    closing,
    run,
    session_for,
)

DAYS = pd.Timedelta(days=3)


@pytest.fixture
def server(make_server: StartServer) -> SandboxServer:
    """Standing at 2021-01-05 00:00: three days of closed bars since 2021-01-02."""
    return make_server(paused=True, start=START + DAYS)


def download(catalog: Path, server: SandboxServer, *extra: str) -> Result:
    args = [
        "--catalog", str(catalog), "data", "download", "--exchange", "binance",
        "--symbol", "BTC/USDT", "--timeframe", "5m", "--since", "2021-01-02",
        "--url", server.http_url, *extra,
    ]  # fmt: skip
    return CliRunner().invoke(app, args)


def stored_rows(catalog: Path) -> list[tuple[int, float, ...]]:
    bars = ParquetCatalog(catalog).read_bars("binance", "BTC/USDT", "5m")
    return [
        (int(ts.timestamp() * 1000), b.open, b.high, b.low, b.close, b.volume)
        for ts, b in zip(bars.index, bars.itertuples(), strict=True)
    ]


def test_download_stores_the_catalog_bars_and_reports(
    tmp_path: Path, server: SandboxServer
) -> None:
    result = download(tmp_path, server, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert stored_rows(tmp_path) == catalog_rows(START, START + DAYS)
    assert (report["written"], report["kept"], report["duplicates_dropped"]) == (864, 865, 0)
    assert report["segments"] == [{"start": "2021-01-02T00:00:00+00:00", "end": None}]
    validation = report["validation"]
    assert (validation["ok"], validation["rows"], validation["bars"]) == (True, 864, 864)
    assert (validation["first"], validation["last"]) == (
        "2021-01-02T00:00:00+00:00", "2021-01-04T23:55:00+00:00",
    )  # fmt: skip
    assert validation["gaps"] == []
    assert validation["exact_duplicates"]["count"] == 0
    assert validation["ohlc_violations"]["count"] == 0


def test_a_second_run_resumes_at_the_end_and_adds_nothing(
    tmp_path: Path, server: SandboxServer
) -> None:
    assert download(tmp_path, server).exit_code == 0
    result = download(tmp_path, server, "--json")
    report = json.loads(result.stdout)
    assert report["segments"] == [{"start": "2021-01-05T00:00:00+00:00", "end": None}]
    assert report["written"] == 0
    assert len(stored_rows(tmp_path)) == 864


def test_an_interrupted_download_resumes_to_the_same_rows(
    tmp_path: Path, server: SandboxServer
) -> None:
    session = session_for(
        server, SessionSettings(retry=RetryPolicy(max_attempts=2)), sleep=Sleeps()
    )
    session.profile = replace(session.profile, ohlcv_page_limit=200)
    real, calls = session.exchange.fetch_ohlcv, {"n": 0}

    async def dropping(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 3:  # the newest candle, two pages, then the link is gone
            raise ccxt.NetworkError("connection reset")
        return await real(*args, **kwargs)

    session.exchange.fetch_ohlcv = dropping
    catalog = ParquetCatalog(tmp_path)
    client = CcxtDataClient(session)
    with pytest.raises(VenueUnavailableError, match="connection reset"):
        run(
            closing(
                session, download_bars(client, catalog, "binance", "BTC/USDT", "5m", since=START)
            )
        )
    assert stored_rows(tmp_path) == catalog_rows(START, START + 399 * pd.Timedelta(minutes=5))

    result = download(tmp_path, server, "--json")
    report = json.loads(result.stdout)
    assert report["segments"][0]["start"] == "2021-01-03T09:15:00+00:00"
    assert report["written"] == 465
    assert stored_rows(tmp_path) == catalog_rows(START, START + DAYS)
    assert report["validation"]["rows"] == 864


def test_progress_reports_bars_done_and_expected(tmp_path: Path, server: SandboxServer) -> None:
    session = session_for(server)
    session.profile = replace(session.profile, ohlcv_page_limit=300)
    seen: list[tuple[int, int | None]] = []
    client = CcxtDataClient(session)
    coroutine = download_bars(
        client, ParquetCatalog(tmp_path), "binance", "BTC/USDT", "5m",
        since=START, flush_rows=250, progress=lambda done, expected: seen.append((done, expected)),
    )  # fmt: skip
    report = run(closing(session, coroutine))
    assert seen == [(299, 864), (599, 864), (864, 864)]
    assert (report.written, report.stats.pages) == (864, 4)


def test_segments_cover_what_the_catalog_lacks() -> None:
    tf = Timeframe.parse("5m")
    ns = 1_000_000
    stored = (START_MS * ns, (START_MS + 10 * BAR_MS) * ns)
    assert plan_segments(None, tf, START_MS + 1, None) == [(START_MS + BAR_MS, None)]
    assert plan_segments(stored, tf, START_MS, None) == [(START_MS + 11 * BAR_MS, None)]
    assert plan_segments(stored, tf, START_MS - 5 * BAR_MS, START_MS + 5 * BAR_MS) == [
        (START_MS - 5 * BAR_MS, START_MS),
    ]
    assert plan_segments(stored, tf, START_MS - BAR_MS, None) == [
        (START_MS - BAR_MS, START_MS), (START_MS + 11 * BAR_MS, None),
    ]  # fmt: skip


def test_bad_venues_are_user_errors(tmp_path: Path, server: SandboxServer) -> None:
    args = ["--catalog", str(tmp_path), "data", "download", "--exchange", "nosuchvenue",
            "--symbol", "BTC/USDT", "--timeframe", "5m", "--since", "2021-01-02"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "unknown ccxt exchange 'nosuchvenue'" in str(result.exception)
    bad_url = download(tmp_path, server, "--url", "ftp://nowhere")
    assert "expected http(s)://host:port" in str(bad_url.exception)
