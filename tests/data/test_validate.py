import json
from pathlib import Path

import numpy as np
import pytest
from datahelpers import MINUTE, T0, bars, raw_bars

from tradeforge.data import load_file, validate_bars, validate_quotes, validate_trades
from tradeforge.data.timestamps import to_ns


def test_clean_bars() -> None:
    report = validate_bars(bars([0, 1, 2]), "1m")
    assert report.ok
    assert (report.rows, report.bars, report.first, report.last) == (3, 3, T0, T0 + 2 * MINUTE)
    assert report.errors() == []
    assert report.warnings() == []


def test_gaps_count_missing_bars() -> None:
    report = validate_bars(bars([0, 1, 5, 6, 8]), "1m")
    assert (report.gap_count, report.missing_bars) == (2, 4)
    assert [(g.start, g.end, g.missing_bars) for g in report.gaps] == [
        (T0 + 2 * MINUTE, T0 + 5 * MINUTE, 3),
        (T0 + 7 * MINUTE, T0 + 8 * MINUTE, 1),
    ]
    assert report.longest_gap == report.gaps[0]
    assert report.ok  # gaps are a warning
    assert report.warnings() == ["gap_count: 2"]


def test_raw_frame_with_duplicates_and_disorder() -> None:
    m = MINUTE
    raw = raw_bars([
        (T0 + 2 * m, 1, 2, 0.5, 1.5, 1),
        (T0, 1, 2, 0.5, 1.5, 1),
        (T0 + m, 1, 2, 0.5, 1.5, 1),
        (T0 + m, 1, 2, 0.5, 1.5, 1),    # exact copy of row 3
        (T0 + 2 * m, 1, 2, 0.5, 1.6, 1),  # conflicts with row 1
    ])  # fmt: skip
    report = validate_bars(raw, "1m")
    assert (report.rows, report.bars) == (5, 3)
    assert report.out_of_order.count == 1
    assert report.out_of_order.examples[0].row == 2
    assert report.exact_duplicates.count == 1
    assert report.exact_duplicates.examples[0].row == 4
    assert report.conflicting_duplicates.count == 1
    issue = report.conflicting_duplicates.examples[0]
    assert (issue.row, issue.column) == (5, "close")
    assert issue.detail == (
        "duplicate ts 2021-01-01T00:02:00+00:00 with different values: close 1.6 here, 1.5 in row 1"
    )
    assert not report.ok
    assert report.errors() == ["conflicting_duplicates: 1"]


def test_value_errors_name_row_and_column() -> None:
    m = MINUTE
    raw = raw_bars([
        (T0, 1, 2, 0.5, np.nan, 1),
        (T0 + m, 1, 2, 0.0, 1.5, 1),
        (T0 + 2 * m, 1, 2, 0.5, 1.5, -3),
        (T0 + 3 * m, 1, 0.9, 0.5, 0.8, 1),  # high below open
        (T0 + 4 * m, 1, 2, 1.2, 1.5, 1),  # low above open
        (T0 + 5 * m, 1, 0.4, 0.5, 1, 1),  # high below low
        (T0 + 6 * m + 1, 1, 2, 0.5, 1.5, 0),  # misaligned
    ])  # fmt: skip
    report = validate_bars(raw, "1m")
    assert report.nan_values.examples[0].to_dict() == {
        "row": 1, "ts": "2021-01-01T00:00:00+00:00", "column": "close",
        "detail": "missing value (NaN)",
    }  # fmt: skip
    assert report.non_positive_prices.examples[0].detail == "price 0.0 is not positive"
    assert report.non_positive_prices.examples[0].column == "low"
    assert report.negative_volume.examples[0].detail == "volume -3.0 is negative"
    assert [(e.row, e.column, e.detail) for e in report.ohlc_violations.examples] == [
        (4, "high", "high 0.9 below max(open, close) 1.0"),
        (5, "low", "low 1.2 above min(open, close) 1.0"),
        (6, "high", "high 0.4 below low 0.5"),
    ]
    assert report.misaligned.count == 1
    assert report.misaligned.examples[0].row == 7
    assert report.zero_volume_bars == 1
    assert report.errors() == [
        "nan_values: 1", "non_positive_prices: 1", "negative_volume: 1", "misaligned: 1",
        "ohlc_violations: 3",
    ]  # fmt: skip


