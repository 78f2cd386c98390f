"""``tradeforge sandbox``: the banner, a working venue, Ctrl-C, and user errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import ccxt
from typer.testing import CliRunner

from tradeforge.cli.main import app
from tradeforge.common.config import ConfigError
from tradeforge.sandbox import ccxt_config

from .conftest import PORTS


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18700-18799")


def _sandbox(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TRADEFORGE_HOME": str(tmp_path / "home")}
    env.pop("TRADEFORGE_CONFIG", None)
    command = [sys.executable, "-m", "tradeforge", "--catalog", str(tmp_path / "catalog"),
               "sandbox", *args]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=tmp_path)  # fmt: skip


def test_sandbox_serves_until_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    process = _sandbox(tmp_path, "--port", str(port), "--symbols", "BTC/USDT", "--speed",
                       "1000", "--start", "2021-03-01", "--balance", "USDT=500")  # fmt: skip
    assert process.stdout is not None
    watchdog = threading.Timer(40, process.kill)  # a hung sandbox ends the read with EOF
    watchdog.start()
    lines: list[str] = []
    while not lines or "Ctrl-C" not in lines[-1]:
        lines.append(process.stdout.readline())
        assert lines[-1], "".join(lines)
    text = "".join(lines)
    assert f"REST       http://127.0.0.1:{port}/api/v3" in text
    assert f"'public': 'http://127.0.0.1:{port}/api/v3'" in text
    http, ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
    exchange = ccxt.binance(ccxt_config(http, ws, "sandbox-key", "sandbox-secret"))
    assert exchange.fetch_balance()["total"]["USDT"] == 500.0
    assert exchange.fetch_ticker("BTC/USDT")["timestamp"] >= 1614556800000
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0
    watchdog.cancel()
    assert "sandbox stopped" in process.stdout.read()


def test_bad_balance_is_a_user_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--catalog", str(tmp_path), "sandbox", "--balance", "USDT:5"])
    assert isinstance(result.exception, ConfigError)  # main() prints it as "error: ..."
    assert str(result.exception) == "options: balances: bad --balance 'USDT:5'; use CUR=amount"


def test_busy_port_is_a_user_error(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", _free_port()))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(
            app, ["--catalog", str(tmp_path), "sandbox", "--port", str(port)]
        )
    assert result.exit_code == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in result.output
