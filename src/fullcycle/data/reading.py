"""Read a file or an in-memory table into a pyarrow Table, refusing bad input with a clear error.

Every problem names the file and, where it can, the line or column: an empty file, a file that
is not what its extension says, text that is not UTF-8, ragged CSV rows, duplicate column names.
The checks that cost anything (finding the bad line) only run once a read has already failed.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from fullcycle.errors import InvalidInput

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_SNIFF = 65536


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise InvalidInput(
            f"{path.name}: unknown file type {path.suffix or '(no extension)'!r}",
            hint=f"use one of {known}",
        )
    return fmt


def read_path(
    path: str | Path, types: Mapping[str, pa.DataType] | None = None
) -> tuple[pa.Table, str]:
    """The file as a Table and its format, with columns of ``types`` in those types where the
    values allow (a CSV is parsed straight into them, which also skips type inference)."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file", hint="check the path")
    fmt = file_format(path)
    _sniff(path, fmt)
    types = dict(types or {})
    if fmt == "parquet":
        table = _read_parquet(path)
    elif fmt == "jsonl":
        table = _read_jsonl(path)
    else:
        table = _read_csv(path, types, "\t" if fmt == "tsv" else ",")
    check_table(table, path.name)
    if fmt in ("csv", "tsv"):
        _check_binary_columns(table, path)
    return conform(table, types), fmt


def _sniff(path: Path, fmt: str) -> None:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF)
    name = path.name
    if not head.strip():
        raise InvalidInput(f"{name} is empty", hint="give a file with a header and rows")
    is_parquet = head.startswith(b"PAR1")
    if fmt == "parquet" and not is_parquet:
        raise InvalidInput(
            f"{name} is not a Parquet file (it does not start with PAR1)",
            hint="rename it to what it is (.csv, .jsonl) or export it as Parquet",
        )
    if fmt == "parquet":
        return
    if is_parquet:
        raise InvalidInput(
            f"{name} is a Parquet file, but its name ends in {path.suffix}",
            hint="rename it to .parquet",
        )
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InvalidInput(f"{name} is UTF-16 encoded", hint="save it as UTF-8")
    if head.startswith(b"\x1f\x8b") or b"\x00" in head:
        raise InvalidInput(
            f"{name} is binary (compressed or not text), not {fmt.upper()}",
            hint="decompress it, or give the file type its extension says",
        )
    if fmt == "jsonl" and not head.lstrip().startswith(b"{"):
        raise InvalidInput(
            f"{name} is not JSON Lines: line 1 is not a JSON object",
            hint="write one JSON object per line",
        )


def _read_csv(path: Path, types: dict[str, pa.DataType], delimiter: str) -> pa.Table:
    from pyarrow import csv as pacsv

    # RFC 4180: a quoted field may hold newlines (real text does: tweets, reviews, addresses)
    parse = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    texts = {c: t for c, t in types.items() if pa.types.is_string(t)}
    for column_types in (types, texts):
        convert = pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True)
        try:
            return pacsv.read_csv(path, parse_options=parse, convert_options=convert)
        except pa.ArrowInvalid as exc:
            message = str(exc)
            if "conversion error" not in message or "UTF8" in message or column_types is texts:
                raise _csv_error(path, message, delimiter) from None
            # a value does not fit its contract type: read again inferring types, so the
            # contract check can report every such cell with its row numbers
    raise AssertionError("unreachable")  # pragma: no cover


def _csv_error(path: Path, message: str, delimiter: str) -> InvalidInput:
    text = message.removeprefix("CSV parse error: ")
    if "Expected" in message and "columns" in message:
        where = _ragged_line(path, delimiter)
        return InvalidInput(
            f"{path.name}{where}: ragged row: {text}",
            hint="every row needs as many fields as the header",
        )
    if "Empty CSV" in message:
        return InvalidInput(f"{path.name} is empty", hint="give a file with a header and rows")
    if "UTF8" in message or "utf8" in message.lower():
        return InvalidInput(
            f"{path.name}{_bad_utf8_line(path)}{_column_named(path, message, delimiter)}: "
            "text is not valid UTF-8",
            hint="save the file as UTF-8",
        )
    return InvalidInput(f"{path.name} cannot be read as CSV: {text}")


def _column_named(path: Path, message: str, delimiter: str) -> str:
    """ ", column 'x'" from pyarrow's "In CSV column #N: ..." (the header is read raw)."""
    _, found, rest = message.partition("In CSV column #")
    number = rest.split(":", 1)[0]
    if not found or not number.isdigit():
        return ""
    with open(path, "rb") as fh:
        header = fh.readline().decode("utf-8", "replace").rstrip("\r\n")
    names = next(csv.reader([header], delimiter=delimiter), [])
    return f", column {names[int(number)]!r}" if int(number) < len(names) else ""


