"""The ``dataset.toml`` task description: :class:`TaskSpec` and :func:`read_task_spec`."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import DataError

SPEC_FILE = "dataset.toml"
_REQUIRED = ("name", "description", "inputs", "target")
_OPTIONAL = ("group", "split", "drop_where_true", "order_by")
_NOT_COLUMNS = ("reference_law",)  # optional keys whose values are not column names


@dataclass(frozen=True)
class TaskSpec:
    """How a scaling-law task reads the ``data.csv`` of a dataset folder.

    Parameters
    ----------
    name : str
        The dataset's name (by convention its folder's name).
    description : str
        One line saying what the data measures.
    inputs : tuple of str
        Columns a law sees, in the order a law's inputs are matched to them.
    targets : tuple of str
        Columns to predict; one law is fitted per target.
    group : str or None
        Column whose values each get their own fitted parameters.
    split : str or None
        Column holding ``train`` / ``test`` / ``excluded``.
    drop_where_true : str or None
        Boolean column; rows where it is true are dropped on reading.
    order_by : str or None
        Column ordering the rows of a group (a step or token count).
    path : str or None
        The folder the spec was read from.
    reference_law : str or None
        The law the dataset's authors used (a catalogue name or a formula), which ``bench``
        reports beside the winner.
    """

    name: str
    description: str
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    group: str | None = None
    split: str | None = None
    drop_where_true: str | None = None
    order_by: str | None = None
    path: str | None = None
    reference_law: str | None = None


def spec_columns(spec: TaskSpec) -> list[tuple[str, str]]:
    """Every ``(key, column)`` pair a spec names, in file order."""
    pairs = [("inputs", c) for c in spec.inputs] + [("target", c) for c in spec.targets]
    for key in _OPTIONAL:
        column = getattr(spec, key)
        if column is not None:
            pairs.append((key, column))
    return pairs


def read_task_spec(folder: str | os.PathLike[str]) -> TaskSpec:
    """Read ``folder/dataset.toml``.

    Parameters
    ----------
    folder : str or path-like
        A dataset folder (or the ``dataset.toml`` file itself).

    Returns
    -------
    TaskSpec
        The parsed description, with ``path`` set to the folder.

    Raises
    ------
    DataError
        If the file is missing, unreadable or malformed TOML, lacks a required key
        (``name``, ``description``, ``inputs``, ``target``), has an unknown key, or a
        value of the wrong type. The one-line message names the file and the key.
    """
    folder = Path(folder)
    if folder.name == SPEC_FILE and not folder.is_dir():
        folder = folder.parent
    file = folder / SPEC_FILE
    try:
        # a byte-order mark (some editors write one) is not TOML; read past it
        raw = tomllib.loads(file.read_bytes().decode("utf-8").removeprefix("\ufeff"))
    except FileNotFoundError:
        raise DataError(
            f"{file}: not found; a dataset folder needs a dataset.toml next to its data.csv"
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DataError(f"{file}: cannot be read ({err}); check the file") from None
    except tomllib.TOMLDecodeError as err:
        raise DataError(f"{file}: malformed TOML ({err}); fix the syntax") from None

    for key in raw:
        known = _REQUIRED + _OPTIONAL + _NOT_COLUMNS
        if key not in known:
            raise DataError(
                f"{file}: unknown key '{key}' (known keys: {', '.join(known)}); "
                "remove it or fix its spelling"
            )
    for key in _REQUIRED:
        if key not in raw:
            raise DataError(
                f"{file}: missing required key '{key}'; add it "
                f"(required keys: {', '.join(_REQUIRED)})"
            )
    target = raw["target"]
    return TaskSpec(
        name=_string(file, "name", raw["name"]),
        description=_string(file, "description", raw["description"]),
        inputs=_string_list(file, "inputs", raw["inputs"]),
        targets=(
            (_string(file, "target", target),)
            if isinstance(target, str)
            else _string_list(file, "target", target, what="a column name or a list of them")
        ),
        path=str(folder),
        # surrounding spaces mean nothing in a column name or a law (a formula or a name)
        **{key: _string(file, key, raw[key]).strip() for key in _OPTIONAL + _NOT_COLUMNS
           if key in raw},
    )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _string(file: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{file}: key '{key}' must be a non-empty string, got {_short(value)}")
    return value


def _string_list(
    file: Path, key: str, value: Any, what: str = "a list of column names"
) -> tuple[str, ...]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        raise DataError(f"{file}: key '{key}' must be {what}, got {_short(value)}")
    if len(set(value)) < len(value):
        raise DataError(f"{file}: key '{key}' lists a column twice ({_short(value)})")
    return tuple(value)
