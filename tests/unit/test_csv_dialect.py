"""CSV dialect detection: encoding over the whole file, separator and decimal mark from its head."""

from __future__ import annotations

import io

import pytest

from designer.runs.csv_dialect import (
    SAMPLE_BYTES,
    CsvDialect,
    DialectError,
    codec,
    detect,
    encoding_name,
)


def detected(data: bytes, **chosen: str) -> CsvDialect:
    file = io.BytesIO(data)
    dialect = detect(file, data, **chosen)
    assert file.tell() == 0  # left at its start for the reader
    return dialect


@pytest.mark.parametrize(
    ("text", "separator"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b\n1;2\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('a,b\n"x; y; z",1\n"p; q",2\n', ","),  # separators quoted in text are not it
        ('a;b\n"x, y, z";1\n"p, q";2\n', ";"),
        ("text\nhello world\nfoo bar\n", ","),  # one column: the default
        ("a;b\n", ";"),  # a header alone
    ],
)
def test_the_separator_is_found_in_the_head(text: str, separator: str) -> None:
    assert detected(text.encode()).separator == separator


def test_the_encoding_is_utf8_only_when_the_whole_file_is() -> None:
    ascii_head = b"a,b\n" + b"1,x\n" * (SAMPLE_BYTES // 4 + 1000)
    assert detected(ascii_head + "2,é\n".encode()).encoding == "utf-8"
    assert detected(ascii_head + "2,é\n".encode("cp1252")).encoding == "cp1252"
    assert detected("\ufeffa,b\n1,é\n".encode()).encoding == "utf-8-sig"
    assert detected("a,b\n1,é\n".encode("utf-16")).encoding == "utf-16"
    with pytest.raises(DialectError, match="neither UTF-8 nor Windows-1252"):
        detected(b"a,b\n\x81,1\n")


def test_a_character_cut_at_the_end_of_the_head_does_not_change_the_separator() -> None:
    line = "é;ü\n".encode()  # 6 bytes: the head ends inside a character
    data = b"a;b\n" + line * (SAMPLE_BYTES // len(line) + 10)
    assert detected(data) == CsvDialect("utf-8", ";", ".")


@pytest.mark.parametrize(
    ("text", "decimal"),
    [
        ("x;y\n1,5;2\n-0,25;3\n", ","),
        ("x;y\n1,5;2\n0.25;3\n", "."),  # a point anywhere: points
        ('x,y\n"1,5",2\n', "."),  # a comma separator never has decimal commas
        ("x;y\na,b;2\n", "."),
    ],
)
def test_a_decimal_comma_is_taken_only_when_every_number_has_one(text: str, decimal: str) -> None:
    assert detected(text.encode()).decimal == decimal


def test_what_is_chosen_is_kept_and_the_rest_detected() -> None:
    data = "a;b\n1,5;ж\n".encode("cp1251")
    assert detected(data, encoding="cp1251") == CsvDialect("cp1251", ";", ",")
    assert detected(data, separator=",", decimal=".") == CsvDialect("cp1252", ",", ".")
    assert detected(data, separator="tab").separator == "\t"


def test_names() -> None:
    assert codec("latin-1") == "iso8859-1" and codec("Windows-1252") == "cp1252"
    with pytest.raises(LookupError):
        codec("klingon")
    assert encoding_name("cp1252") == "Windows-1252" and encoding_name("cp1251") == "cp1251"
    assert CsvDialect("utf-8", "\t", ".").described() == {
        "encoding": "utf-8",
        "separator": "tab",
        "decimal": ".",
    }
