"""A paper node: live bars from the sandbox through ccxt, fills by the local simulated
exchange, exactly as a backtest over the same bars fills them."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from tradeforge.backtest import Backtest
from tradeforge.data.replay import BarSeries
from tradeforge.indicators import sma
from tradeforge.model.enums import OrderStatus
from tradeforge.model.events import OrderFilled
from tradeforge.persistence.repositories import OrderRepository
from tradeforge.persistence.store import Store
from tradeforge.sandbox import SandboxServer

from .conftest import START_NS, settings, start_node, strategy
from .strategies import LateSma

HISTORY = 300


def fills_of(orders: object) -> list[tuple[object, ...]]:
    return sorted(
        (e.ts, e.client_order_id, e.order_side, e.last_qty, e.last_price, e.fee, e.trade_id)
        for o in orders  # type: ignore[attr-defined]
        for e in o.events
        if isinstance(e, OrderFilled)
    )


def copy_of(series: BarSeries) -> BarSeries:
    frame = series.to_frame()[["open", "high", "low", "close", "volume"]]
    return BarSeries.from_frame(series.symbol, frame, series.timeframe)


def test_paper_fills_equal_a_backtest_over_the_same_bars(
    server: SandboxServer, store: Store
) -> None:
    config = settings(server, strategies=[strategy("LateSma", fast=3, slow=8, start_at=HISTORY)])
    driver = start_node(config, store, server)
    node = driver.node
    series = node.kernel.series[next(iter(node.kernel.series))]
    assert len(series) == HISTORY
    assert int(series.ts_close[-1]) == START_NS  # the history ends where the market stands
    driver.bars(40)
    node.stop()
    assert len(series) == HISTORY + 40
    live = fills_of(node.kernel.execution.orders.values())
    instrument = next(iter(node.link.instruments.values()))
    result = Backtest([copy_of(series)], LateSma, cash=10_000, instruments=[instrument]).run(
        fast=3, slow=8, start_at=HISTORY
    )
    assert len(live) == 8
    assert live == fills_of(result.run.execution.orders.values())
    assert node.portfolio.cash == result.run.portfolio.cash
    assert node.portfolio.realized_pnl() == result.run.portfolio.realized_pnl()


def test_every_order_is_stored_with_its_whole_history(server: SandboxServer, store: Store) -> None:
    driver = start_node(settings(server), store, server)
    driver.bars(20)
    node = driver.node
    node.stop()
    orders = node.kernel.execution.orders
    with store.session() as session:
        stored = {o.client_order_id: o for o in OrderRepository(session).orders("binance-paper")}
    assert sorted(stored) == sorted(orders) and len(stored) == 3
    for cid, order in orders.items():
        assert stored[cid].events == order.events
        assert stored[cid].status is OrderStatus.FILLED
    sent = [cid for cid, kind in driver.seen.kinds() if kind == "OrderSubmitted"]
    assert sent == list(orders)


def test_the_first_live_bar_sees_the_whole_history(server: SandboxServer, store: Store) -> None:
    driver = start_node(
        settings(server, strategies=[strategy("Probe", fast=3, slow=8)]), store, server
    )
    driver.bars(2)
    node = driver.node
    node.stop()
    probe = node.strategies[0]
    series = node.kernel.series[next(iter(node.kernel.series))]
    closes = series.close
    first, second = probe.seen  # type: ignore[attr-defined]
    assert (first[0], first[1]) == (START_NS, HISTORY + 1)  # the bar of 00:00, after 300 bars
    assert second[1] == HISTORY + 2
    assert first[2] == closes[HISTORY]
    assert (first[3], first[4]) == (sma(closes, 3)[HISTORY], sma(closes, 8)[HISTORY])
    assert (second[3], second[4]) == (sma(closes, 3)[-1], sma(closes, 8)[-1])
    assert not np.isnan(first[4])


def test_warm_up_grows_until_every_indicator_has_a_value(
    server: SandboxServer, store: Store
) -> None:
    config = settings(
        server,
        strategies=[strategy("sma_cross", fast=10, slow=700)],
        warmup={"bars": 100, "max_bars": 1000},
    )
    driver = start_node(config, store, server)
    node = driver.node
    series = node.kernel.series[next(iter(node.kernel.series))]
    assert len(series) == 800  # 100, 200, 400, 800: the first with a 700-bar SMA at the end
    sma_cross = node.strategies[0]
    assert sma_cross.warmup == 699
    driver.bars(1)
    node.stop()
    assert node.strategy_errors == 0
    assert pd.Timestamp(int(series.ts_open[0]), tz="UTC") == pd.Timestamp(
        "2021-01-07 05:20", tz="UTC"
    )
    assert node.portfolio.cash == Decimal(10_000)
