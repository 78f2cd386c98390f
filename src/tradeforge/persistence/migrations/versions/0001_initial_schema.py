"""initial schema: every table of the state store

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tradeforge.persistence.types import ExactDecimal, JsonType, SymbolType, UtcDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("seq", name=op.f("uq_audit_log_seq")),
    )
    op.create_table(
        "balances",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=20), nullable=False),
        sa.Column("total", ExactDecimal(), nullable=False),
        sa.Column("free", ExactDecimal(), nullable=False),
        sa.Column("locked", ExactDecimal(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balances")),
        sa.UniqueConstraint(
            "venue", "account", "currency", name=op.f("uq_balances_venue_account_currency")
        ),
    )
    op.create_table(
        "equity_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("currency", sa.String(length=20), nullable=False),
        sa.Column("equity", ExactDecimal(), nullable=False),
        sa.Column("cash", ExactDecimal(), nullable=False),
        sa.Column("unrealized_pnl", ExactDecimal(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equity_snapshots")),
        sa.UniqueConstraint(
            "venue", "account", "ts", name=op.f("uq_equity_snapshots_venue_account_ts")
        ),
    )
    op.create_table(
        "instruments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("symbol", SymbolType(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("price_tick", ExactDecimal(), nullable=False),
        sa.Column("quantity_step", ExactDecimal(), nullable=False),
        sa.Column("min_quantity", ExactDecimal(), nullable=False),
        sa.Column("max_quantity", ExactDecimal(), nullable=True),
        sa.Column("min_notional", ExactDecimal(), nullable=False),
        sa.Column("maker_fee", ExactDecimal(), nullable=False),
        sa.Column("taker_fee", ExactDecimal(), nullable=False),
        sa.Column("contract_size", ExactDecimal(), nullable=False),
        sa.Column("settle", sa.String(length=20), nullable=True),
        sa.Column("max_leverage", ExactDecimal(), nullable=False),
        sa.Column("is_inverse", sa.Boolean(), nullable=False),
        sa.Column("expiry", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instruments")),
        sa.UniqueConstraint("venue", "symbol", name=op.f("uq_instruments_venue_symbol")),
    )
    op.create_table(
        "optimization_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("symbols", JsonType, nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("start", UtcDateTime(), nullable=True),
        sa.Column("end", UtcDateTime(), nullable=True),
        sa.Column("space", JsonType, nullable=False),
        sa.Column("objective", sa.String(length=64), nullable=False),
        sa.Column("trials", JsonType, nullable=False),
        sa.Column("best_params", JsonType, nullable=False),
        sa.Column("best_value", sa.Float(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimization_runs")),
    )
    op.create_table(
        "positions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position_id", sa.String(length=64), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("symbol", SymbolType(), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=True),
        sa.Column("side", sa.String(length=32), nullable=False),
        sa.Column("signed_qty", ExactDecimal(), nullable=False),
        sa.Column("avg_px_open", ExactDecimal(), nullable=True),
        sa.Column("realized_pnl", ExactDecimal(), nullable=False),
        sa.Column("pnl_currency", sa.String(length=20), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("position_id", name=op.f("uq_positions_position_id")),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_positions_venue_symbol"), ["venue", "symbol"], unique=False
        )

    op.create_table(
        "risk_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=True),
        sa.Column("client_order_id", sa.String(length=64), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("data", JsonType, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_events")),
    )
    with op.batch_alter_table("risk_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_events_ts"), ["ts"], unique=False)

    op.create_table(
        "strategy_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("mode", sa.String(length=32), nullable=False),
        sa.Column("config", JsonType, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("stopped_at", UtcDateTime(), nullable=True),
        sa.Column("stop_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategy_runs")),
        sa.UniqueConstraint("run_id", name=op.f("uq_strategy_runs_run_id")),
    )
    op.create_table(
        "trading_state_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("old_state", sa.String(length=16), nullable=False),
        sa.Column("new_state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_state_changes")),
    )
    with op.batch_alter_table("trading_state_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trading_state_changes_ts"), ["ts"], unique=False)

    op.create_table(
        "backtest_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("strategy", sa.String(length=128), nullable=False),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("symbols", JsonType, nullable=False),
        sa.Column("timeframe", sa.String(length=8), nullable=False),
        sa.Column("start", UtcDateTime(), nullable=True),
        sa.Column("end", UtcDateTime(), nullable=True),
        sa.Column("parameters", JsonType, nullable=False),
        sa.Column("stats", JsonType, nullable=False),
        sa.Column("initial_cash", ExactDecimal(), nullable=False),
        sa.Column("final_equity", ExactDecimal(), nullable=False),
        sa.Column("trades", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.Column("export_path", sa.Text(), nullable=True),
        sa.Column(
            "optimization_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["optimization_id"],
            ["optimization_runs.id"],
            name=op.f("fk_backtest_runs_optimization_id_optimization_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backtest_runs")),
    )
    with op.batch_alter_table("backtest_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_backtest_runs_strategy_recorded_at"),
            ["strategy", "recorded_at"],
            unique=False,
        )

    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("venue_order_id", sa.String(length=64), nullable=True),
        sa.Column("venue", sa.String(length=32), nullable=False),
        sa.Column("symbol", SymbolType(), nullable=False),
        sa.Column("strategy_id", sa.String(length=64), nullable=True),
        sa.Column(
            "strategy_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("side", sa.String(length=32), nullable=False),
        sa.Column("order_type", sa.String(length=32), nullable=False),
        sa.Column("time_in_force", sa.String(length=32), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=True),
        sa.Column("stop_price", ExactDecimal(), nullable=True),
        sa.Column("trailing_offset", ExactDecimal(), nullable=True),
        sa.Column("trailing_offset_type", sa.String(length=32), nullable=True),
        sa.Column("expire_time", UtcDateTime(), nullable=True),
        sa.Column("post_only", sa.Boolean(), nullable=False),
        sa.Column("reduce_only", sa.Boolean(), nullable=False),
        sa.Column("tags", JsonType, nullable=False),
        sa.Column("order_list_id", sa.String(length=64), nullable=True),
        sa.Column("parent_order_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("filled_qty", ExactDecimal(), nullable=False),
        sa.Column("avg_px", ExactDecimal(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_run_id"],
            ["strategy_runs.id"],
            name=op.f("fk_orders_strategy_run_id_strategy_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_orders_strategy_id_created_at"),
            ["strategy_id", "created_at"],
            unique=False,
        )

    op.create_table(
        "position_snapshots",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "position_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("signed_qty", ExactDecimal(), nullable=False),
        sa.Column("avg_px_open", ExactDecimal(), nullable=True),
        sa.Column("mark_price", ExactDecimal(), nullable=True),
        sa.Column("realized_pnl", ExactDecimal(), nullable=False),
        sa.Column("unrealized_pnl", ExactDecimal(), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_position_snapshots_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_snapshots")),
        sa.UniqueConstraint("position_id", "ts", name=op.f("uq_position_snapshots_position_id_ts")),
    )
    op.create_table(
        "signals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "strategy_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("symbol", SymbolType(), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("entry", ExactDecimal(), nullable=True),
        sa.Column("stop_loss", ExactDecimal(), nullable=True),
        sa.Column("take_profit", ExactDecimal(), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["strategy_run_id"],
            ["strategy_runs.id"],
            name=op.f("fk_signals_strategy_run_id_strategy_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signals_symbol_ts"), ["symbol", "ts"], unique=False)

    op.create_table(
        "fills",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("trade_id", sa.String(length=64), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("venue_order_id", sa.String(length=64), nullable=True),
        sa.Column("symbol", SymbolType(), nullable=False),
        sa.Column("side", sa.String(length=32), nullable=False),
        sa.Column("quantity", ExactDecimal(), nullable=False),
        sa.Column("price", ExactDecimal(), nullable=False),
        sa.Column("fee", ExactDecimal(), nullable=False),
        sa.Column("fee_currency", sa.String(length=20), nullable=False),
        sa.Column("liquidity_side", sa.String(length=32), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fills_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fills")),
        sa.UniqueConstraint("order_id", "trade_id", name=op.f("uq_fills_order_id_trade_id")),
    )
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fills_symbol_ts"), ["symbol", "ts"], unique=False)

    op.create_table(
        "order_states",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("ts", UtcDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", JsonType, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_states_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_states")),
        sa.UniqueConstraint("order_id", "seq", name=op.f("uq_order_states_order_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("order_states")
    with op.batch_alter_table("fills", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fills_symbol_ts"))

    op.drop_table("fills")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signals_symbol_ts"))

    op.drop_table("signals")
    op.drop_table("position_snapshots")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_strategy_id_created_at"))
        batch_op.drop_index(batch_op.f("ix_orders_status"))

    op.drop_table("orders")
    with op.batch_alter_table("backtest_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_backtest_runs_strategy_recorded_at"))

    op.drop_table("backtest_runs")
    with op.batch_alter_table("trading_state_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trading_state_changes_ts"))

    op.drop_table("trading_state_changes")
    op.drop_table("strategy_runs")
    with op.batch_alter_table("risk_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_events_ts"))

    op.drop_table("risk_events")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positions_venue_symbol"))

    op.drop_table("positions")
    op.drop_table("optimization_runs")
    op.drop_table("instruments")
    op.drop_table("equity_snapshots")
    op.drop_table("balances")
    op.drop_table("audit_log")
