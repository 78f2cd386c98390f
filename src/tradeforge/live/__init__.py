"""Paper and live trading: the backtest's kernel on a live venue (``tradeforge trade``).

* :class:`TradingNode`: connect, reconcile with the venue, warm the strategies up from venue
  history, trade on live bars, stop gracefully (SIGINT, SIGTERM).
* :class:`NodeConfig` / :func:`load_node_config`: the node's YAML or TOML, validated before
  anything connects.
* Paper mode: live data from the venue, fills from a local ``SimulatedExchange`` with the
  backtest's rules. Live mode: orders on the venue through the ccxt client.
* Every order is in the store before it is sent (:mod:`.store_first`); reconciliation rules
  in :mod:`.reconcile`; warm-up in :mod:`.warmup`.

See ``docs/live.md``.
"""

import logging

from tradeforge.live.config import NodeConfig, NodeConfigError, load_node_config, node_config
from tradeforge.live.node import NodeError, NodeObserver, TradingNode
from tradeforge.live.reconcile import Difference
from tradeforge.live.signals import stop_on_signals

logging.getLogger("tradeforge.live").addHandler(logging.NullHandler())  # the application decides

__all__ = [
    "Difference",
    "NodeConfig",
    "NodeConfigError",
    "NodeError",
    "NodeObserver",
    "TradingNode",
    "load_node_config",
    "node_config",
    "stop_on_signals",
]
