"""Reading tables (CSV, TSV, Parquet, JSON, JSON lines, dataset folders, stdin)."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from .._errors import DataError
from ._spec import SPEC_FILE, TaskSpec, read_task_spec, spec_columns

ROW_COLUMN = "__row__"
"""Column holding each row's 1-based number in the original file (header not counted)."""

DATA_FILE = "data.csv"
_ACCEPTED = (
    "accepted: .csv, .tsv, .parquet/.pq, .json (records or columns), .jsonl/.ndjson, "
    "a folder holding dataset.toml and data.csv, or - for CSV on stdin"
)
_TRUE = frozenset({"true", "1", "1.0"})
_FALSE = frozenset({"false", "0", "0.0"})


def format_columns(columns: Iterable[Any], limit: int = 30) -> str:
    """Comma-separated column names for messages, without the internal row column."""
    names = [str(c) for c in columns if c != ROW_COLUMN]
    joined = len(names) == 1 and ";" in names[0]
    if len(names) > limit:
        names = [*names[:limit], f"... ({len(names) - limit} more)"]
    text = ", ".join(names) or "none"
    if joined:  # a file whose columns are separated by ';' reads as one column
        text += "; one column whose name has ';': save the file with commas, or as .tsv"
    return text


def show(value: Any) -> str:
    """A cell value for messages: its repr, or ``missing value``."""
    missing = value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))
    if isinstance(value, np.generic):  # np.float64(7.0) -> 7.0, np.str_('a') -> 'a'
        value = value.item()
    text = repr(value)
    return "missing value" if missing else text if len(text) <= 40 else text[:37] + "..."


def read_table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, TaskSpec | None]:
    """Read a table of observations, and its task description when it has one.

    Parameters
    ----------
    path : str or path-like
        A dataset folder holding ``dataset.toml`` and ``data.csv`` (or that
        ``dataset.toml``); a ``.csv``, ``.tsv``, ``.parquet``/``.pq``, ``.json``
        (records or columns orient) or ``.jsonl``/``.ndjson`` file; or ``"-"`` for standard
        input (JSON, JSON lines, or else CSV).

    Returns
    -------
    frame : pandas.DataFrame
        The rows, with an added ``"__row__"`` column of 1-based row numbers in the
        original file (header not counted) so that messages can name the row. For a
        folder whose spec has ``drop_where_true``, rows where that column is true are
        already dropped; their count is in ``frame.attrs["n_excluded"]``.
    spec : TaskSpec or None
        The folder's task description, or None for a plain file.

    Raises
    ------
    DataError
        If the path does not exist, cannot be parsed, has an unknown extension, a
        column named by ``dataset.toml`` is missing, or a ``drop_where_true`` value is
        not true or false.
    """
    if not isinstance(path, (str, os.PathLike)):
        hint = ("; a DataFrame is already a table: pass it to make_dataset"
                if isinstance(path, pd.DataFrame) else "")
        raise DataError(f"read_table reads a file or folder: give its path, not "
                        f"{type(path).__name__}{hint}")
    if str(path) == "-":
        return _number_rows(_read_stdin(), "<stdin>"), None
    file = Path(path)
    if file.is_dir() or file.name == SPEC_FILE:
        return _read_folder(file if file.is_dir() else file.parent)
    if not file.exists():
        raise DataError(f"{file}: file not found ({_ACCEPTED})")
    reader = _READERS.get(file.suffix.lower())
    if reader is None:
        raise DataError(f"{file}: unknown file extension '{file.suffix}' ({_ACCEPTED})")
    return _number_rows(reader(file), str(file)), None


def _read_stdin() -> pd.DataFrame:
    """Standard input: JSON (records or columns), JSON lines, or else CSV."""
    text = _source_text(sys.stdin, "<stdin>", "text")
    if text.lstrip().startswith(("{", "[")):
        try:
            json.loads(text)
        except json.JSONDecodeError:
            first = text.lstrip().splitlines()[0]
            if first.startswith("{") and first.rstrip().endswith("}"):  # one object per line
                return _json_lines_frame(text, "<stdin>")
        return _json_frame(text, "<stdin>")
    return _read_delimited(io.StringIO(text), ",", "<stdin>")


def _read_folder(folder: Path) -> tuple[pd.DataFrame, TaskSpec]:
    spec = read_task_spec(folder)
    data = folder / DATA_FILE
    if not data.is_file():
        raise DataError(
            f"{folder}: no {DATA_FILE} next to {SPEC_FILE}; a dataset folder holds both"
        )
    frame = _number_rows(_read_delimited(data, ",", str(data)), str(data))
    for key, column in spec_columns(spec):
        if column not in frame.columns:
            raise DataError(
                f"{data}: no column '{column}' named by key '{key}' of {SPEC_FILE} "
                f"(columns: {format_columns(frame.columns)}); fix {SPEC_FILE} or the data"
            )
    if spec.drop_where_true is not None:
        frame = _drop_where_true(frame, spec.drop_where_true)
    return frame, spec


