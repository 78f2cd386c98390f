"""MomentumRotation on six USDT pairs 1h, Q1 2021: golden figures, holdings checked against a
pandas ranking of trailing returns."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.strategies import reference as ref
from tests.strategies.conftest import ALTS, fill_rows, run
from tradeforge.backtest.result import BacktestResult
from tradeforge.model.symbol import Symbol
from tradeforge.strategies import MomentumRotation
from tradeforge.strategy import ParameterError

UTC = "UTC"
PARAMS: dict[str, Any] = {"top_n": 2, "lookback": 72, "rebalance": 24}


@pytest.fixture(scope="module")
def result(alts_1h_q1: dict[str, pd.DataFrame]) -> BacktestResult:
    return run(alts_1h_q1, MomentumRotation, **PARAMS)


@pytest.fixture(scope="module")
def default_result(alts_1h_q1: dict[str, pd.DataFrame]) -> BacktestResult:
    return run(alts_1h_q1, MomentumRotation)


def test_golden_figures(result: BacktestResult) -> None:
    trades = result.trades
    assert len(trades) == 68
    first, second = trades.iloc[0], trades.iloc[1]
    assert first["symbol"] == "SOL/USDT"
    assert first["entry_time"] == pd.Timestamp("2021-01-04 01:00", tz=UTC)
    assert first["entry_price"] == 2.2209
    assert first["exit_time"] == pd.Timestamp("2021-01-05 01:00", tz=UTC)
    assert first["exit_price"] == 2.4235
    assert second["symbol"] == "DOGE/USDT"
    assert second["entry_time"] == pd.Timestamp("2021-01-04 01:00", tz=UTC)
    # entered at 0.0101783, topped up at a rebalance: the entry is the buys' average
    buys = result.fills.query("symbol == 'DOGE/USDT' and side == 'BUY' and ts < @second.exit_time")
    assert buys["price"].iloc[0] == 0.0101783 and len(buys) > 1
    average = sum(
        Decimal(repr(q)) * Decimal(repr(p))
        for q, p in zip(buys["quantity"], buys["price"], strict=True)
    ) / sum(Decimal(repr(q)) for q in buys["quantity"])
    assert second["entry_price"] == float(average)
    assert second["exit_time"] == pd.Timestamp("2021-01-06 01:00", tz=UTC)
    assert second["exit_price"] == 0.0097639
    assert str(result.final_equity) == "34634.237535366396163809"
    assert result.accounting_gap() == 0


def test_golden_figures_default_parameters(default_result: BacktestResult) -> None:
    trades = default_result.trades
    assert default_result.params == {
        "lookback": 168,
        "top_n": 1,
        "rebalance": 24,
        "weight": 0.95,
        "quote": "USDT",
    }
    assert len(trades) == 33
    first, second = trades.iloc[0], trades.iloc[1]
    assert first["symbol"] == "DOGE/USDT"
    assert first["entry_time"] == pd.Timestamp("2021-01-08 01:00", tz=UTC)
    assert first["entry_price"] == 0.0096866
    assert first["exit_time"] == pd.Timestamp("2021-01-09 01:00", tz=UTC)
    assert first["exit_price"] == 0.0097636
    assert second["symbol"] == "ADA/USDT"
    assert second["entry_time"] == pd.Timestamp("2021-01-09 02:00", tz=UTC)
    assert second["entry_price"] == 0.30306
    assert second["exit_time"] == pd.Timestamp("2021-01-10 01:00", tz=UTC)
    assert second["exit_price"] == 0.331
    assert str(default_result.final_equity) == "17099.515207004737580156"
    assert default_result.accounting_gap() == 0


def _holdings_after(
    result: BacktestResult, ts: pd.Timestamp
) -> dict[str, tuple[Decimal, pd.Timestamp]]:
    """Net quantity per held symbol after every fill at or before ``ts``, with the time of the
    symbol's last fill."""
    held: dict[str, tuple[Decimal, pd.Timestamp]] = {}
    for when, symbol, side, qty, _ in fill_rows(result):
        if when <= ts:
            before = held.get(symbol, (Decimal(0), when))[0]
            held[symbol] = (before + (qty if side == "BUY" else -qty), when)
    return {s: v for s, v in held.items() if v[0] > 0}


def _equity_at_close(result: BacktestResult, closes: pd.DataFrame, row: int) -> float:
    """Cash plus positions at the closes of ``row``, from the fills up to that bar's open."""
    fills = result.fills[result.fills["ts"] <= closes.index[row]]
    sign = pd.Series(np.where(fills["side"] == "BUY", 1.0, -1.0), index=fills.index)
    cash = 10_000 - (sign * fills["quantity"] * fills["price"]).sum() - fills["fee"].sum()
    held = (sign * fills["quantity"]).groupby(fills["symbol"]).sum()
    return float(cash + sum(q * closes[s].iloc[row] for s, q in held.items()))


