"""Validating a table into a :class:`Dataset`, and the one-call loaders."""

from __future__ import annotations

import os
import warnings
from collections.abc import Collection, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from .._errors import DataError, DataWarning
from ._dataset import Dataset
from ._mapping import resolve_input_mapping
from ._spec import TaskSpec
from ._table import ROW_COLUMN, format_columns, read_table, show

NanPolicy = Literal["raise", "drop"]
TARGET_ALIAS = "y"
"""Name that stands for the target in ``positive`` / ``nonnegative`` (besides its column)."""

_SPLITS = ("train", "test", "excluded")
_MISSING_TEXT = frozenset({"", "nan", "na", "n/a", "null", "none", "<na>"})


def _to_float(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values (NaN where missing) and a mask of text that is not a number."""
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_complex_dtype(dtype) or \
            pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return np.full(len(values), np.nan), np.ones(len(values), bool)  # not a measurement
    if pd.api.types.is_numeric_dtype(dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan), np.zeros(len(values), bool)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    blank = values.isna() | values.astype(str).str.strip().str.lower().isin(_MISSING_TEXT)
    return numbers, np.isnan(numbers) & ~blank.to_numpy(dtype=bool)


def _first(masks: Sequence[np.ndarray]) -> tuple[int, int] | None:
    """``(which mask, row position)`` of the earliest flagged row (ties: the first mask)."""
    found = [(int(mask.argmax()), k) for k, mask in enumerate(masks) if mask.any()]
    if not found:
        return None
    position, k = min(found)
    return k, position


def _number(value: float) -> str:
    return f"{value:.12g}"


def make_dataset(
    frame: pd.DataFrame,
    mapping: Mapping[str, str],
    target: str,
    *,
    spec: TaskSpec | None = None,
    group: str | None = None,
    split: str | None = None,
    order_by: str | None = None,
    nan_policy: NanPolicy = "raise",
    positive: Collection[str] = (),
    nonnegative: Collection[str] = (),
    name: str | None = None,
    source: str | None = None,
) -> Dataset:
    """Validate a table and turn it into a :class:`Dataset`.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table, as returned by :func:`read_table` (its ``"__row__"`` column and
        ``attrs["n_excluded"]`` are used when present).
    mapping : mapping of str to str
        Law input name -> column (see :func:`resolve_input_mapping`).
    target : str
        The target column.
    spec : TaskSpec, optional
        Supplies the defaults of ``group``, ``split``, ``order_by`` and ``name``.
    group, split, order_by : str, optional
        Columns of group labels, ``train``/``test``/``excluded`` labels, and order.
        Rows labelled ``excluded`` are dropped and counted in ``n_excluded``.
    nan_policy : {"raise", "drop"}
        What to do with missing (NaN, empty) or infinite values in the input, target,
        order or group columns: raise, or drop those rows with a :class:`DataWarning`.
        Text that is not a number is always an error.
    positive, nonnegative : collection of str
        Law inputs whose values must be > 0 (respectively >= 0). The target is named
        by its column or by ``"y"``.
    name, source : str, optional
        Name for reports (default: the spec's name, else ``"data"``) and origin.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        With a one-line message naming the column and the first offending original
        row: a missing column, a bad split label, a value that is not a number, a
        missing or infinite value under ``nan_policy="raise"``, a value violating
        ``positive``/``nonnegative``, or no rows left; a target that is also an input, a
        column mapped to two inputs, a boolean, complex or date column, an unknown
        ``nan_policy``.
    """
    if nan_policy not in ("raise", "drop"):
        raise DataError(f"nan_policy must be 'raise' or 'drop', not {nan_policy!r}")
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"the data must be a pandas DataFrame, not {type(frame).__name__}")
    if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and isinstance(c, str) for k, c in mapping.items()):
        raise DataError("mapping must be a mapping of law input name to column name, e.g. "
                        f"{{'N': 'params', 'D': 'tokens'}}, not {type(mapping).__name__}")
    for option, arg in (("positive", positive), ("nonnegative", nonnegative)):
        if isinstance(arg, str):
            raise DataError(f"{option} must be a collection of names, e.g. ({arg!r},), not a "
                            "string")
    as_input = [k for k, c in mapping.items() if c == target]
    if as_input:
        raise DataError(f"target column '{target}' is also the column of input {as_input[0]}; "
                        "a column cannot be both")
    twice = [c for c in dict.fromkeys(mapping.values()) if list(mapping.values()).count(c) > 1]
    if twice:
        inputs = [k for k, c in mapping.items() if c == twice[0]]
        raise DataError(f"column '{twice[0]}' is mapped to several inputs "
                        f"({', '.join(inputs)}); give each input its own column")
    if spec is not None:
        group = group if group is not None else spec.group
        split = split if split is not None else spec.split
        order_by = order_by if order_by is not None else spec.order_by
    for role, column in (("group", group), ("split", split)):
        clash = [f"input {k}" for k, c in mapping.items() if c == column]
        clash += ["the target"] if column == target else []
        clash += ["the split column"] if role == "group" and column == split else []
        if column and clash:
            raise DataError(f"column '{column}' cannot be both {clash[0]} and the {role} "
                            f"column; choose another {role} column (--{role} COLUMN)")
    available = format_columns(frame.columns)
    roles = [(f"column '{c}' (input {k})", c) for k, c in mapping.items()]
    roles += [(f"target column '{target}'", target)]
    roles += [
        (f"{r} column '{c}'", c)
        for r, c in (("group", group), ("split", split), ("order", order_by))
        if c
    ]
    for label, column in roles:
        if column not in frame.columns:
            raise DataError(f"{label} not found (columns: {available})")

    n_excluded = int(frame.attrs.get("n_excluded", 0))
    if ROW_COLUMN in frame.columns:
        rows = frame[ROW_COLUMN].to_numpy(dtype=np.int64)
    else:
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    split_labels = None
    if split:
        text = frame[split].astype(str).str.strip().str.lower()
        valid = (text.isin(_SPLITS) & frame[split].notna()).to_numpy(dtype=bool)
        if not valid.all():
            i = int(np.argmin(valid))
            raise DataError(
                f"column '{split}' row {rows[i]}: {show(frame[split].iloc[i])} is not a split "
                "label; use train, test or excluded"
            )
        kept = (text != "excluded").to_numpy(dtype=bool)
        n_excluded += int((~kept).sum())
        frame, rows, split_labels = frame.loc[kept], rows[kept], text.to_numpy(dtype=object)[kept]

    numeric = list(dict.fromkeys([*mapping.values(), target, *([order_by] if order_by else [])]))
    values: dict[str, np.ndarray] = {}
    not_numbers = []
    for column in numeric:
        values[column], bad = _to_float(frame[column])
        not_numbers.append(bad)
    if found := _first(not_numbers):
        column, i = numeric[found[0]], found[1]
        hint = ("fix the value, or, if the column holds labels, use it to group the runs "
                "(--group) instead of as an input" if column in mapping.values()
                else "fix the value")
        raise DataError(
            f"column '{column}' row {rows[i]}: {show(frame[column].iloc[i])} is not a number; "
            + hint
        )

    missing = [(c, ~np.isfinite(values[c])) for c in numeric]
    if group:
        missing.append((group, frame[group].isna().to_numpy(dtype=bool)))
    n_dropped = 0
    if found := _first([mask for _, mask in missing]):
        column, i = missing[found[0]][0], found[1]
        if nan_policy == "raise":
            value = values[column][i] if column in values else np.nan
            what = f"infinite value ({value})" if np.isinf(value) else "missing value (NaN)"
            raise DataError(
                f"column '{column}' row {rows[i]}: {what}; fix the data or pass --nan-policy drop"
            )
        drop = np.logical_or.reduce([mask for _, mask in missing])
        n_dropped = int(drop.sum())
        warnings.warn(
            f"dropped {n_dropped} row{'s' if n_dropped != 1 else ''} with missing or infinite "
            f"values (first: row {rows[i]})",
            DataWarning,
            stacklevel=2,
        )
        kept = ~drop
        frame, rows = frame.loc[kept], rows[kept]
        values = {c: v[kept] for c, v in values.items()}
        split_labels = None if split_labels is None else split_labels[kept]

    if len(frame) == 0:
        raise DataError(
            f"no rows left in {source or 'the data'} ({n_excluded} excluded, {n_dropped} dropped "
            "for missing values); check the data, its split and drop_where_true columns"
        )
    _check_signs(values, mapping, target, rows, positive, nonnegative)
    _warn_repeated_rows(frame, values, [group, split], rows)
    return Dataset(
        X={k: values[c] for k, c in mapping.items()},
        y=values[target],
        target=target,
        columns=dict(mapping),
        group=None if not group else frame[group].astype(str).to_numpy(dtype=object),
        group_column=group or None,
        split=split_labels,
        order=values[order_by] if order_by else None,
        rows=rows,
        name=name or (spec.name if spec is not None else "data"),
        source=source,
        n_dropped=n_dropped,
        n_excluded=n_excluded,
    )


def _warn_repeated_rows(
    frame: pd.DataFrame,
    values: Mapping[str, np.ndarray],
    labels: list[str | None],
    rows: np.ndarray,
) -> None:
    """Warn when rows repeat an earlier row in every column the dataset uses."""
    used = pd.DataFrame({f"v{i}": v for i, v in enumerate(values.values())})
    for i, column in enumerate(c for c in labels if c):
        used[f"l{i}"] = frame[column].astype(str).to_numpy(dtype=object)
    repeats = used.duplicated(keep="first").to_numpy(dtype=bool)
    if not repeats.any():
        return
    first = int(np.argmax(repeats))
    same = used.iloc[:first].eq(used.iloc[first]).all(axis=1).to_numpy(dtype=bool)
    earlier = rows[int(np.argmax(same))]
    n = int(repeats.sum())
    warnings.warn(
        f"{n} row{'s repeat' if n != 1 else ' repeats'} an earlier row in every column used "
        f"(first: row {rows[first]} repeats row {earlier}); each counts as a separate run, so "
        "remove them if they are copies",
        DataWarning,
        stacklevel=3,
    )


def _check_signs(
    values: Mapping[str, np.ndarray],
    mapping: Mapping[str, str],
    target: str,
    rows: np.ndarray,
    positive: Collection[str],
    nonnegative: Collection[str],
) -> None:
    checks = []
    for names, strict in ((positive, True), (nonnegative, False)):
        for item in names:
            if item in mapping:
                column, role = mapping[item], f"input {item}"
                why = (
                    "the law takes its logarithm or a power"
                    if strict
                    else "the law takes a power of it"
                )
            elif item in (target, TARGET_ALIAS):
                column, role = target, "target"
                why = (
                    "the fit compares logarithms"
                    if strict
                    else "the law predicts no negative values"
                )
            else:
                raise ValueError(f"{item!r} is neither an input of the mapping nor the target")
            bad = values[column] <= 0 if strict else values[column] < 0
            checks.append(
                (f"column '{column}' ({role})", bad, ">" if strict else ">=", why, column)
            )
    if found := _first([bad for _, bad, *_ in checks]):
        (label, _, op, why, column), i = checks[found[0]], found[1]
        raise DataError(
            f"{label} row {rows[i]}: {_number(values[column][i])} must be {op} 0 because {why}"
        )


def load_dataset(
    path: str | os.PathLike[str],
    *,
    law_inputs: Sequence[str],
    user_inputs: Mapping[str, str] | None = None,
    target: str | None = None,
    group: str | None = None,
    split: str | None = None,
    nan_policy: NanPolicy = "raise",
    positive: Collection[str] = (),
    nonnegative: Collection[str] = (),
    law_name: str = "the law",
) -> Dataset:
    """Read a table and validate it for a law, in one call.

    :func:`read_table`, then :func:`resolve_input_mapping`, then :func:`make_dataset`.

    Parameters
    ----------
    path : str or path-like
        Anything :func:`read_table` accepts.
    law_inputs : sequence of str
        The law's input names.
    user_inputs : mapping of str to str, optional
        Explicit ``{law input: column}`` choices (``--input N=params``).
    target : str, optional
        The target column; defaults to the spec's target when it has exactly one.
    group, split : str, optional
        Override the spec's group and split columns.
    nan_policy, positive, nonnegative
        As for :func:`make_dataset`.
    law_name : str
        The law's name, for messages.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        If no target is given and the spec does not name exactly one, or for any
        problem raised by the three steps.
    """
    frame, spec, mapping = _read_for_law(path, law_inputs, user_inputs, law_name)
    if target is None:
        if spec is None:
            raise DataError(
                f"{path}: no target column given: pass --target COLUMN "
                f"(columns: {format_columns(frame.columns)})"
            )
        if len(spec.targets) > 1:
            raise DataError(
                f"{spec.path}: dataset.toml lists several targets ({', '.join(spec.targets)}): "
                "pass --target to choose one"
            )
        target = spec.targets[0]
    return make_dataset(
        frame,
        mapping,
        target,
        spec=spec,
        group=group,
        split=split,
        nan_policy=nan_policy,
        positive=positive,
        nonnegative=nonnegative,
        source=str(path),
    )


def load_dataset_targets(
    path: str | os.PathLike[str],
    *,
    law_inputs: Sequence[str],
    user_inputs: Mapping[str, str] | None = None,
    nan_policy: NanPolicy = "raise",
    positive: Collection[str] = (),
    nonnegative: Collection[str] = (),
    law_name: str = "the law",
) -> list[Dataset]:
    """One :class:`Dataset` per target listed in a dataset folder's ``dataset.toml``.

    The file is read once.

    Parameters
    ----------
    path : path-like
        A dataset folder (``dataset.toml`` + ``data.csv``).
    law_inputs, user_inputs, nan_policy, positive, nonnegative, law_name
        As for :func:`load_dataset`.

    Returns
    -------
    list of Dataset
        In the order of the spec's ``target`` list.

    Raises
    ------
    DataError
        If ``path`` has no ``dataset.toml``, or as :func:`load_dataset`.
    """
    frame, spec, mapping = _read_for_law(path, law_inputs, user_inputs, law_name)
    if spec is None:
        raise DataError(
            f"{path}: not a dataset folder with dataset.toml; pass --target COLUMN instead"
        )
    return [
        make_dataset(
            frame,
            mapping,
            target,
            spec=spec,
            nan_policy=nan_policy,
            positive=positive,
            nonnegative=nonnegative,
            source=str(path),
        )
        for target in spec.targets
    ]


def _read_for_law(
    path: str | os.PathLike[str],
    law_inputs: Sequence[str],
    user_inputs: Mapping[str, str] | None,
    law_name: str,
) -> tuple[pd.DataFrame, TaskSpec | None, dict[str, str]]:
    frame, spec = read_table(path)
    mapping = resolve_input_mapping(
        law_inputs,
        user=user_inputs,
        spec_inputs=None if spec is None else spec.inputs,
        columns=list(frame.columns),
        law_name=law_name,
    )
    return frame, spec, mapping
