"""The compiled bar-path rules of :mod:`tradeforge.backtest.matching`, value by value.

The path used throughout is ``open 100 -> high 110 -> low 90 -> close 105`` (high first): its
segments are 0: 100->110, 1: 110->90, 2: 90->105.
"""

from __future__ import annotations

import numpy as np
import pytest

from tradeforge.backtest.matching import NEVER, bar_path, first_touch, price_at, touch_price

UP, DOWN = 1, -1


@pytest.fixture
def path() -> np.ndarray:
    return bar_path(100.0, 110.0, 90.0, 105.0, True)


def test_bar_path_visits_the_extremes_in_the_given_order() -> None:
    assert bar_path(100.0, 110.0, 90.0, 105.0, True).tolist() == [100.0, 110.0, 90.0, 105.0]
    assert bar_path(100.0, 110.0, 90.0, 105.0, False).tolist() == [100.0, 90.0, 110.0, 105.0]


@pytest.mark.parametrize(
    ("pos", "price"),
    [
        (0.0, 100.0),  # the open
        (0.5, 105.0),  # half way up to the high
        (1.0, 110.0),  # the high
        (1.25, 105.0),  # a quarter of the way down: 110 - 20 / 4
        (2.0, 90.0),  # the low
        (2.6, 99.0),  # 90 + 15 * 0.6
        (3.0, 105.0),  # the close
        (7.5, 105.0),  # past the end: the close
    ],
)
def test_price_at_is_linear_inside_each_segment(path: np.ndarray, pos: float, price: float) -> None:
    assert price_at(path, pos) == pytest.approx(price, abs=1e-12)


@pytest.mark.parametrize(
    ("start", "level", "direction", "expected"),
    [
        (0.0, 105.0, UP, 0.5),  # inside the first segment
        (0.0, 110.0, UP, 1.0),  # exactly the high: the end of segment 0
        (0.0, 95.0, DOWN, 1.75),  # on the way down: (95 - 110) / (90 - 110) = 0.75 of seg 1
        (0.0, 90.0, DOWN, 2.0),  # exactly the low
        (0.0, 99.0, DOWN, 1.55),  # (99 - 110) / -20 = 0.55 of segment 1
        (0.0, 111.0, UP, NEVER),  # above the high: never
        (0.0, 89.99, DOWN, NEVER),  # below the low: never
        (2.5, 106.0, UP, NEVER),  # the rest of the path stays below 106
    ],
)
def test_first_touch_from_the_open(
    path: np.ndarray, start: float, level: float, direction: int, expected: float
) -> None:
    assert first_touch(path, start, level, direction) == pytest.approx(expected, abs=1e-12)


def test_first_touch_when_already_beyond_the_level_is_the_start(path: np.ndarray) -> None:
    # a gap: the open (100) is already above a buy stop at 95 / below a sell stop at 104
    assert first_touch(path, 0.0, 95.0, UP) == 0.0
    assert first_touch(path, 0.0, 104.0, DOWN) == 0.0
    # the level itself counts as reached
    assert first_touch(path, 0.0, 100.0, UP) == 0.0
    assert first_touch(path, 0.0, 100.0, DOWN) == 0.0


def test_first_touch_from_a_fractional_start(path: np.ndarray) -> None:
    # start 0.25 (price 102.5) in segment 0: 105 is reached 2.5 / 7.5 of the rest -> 0.5,
    # the same absolute position as from the open
    assert first_touch(path, 0.25, 105.0, UP) == pytest.approx(0.5, abs=1e-12)
    # start 1.5 (price 100, falling): 105 is reached again only in segment 2, at
    # (105 - 90) / 15 = 1.0 -> 3.0; 102 at 2 + 12 / 15 = 2.8
    assert first_touch(path, 1.5, 105.0, UP) == pytest.approx(3.0, abs=1e-12)
    assert first_touch(path, 1.5, 102.0, UP) == pytest.approx(2.8, abs=1e-12)
    # falling from 100 at 1.5: 95 at 1.75
    assert first_touch(path, 1.5, 95.0, DOWN) == pytest.approx(1.75, abs=1e-12)
    # the price at the start already beyond: the start
    assert first_touch(path, 1.5, 100.0, DOWN) == 1.5
    assert first_touch(path, 2.6, 99.0, UP) == 2.6
    # the dip to 90 happened before 2.5: a buy limit at 95 is never reached after it
    assert first_touch(path, 2.5, 95.0, DOWN) == NEVER


def test_first_touch_past_the_end_only_sees_the_close(path: np.ndarray) -> None:
    assert first_touch(path, 4.0, 105.0, UP) == 4.0
    assert first_touch(path, 4.0, 106.0, UP) == NEVER


def test_first_touch_on_a_flat_path() -> None:
    flat = bar_path(100.0, 100.0, 100.0, 100.0, True)
    assert first_touch(flat, 0.0, 100.0, UP) == 0.0
    assert first_touch(flat, 0.0, 100.01, UP) == NEVER
    assert first_touch(flat, 0.0, 99.99, DOWN) == NEVER


def test_touch_price_is_the_level_unless_beyond_it_on_arrival(path: np.ndarray) -> None:
    # reached inside the path: the level
    assert touch_price(path, 0.0, first_touch(path, 0.0, 95.0, DOWN), 95.0) == 95.0
    # a gap (touched where it became active): the price there, the open for a start of 0
    assert touch_price(path, 0.0, first_touch(path, 0.0, 95.0, UP), 95.0) == 100.0
    # active from 1.5 (price 100) with a sell limit at 98, already beyond: 100
    assert touch_price(path, 1.5, first_touch(path, 1.5, 98.0, UP), 98.0) == pytest.approx(100.0)
    # active from 0.25, reached later at 0.5: the level
    assert touch_price(path, 0.25, 0.5, 105.0) == 105.0
