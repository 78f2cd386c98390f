from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import talib

from tests.analysis.biased import Averages
from tradeforge.analysis import AnalysisError, recursive_analysis
from tradeforge.analysis.recursive import HISTORIES, TOLERANCE
from tradeforge.strategies import BollingerReversion, RsiReversion, SmaCross

WINDOW = 100
Indicator = Callable[[np.ndarray], np.ndarray]


def true_settle(indicator: Indicator, close: np.ndarray, tolerance: float = TOLERANCE) -> int:
    """The shortest history from which every longer one stays within ``tolerance`` of the
    longest, by brute force over every history length, with TA-Lib."""
    start = len(close) - WINDOW
    reference = indicator(close)[-WINDOW:]
    scale = np.mean(np.abs(reference))
    settled = start
    for history in range(start - 1, -1, -1):
        values = indicator(close[start - history :])[-WINDOW:]
        if np.isnan(values).any() or np.max(np.abs(values - reference)) / scale > tolerance:
            break
        settled = history
    return settled


def test_ema_settles_where_talib_says(btc: pd.DataFrame) -> None:
    report = recursive_analysis(Averages, btc)
    ema = report.lines[0]
    assert ema.name == "ema"
    close = btc["close"].to_numpy()
    assert ema.settle_bars == true_settle(lambda c: talib.EMA(c, 20), close) == 59
    # a recursive seed fades: the difference shrinks as the history grows
    assert report.histories == (25, 50, 100, 200, 500, 1000, 2000)
    shown = [ema.differences[h] for h in report.histories]
    assert shown == sorted(shown, reverse=True)
    assert shown[0] > TOLERANCE >= shown[2]


@pytest.mark.parametrize("window", [10, 30, 77])
def test_sma_settles_at_its_window_less_the_bar_itself(btc: pd.DataFrame, window: int) -> None:
    report = recursive_analysis(Averages, btc, {"window": window})
    sma = report.lines[1]
    assert sma.settle_bars == window - 1
    close = btc["close"].to_numpy()
    assert true_settle(lambda c: talib.SMA(c, window), close) == window - 1
    # too short a history leaves the first bars of the window without a value
    for history, difference in sma.differences.items():
        assert math.isinf(difference) == (history < window - 1)


def test_rsi_of_the_built_in_strategy(btc: pd.DataFrame) -> None:
    report = recursive_analysis(RsiReversion, btc, histories=(50, 100, 200, 400))
    (rsi,) = report.lines
    close = btc["close"].to_numpy()
    assert rsi.settle_bars == true_settle(lambda c: talib.RSI(c, 14), close) == 124
    shown = [rsi.differences[h] for h in (50, 100, 200)]
    assert shown == pytest.approx([0.005270683, 0.0003094253, 8.826613e-08], rel=1e-6)
    assert rsi.differences[400] < 1e-13  # rounding only


def test_bollinger_bands_settle_at_their_window_less_one(btc: pd.DataFrame) -> None:
    report = recursive_analysis(BollingerReversion, btc)
    assert [(line.name, line.settle_bars) for line in report.lines] == [
        ("bbands[0]", 19),
        ("bbands[1]", 19),
        ("bbands[2]", 19),
    ]


def test_differences_are_relative_to_the_mean_reference(btc: pd.DataFrame) -> None:
    report = recursive_analysis(Averages, btc, histories=(40,))
    close = btc["close"].to_numpy()
    start = len(close) - WINDOW
    reference = talib.EMA(close, 20)[-WINDOW:]
    short = talib.EMA(close[start - 40 :], 20)[-WINDOW:]
    expected = np.max(np.abs(short - reference)) / np.mean(np.abs(reference))
    assert report.lines[0].differences[40] == pytest.approx(expected, rel=1e-9)


def test_no_settle_within_the_lengths_tried(btc: pd.DataFrame) -> None:
    report = recursive_analysis(Averages, btc, histories=(10, 20), tolerance=1e-12)
    assert report.lines[0].settle_bars is None  # an EMA of 20 is far from settled at 20 bars
    assert report.lines[1].settle_bars is None  # an SMA of 30 has no value yet


def test_frame_and_dict(btc: pd.DataFrame) -> None:
    report = recursive_analysis(SmaCross, btc, histories=(5, 50))
    frame = report.frame()
    assert frame.index.tolist() == ["sma_fast", "sma_slow"]
    assert frame.columns.tolist() == [5, 50, "settle_bars"]
    assert frame["settle_bars"].tolist() == [9, 29]
    document = report.to_dict()
    assert (document["reference"], document["window"]) == (len(btc) - WINDOW, WINDOW)
    slow = document["indicators"][1]
    assert slow["differences"]["5"] is None  # infinite: no value yet
    assert slow["settle_bars"] == 29


def test_default_lengths() -> None:
    assert HISTORIES == (25, 50, 100, 200, 500, 1000, 2000, 5000)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"window": 2158}, "window must be at least 1 bar and leave history before it"),
        ({"window": 0}, "window must be at least 1 bar"),
        ({"histories": (5000,)}, "no history length below the 2058 bars before the window"),
        ({"histories": (-1, 5)}, "history lengths must be 0 or more"),
        ({"tolerance": 0.0}, "tolerance must be positive, got 0.0"),
    ],
)
def test_bad_settings_are_refused(
    btc: pd.DataFrame, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(AnalysisError, match=message):
        recursive_analysis(SmaCross, btc, **settings)  # type: ignore[arg-type]
