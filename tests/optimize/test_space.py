"""The parameter space: grids, ranges, checks against the strategy, constraints."""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.optimize import FloatRange, IntRange, OptimizeError, ParameterSpace, Params
from tradeforge.optimize.expression import ExpressionConstraint
from tradeforge.strategies import BollingerReversion, Breakout, SmaCross
from tradeforge.strategy import ParameterError


def test_a_grid_is_the_product_in_the_order_given_with_fixed_values() -> None:
    space = ParameterSpace.build(SmaCross, {"slow": [30, 40], "fast": range(5, 16, 5)})
    assert space.names == ["slow", "fast"]
    assert space.grid() == [
        {"slow": 30, "fast": 5}, {"slow": 30, "fast": 10}, {"slow": 30, "fast": 15},
        {"slow": 40, "fast": 5}, {"slow": 40, "fast": 10}, {"slow": 40, "fast": 15},
    ]  # fmt: skip
    fixed = ParameterSpace.build(BollingerReversion, {"period": [10, 20], "nbdev": "2.5"})
    assert fixed.fixed == {"nbdev": 2.5}
    assert fixed.grid() == [{"nbdev": 2.5, "period": 10}, {"nbdev": 2.5, "period": 20}]


def test_values_are_converted_by_the_parameter_type() -> None:
    space = ParameterSpace.build(SmaCross, {"fast": ["5", "10"], "slow": np.arange(20, 41, 20)})
    assert space.grid() == [{"fast": 5, "slow": 20}, {"fast": 5, "slow": 40},
                            {"fast": 10, "slow": 20}, {"fast": 10, "slow": 40}]  # fmt: skip
    assert all(type(v) is int for p in space.grid() for v in p.values())


def test_ranges_include_their_high_end() -> None:
    assert IntRange(5, 50, 5).values() == [5, 10, 15, 20, 25, 30, 35, 40, 45, 50]
    assert IntRange(5, 52, 5).values()[-1] == 50
    assert FloatRange(0.1, 0.3, 0.1).values() == [0.1, 0.2, 0.3]
    assert FloatRange(1.0, 2.0, 0.25).values() == [1.0, 1.25, 1.5, 1.75, 2.0]
    space = ParameterSpace.build(BollingerReversion, {"nbdev": FloatRange(1.0, 2.0, 0.5)})
    assert space.grid() == [{"nbdev": 1.0}, {"nbdev": 1.5}, {"nbdev": 2.0}]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"fats": [5, 10]}, "SmaCross: unknown parameter 'fats' (declared: fast, slow)"),
        ({"fast": []}, "SmaCross: parameter 'fast': no values to search"),
        ({"fast": [5, "x"]}, "SmaCross: parameter 'fast': Input should be a valid integer"),
        ({"fast": [5, 5]}, "SmaCross: parameter 'fast': value 5 given twice"),
        ({"fast": FloatRange(1, 5)}, "SmaCross: parameter 'fast' is an int: give an IntRange"),
        ({"fast": 10}, "SmaCross: give at least one parameter to search"),
        (
            {"lookback_days": IntRange(1, 5), "entry_timeframe": FloatRange(0.5, 1.0)},
            "Breakout: parameter 'entry_timeframe': Input should be a valid string (got 0.5)",
        ),
    ],
)
def test_bad_spaces_are_refused_naming_the_parameter(spec: dict[str, object], message: str) -> None:
    strategy = Breakout if "lookback_days" in spec else SmaCross
    with pytest.raises(ParameterError) as error:
        ParameterSpace.build(strategy, spec)
    assert str(error.value).startswith(message)


def test_bad_ranges_say_why() -> None:
    with pytest.raises(ValueError, match="low 5 is above high 1"):
        IntRange(5, 1)
    with pytest.raises(ValueError, match="step must be >= 1, got 0"):
        IntRange(1, 5, 0)
    with pytest.raises(ValueError, match="a log range needs low > 0 and no step"):
        FloatRange(0.0, 1.0, log=True)


def test_a_continuous_range_has_no_grid() -> None:
    space = ParameterSpace.build(BollingerReversion, {"nbdev": FloatRange(1.0, 3.0)})
    assert not space.griddable
    with pytest.raises(ParameterError, match="parameter 'nbdev' is a continuous range; give it a"):
        space.grid()


def test_constraints_as_functions_and_as_text_filter_the_same_points() -> None:
    space = ParameterSpace.build(SmaCross, {"fast": range(10, 50, 10), "slow": range(20, 60, 10)})
    by_function = space.grid(lambda p: p.fast < p.slow and p["slow"] - p.fast >= 20)
    by_text = space.grid(ExpressionConstraint("fast < slow and slow - fast >= 20", space.names))
    assert by_function == by_text == [
        {"fast": 10, "slow": 30}, {"fast": 10, "slow": 40}, {"fast": 10, "slow": 50},
        {"fast": 20, "slow": 40}, {"fast": 20, "slow": 50}, {"fast": 30, "slow": 50},
    ]  # fmt: skip


def test_expressions_chain_comparisons_and_refuse_code() -> None:
    check = ExpressionConstraint("5 <= fast < slow / 2 and not fast % 2", ["fast", "slow"])
    assert check(Params({"fast": 6, "slow": 13}))
    assert not check(Params({"fast": 7, "slow": 30}))
    assert not check(Params({"fast": 6, "slow": 12}))
    with pytest.raises(OptimizeError, match="unknown name 'slw' \\(parameters: fast, slow\\)"):
        ExpressionConstraint("fast < slw", ["fast", "slow"])
    with pytest.raises(OptimizeError, match="Call is not allowed"):
        ExpressionConstraint("__import__('os').system('true')", ["fast"])
    with pytest.raises(OptimizeError, match="Attribute is not allowed"):
        ExpressionConstraint("fast.real > 1", ["fast"])
    with pytest.raises(OptimizeError, match="constraint 'fast <': "):
        ExpressionConstraint("fast <", ["fast"])


def test_params_read_as_mapping_and_attributes() -> None:
    point = Params({"fast": 5, "slow": 20})
    assert (point.fast, point["slow"], dict(point)) == (5, 20, {"fast": 5, "slow": 20})
    with pytest.raises(AttributeError, match="no parameter 'period' \\(have fast, slow\\)"):
        _ = point.period
