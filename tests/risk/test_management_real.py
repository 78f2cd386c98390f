"""In-trade management on real Binance bars: every exit level, move and fill of a run, replayed
by hand.

The strategy buys 0.1 BTC (1 ETH) at the close of every 48th hourly bar from bar 48 on when it
is flat; the manager handles the rest. A reference replay written here from the documented
rules (``docs/risk.md``, "In-trade management") predicts each stop move, each exit's price and
time, and the final equity, in ``Decimal``:

* levels are ``Decimal`` sums of the bars' prices (their shortest float text) and of the ATR
  (the package's Wilder ATR, equal to TA-Lib's to 1e-11: see ``tests/indicators``), rounded up
  to the 0.01 tick for a long;
* on the venue, a long's stop fills at the stop (at the open when the bar opens below it) when
  the bar's low reaches it, at ``(open − stop) / (open − low)`` of the first third of the bar
  (the path visits the low first); a take profit at its level when the high reaches it
  (at the open above it), along the second third, from the low to the high;
* emulated, the exit is a market order at the next bar's open.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Context, Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.backtest.helpers import fills, instrument, orders, run
from tests.risk.helpers import sample_bars
from tradeforge.backtest import BacktestResult
from tradeforge.indicators import atr
from tradeforge.model.events import OrderUpdated
from tradeforge.risk.management import (
    BreakEven,
    StopLoss,
    TakeProfit,
    TimeStop,
    TradeManager,
    TrailingStop,
)
from tradeforge.strategy import Strategy

D = Decimal
TICK = D("0.01")
FEE = D("0.001")
WIDE = Context(prec=40)
EVERY = 48
TOLERANCE_NS = 1_000


def up(x: Decimal) -> Decimal:
    """To the tick, upward (a long's exits)."""
    return x.quantize(TICK, rounding=ROUND_CEILING)


def dec(x: float) -> Decimal:
    return D(repr(float(x)))


@dataclass(frozen=True)
class Rules:
    """The rules both the manager and the reference replay follow."""

    stop_atr: tuple[Decimal, int] | None = None  # (multiple, period)
    stop_pct: Decimal | None = None
    trail_atr: tuple[Decimal, int] | None = None
    target_pct: Decimal | None = None
    break_even_r: Decimal | None = None  # covering fees
    time_bars: int | None = None

    def manager(self, emulate: bool) -> TradeManager:
        return TradeManager(
            stop=StopLoss(atr=self.stop_atr[0], period=self.stop_atr[1])
            if self.stop_atr
            else StopLoss(pct=self.stop_pct)
            if self.stop_pct
            else None,
            trail=TrailingStop(atr=self.trail_atr[0], period=self.trail_atr[1])
            if self.trail_atr
            else None,
            take_profit=TakeProfit(pct=self.target_pct) if self.target_pct else None,
            break_even=BreakEven(r=self.break_even_r) if self.break_even_r else None,
            time_stop=TimeStop(bars=self.time_bars) if self.time_bars else None,
            emulate=emulate,
        )


@dataclass
class Held:
    """A long position in the reference replay."""

    entry: Decimal
    first: int
    best: Decimal
    initial: Decimal | None = None
    stop: Decimal | None = None
    target: Decimal | None = None
    broke_even: bool = False


@dataclass
class Replay:
    """What the reference predicts."""

    cash: Decimal
    fills: list[tuple[Decimal, int]] = field(default_factory=list)  # (price, ts)
    moves: list[tuple[int, Decimal, str]] = field(default_factory=list)
    exit_tags: list[str] = field(default_factory=list)


class Reference:
    """The documented behaviour, bar by bar (see the module docstring)."""

    def __init__(self, frame: pd.DataFrame, rules: Rules, qty: Decimal, emulate: bool) -> None:
        self.o, self.h, self.lo, self.c = (
            frame[k].to_numpy() for k in ("open", "high", "low", "close")
        )
        self.ts = frame.index.asi8
        self.span = int(self.ts[1] - self.ts[0])
        self.atrs = {p: atr(self.h, self.lo, self.c, p) for p in _periods(rules)}
        self.rules, self.qty, self.emulate = rules, qty, emulate
        self.held: Held | None = None
        self.entering = False
        self.exit_tag = ""

    def replay(self, cash: Decimal) -> Replay:
        out = Replay(cash)
        for i in range(len(self.o)):
            if self.entering:  # the entry decided at the last close fills at this open
                self.enter(out, i)
            elif self.exit_tag:  # an emulated or time exit
                self.fill(out, dec(self.o[i]), int(self.ts[i]), buy=False)
                out.exit_tags.append(self.exit_tag)
                self.held, self.exit_tag = None, ""
            if self.held is not None and not self.emulate:
                self.venue(out, i)
            if self.held is not None:
                self.manage(out, i, self.held)
            # the strategy, at the close
            self.entering = i % EVERY == 0 and i > 0 and self.held is None
        if self.held is not None:
            out.cash += self.qty * dec(self.c[-1])
        return out

    def fill(self, out: Replay, price: Decimal, when: int, buy: bool) -> None:
        notional = price * self.qty
        out.cash += -notional - notional * FEE if buy else notional - notional * FEE
        out.fills.append((price, when))

    def enter(self, out: Replay, i: int) -> None:
        """Fill at bar i's open; levels from the ATR of bar i - 1, stamped at its close (the
        engine's clock while it matches bar i)."""
        rules, entry = self.rules, dec(self.o[i])
        self.fill(out, entry, int(self.ts[i]), buy=True)
        held = self.held = Held(entry, i, entry)
        if rules.stop_atr is not None:
            held.initial = up(entry - rules.stop_atr[0] * self.atr(rules.stop_atr[1], i - 1))
        if rules.stop_pct is not None:
            held.initial = up(entry - entry * rules.stop_pct)
        if rules.target_pct is not None:
            held.target = up(entry + entry * rules.target_pct)
        self.tighten(out, held, int(self.ts[i - 1]) + self.span, i - 1)
        self.entering = False

    def venue(self, out: Replay, i: int) -> None:
        """The venue's stop and take profit inside bar i."""
        assert self.held is not None
        at = _venue_exit(self.held, dec(self.o[i]), dec(self.h[i]), dec(self.lo[i]))
        if at is not None:
            price, pos, tag = at
            self.fill(out, price, int(self.ts[i]) + int(self.span * pos / 3), buy=False)
            out.exit_tags.append(tag)
            self.held = None

    def manage(self, out: Replay, i: int, held: Held) -> None:
        """The manager at bar i's close: emulated exits, the time stop, then the stop."""
        tag = _touched(held, dec(self.h[i]), dec(self.lo[i])) if self.emulate else ""
        bars = self.rules.time_bars
        if not tag and bars is not None and i + 1 - held.first >= bars:
            tag = "time_stop"
        if tag:
            self.exit_tag = tag
            return
        held.best = max(held.best, dec(self.h[i]))
        self.tighten(out, held, int(self.ts[i]) + self.span, i)

    def tighten(self, out: Replay, held: Held, when: int, i: int) -> None:
        rules = self.rules
        candidates: list[tuple[str, Decimal | None]] = [("stop_loss", held.initial)]
        if rules.break_even_r is not None:
            assert held.initial is not None
            risk = held.entry - held.initial
            held.broke_even = held.broke_even or held.best - held.entry >= rules.break_even_r * risk
            level = WIDE.divide(held.entry * (1 + FEE), 1 - FEE)
            candidates.append(("break_even", up(level) if held.broke_even else None))
        if rules.trail_atr is not None:
            k, period = rules.trail_atr
            candidates.append(("trailing_stop", up(held.best - k * self.atr(period, i))))
        before, why = held.stop, ""
        for rule, level in candidates:
            if level is not None and (held.stop is None or level > held.stop):
                held.stop, why = level, rule
        if held.stop is not None and held.stop != before:
            out.moves.append((when, held.stop, why))

    def atr(self, period: int, i: int) -> Decimal:
        return dec(self.atrs[period][i])


def _periods(rules: Rules) -> set[int]:
    return {p for p in (rules.stop_atr, rules.trail_atr) if p for p in (p[1],)}


def _venue_exit(
    held: Held, o: Decimal, h: Decimal, lo: Decimal
) -> tuple[Decimal, float, str] | None:
    """A long's venue exit in a bar whose path is open, low, high, close: (price, position
    along the path in segments, tag)."""
    stop, target = held.stop, held.target
    if stop is not None and o <= stop:
        return o, 0.0, "stop_loss"
    if target is not None and o >= target:
        return o, 0.0, "take_profit"
    if stop is not None and lo <= stop:
        return stop, float((o - stop) / (o - lo)), "stop_loss"
    if target is not None and h >= target:
        return target, 1 + float((target - lo) / (h - lo)), "take_profit"
    return None


def _touched(held: Held, h: Decimal, lo: Decimal) -> str:
    if held.stop is not None and lo <= held.stop:
        return "stop_loss"
    if held.target is not None and h >= held.target:
        return "take_profit"
    return ""


def every_48th(manager: TradeManager, qty: float) -> type[Strategy]:
    """Attach ``manager``; buy ``qty`` at every 48th close from bar 48 on while flat."""

    class Every48th(Strategy):
        def on_start(self) -> None:
            self.manage(manager)

        def on_bar(self, bar: Any) -> None:
            if bar.index % EVERY == 0 and bar.index > 0 and not self.position().is_open:
                self.buy(qty)

    return Every48th


def managed_run(
    frame: pd.DataFrame, rules: Rules, symbol: str, qty: float, emulate: bool
) -> tuple[BacktestResult, TradeManager]:
    manager = rules.manager(emulate)
    result = run(
        frame,
        every_48th(manager, qty),
        cash=10_000,
        symbol=symbol,
        commission=0.001,
        instruments=[instrument(symbol, tick="0.01", step="0.00001")],
    )
    return result, manager


def check(result: BacktestResult, manager: TradeManager, expected: Replay) -> None:
    got = [(f.last_price, f.ts) for f in fills(result)]
    assert [p for p, _ in got] == [p for p, _ in expected.fills]
    assert np.all(
        np.abs(np.array([t for _, t in got]) - [t for _, t in expected.fills]) <= TOLERANCE_NS
    )
    assert [(m.ts, m.stop, m.rule) for m in manager.moves] == expected.moves
    assert result.trades["exit_tags"].tolist()[: len(expected.exit_tags)] == expected.exit_tags
    assert result.final_equity == expected.cash


BTC_RULES = Rules(stop_atr=(D(2), 14), trail_atr=(D(3), 22))
ETH_RULES = Rules(stop_pct=D("0.03"), target_pct=D("0.06"), break_even_r=D(1), time_bars=24)


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return sample_bars("BTC/USDT", "2021-01-01", "2021-04-01")


@pytest.fixture(scope="module")
def eth() -> pd.DataFrame:
    return sample_bars("ETH/USDT", "2021-01-01", "2021-04-01")


@pytest.mark.parametrize(
    ("emulate", "equity"),
    [(False, D("8626.243076")), (True, D("9457.321166"))],  # as docs/risk.md quotes them
    ids=["venue", "emulated"],
)
def test_btc_atr_stop_and_chandelier_trail(
    btc: pd.DataFrame, emulate: bool, equity: Decimal
) -> None:
    result, manager = managed_run(btc, BTC_RULES, "BTC/USDT", 0.1, emulate)
    expected = Reference(btc, BTC_RULES, D("0.1"), emulate).replay(D(10_000))
    check(result, manager, expected)
    assert Counter(expected.exit_tags) == {"stop_loss": 41}
    assert Counter(rule for _, _, rule in expected.moves) == {
        "stop_loss": 41,
        "trailing_stop": 366,
    }
    assert result.final_equity == equity


def test_btc_venue_stop_is_amended_to_every_move(btc: pd.DataFrame) -> None:
    result, manager = managed_run(btc, BTC_RULES, "BTC/USDT", 0.1, emulate=False)
    stops = [o for o in orders(result) if o.tags == ("stop_loss",)]
    amended = [(e.ts, e.stop_price) for o in stops for e in o.events if isinstance(e, OrderUpdated)]
    placed = [(o.events[0].ts, o.events[0].stop_price) for o in stops]  # type: ignore[attr-defined]
    assert sorted(placed + amended) == [(m.ts, m.stop) for m in manager.moves]
    assert len(stops) == len(result.trades)


@pytest.mark.parametrize("emulate", [False, True], ids=["venue", "emulated"])
def test_eth_break_even_take_profit_and_time_stop(eth: pd.DataFrame, emulate: bool) -> None:
    result, manager = managed_run(eth, ETH_RULES, "ETH/USDT", 1.0, emulate)
    expected = Reference(eth, ETH_RULES, D(1), emulate).replay(D(10_000))
    check(result, manager, expected)
    assert Counter(expected.exit_tags) == {"stop_loss": 31, "take_profit": 7, "time_stop": 6}
    assert Counter(rule for _, _, rule in expected.moves) == {"stop_loss": 44, "break_even": 17}
