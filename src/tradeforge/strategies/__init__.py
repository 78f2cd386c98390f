"""The built-in strategies, and :func:`load_strategy` to pick one by name or from a file.

* ``sma_cross``: :class:`SmaCross`, long while the fast SMA is above the slow one;
* ``rsi``: :class:`RsiReversion`, buy the RSI leaving oversold, sell it turning overbought;
* ``breakout``: :class:`Breakout`, buy an hourly close above the 20-day high, with a 7 % take
  profit and a 16 % stop loss (data: :func:`breakout_data`);
* ``bollinger``: :class:`BollingerReversion`, buy a close below the lower band, sell at the
  middle band;
* ``momentum_rotation``: :class:`MomentumRotation`, hold the top-N symbols by trailing return.

All are long-only spot strategies; each class docstring states its exact rules, data, warm-up
and sizing.
"""

from tradeforge.strategies.bollinger import BollingerReversion
from tradeforge.strategies.breakout import Breakout, breakout_data
from tradeforge.strategies.momentum_rotation import MomentumRotation
from tradeforge.strategies.registry import BUILTIN_STRATEGIES, StrategyLoadError, load_strategy
from tradeforge.strategies.rsi_reversion import RsiReversion
from tradeforge.strategies.sma_cross import SmaCross

__all__ = [
    "BUILTIN_STRATEGIES",
    "BollingerReversion",
    "Breakout",
    "MomentumRotation",
    "RsiReversion",
    "SmaCross",
    "StrategyLoadError",
    "breakout_data",
    "load_strategy",
]
