"""The in-process message bus: topics with wildcard subscriptions, and point-to-point endpoints.

Engines find each other only through the bus. Topics are dotted names such as
``data.bars.binance.BTC-USDT.5m`` or ``events.order.sma-cross``; a subscription pattern may use
``*`` (any run of characters, dots included) and ``?`` (one character). Handlers of a topic run
in priority order (higher first, then subscription order), synchronously, in the publisher's
call. The handler list of each topic is cached, so publishing costs one dict lookup plus the
calls; the cache is cleared whenever subscriptions change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

Handler = Callable[[Any], None]


class BusError(ValueError):
    """A bad topic, pattern or endpoint."""


@dataclass(frozen=True, slots=True)
class Subscription:
    """A handler listening on a topic pattern."""

    pattern: str
    handler: Handler
    priority: int = 0
    order: int = field(default=0, compare=False)

    def matches(self, topic: str) -> bool:
        """True when ``topic`` falls under this subscription's pattern."""
        return fnmatchcase(topic, self.pattern)


class MessageBus:
    """Publish/subscribe on topics, and send to named endpoints.

    Examples
    --------
    >>> bus = MessageBus()
    >>> seen = []
    >>> bus.subscribe("data.bars.*", seen.append)
    >>> bus.publish("data.bars.binance.BTC-USDT.5m", "bar")
    >>> seen
    ['bar']
    """

    def __init__(self) -> None:
        self._subscriptions: list[Subscription] = []
        self._cache: dict[str, tuple[Handler, ...]] = {}
        self._endpoints: dict[str, Handler] = {}
        self._counter = 0
        self.published = 0
        self.sent = 0

    # -- publish / subscribe ---------------------------------------------------------------

    def subscribe(self, pattern: str, handler: Handler, priority: int = 0) -> None:
        """Call ``handler(message)`` for every message published on a matching topic.

        Subscribing the same handler to the same pattern twice is refused.
        """
        _check_name(pattern, "pattern")
        if any(s.pattern == pattern and s.handler == handler for s in self._subscriptions):
            raise BusError(f"handler {_name(handler)} already subscribed to {pattern!r}")
        self._counter += 1
        self._subscriptions.append(Subscription(pattern, handler, priority, self._counter))
        self._cache.clear()

    def unsubscribe(self, pattern: str, handler: Handler) -> None:
        """Remove a subscription; an unknown one is ignored."""
        self._subscriptions = [
            s for s in self._subscriptions if not (s.pattern == pattern and s.handler == handler)
        ]
        self._cache.clear()

    def publish(self, topic: str, message: Any) -> None:
        """Deliver ``message`` to every handler subscribed to a pattern matching ``topic``."""
        handlers = self._cache.get(topic)
        if handlers is None:
            handlers = self._resolve(topic)
        self.published += 1
        for handler in handlers:
            handler(message)

    def _resolve(self, topic: str) -> tuple[Handler, ...]:
        _check_name(topic, "topic")
        if any(char in topic for char in "*?[]"):
            raise BusError(
                f"topic {topic!r} must not contain wildcards; patterns are for subscribe"
            )
        matching = sorted(
            (s for s in self._subscriptions if s.matches(topic)),
            key=lambda s: (-s.priority, s.order),
        )
        handlers = tuple(s.handler for s in matching)
        self._cache[topic] = handlers
        return handlers

    def subscriptions(self, topic: str | None = None) -> list[Subscription]:
        """All subscriptions, or those matching ``topic``, in delivery order."""
        chosen = (
            self._subscriptions
            if topic is None
            else [s for s in self._subscriptions if s.matches(topic)]
        )
        return sorted(chosen, key=lambda s: (-s.priority, s.order))

    def has_subscribers(self, topic: str) -> bool:
        """True when publishing on ``topic`` would reach a handler."""
        return bool(self._cache.get(topic) or self._resolve(topic))

    # -- point to point ----------------------------------------------------------------------

    def register(self, endpoint: str, handler: Handler) -> None:
        """Make ``handler`` the receiver of messages sent to ``endpoint``."""
        _check_name(endpoint, "endpoint")
        if endpoint in self._endpoints:
            raise BusError(f"endpoint {endpoint!r} already registered")
        self._endpoints[endpoint] = handler

    def deregister(self, endpoint: str) -> None:
        """Remove an endpoint; an unknown one is ignored."""
        self._endpoints.pop(endpoint, None)

    def send(self, endpoint: str, message: Any) -> None:
        """Deliver ``message`` to the one handler of ``endpoint``.

        Raises
        ------
        BusError
            When nothing is registered there: a command must never vanish silently.
        """
        handler = self._endpoints.get(endpoint)
        if handler is None:
            known = ", ".join(sorted(self._endpoints)) or "none"
            raise BusError(f"no endpoint {endpoint!r} registered (known: {known})")
        self.sent += 1
        handler(message)

    @property
    def endpoints(self) -> list[str]:
        """Registered endpoint names, sorted."""
        return sorted(self._endpoints)


def _check_name(name: object, what: str) -> None:
    if not isinstance(name, str) or not name or name != name.strip():
        raise BusError(f"{what} must be a non-empty string without spaces around it, got {name!r}")


def _name(handler: Handler) -> str:
    return getattr(handler, "__qualname__", repr(handler))