@pytest.mark.parametrize(
    ("fixture", "params"),
    [("result", PARAMS), ("default_result", {"top_n": 1, "lookback": 168, "rebalance": 24})],
)
def test_holdings_are_the_top_n_by_trailing_return(
    request: pytest.FixtureRequest,
    fixture: str,
    params: dict[str, int],
    alts_1h_q1: dict[str, pd.DataFrame],
) -> None:
    """After each rebalance (sales at the next open, purchases at the open after), exactly the
    top-N symbols by pandas ``close / close.shift(lookback) - 1`` are held, each worth
    ``0.95 / N`` of the equity at the close its last order was decided on."""
    result: BacktestResult = request.getfixturevalue(fixture)
    n, lookback, every = params["top_n"], params["lookback"], params["rebalance"]
    closes = pd.DataFrame({s: f["close"] for s, f in alts_1h_q1.items()})
    returns = ref.trailing_returns(closes, lookback)
    index = closes.index
    row_of = {ts: k for k, ts in enumerate(index)}
    rebalances = range(lookback, len(index) - 2, every)
    assert len(rebalances) > 50
    for row in rebalances:
        expected = ref.top_n(returns.iloc[row], n)
        held = _holdings_after(result, index[row + 2])
        assert sorted(held) == sorted(expected), index[row]
        for symbol, (qty, last_fill) in held.items():
            decided = row_of[last_fill] - 1  # a market order fills at the next open
            equity = _equity_at_close(result, closes, decided)
            share = float(qty) * closes[symbol].iloc[decided] / equity
            assert share == pytest.approx(0.95 / n, rel=1e-6), (index[row], symbol)


def test_matches_an_independent_simulation(
    result: BacktestResult, alts_1h_q1: dict[str, pd.DataFrame]
) -> None:
    account, chosen = ref.simulate_rotation(alts_1h_q1, n=2, lookback=72, rebalance=24)
    assert fill_rows(result) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    last = {s: ref.dec(f["close"].iloc[-1]) for s, f in alts_1h_q1.items()}
    assert result.final_equity == account.equity(last)
    strategy = result.run.strategies[0]
    assert isinstance(strategy, MomentumRotation)
    assert [str(s) for s in strategy.last_rebalance] == chosen[-1][1]


def test_three_of_six_rebalanced_every_12_bars(alts_1h_q1: dict[str, pd.DataFrame]) -> None:
    result = run(alts_1h_q1, MomentumRotation, top_n=3, lookback=48, rebalance=12, weight=0.9)
    account, _ = ref.simulate_rotation(alts_1h_q1, lookback=48, n=3, rebalance=12, weight="0.9")
    assert fill_rows(result) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]
    last = {s: ref.dec(f["close"].iloc[-1]) for s, f in alts_1h_q1.items()}
    assert result.final_equity == account.equity(last)
    assert result.accounting_gap() == 0
    assert (result.orders["status"] == "FILLED").all()


def test_trades_only_symbols_of_its_quote() -> None:
    strategy = MomentumRotation()
    assert strategy.is_applicable(Symbol.parse("ETH/USDT"))
    assert not strategy.is_applicable(Symbol.parse("ETH/BTC"))
    assert not strategy.is_applicable(Symbol.parse("ETH/BUSD"))
    busd = MomentumRotation(quote="busd")
    assert busd.is_applicable(Symbol.parse("ETH/BUSD"))
    assert not busd.is_applicable(Symbol.parse("ETH/USDT"))


def test_refusing_every_symbol_is_an_error(alts_1h_q1: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(ValueError, match="trades none of the given symbols"):
        run(alts_1h_q1, MomentumRotation, quote="BUSD")


def test_subset_of_symbols(alts_1h_q1: dict[str, pd.DataFrame]) -> None:
    two = {s: alts_1h_q1[s] for s in ALTS[:2]}
    result = run(two, MomentumRotation, lookback=24, rebalance=6)
    assert set(result.trades["symbol"]) == set(ALTS[:2])
    account, _ = ref.simulate_rotation(two, lookback=24, n=1, rebalance=6)
    assert fill_rows(result) == [(f.ts, f.symbol, f.side, f.qty, f.price) for f in account.fills]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"lookback": 0}, "lookback must be >= 1"),
        ({"top_n": 0}, "top_n must be >= 1"),
        ({"rebalance": 0}, "rebalance must be >= 1"),
        ({"weight": 1.0}, r"weight must be in \(0, 1\)"),
        ({"weight": 0.0}, r"weight must be in \(0, 1\)"),
        ({"quote": " "}, "quote must not be empty"),
    ],
)
def test_parameter_validation(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        MomentumRotation(**params)
