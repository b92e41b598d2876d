"""Readers: vendor layouts into typed frames indexed by file line number, and junk refused in one line."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from domain.errors import InputError
from infra.readers import read_bars, read_csv_table, read_options, read_yields, symbol_from_file_name

BARS_COLUMNS = ["symbol", "date", "open", "high", "low", "close", "adj_close", "volume"]


def write(path: Path, text: str, *, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.write_bytes(text.replace("\n", newline).encode(encoding))
    return path


def test_yfinance_auto_adjust_layout_any_order_and_case(tmp_path):
    path = write(tmp_path / "QQQ.csv", "Date,Close,High,Low,Open,Volume\n"
                                       "2024-07-01,480.5,481.0,476.0,477.0,100\n"
                                       "2024-07-02,484.0,485.0,479.5,480.0,200\n")
    frame = read_bars(path)
    assert list(frame.columns) == BARS_COLUMNS
    assert frame.index.tolist() == [2, 3]  # line numbers in the file, the header being line 1
    assert frame["symbol"].tolist() == ["QQQ", "QQQ"]
    assert frame["date"].tolist() == [pd.Timestamp("2024-07-01"), pd.Timestamp("2024-07-02")]
    assert frame.loc[2, ["open", "high", "low", "close"]].tolist() == [477.0, 481.0, 476.0, 480.5]
    assert frame["adj_close"].tolist() == frame["close"].tolist()  # no Adj Close: the close is the adjusted one
    assert frame["volume"].dtype == np.float64 and frame["date"].dtype.kind == "M"


def test_yahoo_raw_layout_with_adj_close_and_ticker_column(tmp_path):
    path = write(tmp_path / "universe.csv", "DATE,TICKER,OPEN,HIGH,LOW,CLOSE,ADJ CLOSE,VOLUME\n"
                                            "2024-07-01,aapl,1,2,0.5,1.5,1.4,10\n"
                                            "2024-07-01, msft ,3,4,2.5,3.5,3.4,20\n")
    frame = read_bars(path)
    assert frame["symbol"].tolist() == ["AAPL", "MSFT"]
    assert frame["adj_close"].tolist() == [1.4, 3.4]
    assert frame["close"].tolist() == [1.5, 3.5]


def test_symbol_option_overrides_the_file_name_and_the_column(tmp_path):
    path = write(tmp_path / "whatever.csv", "symbol,date,open,high,low,close,volume\nxyz,2024-07-01,1,2,0.5,1.5,10\n")
    assert read_bars(path)["symbol"].tolist() == ["XYZ"]
    assert read_bars(path, symbol="spy")["symbol"].tolist() == ["SPY"]


@pytest.mark.parametrize(
    "name, symbol",
    [("QQQ.csv", "QQQ"), ("^VIX.csv", "^VIX"), ("TLT_2002-2020_vendor.csv", "TLT"), ("spy.csv.gz", "SPY"),
     ("iwm.txt", "IWM")],
)
def test_symbol_from_file_name(name, symbol):
    assert symbol_from_file_name(Path("/some/dir") / name) == symbol


def test_bom_crlf_and_gzip_read_like_the_plain_file(tmp_path):
    text = "Date,Open,High,Low,Close,Volume\n2024-07-01,1,2,0.5,1.5,10\n2024-07-02,1.5,2.5,1,2,20\n"
    plain = read_bars(write(tmp_path / "A.csv", text))
    bom_crlf = read_bars(write(tmp_path / "B.csv", "\ufeff" + text, encoding="utf-8", newline="\r\n"), symbol="A")
    gz = tmp_path / "A.csv.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    pd.testing.assert_frame_equal(plain, bom_crlf)
    pd.testing.assert_frame_equal(plain, read_bars(gz))


def test_unparseable_cells_become_missing_values(tmp_path):
    path = write(tmp_path / "A.csv", "date,open,high,low,close,volume\n"
                                     "2024-07-01,1,2,0.5,abc,10\n"
                                     "01/07/2024x,1,2,0.5,1.5,10\n"
                                     "2024-07-03,1,2,0.5,,10\n")
    frame = read_bars(path)
    assert np.isnan(frame.loc[2, "close"])
    assert pd.isna(frame.loc[3, "date"])
    assert np.isnan(frame.loc[4, "close"])


def test_yields_fred_layout_blank_and_dot_are_holidays(tmp_path):
    path = write(tmp_path / "DGS20.csv", "observation_date,DGS20\n"
                                         "2024-07-03,4.71\n"
                                         "2024-07-04,\n"
                                         "2024-07-05,.\n"
                                         "2024-07-08,4.68\n")
    frame = read_yields(path)
    assert list(frame.columns) == ["series", "date", "value"]
    assert frame.index.tolist() == [2, 5]
    assert frame["series"].unique().tolist() == ["DGS20"]
    assert frame["value"].tolist() == [4.71, 4.68]


def test_yields_refuses_a_file_that_is_not_fred_layout(tmp_path):
    path = write(tmp_path / "x.csv", "observation_date,DGS20,DGS30\n2024-07-03,4.71,4.6\n")
    with pytest.raises(InputError, match=r"x\.csv: line 1: expected FRED layout"):
        read_yields(path)


OPTIONS_HEADER = ("quote_date,quote_time,underlying_price,option_type,expiration_date,strike,bid,ask,implied_vol,"
                  "delta,gamma,theta,vega,volume,open_interest\n")


def test_options_layout_units_and_blank_optional_columns(tmp_path):
    path = write(tmp_path / "TLT_2024-07-01.csv", OPTIONS_HEADER
                 + "2024-07-01,15:45,92.5,P,2024-08-16,90,0.80,0.85,16.2,-0.30,0.05,-0.02,0.11,120,3400\n"
                 + "2024-07-01,,92.5,call,2024-08-16,95,0.60,0.64,15.0,0.28,,,,,\n")
    frame = read_options(path)
    assert frame["underlying"].tolist() == ["TLT", "TLT"]
    assert frame["option_type"].tolist() == ["put", "call"]
    assert frame["implied_vol"].tolist() == pytest.approx([0.162, 0.15])
    assert frame.loc[2, "quote_time"] == "15:45"
    assert pd.isna(frame.loc[3, "quote_time"])
    assert frame.loc[3, ["gamma", "theta", "vega", "volume", "open_interest"]].isna().all()
    assert frame["expiration"].tolist() == [pd.Timestamp("2024-08-16")] * 2
    assert read_options(path, underlying="spy")["underlying"].unique().tolist() == ["SPY"]


def test_options_optional_columns_may_be_absent(tmp_path):
    path = write(tmp_path / "TLT.csv", "quote_date,underlying_price,option_type,expiration_date,strike,bid,ask,"
                                       "implied_vol,delta\n2024-07-01,92.5,c,2024-08-16,95,0.6,0.64,15,0.28\n")
    frame = read_options(path)
    assert frame.loc[2, "option_type"] == "call"
    assert frame.loc[2, ["gamma", "volume", "open_interest"]].isna().all()


def test_options_unknown_type_is_kept_for_the_schema_to_name(tmp_path):
    path = write(tmp_path / "TLT.csv", OPTIONS_HEADER + "2024-07-01,,92.5,X,2024-08-16,90,0.8,0.85,16,-0.3,,,,,\n")
    assert read_options(path).loc[2, "option_type"] == "x"


# --- junk: one clear line naming the file, never a pandas traceback -------------------------------------------

JUNK = {
    "empty": (b"", "empty file"),
    "blank_lines": (b"\n\n  \r\n", "empty file"),
    "html_error_page": (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "HTML"),
    "html_with_bom": (b"\xef\xbb\xbf\n  <html><head><title>Error</title></head></html>", "HTML"),
    "binary": (bytes(range(256)) * 4, "binary"),
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "binary"),
    "semicolons": (b"Date;Open;High;Low;Close;Volume\n2024-07-01;1;2;0.5;1.5;10\n", "';'"),
    "tabs": (b"Date\tOpen\tHigh\tLow\tClose\tVolume\n2024-07-01\t1\t2\t0.5\t1.5\t10\n", "'\\t'"),
    "one_column": (b"hello\nworld\n", "expected a comma-separated header"),
    "header_only": (b"Date,Open,High,Low,Close,Volume\n", "no data rows"),
    "latin1": ("Date,Open,High,Low,Close,Volume,Börse\n2024-07-01,1,2,0.5,1.5,10,x\n".encode("latin-1"),
               "not UTF-8"),
    "ragged": (b"Date,Open,High,Low,Close,Volume\n2024-07-01,1,2,0.5,1.5,10\n2024-07-02,1,2,0.5,1.5,10,7,8,9\n",
               "not a well-formed CSV"),
    "missing_columns": (b"Date,Close\n2024-07-01,1.5\n", "lacks column(s) open, high, low, volume"),
    "duplicate_columns": (b"Date,Open,open,High,Low,Close,Volume\n2024-07-01,1,1,2,0.5,1.5,10\n",
                          "duplicate column names"),
}


@pytest.mark.parametrize("case", sorted(JUNK))
def test_junk_is_refused_in_one_line(tmp_path, case):
    content, fragment = JUNK[case]
    path = tmp_path / f"{case}.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        read_bars(path)
    message = str(info.value)
    assert message.startswith(str(path))
    assert fragment in message
    assert "\n" not in message


def test_bad_gzip_missing_file_and_directory_are_refused(tmp_path):
    bad = tmp_path / "A.csv.gz"
    bad.write_bytes(b"this is not gzip at all")
    with pytest.raises(InputError, match="not a valid gzip file"):
        read_bars(bad)
    with pytest.raises(InputError, match="file not found"):
        read_bars(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_csv_table(tmp_path)


def test_multibyte_character_cut_by_the_sniff_window_is_fine(tmp_path):
    # a UTF-8 'é' straddling byte 4096 of the file must not be mistaken for non-UTF-8 junk
    header = "date,open,high,low,close,volume,note\n"
    row = "2024-07-01,1,2,0.5,1.5,10,"
    pad = "x" * (4095 - len(header) - len(row))
    path = tmp_path / "A.csv"
    path.write_bytes((header + row + pad + "é\n").encode())
    assert path.read_bytes()[4095:4097] == "é".encode()
    assert read_csv_table(path).loc[2, "note"].endswith("é")
