"""A bad node config names the wrong key and stops before anything connects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from tradeforge.cli.main import app
from tradeforge.live import NodeConfigError, load_node_config
from tradeforge.live.config import venue_credentials
from tradeforge.sandbox import SandboxServer

from .conftest import settings, strategy

GOOD: dict[str, Any] = {
    "venue": {"exchange": "binance", "url": "http://127.0.0.1:9"},
    "symbols": ["BTC/USDT"],
    "strategies": [{"name": "sma_cross", "params": {"fast": 3, "slow": 8}}],
}


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "node.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def error_of(tmp_path: Path, document: dict[str, Any]) -> str:
    with pytest.raises(NodeConfigError) as caught:
        load_node_config(write(tmp_path, document))
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"strategies": [{"name": "sma_cross", "parms": {}}]}, "strategies.0.parms: unknown key"),
        (
            {"strategies": [{"name": "sma_cross", "params": {"fats": 3}}]},
            "strategies.0: params: SmaCross: unknown parameter 'fats'",
        ),
        (
            {"strategies": [{"name": "sma_cros"}]},
            "strategies.0.name: unknown strategy 'sma_cros'",
        ),
        ({"symbols": ["BTC/USDT", "ETH/BTC"]}, "symbols: every symbol must share one quote"),
        ({"symbols": []}, "symbols: list at least one symbol"),
        ({"strategies": []}, "strategies: list at least one strategy"),
        ({"timeframes": ["7x"]}, "timeframes: "),
        ({"reconcile": {"interval": "soon"}}, "reconcile.interval: write a duration as 30s"),
        ({"shutdown": {"orders": "flatten"}}, "shutdown.orders: Input should be 'cancel' or"),
        ({"venue": {"exchange": "binanse"}}, "venue.exchange: unknown ccxt exchange 'binanse'"),
        (
            {"venue": {"exchange": "binance", "weight_per_minute": 0}},
            "venue.weight_per_minute: Input should be greater than or equal to 1",
        ),
        ({"risk": {"default": {"max_leverage": -1}}}, "risk.default.max_leverage: "),
        ({"mode": "real"}, "mode: Input should be 'paper' or 'live'"),
    ],
)
def test_errors_name_the_file_and_the_key(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    text = error_of(tmp_path, GOOD | change)
    assert text.startswith(f"{tmp_path / 'node.yaml'}: {message}"), text


def test_secrets_in_the_file_are_refused(tmp_path: Path) -> None:
    document = GOOD | {"venue": {"exchange": "binance", "api_key": "abc"}}
    assert error_of(tmp_path, document) == (
        f"{tmp_path / 'node.yaml'}: venue.api_key: secrets are read only from environment "
        "variables (TRADEFORGE_<VENUE>_API_KEY, _API_SECRET, _PASSWORD), never from files"
    )


def test_keys_come_from_the_environment(server: SandboxServer) -> None:
    config = settings(server, "live")
    assert venue_credentials(config, {}) is None
    keys = venue_credentials(
        config, {"TRADEFORGE_BINANCE_API_KEY": "k", "TRADEFORGE_BINANCE_API_SECRET": "s"}
    )
    assert keys is not None and (keys.api_key, keys.secret, keys.password) == ("k", "s", None)


def cli(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    environment = {"TRADEFORGE_HOME": str(tmp_path / "home"), "TRADEFORGE_BINANCE_API_KEY": "",
                   "TRADEFORGE_BINANCE_API_SECRET": "", **(env or {})}  # fmt: skip
    return CliRunner().invoke(app, ["trade", *args], env=environment)


def test_the_command_stops_on_a_bad_key_before_connecting(
    tmp_path: Path, server: SandboxServer
) -> None:
    document = GOOD | {
        "venue": {"exchange": "binance", "url": server.http_url},
        "strategies": [strategy("sma_cross", fats=3)],
    }
    result = cli(tmp_path, "--mode", "paper", "--config", str(write(tmp_path, document)))
    assert result.exit_code == 1
    assert str(result.exception) == (
        f"{tmp_path / 'node.yaml'}: strategies.0: params: SmaCross: unknown parameter 'fats'"
    )
    assert server.sandbox.weights.used == 0  # not one request reached the venue


def test_live_mode_needs_keys_and_agreeing_modes(tmp_path: Path, server: SandboxServer) -> None:
    document = GOOD | {"venue": {"exchange": "binance", "url": server.http_url}}
    path = write(tmp_path, document)
    result = cli(tmp_path, "--mode", "live", "--config", str(path))
    assert result.exit_code == 1
    assert str(result.exception) == (
        f"{path}: live mode needs the venue's API keys in the environment: set "
        "TRADEFORGE_BINANCE_API_KEY and TRADEFORGE_BINANCE_API_SECRET"
    )
    path = write(tmp_path, document | {"mode": "paper"})
    result = cli(tmp_path, "--mode", "live", "--config", str(path))
    assert result.exit_code == 1
    assert str(result.exception) == (
        f"{path}: mode: the file says paper, --mode says live; they must agree"
    )
    assert cli(tmp_path, "--config", str(path)).exit_code == 2  # --mode is required
    assert server.sandbox.weights.used == 0
