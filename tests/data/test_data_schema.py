import numpy as np
import pandas as pd
import pytest

from tradeforge.data.errors import DataFileError
from tradeforge.data.schema import (
    BAR_COLUMNS,
    DataKind,
    canonical_from_table,
    empty_frame,
    table_form,
)


def test_empty_frames_have_canonical_dtypes() -> None:
    bars = empty_frame("bars")
    assert list(bars.columns) == list(BAR_COLUMNS)
    assert str(bars.index.dtype) == "datetime64[ns, UTC]"
    assert bars.index.name == "ts"
    assert bars.dtypes.astype(str).tolist() == ["float64"] * 5 + ["bool"] * 2
    trades = empty_frame(DataKind.TRADES)
    assert trades.dtypes.astype(str).tolist() == ["str", "float64", "float64", "str"]
    quotes = empty_frame(DataKind.QUOTES)
    assert list(quotes.columns) == ["bid", "bid_size", "ask", "ask_size"]


def test_table_form_defaults_flags_and_numbers_rows() -> None:
    raw = pd.DataFrame({"ts": [2, 1], "open": [1, 2], "high": [1, 2], "low": [1, 2],
                        "close": [1, 2], "volume": [0, 5]})  # fmt: skip
    table = table_form(raw, DataKind.BARS)
    assert table["source_row"].tolist() == [1, 2]
    assert table["synthetic"].tolist() == [False, False]
    assert table["open"].dtype == np.float64
    canonical = canonical_from_table(table, DataKind.BARS)
    assert canonical.index.asi8.tolist() == [2, 1]  # order untouched


def test_table_form_reads_utc_index_in_other_zones() -> None:
    index = pd.DatetimeIndex(["2021-01-01 01:00"], name="ts").tz_localize("Europe/Paris")
    frame = pd.DataFrame({"price": [1.0], "size": [2.0]}, index=index)
    table = table_form(frame, DataKind.TRADES)
    assert table["ts"].tolist() == [1_609_459_200_000_000_000]
    assert table["trade_id"].tolist() == [""]


def test_table_form_refuses_naive_times_and_missing_columns() -> None:
    naive = pd.DataFrame({"price": [1.0], "size": [1.0]}, index=pd.DatetimeIndex(["2021-01-01"]))
    with pytest.raises(DataFileError, match="naive timestamps"):
        table_form(naive, DataKind.TRADES)
    frame = pd.DataFrame({"ts": [1], "price": [1.0]})
    with pytest.raises(DataFileError) as error:
        table_form(frame, DataKind.TRADES, source="trades binance BTC/USDT")
    assert str(error.value) == "trades binance BTC/USDT: column 'size': missing column"


def test_table_form_refuses_text_prices() -> None:
    frame = pd.DataFrame({"ts": [1], "price": ["1.0"], "size": [1.0]})
    with pytest.raises(DataFileError, match="column 'price': wrong type"):
        table_form(frame, DataKind.TRADES)
