"""How an uploaded CSV file is read: its text encoding, field separator and decimal mark, each
chosen by the uploader or detected from the file.

Detection is deterministic. The encoding is UTF-8 (with or without its byte order mark) when the
whole file decodes as UTF-8, UTF-16 when it starts with that byte order mark, and otherwise
Windows-1252, what spreadsheet programs in Western European languages write; any other encoding
is the uploader's to choose (guessing one from a sample picks the wrong code page too often). The
separator is the one of `,` `;` tab `|` that the standard library's `csv.Sniffer` finds in the
first 64 KiB (`,` when it finds none), and the decimal mark is `,` only when the separator is not
a comma and the sample's numbers are written with a decimal comma and never a decimal point.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from typing import IO

AUTO = "auto"
SEPARATORS = {",": ",", ";": ";", "tab": "\t", "|": "|"}  # as the API names them → the character
DECIMALS = (".", ",")
SAMPLE_BYTES = 64 * 1024  # what the separator and the decimal mark are detected from
BLOCK_BYTES = 1024 * 1024  # the encoding check reads the file a block at a time
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ZIP = b"PK\x03\x04"  # an .xlsx workbook, or any ZIP archive
# Control bytes text does not hold (tab, line feed, form feed and carriage return aside; NUL too,
# which a value may hold and the reader names in a column name): past this share of the sample,
# the file is binary.
_CONTROL = [bytes([c]) for c in range(1, 32) if c not in (9, 10, 12, 13)]
BINARY_SHARE = 0.1
_COMMA_NUMBER = re.compile(r"[-+]?\d+,\d+")
_POINT_NUMBER = re.compile(r"[-+]?\d*\.\d+")
_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}


class DialectError(ValueError):
    """The file is in none of the encodings detection tries, or is no text at all."""


@dataclass(frozen=True)
class CsvDialect:
    """What pandas is told to read one CSV file with."""

    encoding: str  # a Python codec name
    separator: str  # one character
    decimal: str  # "." or ","

    def described(self) -> dict[str, str]:
        """The dialect as the API names it (the separator `tab` rather than the character)."""
        separator = next(name for name, char in SEPARATORS.items() if char == self.separator)
        return {"encoding": self.encoding, "separator": separator, "decimal": self.decimal}


def encoding_name(encoding: str) -> str:
    """How people call an encoding (`UTF-8`, `Windows-1252`), or its codec name."""
    return _NAMES.get(encoding, encoding)


def codec(encoding: str) -> str:
    """The codec name of a text encoding people typed (`latin-1` → `iso8859-1`); LookupError for
    a name Python does not know or a codec that is not a text encoding (`zlib`, `base64`)."""
    name = codecs.lookup(encoding).name
    try:
        "".encode(name)
    except UnicodeError as exc:  # `undefined`: a text encoding that refuses everything
        raise LookupError(name) from exc
    return name


def _decodes(file: IO[bytes], encoding: str) -> bool:
    """Whether the whole file decodes in `encoding`, read a block at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    file.seek(0)
    try:
        while block := file.read(BLOCK_BYTES):
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def _detect_encoding(file: IO[bytes], head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if head.startswith(_ZIP):
        raise DialectError(
            "is a ZIP archive (an Excel workbook is one), not CSV text: save the sheet as CSV, "
            "or upload Parquet"
        )
    if sum(head.count(byte) for byte in _CONTROL) > len(head) * BINARY_SHARE:
        raise DialectError("is a binary file, not CSV text: upload CSV or Parquet")
    for encoding in ("utf-8", "cp1252"):
        if _decodes(file, encoding):
            return encoding
    raise DialectError("is neither UTF-8 nor Windows-1252 text; choose its encoding")


def _sample(head: bytes, encoding: str, whole: bool) -> str:
    """The head of the file as text, cut after its last whole line unless it is the whole file
    (empty when it does not decode: the reader names the error)."""
    try:
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=whole)
    except UnicodeError:  # a codec that ignores `errors` (punycode, idna)
        return ""
    if not whole and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def _detect_separator(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters="".join(SEPARATORS.values())).delimiter
    except csv.Error:  # one column, or nothing the sniffer can tell apart
        return ","


def _detect_decimal(sample: str, separator: str) -> str:
    if separator == ",":
        return "."
    comma = point = 0
    for row in list(csv.reader(sample.splitlines(), delimiter=separator))[1:]:
        for field in row:
            value = field.strip()
            comma += bool(_COMMA_NUMBER.fullmatch(value))
            point += bool(_POINT_NUMBER.fullmatch(value))
    return "," if comma and not point else "."


def detect(
    file: IO[bytes],
    head: bytes,
    encoding: str = AUTO,
    separator: str = AUTO,
    decimal: str = AUTO,
) -> CsvDialect:
    """The dialect to read `file` with, whose first bytes are `head` (read once by the caller:
    more than SAMPLE_BYTES of them, or the whole file): each part as given, or detected when AUTO
    (the file is left at its start). DialectError when no encoding detection tries fits it."""
    head = head[: SAMPLE_BYTES + 1]
    if encoding == AUTO:
        encoding = _detect_encoding(file, head)
    sample = _sample(head[:SAMPLE_BYTES], encoding, whole=len(head) <= SAMPLE_BYTES)
    char = _detect_separator(sample) if separator == AUTO else SEPARATORS[separator]
    if decimal == AUTO:
        decimal = _detect_decimal(sample, char)
    return CsvDialect(encoding, char, decimal)
