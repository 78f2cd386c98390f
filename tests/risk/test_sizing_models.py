"""Position sizing models through real backtests on Binance BTC/USDT and ETH/USDT 1h bars.

Runs start with 10,000 USDT, a 0.1 % fee and a quantity step of 0.00001. A strategy sizes an
order at the close of bar ``i`` (the sizer's entry price is that close) and the market order
fills at bar ``i + 1``'s open. Every expected quantity is worked out here from the bars and the
fills, by the formula each model documents, in ``Decimal``: the equity is the starting cash
plus the cash flows of the fills before it (the account is flat when it sizes), the limits are
1 % and 15 % of equity at the close, and the result is truncated to the step.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from decimal import ROUND_DOWN, Context, Decimal
from typing import Any

import pandas as pd
import pytest
import talib

from tests.backtest.helpers import bars, fills, instrument, orders, run, strategy_of
from tradeforge.backtest import Backtest, BacktestResult
from tradeforge.data import ParquetCatalog
from tradeforge.model.enums import OrderSide, OrderType
from tradeforge.model.events import OrderFilled
from tradeforge.model.instrument import Instrument
from tradeforge.model.symbol import Symbol
from tradeforge.portfolio.trades import TradeRecord
from tradeforge.risk import (
    FixedNotional,
    FixedQuantity,
    FractionalKelly,
    PercentOfEquity,
    RiskPerTrade,
    SizingError,
    SizingInputs,
    SizingLimits,
    VolatilityTarget,
)
from tradeforge.risk.sizing import strategy_trades
from tradeforge.samples import SAMPLE_CATALOG
from tradeforge.strategy import Strategy
from tradeforge.strategy.errors import StrategyError
from tradeforge.strategy.views import BarView

D = Decimal
CASH = D(10_000)
FEE = D("0.001")
STEP = D("0.00001")
LOW, HIGH = D("0.01"), D("0.15")
WIDE = Context(prec=60)  # wider than the code's 40 digits: the truncation decides, not rounding

Entry = Callable[[Strategy, BarView], Decimal]


def sample(symbol: str) -> pd.DataFrame:
    """Binance 1h bars of ``symbol``, 2021-01-01 to 2021-03-31 (2,160 bars)."""
    catalog = ParquetCatalog(SAMPLE_CATALOG)
    frame = catalog.read_bars("binance", symbol, "1h", "2021-01-01", "2021-04-01")
    return frame[["open", "high", "low", "close", "volume"]]


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    return sample("BTC/USDT")


@pytest.fixture(scope="module")
def eth() -> pd.DataFrame:
    return sample("ETH/USDT")


def planned(entries: dict[int, Entry], exits: Iterable[int] = (), side: str = "buy") -> type:
    """A strategy that, at the close of bar ``i``, closes its position when ``i`` is in
    ``exits``, then sizes ``entries[i](self, bar)``, records it in ``self.sizes[i]`` and
    trades it on ``side`` (a zero size is recorded, not traded)."""
    closing = set(exits)

    class Planned(Strategy):
        def on_start(self) -> None:
            self.sizes: dict[int, Decimal] = {}

        def on_bar(self, bar: BarView) -> None:
            if bar.index in closing:
                self.close_position()
            entry = entries.get(bar.index)
            if entry is not None:
                quantity = self.sizes[bar.index] = entry(self, bar)
                if quantity:
                    getattr(self, side)(quantity)

    return Planned


def backtest(
    frame: pd.DataFrame, strategy: type, symbol: str = "BTC/USDT", **config: Any
) -> BacktestResult:
    """A run with the settings of the module docstring (books checked to balance exactly)."""
    result = Backtest(
        frame, strategy, cash=CASH, symbol=symbol, quantity_step=STEP, commission=0.001, **config
    ).run()
    assert result.accounting_gap() == 0
    return result


def sizes(result: BacktestResult) -> dict[int, Decimal]:
    sized: dict[int, Decimal] = strategy_of(result).sizes
    return sized


def close(frame: pd.DataFrame, i: int) -> Decimal:
    """Bar ``i``'s close, exactly as its float reads (what the strategy's last price is)."""
    return D(repr(float(frame["close"].iloc[i])))


def cash_after(items: Iterable[OrderFilled]) -> Decimal:
    """The starting cash plus the cash flows of ``items``: the equity of a flat spot account."""
    cash = CASH
    for fill in items:
        flow = fill.last_qty * fill.last_price
        cash += (-flow if fill.order_side is OrderSide.BUY else flow) - fill.fee.amount
    return cash


def floor(quantity: Decimal) -> Decimal:
    return quantity.quantize(STEP, rounding=ROUND_DOWN)


def clamped(quantity: Decimal, equity: Decimal, price: Decimal) -> Decimal:
    """The limits of every test here: 1 % to 15 % of equity at ``price``, then the step."""
    low, high = WIDE.divide(equity * LOW, price), WIDE.divide(equity * HIGH, price)
    return floor(min(max(quantity, low), high))


def buys_with_fee(value: Decimal, price: Decimal) -> Decimal:
    return WIDE.divide(value, WIDE.multiply(price, 1 + FEE))


# -- fixed quantity, fixed notional, share of equity -------------------------------------------


def test_fixed_quantity_is_kept_within_the_limits(btc: pd.DataFrame) -> None:
    entries: dict[int, Entry] = {
        100: lambda s, b: s.size(FixedQuantity("0.02")),  # 617 USDT: 6.2 %, kept
        200: lambda s, b: s.size(FixedQuantity(1)),  # a whole BTC is 400 % of equity: cut
        300: lambda s, b: s.size(FixedQuantity("0.0001")),  # 3.4 USDT: raised to 1 %
    }
    result = backtest(btc, planned(entries, exits=(150, 250, 350)))
    every = fills(result)
    equity_200, equity_300 = cash_after(every[:2]), cash_after(every[:4])
    expected = {
        100: D("0.02"),
        200: floor(WIDE.divide(equity_200 * HIGH, close(btc, 200))),
        300: floor(WIDE.divide(equity_300 * LOW, close(btc, 300))),
    }
    assert sizes(result) == expected
    assert expected[200] == D("0.03780")  # 15 % of 10,124.08 at 40,172.14
    assert [f.last_qty for f in every[::2]] == list(expected.values())


def test_fixed_notional_and_share_of_equity_buy_with_the_fee(btc: pd.DataFrame) -> None:
    entries: dict[int, Entry] = {
        100: lambda s, b: s.size(FixedNotional(500)),
        200: lambda s, b: s.size(PercentOfEquity()),  # 10 % by default
        300: lambda s, b: s.size(PercentOfEquity(0.5)),  # half the account: cut to 15 %
    }
    result = backtest(btc, planned(entries, exits=(150, 250, 350)))
    every = fills(result)
    equity_200, equity_300 = cash_after(every[:2]), cash_after(every[:4])
    expected = {
        100: clamped(buys_with_fee(D(500), close(btc, 100)), CASH, close(btc, 100)),
        200: clamped(buys_with_fee(equity_200 * D("0.1"), close(btc, 200)), equity_200,
                     close(btc, 200)),
        300: floor(WIDE.divide(equity_300 * HIGH, close(btc, 300))),
    }  # fmt: skip
    assert sizes(result) == expected
    assert expected[100] == D("0.01618")  # 500 / (30,858.98 * 1.001) = 0.016186..
    assert [f.last_qty for f in every[::2]] == list(expected.values())


def test_a_limit_order_is_sized_at_its_own_price(btc: pd.DataFrame) -> None:
    def entry(s: Strategy, bar: BarView) -> Decimal:
        quantity = s.size(PercentOfEquity(0.1), price=29_000)
        s.buy(quantity, limit=29_000)
        return quantity

    class LimitBuyer(Strategy):
        def on_bar(self, bar: BarView) -> None:
            if bar.index == 100:
                self.sized = entry(self, bar)

    result = backtest(btc, LimitBuyer)
    [order] = orders(result)
    assert order.order_type is OrderType.LIMIT
    assert order.quantity == strategy_of(result).sized == floor(buys_with_fee(D(1000), D(29000)))


# -- risk per trade -----------------------------------------------------------------------------


def test_risk_per_trade_loses_one_percent_at_the_stop(btc: pd.DataFrame) -> None:
    # stops 8 % under the close: 1 % of equity over the distance is 12.5 % of equity, kept;
    # a stop 2 % under risks 1 % with 50 % of equity: cut to 15 %
    entries: dict[int, Entry] = {
        100: lambda s, b: s.size(RiskPerTrade(), stop=b.close * 0.92),
        200: lambda s, b: s.size(RiskPerTrade(0.01), stop=b.close * 0.98, side="buy"),
    }
    result = backtest(btc, planned(entries, exits=(150,)))
    every = fills(result)
    c100, c200 = close(btc, 100), close(btc, 200)
    stop = D(repr(float(btc["close"].iloc[100]) * 0.92))
    equity_200 = cash_after(every[:2])
    expected = {
        100: clamped(WIDE.divide(CASH * D("0.01"), c100 - stop), CASH, c100),
        200: floor(WIDE.divide(equity_200 * HIGH, c200)),
    }
    assert sizes(result) == expected
    assert expected[100] == D("0.04050")  # 100 / 2,468.72 = 0.040507..
    assert [f.last_qty for f in every[::2]] == list(expected.values())


def test_risk_per_trade_short_with_the_stop_above(eth: pd.DataFrame) -> None:
    entries: dict[int, Entry] = {
        300: lambda s, b: s.size(RiskPerTrade(0.01), stop=b.close * 1.1, side="sell")
    }
    result = backtest(eth, planned(entries, side="sell"), symbol="ETH/USDT", account="margin")
    c300 = close(eth, 300)
    stop = D(repr(float(eth["close"].iloc[300]) * 1.1))
    expected = clamped(WIDE.divide(CASH * D("0.01"), stop - c300), CASH, c300)
    assert sizes(result) == {300: expected}
    assert expected == D("0.94554")  # 100 / 105.759 = 0.945546..
    [fill] = fills(result)
    assert (fill.order_side, fill.last_qty) == (OrderSide.SELL, expected)
    assert result.portfolio.position(Symbol.parse("ETH/USDT")).signed_qty == -expected


def test_risk_per_trade_sizes_a_bracket(btc: pd.DataFrame) -> None:
    class Bracketed(Strategy):
        def on_bar(self, bar: BarView) -> None:
            if bar.index == 100:
                sl, tp = bar.close * 0.95, bar.close * 1.1
                self.sized = self.size(RiskPerTrade(0.005), stop=sl)
                self.buy(self.sized, sl=sl, tp=tp)

    result = backtest(btc, Bracketed)
    c100 = close(btc, 100)
    stop = D(repr(float(btc["close"].iloc[100]) * 0.95))
    expected = clamped(WIDE.divide(CASH * D("0.005"), c100 - stop), CASH, c100)
    entry = orders(result)[0]
    assert entry.quantity == strategy_of(result).sized == expected == D("0.03240")  # 50 / 1,542.95
    assert fills(result)[0].last_qty == expected


# -- fractional Kelly ---------------------------------------------------------------------------


KELLY = FractionalKelly(window=5, min_trades=3)
"""A short history for a short test: Kelly from 3 trades on, over the last 5."""


def _kelly_plan() -> dict[int, Entry]:
    """Round trips of ten bars from bars 20, 40, ..., 100 (the first sized by Kelly's fallback,
    the others 0.01 BTC), then Kelly at bar 120; four losing round trips from 160, 180, 220
    and 240, then Kelly again at 260 (over the last 5) and with a window of 3."""
    plan: dict[int, Entry] = {20: lambda s, b: s.size(KELLY)}
    for i in (40, 60, 80, 100, 160, 180, 220, 240):
        plan[i] = lambda s, b: D("0.01")
    plan[120] = lambda s, b: s.size(KELLY)
    plan[260] = lambda s, b: s.size(KELLY) + s.size(FractionalKelly(window=3, min_trades=3))
    return plan


def round_trip_returns(items: list[OrderFilled]) -> list[Decimal]:
    """Net PnL over entry value of each (buy, sell) pair of fills."""
    returns = []
    for buy, sell in zip(items[::2], items[1::2], strict=True):
        cost = buy.last_qty * buy.last_price
        net = (sell.last_price - buy.last_price) * buy.last_qty - buy.fee.amount - sell.fee.amount
        returns.append(WIDE.divide(net, cost))
    return returns


def test_fractional_kelly_from_the_strategys_closed_trades(btc: pd.DataFrame) -> None:
    exits = (30, 50, 70, 90, 110, 130, 170, 190, 230, 250)
    result = backtest(btc, planned(_kelly_plan(), exits=exits))
    every = fills(result)
    sized = sizes(result)
    # bar 20: no trade closed yet, fewer than 3: the minimum, 1 % of equity
    assert sized[20] == floor(WIDE.divide(CASH * LOW, close(btc, 20))) == D("0.00342")
    # bar 120: W and R of the five round trips (3 winners, 2 losers)
    returns = round_trip_returns(every[:10])
    wins = [r for r in returns if r > 0]
    losses = [-r for r in returns if r < 0]
    assert (len(wins), len(losses)) == (3, 2)
    win_rate = D(3) / D(5)
    payoff = WIDE.divide(sum(wins) / 3, sum(losses) / 2)
    full = win_rate - WIDE.divide(1 - win_rate, payoff)
    equity = cash_after(every[:10])
    expected = clamped(
        buys_with_fee(equity * D("0.25") * full, close(btc, 120)), equity, close(btc, 120)
    )
    assert sized[120] == expected
    assert every[10].last_qty == expected
    assert 0.06 < full < 0.07 and expected == D("0.00464")  # a quarter of 6.3 %: 1.6 %
    # bar 260: the last five trades are 1 winner and 4 losers, the last three all losers:
    # no edge, no trade (zero from both, and no order)
    assert sized[260] == 0
    assert len(every) == 20 and len(orders(result)) == 20


def test_kelly_without_edge_at_the_first_estimate(btc: pd.DataFrame) -> None:
    # three losing round trips, then Kelly: f* = -1 (no winner): zero, not the minimum
    plan: dict[int, Entry] = {i: (lambda s, b: D("0.01")) for i in (160, 180, 220)}
    plan[260] = lambda s, b: s.size(FractionalKelly(window=3, min_trades=3))
    result = backtest(btc, planned(plan, exits=(170, 190, 230)))
    assert all(r < 0 for r in round_trip_returns(fills(result)))
    assert sizes(result)[260] == 0


def test_only_the_strategys_own_closed_trades_count() -> None:
    def trade(entry_order: str, exit_ts: int | None = 2) -> TradeRecord:
        return TradeRecord(Symbol.parse("BTC/USDT"), "LONG", 1, D(100), D(1), exit_ts=exit_ts,
                           entry_order=entry_order)  # fmt: skip

    mine = [trade("O-210101000000-sma-1"), trade("B-O-210101010000-sma-12-E")]
    others = [
        trade("O-210101000000-xsma-2"),
        trade("O-210101000000-sma2-3"),
        trade("autoclose-1"),
        trade("O-210101000000-sma-4", exit_ts=None),  # still open
    ]
    assert strategy_trades([*others, *mine], "sma") == tuple(mine)


# -- volatility target --------------------------------------------------------------------------


def atr_at(frame: pd.DataFrame, i: int, period: int = 14) -> Decimal:
    """TA-Lib's ATR over the bars up to ``i``."""
    head = frame.iloc[: i + 1]
    values = talib.ATR(*(head[c].to_numpy() for c in ("high", "low", "close")), period)
    return D(repr(float(values[-1])))


