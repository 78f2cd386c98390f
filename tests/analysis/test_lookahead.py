from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from tests.analysis.biased import (
    Centered,
    CleanSignal,
    NextClose,
    NextCloseSignal,
    OverMax,
    PeekInOnBar,
    ShiftedCross,
    ThreeAhead,
)
from tests.analysis.conftest import Q1
from tests.strategies.conftest import bars, run
from tradeforge.analysis import AnalysisError, LookaheadFinding, lookahead_analysis
from tradeforge.strategies import (
    BollingerReversion,
    Breakout,
    MomentumRotation,
    RsiReversion,
    SmaCross,
)
from tradeforge.strategy import Strategy

CUTS = (500, 1000, 1500)
OPTIONS = {"cash": 10_000, "commission": 0.001}


def analyse(
    strategy: type[Strategy], data: pd.DataFrame, **settings: object
) -> list[LookaheadFinding]:
    report = lookahead_analysis(
        strategy,
        data,
        symbol="BTC/USDT",
        backtest_options=OPTIONS,
        **settings,  # type: ignore[arg-type]
    )
    return list(report.findings)


@pytest.mark.parametrize(
    ("strategy", "outputs"),
    [
        (SmaCross, ("indicator:sma_fast", "indicator:sma_slow", "entry:orders")),
        (RsiReversion, ("indicator:rsi", "entry:orders")),
        (
            BollingerReversion,
            ("indicator:bbands[0]", "indicator:bbands[1]", "indicator:bbands[2]", "entry:orders"),
        ),
        (Breakout, ("indicator:resistance", "entry:orders")),
        (
            CleanSignal,
            ("indicator:ema_fast", "indicator:ema_slow", "signal:entries", "signal:exits"),
        ),
    ],
)
def test_clean_strategies_have_no_finding(
    btc: pd.DataFrame, strategy: type[Strategy], outputs: tuple[str, ...]
) -> None:
    report = lookahead_analysis(strategy, btc, symbol="BTC/USDT", backtest_options=OPTIONS)
    assert report.checked == outputs
    assert report.findings == ()
    assert not report.biased
    # the default plan: 20 even cuts plus signal bars, all inside the data
    assert len(report.cuts) > 20
    assert report.cuts[-1] == len(btc) - 2


def test_momentum_rotation_over_three_symbols_has_no_finding() -> None:
    data = {s: bars(s, "1h", *Q1) for s in ("ETH/USDT", "SOL/USDT", "ADA/USDT")}
    report = lookahead_analysis(MomentumRotation, data, backtest_options=OPTIONS)
    assert report.checked[-1] == "entry:orders"
    assert report.findings == ()


def test_even_cuts_start_at_the_warm_up(btc: pd.DataFrame) -> None:
    report = lookahead_analysis(SmaCross, btc, cuts=20, signal_cuts=0, symbol="BTC/USDT")
    # slow SMA of 30 bars: the warm-up bar is 29
    expected = np.unique(np.linspace(29, len(btc) - 2, 20).round().astype(int))
    assert report.cuts == tuple(expected.tolist())


