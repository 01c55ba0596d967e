"""The validated, immutable :class:`Dataset` a law is fitted to."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .._errors import DataError


def _frozen(values: Any, dtype: npt.DTypeLike, name: str) -> np.ndarray:
    """A read-only 1-D copy of ``values``."""
    if dtype is object:
        array = np.asarray(values)
        array = (array if array.dtype == object else array.astype(str)).astype(object)
    else:
        array = np.array(values, dtype=dtype)
    if array.ndim != 1:
        raise ValueError(f"Dataset.{name} must be one-dimensional, got shape {array.shape}")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Dataset:
    """Observations ready for fitting: law inputs, target, and per-row labels.

    Arrays are converted on construction to read-only copies (inputs, target and
    order as float64, labels as ``str`` objects, rows as int64); the mappings are
    read-only views. Build one with :func:`make_dataset` or :func:`load_dataset`,
    which validate the values.

    Parameters
    ----------
    X : mapping of str to numpy.ndarray
        Law input name -> values, shape ``(n,)``.
    y : numpy.ndarray
        Target values, shape ``(n,)``.
    target : str
        The target column's name.
    columns : mapping of str to str
        Law input name -> the column it came from.
    group : numpy.ndarray or None
        Group label of each row (str), or None when the data is one group.
    group_column : str or None
        The column the group labels came from.
    split : numpy.ndarray or None
        ``"train"`` / ``"test"`` label of each row, or None without a split.
    order : numpy.ndarray or None
        Position of each row in its group's sequence (a step or token count).
    rows : numpy.ndarray or None
        1-based row numbers in the original file, for messages.
    name : str
        Name for reports.
    source : str or None
        Where the data was read from.
    n_dropped : int
        Rows dropped for missing or infinite values (``nan_policy="drop"``).
    n_excluded : int
        Rows dropped by ``drop_where_true`` or a split label ``excluded``.
    """

    X: Mapping[str, np.ndarray]
    y: np.ndarray
    target: str
    columns: Mapping[str, str]
    group: np.ndarray | None = None
    group_column: str | None = None
    split: np.ndarray | None = None
    order: np.ndarray | None = None
    rows: np.ndarray | None = None
    name: str = "data"
    source: str | None = None
    n_dropped: int = 0
    n_excluded: int = 0

    def __post_init__(self) -> None:
        converted: dict[str, Any] = {
            "X": MappingProxyType(
                {k: _frozen(v, np.float64, f"X[{k!r}]") for k, v in self.X.items()}
            ),
            "columns": MappingProxyType(dict(self.columns)),
            "y": _frozen(self.y, np.float64, "y"),
        }
        for name, dtype in (
            ("group", object),
            ("split", object),
            ("order", np.float64),
            ("rows", np.int64),
        ):
            if getattr(self, name) is not None:
                converted[name] = _frozen(getattr(self, name), dtype, name)
        n = converted["y"].shape[0]
        for name, value in [*converted["X"].items(), *converted.items()]:
            if isinstance(value, np.ndarray) and value.shape[0] != n:
                raise ValueError(f"Dataset.{name} has {value.shape[0]} values but y has {n}")
        for name, value in converted.items():
            object.__setattr__(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Mapping proxies cannot be pickled; rebuild from plain dicts instead.
        state = {f.name: getattr(self, f.name) for f in fields(self)}
        state.update(X=dict(self.X), columns=dict(self.columns))
        return (_rebuild, (state,))

    def __repr__(self) -> str:
        parts = [
            f"name={self.name!r}",
            f"n={self.n}",
            f"inputs={self.inputs}",
            f"target={self.target!r}",
        ]
        if self.group is not None:
            parts.append(f"groups={len(self.groups())}")
        if self.split is not None:
            counts = {label: int(np.sum(self.split == label)) for label in ("train", "test")}
            parts.append(f"train={counts['train']}, test={counts['test']}")
        return f"Dataset({', '.join(parts)})"

    @property
    def n(self) -> int:
        """Number of rows."""
        return int(self.y.shape[0])

    @property
    def inputs(self) -> tuple[str, ...]:
        """Law input names, in order."""
        return tuple(self.X)

    def hash(self) -> str:
        """A content hash, ``"sha256:<hex>"``.

        Covers the input names and values, the target name and values, and the
        group, split and order labels; not the row numbers, name, source or counts.
        Equal data give equal hashes on every platform.
        """
        digest = hashlib.sha256()

        def put(tag: list[str], payload: bytes) -> None:
            header = json.dumps(tag).encode()
            for part in (header, payload):
                digest.update(len(part).to_bytes(8, "little") + part)

        for key, values in self.X.items():
            put(["input", key], values.astype("<f8").tobytes())
        put(["target", self.target], self.y.astype("<f8").tobytes())
        for label in ("group", "split"):
            values = getattr(self, label)
            if values is not None:
                put([label], json.dumps(values.tolist()).encode())
        if self.order is not None:
            put(["order"], self.order.astype("<f8").tobytes())
        return "sha256:" + digest.hexdigest()

    def subset(self, mask_or_index: npt.ArrayLike) -> Dataset:
        """The rows selected by a boolean mask of length ``n`` or by integer positions.

        Every per-row array is selected alike; names and counts are kept.

        Parameters
        ----------
        mask_or_index : array_like of bool or int
            A boolean mask with one value per row, or integer positions (taken in the order
            given, as numpy indexing does); an empty sequence selects no rows.

        Returns
        -------
        Dataset
            A new Dataset holding the selected rows.

        Raises
        ------
        ValueError
            If a mask's shape is not ``(n,)``.
        TypeError
            If the selection is neither boolean nor integer.
        """
        index = np.asarray(mask_or_index)
        if index.dtype == bool:
            if index.shape != (self.n,):
                raise ValueError(f"mask has shape {index.shape}, expected ({self.n},)")
            index = np.flatnonzero(index)
        elif index.size == 0:
            index = index.astype(np.intp)
        elif not np.issubdtype(index.dtype, np.integer):
            raise TypeError(
                f"select rows with a boolean mask or integer positions, not {index.dtype}"
            )

        def take(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[index]

        return replace(
            self,
            X={k: v[index] for k, v in self.X.items()},
            y=self.y[index],
            group=take(self.group),
            split=take(self.split),
            order=take(self.order),
            rows=take(self.rows),
        )

    def train(self) -> Dataset:
        """The rows labelled ``train``; all rows when there is no split."""
        return self if self.split is None else self.subset(self.split == "train")

    def test(self) -> Dataset:
        """The rows labelled ``test``; an empty Dataset when there is no split."""
        return self.subset(np.zeros(self.n, bool) if self.split is None else self.split == "test")

    def groups(self) -> list[str]:
        """Sorted unique group labels; ``[]`` when there is no group column."""
        return [] if self.group is None else sorted(set(self.group.tolist()))

    def by_group(self) -> list[tuple[str, Dataset]]:
        """One ``(label, Dataset)`` per group, sorted by label.

        Without a group column, the single pair ``(self.name, self)``.
        """
        if self.group is None:
            return [(self.name, self)]
        labels, inverse = np.unique(self.group.astype(str), return_inverse=True)
        return [(str(label), self.subset(inverse == i)) for i, label in enumerate(labels)]

    def distinct_scales(self) -> int:
        """Number of distinct input tuples (scales) among the rows."""
        if self.n == 0 or not self.X:
            return min(self.n, 1)
        return int(np.unique(np.column_stack(list(self.X.values())), axis=0).shape[0])

    def require_distinct_scales(self, n_params: int, *, law_name: str) -> None:
        """Check that every group has at least ``n_params`` distinct scales.

        Parameters
        ----------
        n_params : int
            Number of parameters fitted to each group.
        law_name : str
            The law's name, for the message.

        Raises
        ------
        DataError
            If a group (or the data, without groups) has fewer distinct input
            combinations than parameters.
        """
        parts = self.by_group() if self.group is not None else [(None, self)]
        for label, part in parts:
            found = part.distinct_scales()
            if found < n_params:
                where = "" if label is None else f" in group '{label}'"
                raise DataError(
                    f"only {found} distinct scale{'' if found == 1 else 's'} (input "
                    f"combination{'' if found == 1 else 's'}) for {n_params} "
                    f"parameters of {law_name}{where}: add runs at more scales or fit a law "
                    "with fewer parameters"
                )

    def to_frame(self) -> pd.DataFrame:
        """The data as a DataFrame.

        Columns: the inputs (under their source column names, or the law's input
        names if two share a column), the target, then ``group_column`` (or
        ``"group"``), ``"split"`` and ``"order"`` where present. The index holds the
        original row numbers (named ``"row"``) when known.
        """
        names = [self.columns.get(k, k) for k in self.X]
        if len(set(names)) < len(names):
            names = list(self.X)
        data: dict[str, np.ndarray] = dict(zip(names, self.X.values(), strict=True))
        data[self.target] = self.y
        for column, values in (
            (self.group_column or "group", self.group),
            ("split", self.split),
            ("order", self.order),
        ):
            if values is not None:
                data[column] = values
        index = None if self.rows is None else pd.Index(self.rows, name="row")
        return pd.DataFrame(data, index=index)


def _rebuild(state: dict[str, Any]) -> Dataset:
    return Dataset(**state)