def test_volatility_target_on_hourly_bars_scales_the_atr_to_a_day(btc: pd.DataFrame) -> None:
    entries: dict[int, Entry] = {
        200: lambda s, b: s.size(VolatilityTarget()),  # 1 % of equity per daily ATR
        1000: lambda s, b: s.size(VolatilityTarget(0.02)),  # 24.6 % of equity: cut to 15 %
    }
    result = backtest(btc, planned(entries, exits=(300,)))
    every = fills(result)
    day = WIDE.sqrt(D(24))
    equity_1000 = cash_after(every[:2])
    daily_move = WIDE.multiply(atr_at(btc, 200), day)
    expected = {
        200: clamped(WIDE.divide(CASH * D("0.01"), daily_move), CASH, close(btc, 200)),
        1000: floor(WIDE.divide(equity_1000 * HIGH, close(btc, 1000))),
    }
    assert sizes(result) == expected
    assert expected[200] == D("0.02073")  # 100 / (984.49 * 4.899) = 0.020734..
    assert [f.last_qty for f in every[::2]] == list(expected.values())


def test_volatility_target_per_bar_with_another_period(eth: pd.DataFrame) -> None:
    sizer = VolatilityTarget(0.002, period=20, horizon=None)
    result = backtest(eth, planned({500: lambda s, b: s.size(sizer)}), symbol="ETH/USDT")
    expected = clamped(WIDE.divide(D(20), atr_at(eth, 500, 20)), CASH, close(eth, 500))
    assert sizes(result) == {500: expected}
    assert D("0.4") < expected < D("0.6")  # 20 USDT per ATR of about 40
    assert fills(result)[0].last_qty == expected


