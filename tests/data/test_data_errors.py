import pickle
from pathlib import Path

from tradeforge.data.errors import DataError, DataFileError


def test_message_names_file_row_and_column() -> None:
    error = DataFileError(
        Path("/x/SOL_USDT-5m.csv"), "'abc' is not a number", row=17, column="close"
    )
    assert str(error) == "SOL_USDT-5m.csv: row 17, column 'close': 'abc' is not a number"
    assert (error.path, error.row, error.column) == (Path("/x/SOL_USDT-5m.csv"), 17, "close")
    assert isinstance(error, DataError)
    assert isinstance(error, ValueError)


def test_message_without_row_or_column() -> None:
    assert str(DataFileError("a/b.csv", "no data rows")) == "b.csv: no data rows"
    assert str(DataFileError("b.csv", "missing column", column="ts")) == (
        "b.csv: column 'ts': missing column"
    )
    assert str(DataFileError("b.csv", "bad", row=3)) == "b.csv: row 3: bad"


def test_frame_label_when_no_path() -> None:
    error = DataFileError(None, "bad", row=2, source="bars binance BTC/USDT 5m")
    assert str(error) == "bars binance BTC/USDT 5m: row 2: bad"
    assert str(DataFileError(None, "bad")) == "<frame>: bad"


def test_pickles() -> None:
    error = DataFileError("f.csv", "bad", row=1, column="close")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error)
    assert again.row == 1
