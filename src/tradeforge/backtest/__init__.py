"""Backtesting: the simulated exchange, the engine loop, results and the ``Backtest`` facade."""

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.engine import BacktestEngine
from tradeforge.backtest.exchange import SimulatedExchange
from tradeforge.backtest.facade import Backtest
from tradeforge.backtest.result import BacktestResult

__all__ = ["Backtest", "BacktestConfig", "BacktestEngine", "BacktestResult", "SimulatedExchange"]