def _source_text(source: Path | IO[str], name: str, kind: str) -> str:
    """The UTF-8 text of a file or a stream (a byte-order mark dropped)."""
    try:
        if isinstance(source, Path):
            raw = source.read_bytes()
        else:
            buffer = getattr(source, "buffer", None)
            raw = buffer.read() if buffer is not None else source.read()
        return raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as err:
        raise DataError(f"{name}: cannot be read as {kind} (not UTF-8 text: {_one_line(err)}); "
                        "save it as UTF-8") from None
    except OSError as err:
        raise DataError(f"{name}: cannot be read ({_one_line(err)})") from None


def _read_delimited(source: Path | IO[str], sep: str, name: str) -> pd.DataFrame:
    kind = "TSV" if sep == "\t" else "CSV"
    text = _source_text(source, name, kind)
    _check_header(text, sep, name)
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise DataError(
            f"{name}: empty; a {kind} needs a header row and one row per observation"
        ) from None
    except (pd.errors.ParserError, ValueError) as err:
        # pandas counts file lines; other messages count data rows (the header is not one)
        ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
        if ragged:
            want, line, got = map(int, ragged.groups())
            raise DataError(f"{name}: row {line - 1} (line {line} of the file) has {got} "
                            f"fields, the header {want}; fix that row (a value with the "
                            "separator in it needs quotes)") from None
        raise DataError(f"{name}: cannot be read as {kind} ({_one_line(err)})") from None


def _check_header(text: str, sep: str, name: str) -> None:
    """Refuse a header that names a column twice (pandas would rename the second silently)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), None)
    if line is None:
        return
    try:
        header = next(csv.reader([line], delimiter=sep, skipinitialspace=True))
    except csv.Error:
        return  # the parser will say what is wrong
    seen: dict[str, int] = {}
    for position, column in enumerate(header, start=1):
        key = column.strip()
        if key and key in seen:
            raise DataError(f"{name}: column {key!r} appears twice in the header (columns "
                            f"{seen[key]} and {position}); rename or drop one")
        seen.setdefault(key, position)


def _read_parquet(file: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(file)
    except ImportError:
        raise DataError(f"{file}: reading Parquet needs pyarrow; install it") from None
    except (OSError, ValueError, NotImplementedError) as err:
        raise DataError(f"{file}: cannot be read as Parquet ({_one_line(err)})") from None


def _read_text(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{file}: cannot be read ({_one_line(err)})") from None


def _read_json(file: Path) -> pd.DataFrame:
    return _json_frame(_read_text(file), str(file))


def _json_frame(text: str, file: str) -> pd.DataFrame:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DataError(f"{file}: malformed JSON ({err}); fix the file") from None
    if isinstance(data, list) and all(isinstance(record, dict) for record in data):
        return pd.DataFrame.from_records(data) if data else pd.DataFrame()
    if isinstance(data, dict) and data and all(isinstance(v, list | dict) for v in data.values()):
        try:
            return pd.DataFrame(data)
        except ValueError as err:
            raise DataError(f"{file}: the JSON columns do not line up ({_one_line(err)})") from None
    raise DataError(
        f'{file}: JSON must be a list of records ([{{"col": value, ...}}, ...]) '
        'or an object of columns ({"col": [values], ...})'
    )


def _read_json_lines(file: Path) -> pd.DataFrame:
    return _json_lines_frame(_read_text(file), str(file))


def _json_lines_frame(text: str, file: str) -> pd.DataFrame:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(
                f"{file} line {number}: malformed JSON ({err.msg}); fix the line"
            ) from None
        if not isinstance(record, dict):
            raise DataError(f"{file} line {number}: expected one JSON object per line")
        records.append(record)
    return pd.DataFrame.from_records(records) if records else pd.DataFrame()


_READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": lambda file: _read_delimited(file, ",", str(file)),
    ".tsv": lambda file: _read_delimited(file, "\t", str(file)),
    ".parquet": _read_parquet,
    ".pq": _read_parquet,
    ".json": _read_json,
    ".jsonl": _read_json_lines,
    ".ndjson": _read_json_lines,
}


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())


def _number_rows(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    if ROW_COLUMN in frame.columns:
        raise DataError(f"{name}: column '{ROW_COLUMN}' is reserved for row numbers; rename it")
    frame[ROW_COLUMN] = np.arange(1, len(frame) + 1, dtype=np.int64)
    frame.attrs.update(source=name, n_excluded=0)
    return frame


def _drop_where_true(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    values = frame[column]
    text = values.astype(str).str.strip().str.lower()
    is_true = text.isin(_TRUE).to_numpy()
    valid = is_true | text.isin(_FALSE).to_numpy()
    if not valid.all():
        i = int(np.argmin(valid))
        raise DataError(
            f"column '{column}' row {frame[ROW_COLUMN].iloc[i]}: {show(values.iloc[i])} is not "
            f"true or false (key drop_where_true of {SPEC_FILE}); use True/False, true/false or 1/0"
        )
    kept = frame.loc[~is_true].reset_index(drop=True)
    kept.attrs = {
        **frame.attrs,
        "n_excluded": frame.attrs.get("n_excluded", 0) + int(is_true.sum()),
    }
    return kept
