"""SIGINT and SIGTERM stop a node gracefully.

The handler only asks the node to stop (:meth:`TradingNode.request_stop
<tradeforge.live.node.TradingNode.request_stop>`); the node's loop notices at its next turn
(within a tenth of a second) and stops: strategies' ``on_stop``, open orders canceled or left
by policy, the last events stored, the adapters closed. A second signal while it stops is
ignored, so the stop is never cut short. Signal handlers can only be installed from the main
thread; elsewhere :func:`stop_on_signals` does nothing.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def stop_on_signals(request_stop: Callable[[str], None]) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM call ``request_stop(<signal name>)``."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}

    def handler(signum: int, frame: FrameType | None) -> None:
        request_stop(signal.Signals(signum).name)

    for sig in STOP_SIGNALS:
        previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
