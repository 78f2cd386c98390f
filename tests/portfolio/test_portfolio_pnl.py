"""Cash, fees, realized and unrealized PnL to the last digit, spot and margin.

Long bars (``UP``) open 102, 105, 104 in bars 1-3 and close at 104; short bars (``DOWN``, the
mirror image) open 98, 95, 96 and close at 96. Commission 0.1 %. Every run also checks
``accounting_gap() == 0`` and that the venue's books equal the portfolio's.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.backtest.helpers import D, bars, fills, instrument, ns, run
from tradeforge.model.enums import LiquiditySide, OrderSide
from tradeforge.model.events import OrderFilled
from tradeforge.model.symbol import Symbol
from tradeforge.model.values import Money, Price, Quantity
from tradeforge.portfolio.portfolio import Portfolio, PortfolioError

UP = bars((100, 101, 99, 100), (102, 104, 101, 103), (105, 106, 104, 105), (104, 105, 103, 104))
DOWN = bars((100, 101, 99, 100), (98, 99, 96, 97), (95, 96, 94, 95), (96, 97, 95, 96))
FEE = D("0.001")
SYMBOL = Symbol.parse("ASSET/USD")


def test_spot_partial_exit_hand_computed() -> None:
    # buy 2 @ 102 (fee 0.204), sell 1 @ 105 (fee 0.105), hold 1 to the last close 104
    result = run(UP, {0: lambda s: s.buy(2), 1: lambda s: s.sell(1)}, commission=0.001)
    p = result.portfolio
    assert p.cash == D(1000) - 204 - D("0.204") + 105 - D("0.105") == D("900.691")
    assert p.fees == D("0.309")
    assert p.realized_pnl() == 3  # (105 - 102) * 1
    assert p.unrealized_pnl() == 2  # (104 - 102) * 1
    assert p.equity() == D("900.691") + 104 == result.final_equity
    assert result.final_equity == 1000 + 3 + 2 - D("0.309")
    position = p.position(SYMBOL)
    assert (position.signed_qty, position.avg_px_open) == (1, 102)
    # one round trip, still open, 2 at its largest
    [trade] = p.trades
    assert (trade.side, trade.size, trade.entry_price, trade.exit_ts) == ("LONG", 2, 102, None)
    assert trade.pnl == 3
    assert trade.fees == D("0.309")


def test_spot_ledger_after_every_fill() -> None:
    result = run(UP, {0: lambda s: s.buy(2), 1: lambda s: s.sell(1)}, commission=0.001)
    got = [(e.ts, e.position_qty, e.position_cost, e.cash) for e in result.portfolio.ledger]
    assert got == [
        (ns(1), 2, 204, D("795.796")),
        (ns(2), 1, 102, D("900.691")),
    ]


def test_margin_short_round_trip_hand_computed() -> None:
    # sell 3 @ 98 (fee 0.294), buy 3 @ 95 (fee 0.285): PnL (98 - 95) * 3 = 9
    result = run(
        DOWN,
        {0: lambda s: s.sell(3), 1: lambda s: s.buy(3)},
        account="margin",
        commission=0.001,
    )
    p = result.portfolio
    assert [f.last_price for f in fills(result)] == [98, 95]
    assert p.realized_pnl() == 9
    assert p.fees == D("0.579")
    assert p.cash == D("1008.421") == result.final_equity
    assert p.unrealized_pnl() == 0
    assert result.run.exchange.account.total("USD") == D("1008.421")
    [trade] = p.trades
    assert (trade.side, trade.entry_price, trade.exit_price, trade.pnl) == ("SHORT", 98, 95, 9)
    assert trade.net_pnl == D("8.421")


def test_levered_margin_short_hand_computed() -> None:
    # leverage 2: short 15 @ 98 (1,470, more than the equity), cover @ 95: PnL 45,
    # fees 1.47 + 1.425
    result = run(
        DOWN,
        {0: lambda s: s.sell(15), 1: lambda s: s.close_position()},
        account="margin",
        leverage=2,
        commission=0.001,
        instruments=[instrument(max_leverage="2")],
    )
    p = result.portfolio
    assert [(f.last_qty, f.last_price) for f in fills(result)] == [(15, 98), (15, 95)]
    assert p.realized_pnl() == 45
    assert p.fees == D("2.895")
    assert p.cash == D("1042.105") == result.final_equity
    assert result.run.exchange.account.total("USD") == D("1042.105")


def test_levered_margin_beyond_the_leverage_is_refused() -> None:
    result = run(
        DOWN,
        {0: lambda s: s.sell(25)},
        account="margin",
        leverage=2,
        instruments=[instrument(max_leverage="2")],
    )
    assert result.run.execution.orders.popitem()[1].status.value == "REJECTED"
    assert result.final_equity == 1000


def test_margin_short_losing_round_trip() -> None:
    # the venue's books once booked a short's loss with the wrong sign of its cost basis
    result = run(UP, {0: lambda s: s.sell(3), 1: lambda s: s.buy(3)}, account="margin")
    assert result.portfolio.realized_pnl() == -9  # (102 - 105) * 3
    assert result.run.exchange.account.total("USD") == 991 == result.final_equity


def test_margin_short_open_at_the_end() -> None:
    result = run(DOWN, {0: lambda s: s.sell(3)}, account="margin", commission=0.001)
    p = result.portfolio
    assert p.unrealized_pnl() == 6  # (98 - 96) * 3
    assert p.cash == 1000 - D("0.294")
    assert result.final_equity == 1000 - D("0.294") + 6
    assert result.equity.tolist()[1:] == pytest.approx(
        [1000 - 0.294 + 3, 1000 - 0.294 + 9, 1000 - 0.294 + 6], abs=1e-9
    )


def test_margin_flip_realizes_the_short_and_opens_a_long_at_the_fill() -> None:
    # sell 3 @ 98; buy 5 @ 95 closes the 3 (PnL 9) and opens 2 long @ 95; last close 96
    result = run(
        DOWN,
        {0: lambda s: s.sell(3), 1: lambda s: s.buy(5)},
        account="margin",
        commission=0.001,
    )
    p = result.portfolio
    assert p.realized_pnl() == 9
    assert p.unrealized_pnl() == 2
    assert p.fees == D("0.294") + D("0.475")
    assert p.cash == 1000 + 9 - D("0.769")
    assert result.final_equity == 1000 + 9 + 2 - D("0.769")
    assert result.run.exchange.account.positions[SYMBOL] == (2, 190)
    short, long_ = p.trades
    assert (short.side, short.exit_ts, short.pnl) == ("SHORT", ns(2), 9)
    assert (long_.side, long_.entry_price, long_.size, long_.exit_ts) == ("LONG", 95, 2, None)
    assert short.fees + long_.fees == p.fees


def test_margin_flip_records_the_exit_price_of_the_closed_trade() -> None:
    result = run(DOWN, {0: lambda s: s.sell(3), 1: lambda s: s.buy(5)}, account="margin")
    short, _ = result.portfolio.trades
    assert short.exit_price == 95


def test_equity_inside_on_bar_is_marked_at_the_close() -> None:
    seen = []
    run(UP, {0: lambda s: s.buy(5), 1: lambda s: seen.append(s.equity)})
    assert seen == [1000 - 510 + 5 * 103]


# -- the portfolio on its own ---------------------------------------------------------------


def _fill(trade: int, side: OrderSide, qty: str, price: str, fee: str = "0") -> OrderFilled:
    return OrderFilled(
        ts=ns(trade),
        client_order_id=f"O-{trade}",
        symbol=SYMBOL,
        trade_id=str(trade),
        venue_order_id=str(trade),
        order_side=side,
        last_qty=Quantity(qty),
        last_price=Price(price),
        fee=Money(D(fee), "USD"),
        liquidity_side=LiquiditySide.TAKER,
    )


def _portfolio(account: str) -> Portfolio:
    return Portfolio("USD", D(1000), [instrument()], account)  # type: ignore[arg-type]


def test_portfolio_margin_books_exactly_with_inexact_shares() -> None:
    p = _portfolio("margin")
    p.apply_fill(_fill(1, OrderSide.SELL, "1", "100", "0.1"))
    p.apply_fill(_fill(2, OrderSide.SELL, "2", "101", "0.2"))  # basis 302 for 3: 100.66..
    p.apply_fill(_fill(3, OrderSide.BUY, "1", "90", "0.09"))  # covers a third of it
    share = D(302) / 3  # rounded (to 18 places, half-even) once
    assert p.realized_pnl() == share.quantize(D("1e-18")) - 90
    assert p.position(SYMBOL).signed_qty == -2
    p.mark(SYMBOL, D("97.13"))
    # what is left of the basis is exactly what was not charged: 302 - share
    assert p.unrealized_pnl() == (302 - share.quantize(D("1e-18"))) - 2 * D("97.13")
    assert p.accounting_gap() == 0
    assert p.equity() == 1000 + (302 - 90 - 2 * D("97.13")) - D("0.39")


def test_portfolio_refuses_a_fee_in_another_currency() -> None:
    p = _portfolio("cash")
    fill = _fill(1, OrderSide.BUY, "1", "100")
    with pytest.raises(PortfolioError, match="fee in EUR"):
        p.apply_fill(replace(fill, fee=Money(1, "EUR")))
