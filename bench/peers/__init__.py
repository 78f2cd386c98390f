"""Peer backtesting frameworks run on the same SMA-cross strategy, for speed comparison."""
