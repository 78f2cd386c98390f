"""Venue adapters: where tradeforge meets a real (or sandboxed) exchange.

An adapter turns a venue's API into the kernel's vocabulary: bars, ticks and books for the
data side, the :class:`~tradeforge.execution.engine.ExecutionClient` protocol and
:data:`~tradeforge.model.events.VenueEvent` for the execution side. Everything venue-specific
is data (:mod:`tradeforge.adapters.ccxt.venues`), not a branch. See ``docs/adapters.md``.
"""
