"""Real Binance candles bundled with tradeforge, as a small Parquet catalog, and a small
perpetual-futures set (candles, funding rates, mark prices) in Freqtrade's Feather files.

See ``README.md`` beside this file for the source, span and license of every series.
"""

from pathlib import Path

SAMPLE_CATALOG = Path(__file__).resolve().parent / "catalog"
"""Root of the bundled sample catalog (open it with :class:`tradeforge.data.ParquetCatalog`)."""

SAMPLE_FUTURES = Path(__file__).resolve().parent / "futures"
"""Binance XRP/USDT:USDT perpetual files in Freqtrade's Feather layout (read them with
``pandas.read_feather``): ``XRP_USDT_USDT-1h-futures.feather`` (candles),
``XRP_USDT_USDT-8h-funding_rate.feather`` (the rate in ``open``) and
``XRP_USDT_USDT-8h-mark.feather`` (mark-price candles)."""
