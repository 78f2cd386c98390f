"""BUILTIN_STRATEGIES and load_strategy: built-in names, files, file:Class, errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest

import tradeforge.strategies as strategies_package
from tests.strategies.conftest import run
from tradeforge.strategies import (
    BUILTIN_STRATEGIES,
    BollingerReversion,
    Breakout,
    MomentumRotation,
    RsiReversion,
    SmaCross,
    StrategyLoadError,
    load_strategy,
)
from tradeforge.strategy import Strategy

TWO_STRATEGIES = """
from tradeforge.strategy import Strategy
from tradeforge.strategies import SmaCross  # imported: not a candidate


class Quiet(Strategy):
    pass


class Buyer(Strategy):
    size: float = 0.01
    hold: int = 10

    def on_bar(self, bar):
        if bar.index == 0:
            self.buy(self.size)
        elif bar.index == self.hold:
            self.close_position()
"""


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_registry() -> None:
    expected = {
        "sma_cross": SmaCross,
        "rsi": RsiReversion,
        "breakout": Breakout,
        "bollinger": BollingerReversion,
        "momentum_rotation": MomentumRotation,
    }
    assert expected == BUILTIN_STRATEGIES
    assert all(issubclass(cls, Strategy) for cls in BUILTIN_STRATEGIES.values())
    for name in strategies_package.__all__:
        assert hasattr(strategies_package, name)


@pytest.mark.parametrize("name", sorted(BUILTIN_STRATEGIES))
def test_builtin_names(name: str) -> None:
    assert load_strategy(name) is BUILTIN_STRATEGIES[name]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("SMA_CROSS", SmaCross), (" momentum-rotation ", MomentumRotation), ("Rsi", RsiReversion)],
)
def test_names_ignore_case_dashes_and_spaces(text: str, expected: type[Strategy]) -> None:
    assert load_strategy(text) is expected


def test_unknown_name_lists_the_builtins() -> None:
    with pytest.raises(StrategyLoadError) as info:
        load_strategy("macd_magic")
    message = str(info.value)
    assert "unknown strategy 'macd_magic'" in message
    assert "bollinger, breakout, momentum_rotation, rsi, sma_cross" in message
    assert isinstance(info.value, ValueError)


def test_file_with_one_strategy(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mine.py",
        """
        from __future__ import annotations

        from tradeforge.indicators import ema
        from tradeforge.strategy import Strategy, crossover


        def helper() -> int:
            return 3


        class EmaCross(Strategy):
            fast: int = 5
            slow: int = 20

            def on_start(self) -> None:
                self.a = self.indicator(ema, self.close, self.fast)
                self.b = self.indicator(ema, self.close, self.slow)

            def on_bar(self, bar) -> None:
                if crossover(self.a, self.b):
                    self.buy(0.01)
                elif crossover(self.b, self.a):
                    self.close_position()
        """,
    )
    cls = load_strategy(str(path))
    assert cls.__name__ == "EmaCross"
    assert issubclass(cls, Strategy)
    assert cls(fast=3).params == {"fast": 3, "slow": 20}  # string annotations resolve


def test_file_with_class_name(tmp_path: Path, btc_1h_q1: pd.DataFrame) -> None:
    path = write(tmp_path, "two.py", TWO_STRATEGIES)
    buyer = load_strategy(f"{path}:Buyer")
    assert buyer.__name__ == "Buyer"
    assert load_strategy(f"{path}:Quiet").__name__ == "Quiet"
    result = run(btc_1h_q1, buyer, size=0.02)
    assert result.trades["size"].tolist() == [0.02]
    assert result.trades["entry_time"].tolist() == [btc_1h_q1.index[1]]
    assert result.trades["exit_time"].tolist() == [btc_1h_q1.index[11]]
    assert result.accounting_gap() == 0


def test_file_with_several_strategies_needs_a_name(tmp_path: Path) -> None:
    path = write(tmp_path, "two.py", TWO_STRATEGIES)
    with pytest.raises(StrategyLoadError, match=r"several strategies \(found: Buyer, Quiet\)"):
        load_strategy(str(path))


def test_class_name_not_in_file(tmp_path: Path) -> None:
    path = write(tmp_path, "two.py", TWO_STRATEGIES)
    with pytest.raises(StrategyLoadError, match=r"no Strategy subclass 'SmaCross'.*Buyer, Quiet"):
        load_strategy(f"{path}:SmaCross")
    with pytest.raises(StrategyLoadError, match="no Strategy subclass 'write'"):
        load_strategy(f"{path}:write")


def test_file_without_strategy(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.py", "from tradeforge.strategies import SmaCross\nX = 1\n")
    with pytest.raises(StrategyLoadError, match=r"defines no Strategy subclass \(found: none\)"):
        load_strategy(str(path))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(StrategyLoadError, match="no strategy file"):
        load_strategy(str(tmp_path / "nope.py"))
    with pytest.raises(StrategyLoadError, match="no strategy file"):
        load_strategy(f"{tmp_path / 'nope.py'}:Thing")


def test_import_errors_propagate(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "raise RuntimeError('boom')\n")
    with pytest.raises(RuntimeError, match="boom"):
        load_strategy(str(path))


def test_same_stem_in_two_folders(tmp_path: Path) -> None:
    one = write(
        tmp_path,
        "strategy.py",
        "from tradeforge.strategy import Strategy\nclass A(Strategy): pass\n",
    )
    (tmp_path / "sub").mkdir()
    two = write(
        tmp_path / "sub",
        "strategy.py",
        "from tradeforge.strategy import Strategy\nclass B(Strategy): pass\n",
    )
    assert load_strategy(str(one)).__name__ == "A"
    assert load_strategy(str(two)).__name__ == "B"