def _ragged_line(path: Path, delimiter: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            width = len(next(reader))
            for fields in reader:
                if fields and len(fields) != width:
                    return f" line {reader.line_num}"
    except (UnicodeDecodeError, csv.Error, StopIteration):
        return ""
    return ""


def _bad_utf8_line(path: Path) -> str:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return f" line {line}"
    return ""


def _check_binary_columns(table: pa.Table, path: Path) -> None:
    for name, typ in zip(table.column_names, table.schema.types, strict=True):
        if pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
            raise InvalidInput(
                f"{path.name}{_bad_utf8_line(path)}, column {name!r}: text is not valid UTF-8",
                hint="save the file as UTF-8",
            )


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path.name} is not a readable Parquet file: {exc}") from None


def _read_jsonl(path: Path) -> pa.Table:
    from pyarrow import json as pajson

    try:
        return pajson.read_json(path)
    except pa.ArrowInvalid as exc:
        text = str(exc).removeprefix("JSON parse error: ")
        if "UTF8" in text or "utf8" in text.lower():
            raise InvalidInput(
                f"{path.name}{_bad_utf8_line(path)} is not valid UTF-8",
                hint="save the file as UTF-8",
            ) from None
        raise InvalidInput(
            f"{path.name} is not valid JSON Lines: {_jsonl_where(text)}",
            hint="write one JSON object per line, same fields on each",
        ) from None


def _jsonl_where(text: str) -> str:
    head, sep, row = text.rpartition(" in row ")
    if sep and row.strip().isdigit():
        return f"line {int(row) + 1}: {head}"
    return text


def read_frame(data: Any, what: str = "the table") -> pa.Table:
    """A pandas DataFrame or a pyarrow Table, as a Table (the index is dropped)."""
    if isinstance(data, pa.Table):
        table = data
    else:
        import pandas as pd

        if not isinstance(data, pd.DataFrame):
            raise InvalidInput(
                f"cannot add {type(data).__name__} as a dataset",
                hint="give a path, a pandas DataFrame or a pyarrow Table",
            )
        _check_names([str(c) for c in data.columns], what)
        bad = [c for c in data.columns if not isinstance(c, str)]
        if bad:
            raise InvalidInput(
                f"{what}: column name {bad[0]!r} is not a string", hint="rename the columns to text"
            )
        table = _from_pandas(data, what)
    check_table(table, what)
    return table


def _from_pandas(df: Any, what: str) -> pa.Table:
    try:
        return pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        column = ""
        for name in df.columns:
            try:
                pa.array(df[name], from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                column = f", column {name!r}"
                break
        raise InvalidInput(
            f"{what}{column} mixes types that cannot be stored: {exc}",
            hint="make each column one type",
        ) from None


def _check_names(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidInput(
                f"{what}: duplicate column name {name!r}", hint="give every column a distinct name"
            )
        seen.add(name)
    for name in names:
        if not name.strip():
            raise InvalidInput(f"{what}: a column has an empty name", hint="name every column")


def check_table(table: pa.Table, what: str) -> None:
    _check_names(table.column_names, what)
    if table.num_columns == 0:
        raise InvalidInput(f"{what} has no columns", hint="give a table with a header and rows")
    if table.num_rows == 0:
        raise InvalidInput(f"{what} has a header but no rows", hint="add rows")


def conform(table: pa.Table, types: Mapping[str, pa.DataType]) -> pa.Table:
    """Cast columns to ``types`` where that loses nothing: numbers, booleans and empty columns
    to text (so "007" stays "007"), integers to floats, whole floats to integers. Anything else
    is left as it is for the contract check to report."""
    for name, want in types.items():
        if name not in table.column_names:
            continue
        i = table.column_names.index(name)
        have = table.schema.field(i).type
        if have == want or not _castable(have, want):
            continue
        try:
            column = table.column(i).cast(want, safe=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        table = table.set_column(i, name, column)
    return table


def _castable(have: pa.DataType, want: pa.DataType) -> bool:
    numeric = pa.types.is_integer(have) or pa.types.is_floating(have)
    if pa.types.is_string(want):
        return numeric or pa.types.is_boolean(have) or pa.types.is_null(have)
    return numeric and (pa.types.is_integer(want) or pa.types.is_floating(want))