def test_outliers_use_a_robust_sigma() -> None:
    closes = [100.0, 100.1, 100.0, 100.1, 100.0, 100.1, 150.0, 150.1, 150.0]
    report = validate_bars(bars(list(range(9)), closes), "1m")
    assert report.outliers.count == 1
    outlier = report.outliers.examples[0]
    assert (outlier.row, outlier.column) == (7, "close")
    assert outlier.detail.startswith("close moved +49.85% (log return +0.4045")
    assert report.robust_sigma == pytest.approx(1.4826 * np.log(100.1 / 100.0))
    assert validate_bars(bars(list(range(9)), closes), "1m", outlier_sigma=1e6).outliers.count == 0


def test_flat_series_has_no_outliers() -> None:
    report = validate_bars(bars([0, 1, 2], [5.0, 5.0, 5.0]), "1m")
    assert (report.robust_sigma, report.outliers.count) == (0.0, 0)


def test_to_dict_is_json_ready() -> None:
    report = validate_bars(bars([0, 1, 3]), "1m")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is True
    assert data["first"] == "2021-01-01T00:00:00+00:00"
    assert data["gap_count"] == 1
    assert data["missing_bars"] == 1
    assert data["longest_gap"] == {
        "start": "2021-01-01T00:02:00+00:00", "end": "2021-01-01T00:03:00+00:00", "missing_bars": 1,
    }  # fmt: skip
    assert data["warnings"] == ["gap_count: 1"]


def test_empty_frame() -> None:
    report = validate_bars(bars([]), "5m")
    assert (report.rows, report.first, report.gap_count, report.ok) == (0, None, 0, True)


def test_weekly_and_monthly_gaps() -> None:
    weeks = [to_ns(d) for d in ("2021-01-04", "2021-01-11", "2021-02-01")]
    frame = raw_bars([(t, 1, 2, 0.5, 1.5, 1) for t in weeks])
    assert validate_bars(frame, "1w").missing_bars == 2
    months = [to_ns(d) for d in ("2021-01-01", "2021-02-01", "2021-05-01")]
    report = validate_bars(raw_bars([(t, 1, 2, 0.5, 1.5, 1) for t in months]), "1M")
    assert [(g.to_dict()["start"], g.missing_bars) for g in report.gaps] == [
        ("2021-03-01T00:00:00+00:00", 2)
    ]


# Gap counts stated in /work/shared/data/README.md.
@pytest.mark.parametrize(
    ("relative", "timeframe", "rows", "gaps", "missing"),
    [
        ("shin-ltp_freqtrade/binance/SOL_USDT-5m.feather", "5m", 163_680, 1, 43),
        ("shin-ltp_freqtrade/binance/BNB_USDT-5m.feather", "5m", None, 2, 202),
        (
            "shin-ltp_freqtrade/binance/futures/BTC_USDT_USDT-5m-futures.feather",
            "5m",
            122_688,
            0,
            0,
        ),
        ("nostalgiaforinfinity/binance/BTC_USDT-5m.json", "5m", 65_741, 6, 177),
        ("nostalgiaforinfinity/binance/ETH_USDT-1h.json", "1h", None, 6, 11),
        ("tooyipjee_freqtrade/binance/BTC_USDT-1m.json", "1m", 42_915, 1, 284),
        ("tooyipjee_freqtrade/binance/XRP_USDT-1m.json", "1m", None, 1, 283),
        ("nic_tradingstrategyga/binance/BTC_USDT-1h.feather", "1h", 58_419, 28, 128),
        ("freqtrade/XRP_ETH-1m.feather", "1m", None, 676, 1091),
        ("freqtrade/UNITTEST_BTC-1m.feather", "1m", None, 538, 717),
        ("freqtrade/ADA_BTC-5m.feather", "5m", None, 5, 40),
        ("freqtrade/ETH_BTC-5m.feather", "5m", None, 0, 0),
        ("nautilus_trader/btc-perp-20211231-20220201_1m.csv", "1m", 45_031, 0, 0),
    ],
)
def test_real_files_gap_counts(  # noqa: PLR0917 - one parametrized case per README row
    shared: Path, relative: str, timeframe: str, rows: int | None, gaps: int, missing: int
) -> None:
    loaded = load_file(shared / relative, timeframe=timeframe)
    report = validate_bars(loaded.frame, timeframe)
    assert report.ok, report.errors()
    assert (report.gap_count, report.missing_bars) == (gaps, missing)
    assert report.exact_duplicates.count == 0
    assert report.out_of_order.count == 0
    if rows is not None:
        assert report.rows == rows