# -- the limits ---------------------------------------------------------------------------------


def test_other_limits_and_no_limits(btc: pd.DataFrame) -> None:
    loose = SizingLimits(min_fraction=0, max_fraction=None)
    entries: dict[int, Entry] = {
        100: lambda s, b: s.size(FixedQuantity("0.25", limits=loose)),  # 77 % of equity
        200: lambda s, b: s.size(FixedQuantity("0.001", limits=SizingLimits(0.05, 0.5))),
    }
    result = backtest(btc, planned(entries, exits=(150,)))
    equity_200 = cash_after(fills(result)[:2])
    assert sizes(result) == {
        100: D("0.25"),
        200: floor(WIDE.divide(equity_200 * D("0.05"), close(btc, 200))),
    }


def test_a_size_below_one_step_is_zero() -> None:
    inputs = SizingInputs.of(equity=1, price=50_000, instrument=_instrument(), stop=49_000)
    # at most 15 % of 1 USDT at 50,000 is 0.000003 BTC, under the step of 0.00001
    assert FixedQuantity("0.00001").size(inputs) == 0
    assert RiskPerTrade().size(inputs) == 0


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: RiskPerTrade(-0.01), "RiskPerTrade risk must be positive, got -0.01"),
        (lambda: RiskPerTrade(math.nan), "RiskPerTrade risk must be a finite number, got nan"),
        (lambda: RiskPerTrade(1.5), "RiskPerTrade risk must be at most 1, got 1.5"),
        (lambda: FixedQuantity(0), "FixedQuantity quantity must be positive, got 0"),
        (lambda: FixedNotional("ten"), "FixedNotional notional 'ten' is not a number"),
        (lambda: PercentOfEquity(0.0), "PercentOfEquity fraction must be positive, got 0.0"),
        (lambda: FractionalKelly(fraction=-0.25),
         "FractionalKelly fraction must be positive, got -0.25"),
        (lambda: FractionalKelly(window=0), "FractionalKelly window must be an int >= 1, got 0"),
        (lambda: FractionalKelly(window=10, min_trades=20),
         "FractionalKelly min_trades 20 exceeds window 10"),
        (lambda: VolatilityTarget(target=math.inf),
         "VolatilityTarget target must be a finite number, got inf"),
        (lambda: VolatilityTarget(period=0), "VolatilityTarget period must be an int >= 1, got 0"),
        (lambda: VolatilityTarget(horizon="1M"),
         "VolatilityTarget horizon '1M' must be a fixed length, not months"),
        (lambda: SizingLimits(0.2, 0.1), "min_fraction 0.2 exceeds max_fraction 0.1"),
        (lambda: SizingLimits(-0.01), "min_fraction must be 0 or more, got -0.01"),
        (lambda: SizingLimits(max_fraction=math.nan),
         "max_fraction must be a finite number, got nan"),
    ],
)  # fmt: skip
def test_wrong_parameters_are_refused_by_name(build: Callable[[], object], message: str) -> None:
    with pytest.raises(SizingError) as info:
        build()
    assert str(info.value) == message


