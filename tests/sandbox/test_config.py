"""The sandbox's settings and the ccxt options helper."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tradeforge.common.config import ConfigError
from tradeforge.data import DataError
from tradeforge.sandbox import Sandbox, SandboxConfig, ccxt_config, load_sandbox_config


def test_ccxt_config_is_the_wire_notes_configuration() -> None:
    options = ccxt_config("http://127.0.0.1:18700/", "ws://127.0.0.1:18700", "k", "s")
    assert options == {
        "apiKey": "k",
        "secret": "s",
        "enableRateLimit": False,
        "options": {
            "defaultType": "spot",
            "fetchMarkets": {"types": ["spot"]},
            "fetchCurrencies": False,
            "fetchMargins": False,
            "adjustForTimeDifference": False,
            "warnOnFetchOpenOrdersWithoutSymbol": False,
        },
        "urls": {"api": {
            "public": "http://127.0.0.1:18700/api/v3",
            "private": "http://127.0.0.1:18700/api/v3",
            "ws": {"spot": "ws://127.0.0.1:18700/ws",
                   "ws-api": {"spot": "ws://127.0.0.1:18700/ws-api/v3"}},
        }},
    }  # fmt: skip


def test_file_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.yaml"
    path.write_text(
        "symbols: [ETH/USDT]\nspeed: 10\nstart: 2021-02-01\nbalances: {usdt: 5, btc: 1}\n"
        "instruments: {ETH/USDT: {quantity_step: '0.001'}}\nmarket: {steps_per_leg: 2}\n"
    )
    config = load_sandbox_config(path, speed=100, port=None)
    assert config.symbols == ("ETH/USDT",)
    assert config.speed == 100
    assert config.start_ms == 1612137600000
    assert config.balances == {"USDT": Decimal(5), "BTC": Decimal(1)}
    assert config.instruments["ETH/USDT"].quantity_step == Decimal("0.001")
    assert config.market.steps_per_leg == 2


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"speed": 2000}, "options: speed: Input should be less than or equal to 1000"),
        ({"sped": 10}, "options: sped: unknown key"),
        (
            {"symbols": ["BTC/USDT:USDT"]},
            "options: symbols: Value error, BTC/USDT:USDT: the sandbox serves spot markets only",
        ),
        ({"balances": {"USDT": -1}}, "options: balances: Value error, USDT: a balance must be"),
        ({"timeframe": "7m"}, "options: timeframe: Value error, unsupported timeframe"),
        ({"market": {"book_levels": 0}}, "options: market.book_levels: Input should be greater"),
    ],
)
def test_errors_name_the_key(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_sandbox_config(None, **settings)
    assert (
        str(raised.value)
        .replace("Value error, ", "")
        .startswith(message.replace("Value error, ", ""))
    )


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.toml"
    path.write_text("speed = 0\n")
    with pytest.raises(ConfigError, match=r"sandbox.toml: speed: Input should be greater"):
        load_sandbox_config(path)


def test_start_outside_the_data_and_missing_bars_are_data_errors() -> None:
    with pytest.raises(DataError, match="start 2019-06-01T00:00:00Z is outside the BTC/USDT 5m"):
        Sandbox(SandboxConfig(symbols=("BTC/USDT",), start="2019-06-01"))
    with pytest.raises(DataError, match=r"no binance SOL/USDT 5m bars .* \(it has 1h\)"):
        Sandbox(SandboxConfig(symbols=("SOL/USDT",)))
