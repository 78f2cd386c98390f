"""The risk configuration: defaults, YAML, per-strategy overrides, and errors that name the key."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from tradeforge.backtest.config import BacktestConfig
from tradeforge.backtest.fast_path import fast_path_blocker
from tradeforge.risk.limits import RateLimit, RiskConfig, RiskConfigError, RiskLimits
from tradeforge.strategy import Strategy

D = Decimal

YAML = """\
risk:
  default:
    max_position_pct_equity: 0.25
    max_leverage: 2
    daily_loss_limit: 0.03
    duplicate_window: 30s
    order_rate: {max_orders: 10, per: 1m}
    max_position_quantity: {btc-usdt: 0.5}
    allowed_symbols: [BTC/USDT, eth_usdt]
    trading_hours:
      - {start: "08:00", end: "20:00", days: [Mon, tue, WED]}
  total_order_rate: {max_orders: 50, per: 1h}
  strategies:
    breakout:
      max_leverage: 1
      require_stop_loss: true
      daily_loss_limit: null
"""


def _write(tmp_path: Path, text: str, name: str = "risk.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_documented_ones() -> None:
    limits = RiskLimits()
    on = {
        name: getattr(limits, name)
        for name in RiskLimits.model_fields
        if getattr(limits, name) not in (None, False)
    }
    assert on == {
        "reject_duplicate_ids": True,
        "price_band": D("0.5"),
        "correlation_lookback": 100,
    }
    assert limits.allow_pyramiding is False
    assert RiskConfig().strategies == {}
    assert RiskConfig().total_order_rate is None


def test_yaml_is_read_with_every_kind_of_value(tmp_path: Path) -> None:
    config = RiskConfig.from_yaml(_write(tmp_path, YAML))
    default = config.default
    assert default.max_position_pct_equity == D("0.25")
    assert str(default.max_position_pct_equity) == "0.25"  # through repr, not binary
    assert default.max_leverage == D(2)
    assert default.duplicate_window == timedelta(seconds=30)
    assert default.order_rate == RateLimit(max_orders=10, per=timedelta(minutes=1))
    assert default.max_position_quantity == {"BTC/USDT": D("0.5")}
    assert default.allowed_symbols == ("BTC/USDT", "ETH/USDT")
    assert default.trading_hours is not None
    [window] = default.trading_hours
    assert (window.start, window.end, window.days) == (time(8), time(20), ("mon", "tue", "wed"))
    assert config.total_order_rate == RateLimit(max_orders=50, per=timedelta(hours=1))


def test_an_override_is_merged_field_by_field_over_the_default(tmp_path: Path) -> None:
    config = RiskConfig.from_yaml(_write(tmp_path, YAML))
    breakout = config.limits_for("breakout")
    assert breakout.max_leverage == D(1)  # overridden
    assert breakout.require_stop_loss is True  # added
    assert breakout.daily_loss_limit is None  # turned off by null
    assert breakout.max_position_pct_equity == D("0.25")  # inherited
    assert breakout.order_rate == config.default.order_rate
    assert config.limits_for("other") is config.default
    assert config.limits_for(None) is config.default
    assert config.every_limits() == [config.default, breakout]


def test_overrides_merge_from_python_objects_too() -> None:
    config = RiskConfig(
        default=RiskLimits(max_leverage=D(3), max_open_positions=4),
        strategies={"a": RiskLimits(max_open_positions=2)},
    )
    a = config.limits_for("a")
    assert (a.max_leverage, a.max_open_positions) == (D(3), 2)


def test_a_nested_value_is_replaced_whole() -> None:
    config = RiskConfig.from_mapping(
        {
            "default": {"order_rate": {"max_orders": 5, "per": "10s"}},
            "strategies": {"fast": {"order_rate": {"max_orders": 20, "per": 60}}},
        }
    )
    expected = RateLimit(max_orders=20, per=timedelta(seconds=60))
    assert config.limits_for("fast").order_rate == expected


def test_the_file_may_be_the_risk_section_itself(tmp_path: Path) -> None:
    path = _write(tmp_path, "default:\n  max_open_positions: 3\n")
    assert RiskConfig.from_yaml(path).default.max_open_positions == 3
    assert RiskConfig.from_yaml(_write(tmp_path, "", "empty.yaml")) == RiskConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("default:\n  max_leverag: 2\n", "{path}: default.max_leverag: unknown key"),
        (
            "default:\n  max_leverage: -1\n",
            "{path}: default.max_leverage: Input should be greater than 0",
        ),
        (
            "default:\n  daily_loss_limit: 1.5\n",
            "{path}: default.daily_loss_limit: Input should be less than or equal to 1",
        ),
        (
            "default:\n  max_open_positions: 0\n",
            "{path}: default.max_open_positions: Input should be greater than or equal to 1",
        ),
        (
            "default:\n  max_leverage: yes\n",
            "{path}: default.max_leverage: must be a number, got True",
        ),
        (
            "default:\n  duplicate_window: 0s\n",
            "{path}: default.duplicate_window: must be a positive duration, got 0:00:00",
        ),
        (
            "default:\n  order_rate: {max_orders: 5, per: soon}\n",
            "{path}: default.order_rate.per: write a duration as 30s, 5m, 1h, 1d, 250ms, "
            "a number of seconds or ISO 8601 (PT5M), got 'soon'",
        ),
        (
            "default:\n  order_rate: {max_orders: 5}\n",
            "{path}: default.order_rate.per: Field required",
        ),
        (
            "default:\n  max_position_quantity: {BTC/USDT: 0}\n",
            "{path}: default.max_position_quantity: BTC/USDT: must be greater than 0, got 0",
        ),
        (
            "default:\n  allowed_symbols: [42]\n",
            "{path}: default.allowed_symbols: a symbol must be text, got 42",
        ),
        (
            "default:\n  trading_hours: [{start: '08:00', end: '20:00', days: [someday]}]\n",
            "{path}: default.trading_hours.0.days.0: Input should be 'mon', 'tue', 'wed', "
            "'thu', 'fri', 'sat' or 'sun'",
        ),
        (
            "strategies:\n  sma:\n    max_correlation: 2\n",
            "{path}: strategies.sma.max_correlation: Input should be less than or equal to 1",
        ),
        (
            "total_order_rate: 5\n",
            "{path}: total_order_rate: Input should be a valid dictionary or instance of RateLimit",
        ),
        ("- 1\n- 2\n", "{path}: the risk config must be a mapping, got list"),
    ],
)
def test_every_malformed_input_names_the_file_and_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(RiskConfigError) as caught:
        RiskConfig.from_yaml(path)
    assert str(caught.value) == expected.format(path=path)


def test_an_error_in_the_default_is_reported_once_not_per_strategy() -> None:
    with pytest.raises(RiskConfigError) as caught:
        RiskConfig.from_mapping(
            {"default": {"max_leverage": 0}, "strategies": {"a": {"max_open_positions": 0}}},
            "cfg",
        )
    assert str(caught.value).splitlines() == [
        "cfg: default.max_leverage: Input should be greater than 0",
        "cfg: strategies.a.max_open_positions: Input should be greater than or equal to 1",
    ]


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RiskConfigError, match=r"nope.yaml: cannot read the risk config: No such"):
        RiskConfig.from_yaml(missing)
    broken = _write(tmp_path, "default: [unclosed\n")
    with pytest.raises(RiskConfigError, match=r"risk.yaml: not valid YAML: "):
        RiskConfig.from_yaml(broken)


def test_a_wrapping_window_and_an_iso_duration() -> None:
    limits = RiskLimits.model_validate(
        {
            "trading_hours": [{"start": "22:00", "end": "06:00"}],
            "duplicate_window": "PT2M",
        }
    )
    assert limits.duplicate_window == timedelta(minutes=2)
    assert limits.trading_hours is not None
    assert limits.trading_hours[0].days == ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def test_limits_are_frozen() -> None:
    limits = RiskLimits()
    with pytest.raises(ValidationError, match="frozen"):
        limits.max_leverage = D(2)  # type: ignore[misc]


# -- the backtest's field -------------------------------------------------------------------


def test_the_backtest_config_takes_a_mapping_a_model_or_a_path(tmp_path: Path) -> None:
    assert BacktestConfig().risk is None
    from_mapping = BacktestConfig(risk={"default": {"max_open_positions": 2}})
    assert from_mapping.risk == RiskConfig(default=RiskLimits(max_open_positions=2))
    model = RiskConfig(default=RiskLimits(max_leverage=D(2)))
    assert BacktestConfig(risk=model).risk is model
    path = _write(tmp_path, YAML)
    assert BacktestConfig(risk=path).risk == RiskConfig.from_yaml(path)
    assert BacktestConfig(risk=str(path)).risk == RiskConfig.from_yaml(path)


def test_the_backtest_config_names_the_risk_key() -> None:
    with pytest.raises(ValidationError) as caught:
        BacktestConfig(risk={"default": {"max_leverag": 2}})
    [problem] = caught.value.errors()
    assert problem["loc"] == ("risk", "default", "max_leverag")
    assert problem["type"] == "extra_forbidden"


def test_the_backtest_config_names_the_file_and_key_of_a_bad_yaml(tmp_path: Path) -> None:
    path = _write(tmp_path, "default:\n  price_band: 0\n")
    with pytest.raises(ValidationError) as caught:
        BacktestConfig(risk=path)
    [problem] = caught.value.errors()
    assert problem["loc"] == ("risk",)
    assert problem["msg"] == (
        f"Value error, {path}: default.price_band: Input should be greater than 0"
    )


def test_limits_send_a_run_to_the_full_kernel() -> None:
    config = BacktestConfig(risk={})
    assert fast_path_blocker(config, [Strategy()], 1, False) == "risk limits"
    assert fast_path_blocker(BacktestConfig(), [Strategy()], 1, False) == ""