def _instrument() -> Instrument:
    return instrument("BTC/USDT", step="0.00001")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"equity": 0}, "equity must be positive, got 0"),
        ({"equity": -5.0}, "equity must be positive, got -5.0"),
        ({"price": math.nan}, "price must be a finite number, got nan"),
        ({"stop": math.nan}, "stop must be a finite number, got nan"),
        ({"side": "long"}, "side must be 'buy' or 'sell', got 'long'"),
    ],
)
def test_wrong_inputs_are_refused_by_name(inputs: dict[str, Any], message: str) -> None:
    given = {"equity": 1_000, "price": 100, "instrument": _instrument(), **inputs}
    with pytest.raises(SizingError) as info:
        SizingInputs.of(**given)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (lambda s, b: s.size(RiskPerTrade(), stop=b.close + 500, side="buy"),
         "stop 33241.67 is above the entry 32741.67 of a buy"),
        (lambda s, b: s.size(RiskPerTrade(), stop=b.close - 500, side="sell"),
         "stop 32241.67 is below the entry 32741.67 of a sell"),
        (lambda s, b: s.size(RiskPerTrade(), stop=b.close),
         "stop 32741.67 equals the entry price: no distance to size on"),
        (lambda s, b: s.size(RiskPerTrade()),
         "RiskPerTrade needs a stop price (size(..., stop=...))"),
        (lambda s, b: s.size(RiskPerTrade(), stop=math.nan),
         "stop must be a finite number, got nan"),
    ],
)  # fmt: skip
def test_a_wrong_stop_stops_the_run_with_its_reason(
    btc: pd.DataFrame, entry: Entry, message: str
) -> None:
    assert close(btc, 50) == D("32741.67")
    with pytest.raises(StrategyError) as info:
        backtest(btc, planned({50: entry}))
    assert isinstance(info.value.__cause__, SizingError)
    assert str(info.value.__cause__) == message
    assert info.value.hook == "on_bar"


