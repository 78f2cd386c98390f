"""Perpetual futures in the backtester: funding payments and liquidation, exact to the digit.

Every expected value is worked out by hand in the comments. Bars are hourly from ``T0``
(bar ``i`` opens at ``ns(i)`` and closes at ``ns(i + 1)``); orders sent at a bar's close fill
at the next bar's open. The instrument is a linear perpetual ``ASSET/USDT:USDT`` with a tick of
0.01 and a step of 0.001, no fees unless a test sets them. Liquidation uses the default
maintenance margin rate 0.005 (Binance's first tier).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.backtest.helpers import (
    HOUR,
    D,
    bars,
    fills,
    ns,
    orders,
    reason,
    run,
    strategy_of,
)
from tradeforge.backtest import Backtest
from tradeforge.backtest.perpetual import (
    FundingRates,
    MaintenanceMargin,
    isolated_liquidation_price,
    liquidation_price,
)
from tradeforge.backtest.venue_account import MarginAccount
from tradeforge.model.enums import OrderSide, OrderStatus
from tradeforge.model.events import OrderFilled
from tradeforge.model.instrument import Instrument, InstrumentKind
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money
from tradeforge.samples import SAMPLE_FUTURES
from tradeforge.strategy import Strategy

PERP = "ASSET/USDT:USDT"
SYM = Symbol.parse(PERP)


def perp(symbol: str = PERP) -> Instrument:
    return Instrument(
        symbol=Symbol.parse(symbol),
        venue="sim",
        kind=InstrumentKind.PERPETUAL,
        price_tick=Decimal("0.01"),
        quantity_step=Decimal("0.001"),
    )


def perp_run(data: pd.DataFrame, script: Any, **config: Any) -> Any:
    """A margin-account run of the perpetual; ``run`` checks the books balance exactly."""
    config.setdefault("instruments", [perp()])
    return run(data, script, symbol=PERP, account="margin", **config)


# -- funding ------------------------------------------------------------------------------------

# closes 100, 101, 102, 103, 104, 105, 105: the mark at a funding time is the close of the bar
# closing then (no mark series given)
RISING = bars(
    (100, 101, 99, 100),  # 0: signal at its close
    (100, 102, 99, 101),  # 1: the market order fills at its open, 100; closes at ns(2)
    (101, 103, 100, 102),  # 2
    (102, 104, 101, 103),  # 3: closes at ns(4)
    (103, 105, 102, 104),  # 4
    (104, 106, 103, 105),  # 5: closes at ns(6)
    (105, 106, 104, 105),  # 6: the last close, 105
)

# Freqtrade's funding_rate layout (the rate in "open"); recorded a few ms after the scheduled
# time, as Binance does, and floored to the second by FundingRates.from_frame.
FUNDING = pd.DataFrame(
    {
        "date": pd.to_datetime(
            [ns(1) + 17_000_000, ns(2) + 17_000_000, ns(4) + 7_000_000, ns(6)], utc=True
        ),
        "open": [0.05, 0.0001, -0.0002, 0.0003],
        "high": 0.0,
        "low": 0.0,
        "close": 0.0,
        "volume": 0.0,
    }
)


@pytest.mark.parametrize(
    ("side", "paid", "cash", "equity"),
    [
        # long 10 from 100:
        #   ns(1): flat (the order fills at ns(1), after the funding time)    ->  0
        #   ns(2): 10 × 101 ×  0.0001 =  0.101 paid
        #   ns(4): 10 × 103 × −0.0002 = −0.206 (received)
        #   ns(6): 10 × 105 ×  0.0003 =  0.315 paid
        #   funding = 0.101 − 0.206 + 0.315 = 0.210; cash = 1000 − 0.210 = 999.790
        #   equity = cash + unrealized 10 × (105 − 100) = 999.790 + 50 = 1049.790
        ("buy", [D("0.101"), D("-0.206"), D("0.315")], D("999.790"), D("1049.790")),
        # short 10 from 100: every amount changes sign; funding = −0.210 (received)
        #   cash = 1000.210; equity = 1000.210 − 50 = 950.210
        ("sell", [D("-0.101"), D("0.206"), D("-0.315")], D("1000.210"), D("950.210")),
    ],
)
def test_funding_is_paid_by_a_long_and_received_by_a_short(
    side: str, paid: list[Decimal], cash: Decimal, equity: Decimal
) -> None:
    result = perp_run(RISING, {0: lambda s: getattr(s, side)(10)}, funding={PERP: FUNDING})
    events = result.run.execution.funding
    assert [e.ts for e in events] == [ns(2), ns(4), ns(6)]
    assert [e.amount for e in events] == paid
    assert [e.mark_price for e in events] == [D(101), D(103), D(105)]
    assert [e.rate for e in events] == [D("0.0001"), D("-0.0002"), D("0.0003")]
    qty = D(10) if side == "buy" else D(-10)
    assert all(e.position_qty == qty and e.symbol == SYM for e in events)
    total = sum(paid, D(0))
    assert result.portfolio.funding == total == D("0.210") * (1 if side == "buy" else -1)
    assert result.portfolio.cash == cash
    assert result.run.exchange.account.total("USDT") == cash  # the venue's wallet agrees
    assert result.final_equity == equity
    assert result.accounting_gap() == 0
    assert result.stats["funding_paid"] == total  # exact, as the ledger has it
    assert list(result.funding["amount"]) == [float(a) for a in paid]
    assert result.equity.iloc[-1] == float(equity)


def test_accounting_gap_is_zero_after_funding_and_a_closed_trade() -> None:
    # long 10 at 100 (bar 1's open), closed at bar 4's open (103) after funding at ns(2), ns(4)
    #   realized 10 × (103 − 100) = 30; funding 0.101 − 0.206 = −0.105 (received);
    #   fees 0.001 × (1000 + 1030) = 2.030
    #   cash = 1000 + 30 − 2.030 + 0.105 = 1028.075; flat, so equity = cash
    result = perp_run(
        RISING,
        {0: lambda s: s.buy(10), 3: lambda s: s.close_position()},
        funding={PERP: FUNDING},
        commission=0.001,
        leverage=2,  # room for the entry fee
    )
    portfolio = result.portfolio
    assert portfolio.funding == D("-0.105")
    assert portfolio.fees == D("2.030")
    assert portfolio.realized_pnl() == D(30)
    assert portfolio.cash == result.final_equity == D("1028.075")
    assert portfolio.accounting_gap() == 0
    # the funding ledger entries keep the ledger in time order
    stamps = [e.ts for e in portfolio.ledger]
    assert stamps == sorted(stamps)


def test_a_mark_series_prices_the_funding() -> None:
    # mark candles (Freqtrade's *-mark.feather): the mark at T is the open of the candle at T
    mark = pd.DataFrame(
        {"date": pd.to_datetime([ns(1), ns(2), ns(4), ns(6)], utc=True), "open": [1, 99.5, 1, 2]}
    )
    frame = FUNDING.iloc[:2]  # ns(1) (flat: nothing) and ns(2)
    rates = FundingRates.from_frame(frame, mark=mark)
    result = perp_run(RISING, {0: lambda s: s.buy(10)}, funding={PERP: rates})
    # ns(2): 10 × 99.5 × 0.0001 = 0.0995 (the bar's close, 101, is not used)
    [event] = result.run.execution.funding
    assert (event.mark_price, event.amount) == (D("99.5"), D("0.0995"))
    assert result.portfolio.cash == D("999.9005")


def test_a_flat_account_pays_no_funding() -> None:
    result = perp_run(RISING, {}, funding={PERP: FUNDING})
    assert result.run.execution.funding == []
    assert result.portfolio.funding == 0
    assert result.portfolio.cash == 1000


# -- liquidation --------------------------------------------------------------------------------

# A 10x long of 10 at 100 with a wallet of 104.5, maintenance rate 0.005:
#   P = (Q × E − WB) / (Q × (1 − rate)) = (1000 − 104.5) / (10 × 0.995) = 895.5 / 9.95 = 90
# Check: at 90 the margin balance 104.5 + 10 × (90 − 100) = 4.5 equals the maintenance
# margin 0.005 × 10 × 90 = 4.5.
LONG_CASH = D("104.5")


def _long(**orders: Any) -> dict[int, Any]:
    def enter(s: Strategy) -> None:
        s.buy(10)
        if orders.get("exits"):
            s.sell(10, limit=110, reduce_only=True)  # a take profit, never reached
            s.sell(10, stop=85, reduce_only=True)  # a stop below the liquidation price

    return {0: enter}


ENTRY = (100, 100.5, 99.5, 100)  # bar 0: signal; bar 1 opens at 100
HOLD = (100, 101, 95, 96)  # bar 1: the long fills at 100; low 95 > 90


def test_liquidation_price_of_the_account() -> None:
    result = perp_run(bars(ENTRY, HOLD), _long(), cash=LONG_CASH, leverage=10)
    account = result.run.exchange.account
    assert isinstance(account, MarginAccount)
    assert account.liquidation_price(SYM) == D(90)
    assert account.maintenance_margin("USDT") == D("0.005") * 10 * 96  # at the last close


def test_a_leveraged_long_is_liquidated_when_the_low_crosses_the_liquidation_price() -> None:
    data = bars(ENTRY, HOLD, (96, 97, 89, 91), (91, 92, 90, 91))  # bar 2: low 89 <= 90
    result = perp_run(data, _long(exits=True), cash=LONG_CASH, leverage=10, liquidation_fee=0.001)
    entry, take_profit, stop, liquidation = orders(result)
    # the venue closed the whole position at the liquidation price: a sell of 10 at 90.00
    last = fills(result)[-1]
    assert (last.client_order_id, last.order_side, last.last_qty, last.last_price) == (
        "autoclose-1",
        OrderSide.SELL,
        D(10),
        D(90),
    )
    assert ns(2) < last.ts < ns(3)  # where the path (open 96 -> low 89) reaches 90
    # fee 0.001 × 900 = 0.9; loss 10 × (90 − 100) = −100; cash = 104.5 − 100 − 0.9 = 3.6
    assert last.fee.amount == D("0.9")
    assert result.portfolio.realized_pnl() == D(-100)
    assert result.portfolio.cash == result.final_equity == D("3.6")
    assert not result.portfolio.position(SYM).is_open
    assert result.run.exchange.account.positions[SYM][0] == 0
    # the working exits were canceled by the venue before it liquidated
    assert [o.status for o in (take_profit, stop)] == [OrderStatus.CANCELED] * 2
    assert reason(take_profit) == reason(stop) == "liquidation"
    assert result.run.exchange.working_orders() == []
    # the venue's order is recorded like any other, tagged, and its owner heard of it
    assert liquidation.client_order_id == "autoclose-1"
    assert liquidation.tags == ("liquidation",)
    assert liquidation.reduce_only and liquidation.status is OrderStatus.FILLED
    assert liquidation.strategy_id == entry.strategy_id
    table = result.orders.set_index("client_order_id")
    assert table.loc["autoclose-1", "tags"] == "liquidation"
    assert table.loc["autoclose-1", "status"] == "FILLED"
    trade = result.trades.iloc[0]
    assert (trade["exit_order"], trade["exit_tags"], trade["exit_price"]) == (
        "autoclose-1",
        "liquidation",
        90.0,
    )
    assert trade["pnl"] == -100.0
    heard = [e for e in strategy_of(result).events if isinstance(e, OrderFilled)]
    assert [e.client_order_id for e in heard][-1] == "autoclose-1"
    # nothing happens on the next bar (low 90 again: flat)
    assert len(fills(result)) == 2


def test_a_gap_through_the_liquidation_price_fills_at_the_open() -> None:
    data = bars(ENTRY, HOLD, (88, 89, 85, 87))  # bar 2 opens at 88, below 90
    result = perp_run(data, _long(), cash=LONG_CASH, leverage=10)
    last = fills(result)[-1]
    assert (last.client_order_id, last.last_price, last.ts) == ("autoclose-1", D(88), ns(2))
    # loss 10 × (88 − 100) = −120; cash = 104.5 − 120 = −15.5 (beyond the margin: no
    # insurance fund in the simulation)
    assert result.portfolio.cash == result.final_equity == D("-15.5")
    assert not result.portfolio.position(SYM).is_open


@pytest.mark.parametrize(
    ("low", "liquidated"),
    [
        (90.01, False),  # one tick above: the position survives
        (90.0, True),  # reaching the price is enough
    ],
)
def test_no_liquidation_while_the_price_stays_above(low: float, liquidated: bool) -> None:
    data = bars(ENTRY, HOLD, (96, 97, low, 91), (91, 93, 91, 92))
    result = perp_run(data, _long(), cash=LONG_CASH, leverage=10)
    assert result.portfolio.position(SYM).is_open is not liquidated
    assert [f.client_order_id for f in fills(result)][1:] == (["autoclose-1"] if liquidated else [])
    if not liquidated:
        # long 10 from 100 at the last close 92: equity = 104.5 − 80 = 24.5
        assert result.final_equity == D("24.5")


def test_a_leveraged_short_is_liquidated_at_the_high() -> None:
    # short 10 at 100 with a wallet of 105.5:
    #   P = (WB + Q × E) / (Q × (1 + rate)) = (105.5 + 1000) / 10.05 = 110
    # bar 2's high 111 reaches it: the venue buys 10 at 110; loss 10 × (110 − 100) = −100;
    # cash = 105.5 − 100 = 5.5 (= the maintenance margin 0.005 × 1100)
    data = bars(ENTRY, (100, 105, 99, 104), (104, 111, 103, 108))
    result = perp_run(data, {0: lambda s: s.sell(10)}, cash=D("105.5"), leverage=10)
    last = fills(result)[-1]
    assert (last.client_order_id, last.order_side, last.last_price) == (
        "autoclose-1",
        OrderSide.BUY,
        D(110),
    )
    assert result.portfolio.cash == result.final_equity == D("5.5")


def test_liquidation_can_be_disabled() -> None:
    data = bars(ENTRY, HOLD, (96, 97, 89, 91))
    result = perp_run(data, _long(), cash=LONG_CASH, leverage=10, maintenance_margin_rate=None)
    assert result.portfolio.position(SYM).is_open
    # long 10 from 100 at 91: equity = 104.5 − 90 = 14.5
    assert result.final_equity == D("14.5")


# -- the formula --------------------------------------------------------------------------------


def test_liquidation_price_formula() -> None:
    mm = MaintenanceMargin()
    assert mm.rate == D("0.005") and mm.amount == 0
    assert liquidation_price(LONG_CASH, D(10), D(100), mm) == D(90)
    assert liquidation_price(D("105.5"), D(-10), D(100), mm) == D(110)
    # a fully funded long cannot be liquidated; an isolated 10x long without maintenance
    # margin goes at E × (1 − 1/10) = 90; with 0.5 %: 90 / 0.995 to 28 digits
    assert liquidation_price(D(1000), D(10), D(100), mm) is None
    assert isolated_liquidation_price(D(10), D(100), D(10), MaintenanceMargin(D(0))) == D(90)
    assert isolated_liquidation_price(D(10), D(100), D(10), mm) == D(
        "90.45226130653266331658291457"
    )
    # a maintenance amount (Binance's cum) adds to the wallet:
    #   P = (94.5 + 5 − 1000) / (10 × (0.01 − 1)) = −900.5 / −9.9 = 90.9595...
    with_amount = MaintenanceMargin(D("0.01"), D(5))
    assert with_amount.margin(D(-1000)) == D(5)  # 1000 × 0.01 − 5
    assert liquidation_price(D("94.5"), D(10), D(100), with_amount) == D("900.5") / D("9.9")


def test_cross_margin_counts_the_other_positions() -> None:
    # wallet 200; long 10 ASSET at 100, short 1 OTHER at 50 marked at 60 (unrealized −10,
    # maintenance 0.005 × 60 = 0.3):
    #   P = (200 − 0.3 − 10 − 1000) / (10 × (0.005 − 1)) = −810.3 / −9.95 = 81.437185929...
    account = MarginAccount({"USDT": D(200)}, D(10))
    other = Symbol.parse("OTHER/USDT:USDT")
    no_fee = Money(D(0), "USDT")
    account.fill(SYM, 1, D(10), D(1000), no_fee)
    account.fill(other, -1, D(1), D(50), no_fee)
    account.mark(other, D(60))
    assert account.liquidation_price(SYM) == D("810.3") / D("9.95")
    assert account.has_positions


# -- configuration ------------------------------------------------------------------------------


def test_funding_needs_a_margin_account() -> None:
    with pytest.raises(ValueError, match=r"funding.*need account='margin'"):
        Backtest(RISING, Strategy, symbol=PERP, instruments=[perp()], funding={PERP: FUNDING})
    with pytest.raises(ValueError, match=r"liquidation_fee.*need account='margin'"):
        Backtest(RISING, Strategy, symbol=PERP, instruments=[perp()], liquidation_fee=0.001)


def test_funding_for_a_symbol_no_series_trades_is_refused() -> None:
    with pytest.raises(ValueError, match=r"funding for BTC/USDT:USDT, which no series trades"):
        perp_run(RISING, {}, funding={"BTC/USDT:USDT": FUNDING})


# -- real data ----------------------------------------------------------------------------------


def _feather(name: str) -> pd.DataFrame:
    return pd.read_feather(Path(SAMPLE_FUTURES) / name)


class HoldLong(Strategy):
    def on_bar(self, bar: Any) -> None:
        if not self.position().is_open:
            self.buy(9_000)  # 9,000 XRP × ~1.079 ≈ 9,711 USDT on a 1,000 USDT wallet: ~10x


def test_a_ten_x_long_on_real_xrp_pays_the_real_funding() -> None:
    candles = _feather("XRP_USDT_USDT-1h-futures.feather").set_index("date")
    funding = _feather("XRP_USDT_USDT-8h-funding_rate.feather")
    mark = _feather("XRP_USDT_USDT-8h-mark.feather")
    rates = FundingRates.from_frame(funding, mark=mark)
    result = Backtest(
        {"XRP/USDT:USDT": candles},
        HoldLong,
        cash=1_000,
        commission=0.0004,
        account="margin",
        leverage=10,
        funding={"XRP/USDT:USDT": rates},
    ).run()

    # independently: every funding time (Binance stamps them a few ms late: floor to the hour)
    # after the entry fill (bar 1's open) and up to the last bar's close pays
    # qty × mark open at that time × rate, in exact decimals from the files' shortest floats
    entry_ts = candles.index[1]
    last_close = candles.index[-1] + pd.Timedelta(hours=1)
    marks = {t: Decimal(repr(float(v))) for t, v in zip(mark["date"], mark["open"], strict=True)}
    expected = [
        D(9_000) * marks[t.floor("h")] * Decimal(repr(float(rate)))
        for t, rate in zip(funding["date"], funding["open"], strict=True)
        if entry_ts < t.floor("h") <= last_close
    ]
    paid = [e.amount for e in result.run.execution.funding]
    assert len(paid) == len(expected) == 10  # 2021-11-18 00:00 ... 2021-11-21 00:00
    assert paid == expected
    assert result.portfolio.funding == sum(expected, D(0)) == D("10.374353892")
    assert result.stats["funding_paid"] == D("10.374353892")

    # held for the whole period: one fill, never liquidated (lowest low 1.01478, liquidation
    # price ≈ 0.9743), the books balance exactly
    [entry] = fills(result)
    assert (entry.last_qty, entry.last_price) == (D(9_000), D("1.07896"))
    assert result.portfolio.position(Symbol.parse("XRP/USDT:USDT")).signed_qty == 9_000
    fee = D("0.0004") * D(9_000) * D("1.07896")  # 3.884256
    assert result.portfolio.cash == D(1_000) - fee - sum(expected, D(0))
    assert result.accounting_gap() == 0
    account = result.run.exchange.account
    assert isinstance(account, MarginAccount)
    assert account.total("USDT") == result.portfolio.cash
    liq = account.liquidation_price(Symbol.parse("XRP/USDT:USDT"))
    assert liq is not None and D("0.97") < liq < D("0.98") < D(repr(float(candles["low"].min())))


def test_real_funding_and_marks_cover_the_same_times() -> None:
    rates = FundingRates.from_frame(
        _feather("XRP_USDT_USDT-8h-funding_rate.feather"),
        mark=_feather("XRP_USDT_USDT-8h-mark.feather"),
    )
    assert len(rates) == 91
    assert rates.ts[0] == pd.Timestamp("2021-11-18", tz="UTC").value  # 00:00:00.017 floored
    assert (rates.ts % (8 * HOUR) == 0).all()
    assert rates.rate(0) == D("0.0001") and rates.mark(0) == D("1.0959")
