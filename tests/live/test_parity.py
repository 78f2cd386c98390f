"""Parity: one strategy over one slice of bars trades the same in a backtest, in a paper node
and in a live node on the sandbox replaying that slice (``docs/live.md``, "Parity")."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, NamedTuple

from tradeforge.backtest import Backtest
from tradeforge.data.replay import BarSeries
from tradeforge.model.events import OrderFilled
from tradeforge.model.instrument import Instrument
from tradeforge.model.orders import Order
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxServer

from .conftest import START_NS, StartServer, settings, start_node, strategy
from .strategies import LateSma
from .test_paper import HISTORY, copy_of

BARS = 60
PARAMS: dict[str, Any] = {"fast": 3, "slow": 8, "start_at": HISTORY}

Trade = tuple[int, str, str, Decimal, Decimal, Decimal]


def trades_of(orders: list[Order]) -> list[Trade]:
    """Each fill: time (the bar it filled in opens then), client order id, side, quantity,
    price, fee."""
    return sorted(
        (e.ts, e.client_order_id, e.order_side.name, e.last_qty, e.last_price, e.fee.amount)
        for o in orders
        for e in o.events
        if isinstance(e, OrderFilled)
    )


class Run(NamedTuple):
    """What a node did over the slice."""

    trades: list[Trade]
    bars: BarSeries
    instrument: Instrument
    cash: Decimal


def run_node(server: SandboxServer, mode: str, path: Path) -> Run:
    """A node of ``mode`` over ``BARS`` live bars (after ``HISTORY`` bars of warm-up)."""
    store = Store(f"sqlite:///{path}")
    config = settings(server, mode, strategies=[strategy("LateSma", **PARAMS)])
    driver = start_node(config, store, server)
    driver.bars(BARS)
    driver.settle()
    node = driver.node
    node.stop()
    store.dispose()
    series = node.kernel.series[next(iter(node.kernel.series))]
    instrument = next(iter(node.link.instruments.values()))
    trades = trades_of(list(node.kernel.execution.orders.values()))
    return Run(trades, series, instrument, node.portfolio.cash)


def to_8(amount: Decimal) -> Decimal:
    """An amount as the venue reports it: 8 decimals, half to even."""
    return amount.quantize(Decimal("1e-8"), ROUND_HALF_EVEN)


def test_backtest_paper_and_live_trade_the_same(make_server: StartServer, tmp_path: Path) -> None:
    paper = run_node(make_server(), "paper", tmp_path / "paper.db")
    live = run_node(make_server(), "live", tmp_path / "live.db")
    bars = paper.bars
    assert len(bars) == HISTORY + BARS
    assert int(bars.ts_close[HISTORY - 1]) == START_NS
    assert live.bars.to_frame().equals(bars.to_frame())  # the same slice, live and paper
    result = Backtest([copy_of(bars)], LateSma, cash=10_000, instruments=[paper.instrument]).run(
        **PARAMS
    )
    backtest = trades_of(list(result.run.execution.orders.values()))
    assert len(backtest) == 10
    # every trade: a market order decided at a close, filled at the next bar's open
    opens = dict(zip(bars.ts_open.tolist(), bars.open.tolist(), strict=True))
    assert all(float(price) == opens[ts] for ts, _, _, _, price, _ in backtest)
    assert paper.trades == backtest  # paper: the backtest's own fill model, exactly
    assert paper.cash == result.run.portfolio.cash
    # live: the same bars, ids, sides, sizes and prices; fees as the venue reports them
    assert [t[:5] for t in live.trades] == [t[:5] for t in backtest]
    assert [t[5] for t in live.trades] == [to_8(t[5]) for t in backtest]
    fee_rounding = sum(t[5] - to_8(t[5]) for t in backtest)
    assert live.cash - result.run.portfolio.cash == fee_rounding
    assert abs(fee_rounding) <= len(backtest) * Decimal("5e-9")
