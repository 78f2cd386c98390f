"""Real Binance candles bundled with tradeforge, as a small Parquet catalog.

See ``README.md`` beside this file for the source, span and license of every series.
"""

from pathlib import Path

SAMPLE_CATALOG = Path(__file__).resolve().parent / "catalog"
"""Root of the bundled sample catalog (open it with :class:`tradeforge.data.ParquetCatalog`)."""
