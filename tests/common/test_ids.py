from __future__ import annotations

import pytest

from tradeforge.common.clock import TestClock
from tradeforge.common.ids import ClientOrderIdGenerator, IdError, SequenceIdGenerator

MAY_19_2021_133712 = 1_621_431_432 * 1_000_000_000


def test_client_order_ids_carry_clock_time_tag_and_counter() -> None:
    clock = TestClock(start_ns=MAY_19_2021_133712)
    ids = ClientOrderIdGenerator("sma-cross", clock)
    assert ids.generate() == "O-210519133712-sma-cross-1"
    clock.advance_time(MAY_19_2021_133712 + 60 * 1_000_000_000)
    assert ids.generate() == "O-210519133812-sma-cross-2"
    resumed = ClientOrderIdGenerator("sma-cross", clock, start_count=2)
    assert resumed.generate() == "O-210519133812-sma-cross-3"


def test_client_order_ids_fit_binance_rules() -> None:
    ids = ClientOrderIdGenerator("abcdefghijkl", TestClock(MAY_19_2021_133712), start_count=10**7)
    assert ids.generate() == "O-210519133712-abcdefghijkl-10000001"  # 36 characters
    assert len(ids.generate()) == 36
    with pytest.raises(IdError, match="must be 1-12 chars"):
        ClientOrderIdGenerator("way-too-long-tag", TestClock())
    with pytest.raises(IdError, match="must be 1-12 chars"):
        ClientOrderIdGenerator("bad tag", TestClock())
    huge = ClientOrderIdGenerator("abcdefghijkl", TestClock(MAY_19_2021_133712), start_count=10**9)
    with pytest.raises(IdError, match="exceeds 36 characters"):
        huge.generate()


def test_sequences() -> None:
    positions = SequenceIdGenerator("P")
    assert [positions.generate() for _ in range(3)] == ["P-1", "P-2", "P-3"]
    with pytest.raises(IdError, match="id prefix 'a b'"):
        SequenceIdGenerator("a b")
