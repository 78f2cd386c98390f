"""Multi-symbol validation on real bars: values against direct runs, aggregates recomputed, the
flag rule on a set that works on one symbol only and on robust ones; the report and the command."""

from __future__ import annotations

import itertools
import json
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.conftest import Invoke, json_of
from tests.optimize.conftest import CASH, COMMISSION
from tests.strategies.conftest import bars
from tradeforge.backtest import Backtest
from tradeforge.optimize import OptimizeError
from tradeforge.optimize.multisymbol import validate_symbols
from tradeforge.optimize.multisymbol_result import FlagRule, MultiSymbolResult
from tradeforge.report.multisymbol import MULTISYMBOL_IDS, multisymbol_html
from tradeforge.strategies import SmaCross
from tradeforge.strategy.params import ParameterError

SYMBOLS = ("ETH/USDT", "SOL/USDT", "ADA/USDT")
FAST, SLOW = [5, 10, 20], [30, 60, 120]
SETS = [{"fast": f, "slow": s} for f, s in itertools.product(FAST, SLOW)]
START, END = "2021-05-01", "2021-06-15"


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """Three alts over six weeks of May-June 2021 (1,080 hourly bars each)."""
    return {s: bars(s, "1h", START, END) for s in SYMBOLS}


@pytest.fixture(scope="module")
def checked(frames: dict[str, pd.DataFrame]) -> MultiSymbolResult:
    return validate_symbols(
        frames,
        SmaCross,
        {"fast": FAST, "slow": SLOW},
        executor="serial",
        cash=CASH,
        commission=COMMISSION,
    )


@pytest.fixture(scope="module")
def direct(frames: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, float]]]:
    """Per symbol, each set's sharpe and total return from ``Backtest.run``."""
    out = {}
    for symbol, frame in frames.items():
        bt = Backtest(frame, SmaCross, cash=CASH, commission=COMMISSION, symbol=symbol)
        runs = [bt.run(**p).stats for p in SETS]
        out[symbol] = [{"sharpe": r.sharpe, "total_return_pct": r.total_return_pct} for r in runs]
    return out


def test_every_set_runs_on_every_symbol_as_a_direct_backtest(
    checked: MultiSymbolResult, direct: dict[str, list[dict[str, float]]]
) -> None:
    assert checked.symbols == list(SYMBOLS)
    assert checked.values.index.tolist() == list(range(9))
    assert checked.aggregate[["fast", "slow"]].to_dict("records") == SETS
    for symbol in SYMBOLS:
        assert checked.values[symbol].tolist() == [d["sharpe"] for d in direct[symbol]]
    assert len(checked.trials) == 27
    assert checked.trials["symbol"].tolist() == [s for s in SYMBOLS for _ in SETS]
    assert checked.trials["set"].tolist() == list(range(9)) * 3


def test_aggregates_are_recomputed_from_the_direct_runs(
    checked: MultiSymbolResult, direct: dict[str, list[dict[str, float]]]
) -> None:
    table = checked.aggregate
    for k in range(len(SETS)):
        values = [direct[s][k]["sharpe"] for s in SYMBOLS]
        row = table.loc[k]
        assert row["mean"] == pytest.approx(statistics.fmean(values), rel=1e-12)
        assert row["median"] == statistics.median(values)
        assert (row["min"], row["max"]) == (min(values), max(values))
        assert row["std"] == pytest.approx(statistics.pstdev(values), rel=1e-12)
        assert row["symbols"] == 3
        assert row["passing"] == sum(v > 0 for v in values)
        assert row["pass_share"] == sum(v > 0 for v in values) / 3
        profitable = sum(direct[s][k]["total_return_pct"] > 0 for s in SYMBOLS)
        assert row["profitable_share"] == profitable / 3
        ranked = sorted(zip(values, SYMBOLS, strict=True), reverse=True)
        assert row["best_symbol"] == ranked[0][1]
        assert (row["best_value"], row["runner_up"]) == (ranked[0][0], ranked[1][0])


