"""Market data: import files, validate them, store them in a Parquet catalog, resample.

Start with :class:`ParquetCatalog` (``import_file``, ``write_bars``, ``read_bars``, ``list``),
:func:`load_file` for any supported file, :func:`validate_bars` for a report on a series, and
:func:`resample_bars` / :func:`fill_gaps` / :func:`bars_from_trades` to derive bars.
"""

from tradeforge.data.catalog import ParquetCatalog
from tradeforge.data.errors import DataError, DataFileError
from tradeforge.data.importers import FileInfo, LoadedFile, load_file
from tradeforge.data.normalize import normalize_bars, normalize_quotes, normalize_trades
from tradeforge.data.reports import (
    BarValidationReport,
    Finding,
    Gap,
    QuoteValidationReport,
    RowIssue,
    TradeValidationReport,
)
from tradeforge.data.resample import bars_from_trades, fill_gaps, resample_bars
from tradeforge.data.results import ImportResult, SeriesInfo, WriteReport
from tradeforge.data.schema import DataKind, empty_frame
from tradeforge.data.validate import validate_bars, validate_quotes, validate_trades

__all__ = [
    "BarValidationReport",
    "DataError",
    "DataFileError",
    "DataKind",
    "FileInfo",
    "Finding",
    "Gap",
    "ImportResult",
    "LoadedFile",
    "ParquetCatalog",
    "QuoteValidationReport",
    "RowIssue",
    "SeriesInfo",
    "TradeValidationReport",
    "WriteReport",
    "bars_from_trades",
    "empty_frame",
    "fill_gaps",
    "load_file",
    "normalize_bars",
    "normalize_quotes",
    "normalize_trades",
    "resample_bars",
    "validate_bars",
    "validate_quotes",
    "validate_trades",
]
