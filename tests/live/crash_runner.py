"""A live node per request, forked from one warm process: the crash test kills them with -9.

``python crash_runner.py NODE.yaml DB_URL`` imports tradeforge once, then reads commands on
stdin, one a line. ``start`` forks a child that starts a live node (connect, reconcile, warm
up, subscribe) on the config and store given, writes ``ready <json>`` (the portfolio's
cash and positions and the reconciliation differences, right after the start; ``failed`` if
it could not start) and trades until it is killed. The parent answers ``pid <n>`` at once;
``exit`` (or the end of stdin) ends it. Forking skips the ~2.5 s of imports a fresh
``tradeforge trade`` pays, so twenty kill-and-restart trials fit in a test's time; each
child is still a whole process of its own, killed without any chance to clean up.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path

from tradeforge.adapters.ccxt import Credentials
from tradeforge.live import TradingNode, load_node_config
from tradeforge.persistence.store import Store


def serve(config_path: str, url: str) -> None:
    """Fork a node per ``start`` line until ``exit``."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        command = line.strip()
        if command == "exit":
            return
        if command != "start":
            continue
        pid = os.fork()
        if pid == 0:
            _child(config_path, url)
        _say(f"pid {pid}")


def _child(config_path: str, url: str) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        config = load_node_config(Path(config_path))
        node = TradingNode(
            config, Store(url), credentials=Credentials("sandbox-key", "sandbox-secret")
        )
        node.start()
        symbols = list(node.link.instruments)
        state = {
            "cash": str(node.portfolio.cash),
            "positions": {s.base: str(node.portfolio.position(s).signed_qty) for s in symbols},
            "differences": [str(d) for d in node.differences],
        }
        _say(f"ready {json.dumps(state)}")
        node.run()
    except BaseException:
        traceback.print_exc()
        _say("failed (see stderr)")
        os._exit(1)
    os._exit(0)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
