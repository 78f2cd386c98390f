"""A store with rows in many tables: orders with history and fills, audit entries, runs."""

from __future__ import annotations

from decimal import Decimal

from tests.persistence.factories import NS, accept, fill, limit_order, moment
from tradeforge.model.symbol import Symbol
from tradeforge.persistence import runs
from tradeforge.persistence.repositories import OrderRepository, PortfolioRepository
from tradeforge.persistence.store import Store


def seed(store: Store, orders: int = 3) -> None:
    """Orders (history, fills, audit entries), a balance, a backtest run."""
    with store.session() as session:
        repo = OrderRepository(session, actor="strategy:sma")
        for n in range(orders):
            order = limit_order(f"O-{n}", ts=NS + n * 1_000_000)
            accept(order, ts=NS + n * 1_000_000 + 1_000)
            fill(order, "0.00000001", "42000.10", f"T-{n}", NS + n * 1_000_000 + 5_000)
            repo.save(order, venue="binance")
        PortfolioRepository(session).set_balance(
            venue="binance", account="spot", currency="USDT", total=Decimal("0.00000001"),
            free=Decimal("0"), locked=Decimal("0.00000001"), updated_at=moment(9),
        )  # fmt: skip
        runs.record_backtest(
            session, strategy="SmaCross",
            span=runs.DataSpan("binance", [Symbol("BTC", "USDT")], "1h"),
            parameters={"fast": 10}, stats={"sharpe": 1.25, "trades": 4},
            initial_cash=Decimal("10000"), final_equity=Decimal("10100.5"),
            recorded_at=moment(10),
        )  # fmt: skip
