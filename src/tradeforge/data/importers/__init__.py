"""Importers for the file formats market data comes in; start with :func:`load_file`."""

from tradeforge.data.importers.base import ColumnMap, FileInfo, LoadedFile, TsUnit
from tradeforge.data.importers.loader import FORMATS, file_format, load_file
from tradeforge.data.importers.names import KNOWN_VENUES, hints_from_path

__all__ = [
    "FORMATS",
    "KNOWN_VENUES",
    "ColumnMap",
    "FileInfo",
    "LoadedFile",
    "TsUnit",
    "file_format",
    "hints_from_path",
    "load_file",
]