def test_cuts_around_signals_are_the_signal_bars_and_the_bar_after(btc: pd.DataFrame) -> None:
    report = lookahead_analysis(SmaCross, btc, cuts=[100], signal_cuts=3, symbol="BTC/USDT")
    orders = run(btc, SmaCross).orders["ts_init"]
    close_times = btc.index + pd.Timedelta(hours=1)
    bars = sorted({int(close_times.get_loc(t)) for t in orders})
    picked = [bars[0], bars[len(bars) // 2], bars[-1]]  # evenly among them
    assert len(bars) % 2 == 1  # so the middle one is exact
    assert report.cuts == tuple(sorted({100, *picked, *(b + 1 for b in picked)}))


def test_negative_shift_by_one_bar(btc: pd.DataFrame) -> None:
    (finding,) = analyse(NextClose, btc, cuts=CUTS, signal_cuts=0)
    assert (finding.name, finding.kind) == ("next_close", "indicator")
    # at a cut, the last bar kept has no next close: the first bar that differs is the cut
    assert (finding.first_bar, finding.cut_bar, finding.cuts_differing) == (500, 500, 3)
    assert finding.first_time == btc.index[500]
    assert finding.differing == 1
    assert math.isnan(finding.max_abs_diff)  # only values missing in the cut runs
    assert (finding.cause, finding.bars_ahead) == ("shift", 1)
    assert "shift(-1)" in finding.hint


def test_negative_shift_by_three_bars(btc: pd.DataFrame) -> None:
    (finding,) = analyse(ThreeAhead, btc, cuts=CUTS, signal_cuts=0)
    assert (finding.name, finding.first_bar, finding.cut_bar) == ("close_in_3", 498, 500)
    assert finding.differing == 3
    assert (finding.cause, finding.bars_ahead) == ("shift", 3)
    assert "reads 3 bar(s) ahead" in finding.hint


def test_centered_window(btc: pd.DataFrame) -> None:
    (finding,) = analyse(Centered, btc, cuts=CUTS, signal_cuts=0)
    # a centered mean of 5 needs the 2 bars after: the last 2 bars before a cut differ
    assert (finding.name, finding.first_bar, finding.cut_bar) == ("centered_mean", 499, 500)
    assert (finding.differing, finding.cuts_differing) == (2, 3)
    assert (finding.cause, finding.bars_ahead) == ("centered", 2)
    assert "center=True" in finding.hint


def test_normalization_by_the_series_maximum(btc: pd.DataFrame) -> None:
    cuts = (500, 1000, 1500, 1800)  # the close peaks at bar 1722
    (finding,) = analyse(OverMax, btc, cuts=cuts, signal_cuts=0)
    assert (finding.name, finding.first_bar, finding.cut_bar) == ("close_over_max", 0, 500)
    # cuts after the maximum see the same maximum: no difference there
    assert finding.cuts_differing == 3
    assert finding.differing == 1501
    close = btc["close"].to_numpy()
    expected = max(
        float(np.max(np.abs(close[: c + 1] / close[: c + 1].max() - close[: c + 1] / close.max())))
        for c in cuts
    )
    assert finding.max_abs_diff == expected
    assert (finding.cause, finding.bars_ahead) == ("global", None)
    assert "whole series" in finding.hint


def test_signal_on_the_next_close(btc: pd.DataFrame) -> None:
    close = btc["close"].to_numpy()
    rises = np.flatnonzero(close[1:] > close[:-1])
    cut = int(rises[rises >= 1000][0])  # the full run enters here: the next close is higher
    findings = analyse(NextCloseSignal, btc, cuts=[cut], signal_cuts=0)
    (finding,) = findings  # the exits do not fire at that bar in either run
    assert (finding.name, finding.kind, finding.first_bar, finding.cut_bar) == (
        "entries",
        "signal",
        cut,
        cut,
    )
    assert (finding.differing, finding.max_abs_diff) == (1, 1.0)
    assert (finding.cause, finding.bars_ahead) == ("shift", 1)


def test_signal_on_the_next_close_is_caught_by_the_default_plan(btc: pd.DataFrame) -> None:
    findings = analyse(NextCloseSignal, btc)
    assert [(f.name, f.kind, f.cause, f.bars_ahead) for f in findings] == [
        ("entries", "signal", "shift", 1),
        ("exits", "signal", "shift", 1),
    ]


def test_event_driven_peek_at_the_next_bar(btc: pd.DataFrame) -> None:
    orders = run(btc, PeekInOnBar).orders
    close_times = btc.index + pd.Timedelta(hours=1)
    buys = [int(close_times.get_loc(t)) for t in orders.loc[orders["side"] == "BUY", "ts_init"]]
    cut = next(b for b in buys if b >= 1000)
    (finding,) = analyse(PeekInOnBar, btc, cuts=[cut], signal_cuts=0)
    assert (finding.name, finding.kind, finding.first_bar, finding.cut_bar) == (
        "buy",
        "entry",
        cut,
        cut,
    )
    assert finding.first_time == btc.index[cut]
    assert finding.cause == "unknown"
    assert "on_bar" in finding.hint


def test_orders_from_a_biased_indicator_name_it(btc: pd.DataFrame) -> None:
    findings = analyse(ShiftedCross, btc)
    names = [(f.name, f.kind) for f in findings]
    assert names[:2] == [("next", "indicator"), ("fast", "indicator")]
    assert {kind for _, kind in names[2:]} == {"entry"}
    assert "(see next, fast)" in findings[-1].hint


def test_report_frame_and_dict(btc: pd.DataFrame) -> None:
    report = lookahead_analysis(Centered, btc, cuts=CUTS, signal_cuts=0)
    frame = report.frame()
    assert frame["name"].tolist() == ["centered_mean"]
    assert frame["first_bar"].tolist() == [499]
    document = report.to_dict()
    assert document["biased"] is True
    assert document["cuts"] == [500, 1000, 1500]
    assert document["findings"][0]["first_time"] == "2021-01-21T19:00:00+00:00"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"cuts": 0}, "cuts must be at least 1, got 0"),
        ({"cuts": [10, 2157]}, "cuts must be bars in [0, 2156], got [2157]"),
        ({"signal_cuts": -1}, "signal_cuts must be 0 or more, got -1"),
    ],
)
def test_bad_settings_are_refused(
    btc: pd.DataFrame, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(AnalysisError) as caught:
        lookahead_analysis(SmaCross, btc, **settings)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_too_few_bars_are_refused(btc: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="at least 3 bars, got 2"):
        lookahead_analysis(SmaCross, btc.iloc[:2])
    with pytest.raises(AnalysisError, match="on 20 bars the indicators never all have values"):
        lookahead_analysis(SmaCross, btc.iloc[:20])
    with pytest.raises(
        AnalysisError, match="on 30 bars the indicators only from bar 29 all have values"
    ):
        lookahead_analysis(SmaCross, btc.iloc[:30])
