"""Errors raised by user strategies, wrapped so that they name where they happened."""

from __future__ import annotations


class StrategyError(RuntimeError):
    """A strategy raised: the message names the strategy, the hook, the bar time and the cause.

    Attributes
    ----------
    strategy : str
        The strategy's id.
    hook : str
        The hook that raised (``on_bar``, ``on_order_event`` ...).
    ts : int
        The engine time when it raised, ns UTC.
    traceback_text : str
        The formatted traceback of the original exception.
    """

    def __init__(self, strategy: str, hook: str, ts: int, when: str, traceback_text: str) -> None:
        self.strategy = strategy
        self.hook = hook
        self.ts = ts
        self.traceback_text = traceback_text
        last = traceback_text.strip().splitlines()[-1] if traceback_text.strip() else "error"
        super().__init__(f"strategy {strategy} failed in {hook} at {when}: {last}")


class OrderRequestError(ValueError):
    """An order request a strategy made that cannot become an order (bad size, no price)."""
