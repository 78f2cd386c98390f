from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.report.conftest import plot_data
from tests.strategies.conftest import run
from tradeforge.analysis import monte_carlo
from tradeforge.backtest.result import BacktestResult
from tradeforge.report import write_report
from tradeforge.report.montecarlo import montecarlo_figure, montecarlo_table
from tradeforge.strategies import SmaCross


@pytest.fixture(scope="module")
def sma_run(btc: pd.DataFrame) -> BacktestResult:
    return run(btc, SmaCross)


def test_figure_marks_the_interval_the_median_and_the_run(sma_run: BacktestResult) -> None:
    found = monte_carlo(sma_run, 200, seed=4, block=12).bootstrap
    fig = montecarlo_figure(found)
    finals, drawdowns = (100.0 * found.simulations[m].to_numpy() for m in found.simulations)
    assert [t.type for t in fig.data] == ["histogram", "histogram"]
    assert np.array_equal(fig.data[0].x, finals)
    assert np.array_equal(fig.data[1].x, drawdowns)
    lines = [(shape.x0, shape.line.dash) for shape in fig.layout.shapes]
    low, median, high = np.percentile(finals, [5, 50, 95])
    run_return = 100.0 * found.observed["final_return"]
    assert lines[:4] == [(low, "dash"), (median, "dot"), (high, "dash"), (run_return, "solid")]
    assert [x for x, _ in lines[4:]] == [*np.percentile(drawdowns, [5, 50, 95]),
                                         100.0 * found.observed["max_drawdown"]]  # fmt: skip
    assert "200 paths (blocks of 12 bars, seed 5)" in fig.layout.title.text


def test_table_in_percent(sma_run: BacktestResult) -> None:
    found = monte_carlo(sma_run, 100, seed=0).shuffle
    html = montecarlo_table(found)
    p95 = found.summary().at["max_drawdown", "p95"]
    assert f"<td>{100 * p95:,.2f} %</td>" in html
    assert "max drawdown %" in html and "final return %" in html


def test_report_gets_the_section_before_the_trades(sma_run: BacktestResult, tmp_path: Path) -> None:
    path = write_report(sma_run, tmp_path / "mc.html", monte_carlo=150)
    html = path.read_text()
    shuffle = plot_data(html, "chart-mc-shuffle")
    bootstrap = plot_data(html, "chart-mc-bootstrap")
    assert len(shuffle) == len(bootstrap) == 2
    headings = ["Monte Carlo: trades shuffled", "Monte Carlo: bar returns bootstrapped", "Trades ("]
    positions = [html.index(f"<h2>{h}") for h in headings]
    assert positions == sorted(positions)
    # a number of paths means monte_carlo(result, n) with seed 0: the same page again
    given = write_report(sma_run, tmp_path / "given.html", monte_carlo=monte_carlo(sma_run, 150))
    assert given.read_text() == html


def test_report_without_monte_carlo_has_no_section(sma_run: BacktestResult, tmp_path: Path) -> None:
    html = sma_run.report(tmp_path / "plain.html").read_text()
    assert "chart-mc-" not in html
    assert "Monte Carlo" not in html


def test_a_final_return_the_same_on_every_path_is_one_bar(sma_run: BacktestResult) -> None:
    found = monte_carlo(sma_run, 100, seed=0).shuffle
    fig = montecarlo_figure(found)
    assert [t.type for t in fig.data] == ["bar", "histogram"]
    finals = 100.0 * found.simulations["final_return"].to_numpy()
    assert fig.data[0].x == (finals.mean(),)
    assert fig.data[0].y == (100,)
