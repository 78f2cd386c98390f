"""tradeforge's vectorized mode as its own benchmark entry (see ``tradeforge_peer``)."""

from __future__ import annotations

import pandas as pd
from bench.peers.common import PeerResult
from bench.peers.tradeforge_peer import run_vector


def run(bars: pd.DataFrame) -> PeerResult:
    """The vectorized signal mode."""
    return run_vector(bars)