def test_sets_that_work_on_one_symbol_are_flagged_robust_ones_are_not(
    checked: MultiSymbolResult,
) -> None:
    table = checked.aggregate
    values = checked.values.round(4)
    # fast=10, slow=120 works on SOL alone; fast=5, slow=30 works everywhere, ADA best by
    # less than 3 x the runner-up (3.496 < 3 x 1.227)
    assert values.loc[5].tolist() == [-1.4922, 0.0521, -0.5939]
    assert values.loc[0].tolist() == [1.1113, 1.227, 3.496]
    assert table["flag"].tolist() == [
        "",
        "",
        "",
        "ADA/USDT dominates: 2.619 > 3 × 0.6577",  # 0.6577, 0.2924, 2.619: works on all three
        "",  # works on SOL and ADA (1.55, 1.091): more than one symbol
        "works on SOL/USDT only",
        "",  # works nowhere: not flagged
        "works on SOL/USDT only",
        "works on ADA/USDT only",
    ]
    assert checked.flagged.index.tolist() == [3, 5, 7, 8]
    assert table["flagged"].tolist() == [bool(f) for f in table["flag"]]
    assert checked.robust.index.tolist() == [1, 0]  # every symbol, not flagged, best median first


def test_the_threshold_decides_where_a_set_works(frames: dict[str, pd.DataFrame]) -> None:
    strict = validate_symbols(
        frames,
        SmaCross,
        {"fast": [5, 10], "slow": [30, 60]},
        threshold=1.0,
        executor="serial",
        cash=CASH,
        commission=COMMISSION,
    )
    # above 1: set 0 everywhere, set 1 on SOL and ADA, set 2 (10, 30) on ADA only,
    # set 3 (10, 60) on SOL and ADA
    assert strict.aggregate["passing"].tolist() == [3, 2, 1, 2]
    assert strict.aggregate["flag"].tolist() == ["", "", "works on ADA/USDT only", ""]


def test_the_flag_rule() -> None:
    rule = FlagRule(threshold=0.0, dominance=3.0)
    scores = pd.Series({"A": 2.0, "B": -1.0, "C": math.nan})
    assert rule.flag(scores, maximize=True) == "works on A only"
    assert rule.flag(pd.Series({"A": 2.0, "B": 0.5}), maximize=True) == ("A dominates: 2 > 3 × 0.5")
    assert rule.flag(pd.Series({"A": 1.5, "B": 0.5}), maximize=True) == ""  # 1.5 = 3 x 0.5
    assert rule.flag(pd.Series({"A": 2.0}), maximize=True) == ""  # one symbol: nothing to compare
    assert rule.flag(pd.Series({"A": -2.0, "B": -1.0}), maximize=True) == ""  # works nowhere
    # scores are oriented: a minimized goal's values come negated
    assert FlagRule(threshold=-1.0).flag(-pd.Series({"A": -3.0, "B": 0.0}), maximize=False) == (
        "works on A only"
    )
    assert FlagRule(dominance=math.inf).flag(pd.Series({"A": 9.0, "B": 0.1}), True) == ""
    # a negative threshold lets a negative runner-up work: rule 2 needs it positive
    assert FlagRule(threshold=-5.0).flag(pd.Series({"A": 9.0, "B": -0.1}), True) == ""
    with pytest.raises(OptimizeError, match="dominance must be > 1"):
        FlagRule(dominance=1.0)


