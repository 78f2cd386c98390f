from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import FIXTURES, Invoke, json_of, run_cli
from tradeforge.data import ParquetCatalog


def test_import_and_validate_sol_usdt_reports_its_single_gap(
    invoke: Invoke, shared_data: Path
) -> None:
    source = shared_data / "shin-ltp_freqtrade/binance/SOL_USDT-5m.feather"
    imported = json_of(invoke("data", "import", str(source), "--json"))
    assert imported["imported"][0]["write"]["series"] == "bars binance SOL/USDT 5m"
    assert imported["imported"][0]["write"]["rows_added"] == 163_680
    report = json_of(invoke("data", "validate", "SOL/USDT", "5m", "--json"))
    assert report["gap_count"] == 1
    assert report["missing_bars"] == 43
    assert report["gaps"] == [
        {
            "start": "2024-11-19T20:25:00+00:00",
            "end": "2024-11-20T00:00:00+00:00",
            "missing_bars": 43,
        }
    ]
    assert report["bars"] == 163_680
    assert report["ok"] is True


def test_import_list_show(invoke: Invoke) -> None:
    source = FIXTURES / "freqtrade" / "XRP_ETH-5m.feather"
    imported = json_of(invoke("data", "import", str(source), "--venue", "binance", "--json"))
    assert imported["imported"][0]["write"]["rows_added"] == 706
    assert imported["imported"][0]["validation"]["gap_count"] == 6
    listed = json_of(invoke("data", "list", "--json"))
    assert [(s["symbol"], s["timeframe"], s["rows"]) for s in listed] == [("XRP/ETH", "5m", 706)]
    assert listed[0]["first"] == "2019-10-11T00:00:00+00:00"
    assert listed[0]["last"] == "2019-10-13T11:15:00+00:00"
    shown = json_of(invoke("data", "show", "xrpeth", "5m", "--rows", "2", "--json"))
    assert shown["rows"] == 706
    assert [row["ts"] for row in shown["data"]] == [
        "2019-10-11T00:00:00+00:00",
        "2019-10-11T00:05:00+00:00",
    ]
    again = json_of(invoke("data", "import", str(source), "--venue", "binance", "--json"))
    assert again["imported"][0]["write"]["rows_added"] == 0
    assert again["imported"][0]["write"]["rows_unchanged"] == 706


def test_resample_5m_to_4h_is_exact(invoke: Invoke, catalog_dir: Path) -> None:
    json_of(invoke("demo", "--backtest", "--json"))
    result = json_of(invoke("data", "resample", "BTC/USDT", "--from", "5m", "--to", "4h", "--json"))
    catalog = ParquetCatalog(catalog_dir)
    five = catalog.read_bars("binance", "BTC/USDT", "5m", "2021-01-01", "2021-01-01 04:00")
    four = catalog.read_bars("binance", "BTC/USDT", "4h", "2021-01-01", "2021-01-01 04:00")
    assert len(five) == 48
    first = four.iloc[0]
    assert first["open"] == five["open"].iloc[0]
    assert first["high"] == five["high"].max()
    assert first["low"] == five["low"].min()
    assert first["close"] == five["close"].iloc[-1]
    assert first["volume"] == pytest.approx(five["volume"].sum(), rel=1e-12)
    assert not first["partial"]
    # 2021-01-01 .. 2021-05-31: 151 days of six 4h bars. The four gaps (02-11 03:45-05:00,
    # 03-06 02:00-03:30, 04-20 02:00-04:30, 04-25 04:05-08:45) leave 2 + 1 + 2 + 2 buckets partial.
    assert result["bars"] == 906
    assert result["partial_bars"] == 7


def test_validate_a_file_before_importing(invoke: Invoke) -> None:
    source = FIXTURES / "freqtrade" / "XRP_ETH-1m.feather"
    report = json_of(invoke("data", "validate", "--file", str(source), "--json"))
    assert (report["rows"], report["gap_count"], report["missing_bars"]) == (2_469, 676, 1_091)


