"""Split rules for data without a published train/test split, declared by value.

``"COLUMN>=VALUE"`` (:class:`Threshold`) holds out the rows whose value passes a comparison;
``COLUMN[:K]`` with :class:`Largest` holds out the rows at the ``K`` largest distinct values of
a column, within each group when the data has groups (each group is fitted on its own, so each
needs its own extrapolation target).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import is_whole
from .._errors import DataError, InputError

SPLIT_COLUMN = "__bench_split__"
"""Column that :func:`apply_split` adds to a table: ``train`` / ``test`` / ``excluded``."""

_OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
_RULE = re.compile(r"^\s*([^<>=!\s][^<>=!]*?)\s*(>=|<=|==|>|<)\s*(\S.*?)\s*$")


@dataclass(frozen=True)
class Threshold:
    """Hold out the rows where ``column OP value`` (e.g. ``params >= 1e10``).

    Parameters
    ----------
    column : str
        A numeric column of the table (any column, not only a law input).
    op : {">=", ">", "<=", "<", "=="}
        The comparison.
    value : float
        The threshold.
    """

    column: str
    op: str
    value: float

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column.strip():
            raise InputError(f"a holdout rule needs a column name, got {self.column!r}")
        if self.op not in _OPERATORS:
            raise InputError(f"holdout comparison {self.op!r}: use one of "
                             f"{', '.join(_OPERATORS)}")
        if (isinstance(self.value, bool) or not isinstance(self.value, (int, float))
                or not math.isfinite(self.value)):
            raise InputError(f"holdout threshold {self.value!r}: must be a finite number")

    def __str__(self) -> str:
        # short when that is exact, else in full: the recorded rule must reproduce the split
        v = float(self.value)
        text = f"{v:g}" if float(f"{v:g}") == v else repr(v)
        return f"--holdout '{self.column}{self.op}{text}'"

    def test_mask(self, values: np.ndarray, groups: np.ndarray | None,
                  kept: np.ndarray | None = None) -> np.ndarray:
        """Rows held out, for the column's values (``groups`` and ``kept`` are not used).

        Parameters
        ----------
        values : ndarray of float
            The rule's column, one value per row.
        groups : ndarray or None
            Group label of each row (not used).
        kept : ndarray of bool, optional
            Rows not excluded by a published split (not used).

        Returns
        -------
        ndarray of bool
            True where ``values OP value`` holds.
        """
        return _OPERATORS[self.op](values, self.value)


@dataclass(frozen=True)
class Largest:
    """Hold out the rows at the ``count`` largest distinct values of ``column``, per group.

    Parameters
    ----------
    column : str
        A numeric column of the table.
    count : int
        How many of the largest distinct values to hold out (default 1).
    """

    column: str
    count: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.column, str) or not self.column.strip():
            raise InputError(f"a holdout rule needs a column name, got {self.column!r}")
        if not is_whole(self.count) or self.count < 1:
            raise InputError(f"holdout count {self.count!r}: must be a whole number >= 1 (how "
                             "many of the largest distinct values to hold out)")

    def __str__(self) -> str:
        suffix = "" if self.count == 1 else f":{self.count}"
        return f"--holdout-largest {self.column}{suffix}"

    def test_mask(self, values: np.ndarray, groups: np.ndarray | None,
                  kept: np.ndarray | None = None) -> np.ndarray:
        """Rows held out: within each group, those at its ``count`` largest distinct values
        among the ``kept`` rows (all rows by default; excluded rows never count).

        Parameters
        ----------
        values : ndarray of float
            The rule's column, one value per row.
        groups : ndarray or None
            Group label of each row; None treats all rows as one group.
        kept : ndarray of bool, optional
            Rows that may be held out (those not excluded by a published split); None keeps
            every row.

        Returns
        -------
        ndarray of bool
            True for the kept rows at or above the ``count``-th largest distinct value of
            their group (every kept row of a group with fewer distinct values).
        """
        mask = np.zeros(values.shape, bool)
        kept = np.ones(values.shape, bool) if kept is None else kept
        labels = np.zeros(values.shape, int) if groups is None else groups
        for label in pd.unique(labels[kept]):
            rows = (labels == label) & kept
            distinct = np.unique(values[rows])
            cut = distinct[-self.count] if len(distinct) >= self.count else distinct[0]
            mask |= rows & (values >= cut)
        return mask


SplitRule = Threshold | Largest


def parse_threshold(text: str) -> Threshold:
    """Parse ``"COLUMN>=VALUE"`` (also ``>``, ``<=``, ``<``, ``==``).

    Parameters
    ----------
    text : str
        The rule, as given to ``--holdout``; spaces around the parts are ignored.

    Returns
    -------
    Threshold

    Raises
    ------
    InputError
        If the text is not of that form or VALUE is not a finite number.
    """
    if not isinstance(text, str):
        raise InputError(f"--holdout {text!r}: expected text COLUMN>=VALUE")
    match = _RULE.match(text or "")
    if not match:
        raise InputError(f"--holdout {text!r}: expected COLUMN>=VALUE (or >, <=, <, ==), e.g. "
                         "--holdout 'params>=1e10'")
    column, op, raw = match.groups()
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"--holdout {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"--holdout {text!r}: the threshold must be a finite number")
    return Threshold(column, op, value)


def parse_largest(text: str) -> Largest:
    """Parse ``"COLUMN"`` or ``"COLUMN:K"`` (hold out the K largest distinct values).

    Parameters
    ----------
    text : str
        The rule, as given to ``--holdout-largest``; K is 1 when left out. The column name
        is what precedes the last ``:``.

    Returns
    -------
    Largest

    Raises
    ------
    InputError
        If the column is empty or K is not a positive integer.
    """
    if not isinstance(text, str):
        raise InputError(f"--holdout-largest {text!r}: expected text COLUMN or COLUMN:K")
    column, sep, raw = (text or "").rpartition(":")
    if not sep:
        column, raw = text, "1"
    column = column.strip()
    try:
        count = int(raw)
    except ValueError:
        count = 0
    if not column or count < 1:
        raise InputError(f"--holdout-largest {text!r}: expected COLUMN or COLUMN:K with K a "
                         "positive integer, e.g. --holdout-largest params")
    return Largest(column, count)


def apply_split(frame: pd.DataFrame, rule: SplitRule, *, published: str | None,
                group: str | None, source: str) -> pd.DataFrame:
    """A copy of ``frame`` with a :data:`SPLIT_COLUMN` column set by ``rule``.

    Rows that the published split column (if any) labels ``excluded`` stay excluded; every
    other row is ``test`` when the rule holds it out and ``train`` otherwise.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table (as read by :func:`scalinglaws.data.read_table`).
    rule : Threshold or Largest
        The split rule.
    published : str or None
        The dataset's own split column.
    group : str or None
        The group column (for :class:`Largest`).
    source : str
        The dataset, for messages.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    DataError
        If the rule's column is missing or not numeric, or the rule leaves no train or no test
        rows.
    """
    from ..data import ROW_COLUMN

    columns = [str(c) for c in frame.columns if c != ROW_COLUMN and c != SPLIT_COLUMN]
    if rule.column not in columns:
        raise DataError(f"{source}: {rule}: no column '{rule.column}' (columns: "
                        f"{', '.join(columns)})")
    values = pd.to_numeric(frame[rule.column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        row = frame[ROW_COLUMN].iloc[i] if ROW_COLUMN in frame.columns else i + 1
        raise DataError(f"{source}: {rule}: column '{rule.column}' row {row}: "
                        f"{frame[rule.column].iloc[i]!r} is not a finite number")
    excluded = np.zeros(len(frame), bool)
    if published is not None:
        excluded = (frame[published].astype(str).str.strip().str.lower() == "excluded").to_numpy()
    groups = None if group is None else frame[group].astype(str).to_numpy(dtype=object)
    test = rule.test_mask(values, groups, ~excluded)
    labels = np.where(excluded, "excluded", np.where(test, "test", "train"))
    kept = values[~excluded]
    for label in ("train", "test"):
        if kept.size and not np.any(labels == label):
            raise DataError(f"{source}: {rule} leaves no {label} rows (column '{rule.column}' "
                            f"ranges from {kept.min():.6g} to {kept.max():.6g}); choose another "
                            "threshold")
    out = frame.copy()
    out[SPLIT_COLUMN] = labels
    return out
