"""Export formats written from Arrow batches, the same way for every sink: JSON (an array of
objects) and Excel (``xlsx``, one sheet), and the byte-order mark that Excel on Japanese Windows
needs to read a UTF-8 CSV as UTF-8 (``utf-8-sig``).

CSV and Parquet are written by the databases themselves (``sinks.duckdb``, ``sinks.postgres``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from backlog_connector.backlog.errors import InvalidOptionError

#: formats every sink exports; the first two by the database, the others by this module
EXPORT_FORMATS = ("csv", "parquet", "json", "xlsx")
ENCODINGS = ("utf-8", "utf-8-sig")
BOM = b"\xef\xbb\xbf"
#: Excel's sheet holds 1,048,576 rows, the header included; a cell 32,767 characters
XLSX_MAX_ROWS = 1_048_575
XLSX_MAX_CELL = 32_767
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def check_encoding(fmt: str, encoding: str) -> str:
    """``encoding`` if it is one the export writes (a BOM only for CSV)."""
    if encoding not in ENCODINGS:
        raise InvalidOptionError(
            f"export encoding {encoding!r} is not supported; use one of {', '.join(ENCODINGS)}"
            " (utf-8-sig adds the byte-order mark Excel needs to read UTF-8)"
        )
    if encoding != "utf-8" and fmt != "csv":
        raise InvalidOptionError(
            f"--encoding {encoding} applies to csv only; {fmt} files are always UTF-8 or binary"
        )
    return encoding


def _rows(reader: pa.RecordBatchReader) -> Iterator[tuple[Any, ...]]:
    for batch in reader:
        yield from zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def write_json(reader: pa.RecordBatchReader, path: Path) -> int:
    """Write the rows as a JSON array of objects (UTF-8, one object a line); the row count."""
    names = reader.schema.names
    rows = 0
    with path.open("wb") as out:
        out.write(b"[")
        for row in _rows(reader):
            out.write(b"\n" if rows == 0 else b",\n")
            out.write(orjson.dumps(dict(zip(names, row, strict=True)), default=_json_default))
            rows += 1
        out.write(b"\n]\n" if rows else b"]\n")
    return rows


def _cell(value: Any) -> Any:
    """A value Excel can hold: times without zone (in UTC, as the other formats write them),
    text without control characters and cut to Excel's cell size, nested values as JSON."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("", value)[:XLSX_MAX_CELL]
    return value


def write_xlsx(reader: pa.RecordBatchReader, path: Path, sheet: str) -> int:
    """Write the rows to one sheet named ``sheet`` of an Excel workbook (streamed: openpyxl's
    write-only mode); the row count. More rows than a sheet holds is an error, not a cut."""
    try:
        from openpyxl import Workbook
    except ImportError:  # the 'xlsx' extra is not installed
        raise InvalidOptionError(
            "the xlsx format needs openpyxl: pip install 'backlog-connector[xlsx]', or export"
            " csv --encoding utf-8-sig (Excel opens it too)"
        ) from None
    book = Workbook(write_only=True)
    page = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "data")
    page.append(list(reader.schema.names))
    rows = 0
    for row in _rows(reader):
        rows += 1
        if rows > XLSX_MAX_ROWS:
            raise InvalidOptionError(
                f"the table has more than {XLSX_MAX_ROWS:,} rows, more than an Excel sheet"
                " holds; export csv or parquet instead"
            )
        page.append([_cell(v) for v in row])
    book.save(str(path))
    return rows


def write_rows(fmt: str, reader: pa.RecordBatchReader, path: Path, table: str) -> int:
    """Write ``reader`` to ``path`` as ``json`` or ``xlsx``; the row count."""
    if fmt == "json":
        return write_json(reader, path)
    if fmt == "xlsx":
        return write_xlsx(reader, path, table)
    raise InvalidOptionError(f"{fmt!r} is not written from batches; use json or xlsx")


def add_bom(path: Path) -> None:
    """Put the UTF-8 byte-order mark in front of the file at ``path`` (rewritten beside it)."""
    staged = path.with_name(path.name + ".bom")
    with path.open("rb") as source, staged.open("xb") as out:
        out.write(BOM)
        shutil.copyfileobj(source, out, 1024 * 1024)
    staged.replace(path)
