"""tradeforge: one strategy from market data to backtest, paper and live trading."""

__version__ = "0.1.0"