def test_explicit_sets_refused_ones_and_too_few_trades(frames: dict[str, pd.DataFrame]) -> None:
    sets = [{"fast": 5, "slow": 30}, {"fast": 30, "slow": 30}, {"fast": "10", "slow": 60}]
    result = validate_symbols(
        frames, SmaCross, sets, executor="serial", cash=CASH, commission=COMMISSION
    )
    assert result.aggregate[["fast", "slow"]].to_dict("records") == [
        {"fast": 5, "slow": 30},
        {"fast": 30, "slow": 30},
        {"fast": 10, "slow": 60},
    ]
    refused = result.trials[result.trials["set"] == 1]
    assert refused["error"].str.contains("fast must be below slow").all()
    assert result.values.loc[1].isna().all()
    assert result.aggregate.loc[1, ["symbols", "passing", "flag"]].tolist() == [0, 0, ""]
    assert math.isnan(result.aggregate.loc[1, "mean"])
    counts = result.trials.set_index(["set", "symbol"])["trades"]
    fewest = int(counts.loc[2].min())
    picky = validate_symbols(
        frames,
        SmaCross,
        sets[2:],
        min_trades=fewest + 1,
        executor="serial",
        cash=CASH,
        commission=COMMISSION,
    )
    counted = (counts.loc[2] >= fewest + 1).tolist()
    assert picky.values.loc[0].notna().tolist() == counted and not all(counted)


def test_settings_that_are_refused(frames: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(OptimizeError, match="explicit sets take none"):
        validate_symbols(frames, SmaCross, [{"fast": 5}], constraint="fast < slow")
    with pytest.raises(OptimizeError, match="one goal"):
        validate_symbols(frames, SmaCross, {"fast": [5]}, maximize=["sharpe", "sortino"])  # type: ignore[arg-type]
    with pytest.raises(OptimizeError, match="at least one symbol"):
        validate_symbols({}, SmaCross, {"fast": [5]})
    with pytest.raises(ParameterError, match="unknown parameter 'fats'"):
        validate_symbols(frames, SmaCross, {"fats": [5]})


def test_the_report_marks_the_flagged_sets(checked: MultiSymbolResult, tmp_path: Path) -> None:
    html = multisymbol_html(checked)
    assert f'id="{MULTISYMBOL_IDS[0]}"' in html
    assert "⚑ fast=10, slow=120" in html and "⚑ fast=5, slow=30" not in html
    assert "works on SOL/USDT only" in html
    assert checked.report(tmp_path / "s.html").read_text(encoding="utf-8") == html
    summary = json.loads(json.dumps(checked.summary()))
    assert summary["flagged"] == 4
    assert summary["sets"][5]["flag"] == "works on SOL/USDT only"
    assert summary["sets"][0]["values"] == {s: checked.values.loc[0, s] for s in SYMBOLS}


ARGS = ("--symbols", ",".join(SYMBOLS), "-t", "1h", "--from", START, "--to", END)


def test_the_command_is_the_python_validation(invoke: Invoke, checked: MultiSymbolResult) -> None:
    document = json_of(
        invoke(
            "validate-symbols",
            "sma_cross",
            *ARGS,
            "-p",
            "fast=5,10,20",
            "-p",
            "slow=30,60,120",
            "--executor",
            "serial",
            "--json",
            "--no-progress",
        )
    )
    assert document["symbols"] == list(SYMBOLS)
    for row, (k, expected) in zip(document["sets"], checked.values.iterrows(), strict=True):
        assert row["set"] == k
        assert row["values"] == expected.to_dict()
        assert row["flag"] == checked.aggregate.loc[k, "flag"]
    text = invoke(
        "validate-symbols",
        "sma_cross",
        *ARGS,
        "-p",
        "fast=10",
        "-p",
        "slow=60,120",
        "--executor",
        "serial",
    )
    assert text.exit_code == 0, text.output
    assert "works on SOL/USDT only" in text.output
    assert "1 of 2 sets flagged as working on one symbol only" in text.output
    bad = invoke("validate-symbols", "sma_cross", "--symbols", "ETH/USDT", "-p", "fast=5")
    assert bad.exit_code == 1
    assert "error: bad --symbols 'ETH/USDT': give two symbols or more" in bad.output
