"""Every table round-trips exactly; constraint violations give one clear error."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from tests.persistence.conftest import T0
from tests.persistence.factories import BTC, balance, moment, order_row
from tradeforge.model.enums import LiquiditySide, OrderSide, OrderStatus, PositionSide
from tradeforge.model.instrument import InstrumentKind
from tradeforge.persistence import models as m
from tradeforge.persistence.errors import ConstraintViolationError
from tradeforge.persistence.models import Base
from tradeforge.persistence.store import Store

PERP = BTC.__class__("BTC", "USDT", "USDT")


def _rows() -> list[Base]:
    """One row of every table, with the parents their foreign keys need (ids fixed)."""
    return [
        m.InstrumentRecord(id=1, venue="binance", symbol=PERP, kind=InstrumentKind.PERPETUAL,
                           price_tick=Decimal("0.10"), quantity_step=Decimal("0.001"),
                           min_quantity=Decimal("0.001"), max_quantity=None,
                           min_notional=Decimal("5"), maker_fee=Decimal("0.0002"),
                           taker_fee=Decimal("0.0004"), contract_size=Decimal("1"),
                           settle="USDT", max_leverage=Decimal("125"), is_inverse=False,
                           expiry=None, updated_at=T0),
        m.StrategyRunRecord(id=1, run_id="run-1", strategy="SmaCross", mode=m.RunMode.PAPER,
                            config={"fast": 10, "nested": {"a": [1, 2]}}, code_hash="ab" * 32,
                            started_at=T0, stopped_at=moment(60), stop_reason="done"),
        order_row("O-1", id=1, strategy_run_id=1, stop_price=None, avg_px=Decimal("42000.10"),
                  filled_qty=Decimal("0.5"), status=OrderStatus.FILLED, venue_order_id="V-1",
                  expire_time=moment(3600), trailing_offset=None, order_list_id="L-1"),
        m.OrderStateRecord(id=1, order_id=1, seq=1, event="OrderInitialized",
                           status=OrderStatus.INITIALIZED, ts=T0, reason=None,
                           data={"quantity": "0.5"}),
        m.FillRecord(id=1, order_id=1, trade_id="T-1", client_order_id="O-1",
                     venue_order_id="V-1", symbol=BTC, side=OrderSide.BUY,
                     quantity=Decimal("0.5"), price=Decimal("42000.10"),
                     fee=Decimal("-0.00000001"), fee_currency="BTC",
                     liquidity_side=LiquiditySide.MAKER, ts=moment(1)),
        m.PositionRecord(id=1, position_id="P-1", venue="binance", symbol=BTC, strategy_id="sma",
                         side=PositionSide.LONG, signed_qty=Decimal("0.5"),
                         avg_px_open=Decimal("42000.10"), realized_pnl=Decimal("0"),
                         pnl_currency="USDT", opened_at=T0, closed_at=None, updated_at=T0),
        m.PositionSnapshotRecord(id=1, position_id=1, ts=moment(5), signed_qty=Decimal("0.5"),
                                 avg_px_open=Decimal("42000.10"), mark_price=Decimal("42100"),
                                 realized_pnl=Decimal("0"), unrealized_pnl=Decimal("49.95")),
        balance(id=1),
        m.EquitySnapshotRecord(id=1, venue="binance", account="spot", ts=T0, currency="USDT",
                               equity=Decimal("10049.95"), cash=Decimal("-11000.05"),
                               unrealized_pnl=Decimal("49.95")),
        m.SignalRecord(id=1, strategy_run_id=1, symbol=BTC, direction=PositionSide.SHORT,
                       ts=T0, confidence=0.25, entry=Decimal("42000"),
                       stop_loss=Decimal("43000"), take_profit=None, source="webhook:tv",
                       reason="RSI 81"),
        m.OptimizationRunRecord(id=1, strategy="SmaCross", venue="binance", symbols=["BTC/USDT"],
                                timeframe="1h", start=T0, end=moment(86400),
                                space={"fast": [5, 10]}, objective="sharpe",
                                trials=[{"params": {"fast": 5}, "value": 1.5}],
                                best_params={"fast": 5}, best_value=1.5, code_hash=None,
                                report_path="/tmp/opt.html", recorded_at=T0),
        m.OptimizationStudyRecord(id=1, name="sma-grid", fingerprint="ab" * 32,
                                  strategy="SmaCross", objective="maximize sharpe",
                                  space={"fast": [5, 10], "slow": {"start": 20, "stop": 40}}),
        m.OptimizationPointRecord(id=1, study_id=1, key="cd" * 32, params={"fast": 5},
                                  values=[1.5, "nan"], stats={"sharpe": 1.5, "trades": 3},
                                  error="", seconds=0.25),
        m.BacktestRunRecord(id=1, strategy="SmaCross", venue="binance", symbols=["BTC/USDT"],
                            timeframe="1h", start=None, end=None, parameters={"fast": 5},
                            stats={"sharpe": 1.5, "trades": 3, "calmar": None},
                            initial_cash=Decimal("10000"), final_equity=Decimal("10500.25"),
                            trades=3, code_hash="cd" * 32, report_path=None, export_path="/x",
                            optimization_id=1, recorded_at=T0),
        m.RiskEventRecord(id=1, ts=T0, rule="max_notional", action="rejected", strategy_id="sma",
                          client_order_id="O-9", message="notional 50000 > 40000",
                          data={"limit": "40000"}),
        m.TradingStateChangeRecord(id=1, ts=T0, old_state="ACTIVE", new_state="HALTED",
                                   reason="daily loss", actor="risk"),
        m.AuditEntryRecord(id=1, seq=1, ts=T0, actor="cli:alice", action="config.changed",
                           subject="risk.max_notional", details='{"to":"40000"}',
                           prev_hash="0" * 64, hash="f" * 64),
    ]  # fmt: skip


def _values(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in sa_inspect(type(row)).column_attrs}


def test_every_table_has_a_round_trip_row() -> None:
    assert {type(r).__tablename__ for r in _rows()} == set(Base.metadata.tables)


def test_every_model_round_trips_exactly(store: Store) -> None:
    expected = [(type(row), _values(row)) for row in _rows()]
    with store.session() as session:
        for row in _rows():  # parents first: flushed one by one
            session.add(row)
            session.flush()
    with store.session() as session:
        for model, values in expected:
            stored = session.scalars(select(model)).one()
            assert _values(stored) == values, model.__tablename__
            for key, value in values.items():
                assert type(getattr(stored, key)) is type(value), (model.__tablename__, key)


def test_duplicate_client_order_id_is_a_clear_error(store: Store) -> None:
    with store.session() as session:
        session.add(order_row("O-1"))
    with pytest.raises(ConstraintViolationError) as caught, store.session() as session:
        session.add(order_row("O-1"))
    message = str(caught.value)
    assert message.startswith("constraint violated: ")
    assert "\n" not in message
    assert "client_order_id" in message  # SQLite names the column, PostgreSQL the constraint
    if store.backend == "postgresql":
        assert caught.value.constraint == "uq_orders_client_order_id"
        assert "Key (client_order_id)=(O-1) already exists" in message


def test_a_fill_of_an_unknown_order_is_refused(store: Store) -> None:
    fill = m.FillRecord(order_id=999, trade_id="T-1", client_order_id="O-x",
                        venue_order_id=None, symbol=BTC, side=OrderSide.BUY,
                        quantity=Decimal("1"), price=Decimal("1"), fee=Decimal("0"),
                        fee_currency="USDT", liquidity_side=LiquiditySide.TAKER, ts=T0)  # fmt: skip
    refused = pytest.raises(ConstraintViolationError, match="FOREIGN KEY|foreign key")
    with refused, store.session() as session:
        session.add(fill)
    with store.session() as session:
        assert session.scalars(select(m.FillRecord)).all() == []


def test_a_missing_required_value_is_refused(store: Store) -> None:
    refused = pytest.raises(ConstraintViolationError, match="NOT NULL|not-null")
    with refused, store.session() as session:
        session.add(balance(currency=None))