def test_the_atr_must_be_defined_and_positive(btc: pd.DataFrame) -> None:
    with pytest.raises(StrategyError) as info:
        backtest(btc, planned({13: lambda s, b: s.size(VolatilityTarget())}))
    assert str(info.value.__cause__) == (
        "VolatilityTarget: ATR(14) is not defined yet: 14 bars so far, it needs 15"
    )
    flat = bars(*[(100.0, 100.0, 100.0, 100.0)] * 20)
    with pytest.raises(StrategyError) as info:
        run(flat, planned({18: lambda s, b: s.size(VolatilityTarget())}))
    assert str(info.value.__cause__) == (
        "VolatilityTarget: ATR(14) is 0.0 at the last bar; it must be a positive number"
    )


def test_the_fifteen_bar_atr_is_the_first_one(btc: pd.DataFrame) -> None:
    # the first defined ATR(14) is at bar 14: sizing there works and equals TA-Lib's
    result = backtest(btc, planned({14: lambda s, b: s.size(VolatilityTarget(horizon=None))}))
    expected = clamped(WIDE.divide(D(100), atr_at(btc, 14)), CASH, close(btc, 14))
    assert sizes(result) == {14: expected}


def test_decimal_parameters_work_as_floats() -> None:
    inputs = SizingInputs.of(equity="1000", price=D(100), instrument=_instrument())
    sizer = PercentOfEquity(D("0.1"), limits=SizingLimits(D("0.2"), D("0.5")))
    assert sizer.size(inputs) == D("2")  # 10 % is 1 unit, raised to 20 % of 1,000 at 100
    assert PercentOfEquity(0.1).size(inputs) == D("1")  # no fee on this instrument
