from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Invoke, json_of, run_cli


def test_demo_imports_every_sample_series_and_reports_them(invoke: Invoke) -> None:
    document = json_of(invoke("demo", "--backtest", "--json"))
    series = document["series"]
    assert len(series) == 11
    btc = series["binance BTC/USDT 5m"]
    assert btc["bars"] == 43_369
    assert btc["first"] == "2021-01-01T00:00:00+00:00"
    assert btc["last"] == "2021-05-31T23:55:00+00:00"
    assert btc["gap_count"] == 4
    assert btc["missing_bars"] == 119
    assert btc["longest_gap"] == {
        "start": "2021-04-25T04:05:00+00:00",
        "end": "2021-04-25T08:45:00+00:00",
        "missing_bars": 56,
    }
    assert btc["ok"] is True
    for name in ("ETH", "SOL", "XRP", "ADA", "DOGE", "LINK", "LTC", "DOT"):
        hourly = series[f"binance {name}/USDT 1h"]
        assert (hourly["bars"], hourly["gap_count"], hourly["missing_bars"]) == (5_482, 6, 11)
    assert series["binance BTC/USDT 1h"]["bars"] == 46_443


def test_demo_twice_changes_nothing(invoke: Invoke) -> None:
    first = json_of(invoke("demo", "--backtest", "--json"))
    assert json_of(invoke("demo", "--backtest", "--json"))["series"] == first["series"]
    listed = json_of(invoke("data", "list", "--json"))
    assert sum(item["rows"] for item in listed) == 2 * 43_369 + 8 * 5_482 + 46_443


def test_demo_prints_the_report_and_where_the_catalog_is(tmp_path: Path) -> None:
    result = run_cli("demo", "--backtest", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sample data (binance spot): validation report" in result.stdout
    assert "2021-04-25 04:05:00" in result.stdout  # the longest BTC/USDT 5m gap
    assert f"11 series imported into {tmp_path / '.tradeforge' / 'catalog'}" in result.stdout