def test_sol_gap_is_the_november_2024_hole(shared: Path) -> None:
    path = shared / "shin-ltp_freqtrade/binance/SOL_USDT-5m.feather"
    report = validate_bars(load_file(path).frame, "5m")
    assert [g.to_dict() for g in report.gaps] == [
        {"start": "2024-11-19T20:25:00+00:00", "end": "2024-11-20T00:00:00+00:00",
         "missing_bars": 43}
    ]  # fmt: skip


def test_zero_volume_bars_in_real_files(shared: Path) -> None:
    futures = shared / "shin-ltp_freqtrade/binance/futures/BTC_USDT_USDT-5m-futures.feather"
    assert validate_bars(load_file(futures).frame, "5m").zero_volume_bars == 16
    hourly = shared / "nic_tradingstrategyga/binance/BTC_USDT-1h.feather"
    assert validate_bars(load_file(hourly).frame, "1h").zero_volume_bars == 4


def test_trades_report(fixtures: Path) -> None:
    frame = load_file(fixtures / "freqtrade" / "XRP_ETH-trades.json.gz").frame
    report = validate_trades(frame)
    assert report.ok
    assert (report.rows, report.unknown_side_trades, report.exact_duplicates.count) == (12477, 0, 0)
    assert report.first == 1_570_752_011_620_000_000


def test_trade_errors_and_duplicates() -> None:
    frame = __import__("pandas").DataFrame({
        "ts": [3, 1, 1, 2, 5],
        "source_row": [1, 2, 3, 4, 5],
        "trade_id": ["a", "b", "b", "c", "c2"],
        "price": [10.0, 10.0, 10.0, -1.0, 10.0],
        "size": [1.0, 1.0, 1.0, 1.0, 0.0],
        "side": ["buy", "sell", "sell", "", "up"],
    })  # fmt: skip
    report = validate_trades(frame)
    assert report.out_of_order.count == 1
    assert report.exact_duplicates.count == 1
    assert report.non_positive_prices.examples[0].row == 4
    assert report.non_positive_sizes.examples[0].detail == "size 0.0 is not positive"
    assert report.invalid_sides.examples[0].detail == "side 'up' is not 'buy', 'sell' or ''"
    assert report.unknown_side_trades == 1
    assert report.errors() == [
        "non_positive_prices: 1", "non_positive_sizes: 1", "invalid_sides: 1",
    ]  # fmt: skip


def test_quotes_report(fixtures: Path) -> None:
    frame = load_file(fixtures / "nautilus_trader" / "binance" / "btcusdt-quotes.parquet").frame
    report = validate_quotes(frame)
    assert (report.ok, report.rows, report.crossed.count) == (True, 451, 0)
    crossed = frame.copy()
    crossed.loc[0, "bid"] = 50_000.0
    assert validate_quotes(crossed).crossed.examples[0].detail == "bid 50000.0 above ask 39433.62"
