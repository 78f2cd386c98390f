from __future__ import annotations

import pytest

from tradeforge.common.bus import BusError, MessageBus


def test_wildcard_subscriptions_receive_matching_topics() -> None:
    bus = MessageBus()
    bars: list[str] = []
    btc: list[str] = []
    everything: list[str] = []
    bus.subscribe("data.bars.*", bars.append)
    bus.subscribe("data.*.binance.BTC-USDT.*", btc.append)
    bus.subscribe("*", everything.append)
    bus.publish("data.bars.binance.BTC-USDT.5m", "bar1")
    bus.publish("data.trades.binance.BTC-USDT.tick", "trade1")
    bus.publish("data.bars.binance.ETH-USDT.5m", "bar2")
    bus.publish("events.order.sma", "filled")
    assert bars == ["bar1", "bar2"]
    assert btc == ["bar1", "trade1"]
    assert everything == ["bar1", "trade1", "bar2", "filled"]
    assert bus.published == 4


def test_single_character_wildcard() -> None:
    bus = MessageBus()
    seen: list[str] = []
    bus.subscribe("data.bars.binance.BTC-USDT.?m", seen.append)
    for tf in ("1m", "5m", "15m", "1h"):
        bus.publish(f"data.bars.binance.BTC-USDT.{tf}", tf)
    assert seen == ["1m", "5m"]


def test_priority_then_subscription_order() -> None:
    bus = MessageBus()
    calls: list[str] = []
    bus.subscribe("t", lambda m: calls.append("strategy"))
    bus.subscribe("t", lambda m: calls.append("portfolio"), priority=10)
    bus.subscribe("t", lambda m: calls.append("store"))
    bus.publish("t", None)
    assert calls == ["portfolio", "strategy", "store"]


def test_subscription_changes_reach_cached_topics() -> None:
    bus = MessageBus()
    first: list[int] = []
    later: list[int] = []
    bus.subscribe("events.*", first.append)
    bus.publish("events.order.a", 1)
    bus.subscribe("events.order.*", later.append)
    bus.publish("events.order.a", 2)
    bus.unsubscribe("events.*", first.append)
    bus.publish("events.order.a", 3)
    assert first == [1, 2]
    assert later == [2, 3]
    assert bus.has_subscribers("events.order.b")
    assert not bus.has_subscribers("data.bars.x")


def test_endpoints_are_point_to_point() -> None:
    bus = MessageBus()
    received: list[str] = []
    bus.register("RiskEngine.execute", received.append)
    bus.send("RiskEngine.execute", "submit")
    assert received == ["submit"]
    assert bus.endpoints == ["RiskEngine.execute"]
    with pytest.raises(BusError, match="endpoint 'RiskEngine.execute' already registered"):
        bus.register("RiskEngine.execute", received.append)
    bus.deregister("RiskEngine.execute")
    with pytest.raises(
        BusError, match="no endpoint 'RiskEngine.execute' registered \\(known: none\\)"
    ):
        bus.send("RiskEngine.execute", "lost?")


def test_bad_names_are_refused() -> None:
    bus = MessageBus()
    with pytest.raises(BusError, match="must not contain wildcards"):
        bus.publish("data.*", 1)
    with pytest.raises(BusError, match="pattern must be a non-empty string"):
        bus.subscribe("", print)
    handler = [].append
    bus.subscribe("a", handler)
    with pytest.raises(BusError, match="already subscribed to 'a'"):
        bus.subscribe("a", handler)
