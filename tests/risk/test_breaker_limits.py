"""The breakers' configuration: YAML, defaults, levels named or not, refused values."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.fast_path import fast_path_blocker
from tradeforge.risk.breaker_limits import BreakersConfig
from tradeforge.risk.limits import RiskConfig, RiskConfigError
from tradeforge.strategy import Strategy

YAML = """\
risk:
  breakers:
    daily_loss: {reduce: 0.03, halt: 0.05, cooldown: 1h}
    drawdown: {halt: 0.2, cooldown: 1d}
    consecutive_losses: {}
    volatility: {measure: atr, window: 14, reduce: 0.08}
    latency: {warn: 500ms, halt: 3s}
    connection: {halt: 2}
    error_rate: {halt: 10, per: 1m}
"""


def test_the_documented_example_reads_exactly(tmp_path: Path) -> None:
    path = tmp_path / "risk.yaml"
    path.write_text(YAML, encoding="utf-8")
    breakers = RiskConfig.from_yaml(path).breakers
    assert breakers is not None
    assert list(breakers.sections()) == [
        "daily_loss", "drawdown", "consecutive_losses", "volatility", "latency", "connection",
        "error_rate",
    ]  # fmt: skip
    levels = {name: section.levels() for name, section in breakers.sections().items()}
    assert levels == {
        "daily_loss": (None, Decimal("0.03"), Decimal("0.05")),
        "drawdown": (None, None, Decimal("0.2")),
        "consecutive_losses": (5, 7, 10),  # the defaults: no level named
        "volatility": (None, 0.08, None),
        "latency": (timedelta(milliseconds=500), None, timedelta(seconds=3)),
        "connection": (None, None, 2),
        "error_rate": (None, None, 10),
    }
    cooldowns = {name: section.cooldown for name, section in breakers.sections().items()}
    assert cooldowns == {
        "daily_loss": timedelta(hours=1),
        "drawdown": timedelta(days=1),
        "consecutive_losses": timedelta(days=1),
        "volatility": timedelta(hours=1),
        "latency": timedelta(minutes=5),
        "connection": timedelta(minutes=5),
        "error_rate": timedelta(minutes=5),
    }
    assert breakers.volatility is not None
    assert (breakers.volatility.measure, breakers.volatility.window) == ("atr", 14)
    assert breakers.volatility.horizon == timedelta(days=1)


def test_every_section_s_defaults() -> None:
    given = {name: {} for name in BreakersConfig.model_fields}
    every = BreakersConfig.model_validate(given).sections()
    assert {name: s.levels() for name, s in every.items()} == {
        "daily_loss": (Decimal("0.02"), Decimal("0.03"), Decimal("0.05")),
        "drawdown": (Decimal("0.10"), Decimal("0.15"), Decimal("0.20")),
        "consecutive_losses": (5, 7, 10),
        "volatility": (0.06, 0.10, None),
        "latency": (timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=5)),
        "connection": (1, None, 3),
        "error_rate": (3, None, 10),
    }
    assert RiskConfig().breakers is None
    assert BreakersConfig().sections() == {}


@pytest.mark.parametrize(
    ("breakers", "message"),
    [
        ({"daily_loss": {"warn": 0.05, "halt": 0.03}},
         "breakers.daily_loss: warn 0.05 must be below halt 0.03"),
        ({"drawdown": {"halt": None}}, "breakers.drawdown: set at least one of warn, reduce, halt"),
        ({"latency": {"slow": "1s"}}, "breakers.latency.slow: unknown key"),
        ({"latency": {"halt": "fast"}},
         "breakers.latency.halt: write a duration as 30s, 5m, 1h, 1d, 250ms, a number of "
         "seconds or ISO 8601 (PT5M), got 'fast'"),
        ({"error_rate": {"per": "0s"}},
         "breakers.error_rate.per: must be a positive duration, got 0:00:00"),
        ({"consecutive_losses": {"halt": 0}},
         "breakers.consecutive_losses.halt: Input should be greater than or equal to 1"),
        ({"daily_loss": {"halt": 1.5}},
         "breakers.daily_loss.halt: Input should be less than or equal to 1"),
        ({"volatility": {"measure": "garch"}},
         "breakers.volatility.measure: Input should be 'realized' or 'atr'"),
        ({"circuit": {}}, "breakers.circuit: unknown key"),
    ],
)  # fmt: skip
def test_bad_values_are_refused_with_their_key(breakers: object, message: str) -> None:
    with pytest.raises(RiskConfigError) as caught:
        RiskConfig.from_mapping({"breakers": breakers}, "risk.yaml")
    assert str(caught.value) == f"risk.yaml: {message}"


def test_breakers_send_a_run_to_the_full_kernel() -> None:
    config = BacktestConfig(risk={"breakers": {"drawdown": {}}})
    assert fast_path_blocker(config, [Strategy()], 1, False) == "circuit breakers"