def test_bad_file_exits_with_one_line_naming_file_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "binance" / "BTC_USDT-1m.csv"
    bad.parent.mkdir()
    bad.write_text(
        "date,open,high,low,close,volume\n"
        "2021-01-01T00:00:00Z,1,2,0.5,1.5,10\n"
        "2021-01-01T00:01:00Z,1.5,2,1,abc,10\n"
    )
    catalog = tmp_path / "catalog"
    result = run_cli("--catalog", str(catalog), "data", "import", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0] == "error: BTC_USDT-1m.csv: row 2, column 'close': 'abc' is not a number"
    assert not catalog.exists()  # nothing was written


def test_bad_input_leaves_stored_series_intact(tmp_path: Path) -> None:
    good = tmp_path / "binance" / "BTC_USDT-1m.csv"
    good.parent.mkdir()
    good.write_text("date,open,high,low,close,volume\n2021-01-01T00:00:00Z,1,2,0.5,1.5,10\n")
    catalog = tmp_path / "catalog"
    assert (
        run_cli("--catalog", str(catalog), "data", "import", str(good), cwd=tmp_path).returncode
        == 0
    )
    stored = {p: p.read_bytes() for p in catalog.rglob("*.parquet")}
    good.write_text(
        "date,open,high,low,close,volume\n"
        "2021-01-01T00:00:00Z,1,2,0.5,1.4,10\n"
        "2021-01-01T00:01:00Z,1,2,0.5,-3,10\n"
    )
    result = run_cli("--catalog", str(catalog), "data", "import", str(good), cwd=tmp_path)
    assert result.returncode == 1
    assert "row 2, column 'close'" in result.stderr
    assert {p: p.read_bytes() for p in catalog.rglob("*.parquet")} == stored


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("data", "validate", "DOGE/USDT", "5m"), "error: no data for bars binance DOGE/USDT 5m"),
        (
            ("data", "show", "BTC/USDT", "7m"),
            "error: unsupported timeframe '7m'; supported: 1s, 1m",
        ),
        (("data", "show", "12345", "5m"), "error: symbol '12345' is digits only"),
        (("data", "import", "missing.csv"), "error: missing.csv: no such file or folder"),
        (("data", "validate"), "error: name a series"),
        (("--profile", "prod", "data", "list"), "error: defaults: unknown profile 'prod'"),
    ],
)
def test_user_errors_are_one_clear_line(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli("--catalog", str(tmp_path / "c"), *args, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_config_show_masks_secrets(tmp_path: Path) -> None:
    config = tmp_path / "tf.yaml"
    config.write_text("venues:\n  binance:\n    exchange: binance\n")
    result = run_cli(
        "--config", str(config), "config", "show", "--json",
        cwd=tmp_path, env={"TRADEFORGE_BINANCE_API_SECRET": "hunter2"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "hunter2" not in result.stdout
    assert '"api_secret": "**********"' in result.stdout


def test_folder_import_skips_unsupported_files_and_says_so(invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "binance" / "futures"
    folder.mkdir(parents=True)
    for name in ("XRP_USDT_USDT-5m-futures.feather", "XRP_USDT_USDT-8h-funding_rate.feather"):
        (folder / name).write_bytes((FIXTURES / "freqtrade" / "futures" / name).read_bytes())
    document = json_of(invoke("data", "import", str(tmp_path / "binance"), "--json"))
    assert [item["write"]["series"] for item in document["imported"]] == [
        "bars binance XRP/USDT:USDT 5m"
    ]
    assert document["imported"][0]["write"]["rows_added"] == 1_999
    assert document["skipped"] == [
        "XRP_USDT_USDT-8h-funding_rate.feather: funding-rate history cannot be imported yet"
    ]
    named = invoke("data", "import", str(folder / "XRP_USDT_USDT-8h-funding_rate.feather"))
    assert named.exit_code != 0
