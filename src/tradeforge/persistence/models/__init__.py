"""The tables of the state store, as SQLAlchemy 2 typed models.

Record classes end in ``Record`` so they never shadow the domain classes they store
(``OrderRecord`` stores a :class:`tradeforge.model.orders.Order`).
"""

from tradeforge.persistence.models.audit import AuditEntryRecord
from tradeforge.persistence.models.base import Base
from tradeforge.persistence.models.market import InstrumentRecord
from tradeforge.persistence.models.optimize import OptimizationPointRecord, OptimizationStudyRecord
from tradeforge.persistence.models.orders import FillRecord, OrderRecord, OrderStateRecord
from tradeforge.persistence.models.portfolio import (
    BalanceRecord,
    EquitySnapshotRecord,
    PositionRecord,
    PositionSnapshotRecord,
)
from tradeforge.persistence.models.risk import RiskEventRecord, TradingStateChangeRecord
from tradeforge.persistence.models.runs import (
    BacktestRunRecord,
    OptimizationRunRecord,
    RunMode,
    SignalRecord,
    StrategyRunRecord,
)

__all__ = [
    "AuditEntryRecord",
    "BacktestRunRecord",
    "BalanceRecord",
    "Base",
    "EquitySnapshotRecord",
    "FillRecord",
    "InstrumentRecord",
    "OptimizationPointRecord",
    "OptimizationRunRecord",
    "OptimizationStudyRecord",
    "OrderRecord",
    "OrderStateRecord",
    "PositionRecord",
    "PositionSnapshotRecord",
    "RiskEventRecord",
    "RunMode",
    "SignalRecord",
    "StrategyRunRecord",
    "TradingStateChangeRecord",
]
