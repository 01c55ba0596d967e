"""Matching a law's inputs to table columns."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

from .._errors import DataError, DataWarning
from ._table import ROW_COLUMN, format_columns


def resolve_input_mapping(
    law_inputs: Sequence[str],
    *,
    user: Mapping[str, str] | None,
    spec_inputs: Sequence[str] | None,
    columns: Sequence[str],
    law_name: str = "the law",
    advice: str = "pass --input {name}=COLUMN",
) -> dict[str, str]:
    """Decide which column feeds each input of a law.

    Rules, in order of precedence:

    1. ``user`` mappings (from ``--input N=params``) win.
    2. With a spec, an input whose name is itself one of ``spec_inputs`` takes that
       column; the other inputs take ``spec_inputs`` position-wise
       (``law_inputs[i]`` -> ``spec_inputs[i]``), or, when that column is already
       taken, the first free spec input in order. A :class:`DataWarning` is emitted
       when spec inputs are left over, since the position-wise guess may be wrong.
    3. Without a spec, an input takes the column of the same name.

    Parameters
    ----------
    law_inputs : sequence of str
        The law's input names, in order.
    user : mapping of str to str or None
        Explicit ``{law input: column}`` choices.
    spec_inputs : sequence of str or None
        The ``inputs`` of the dataset's ``dataset.toml``, or None without one.
    columns : sequence of str
        The table's columns.
    law_name : str
        The law's name, for messages.
    advice : str
        What the messages tell the user to do about an input left without a column
        (``{name}`` is replaced by the input's name); the default names ``fit``'s ``--input``.

    Returns
    -------
    dict of str to str
        ``{law input: column}`` in the order of ``law_inputs``.

    Raises
    ------
    DataError
        For a user key that is not an input of the law, an input left without a
        column, a mapped column missing from ``columns``, or one column mapped to two
        inputs.
    """
    law_inputs = list(law_inputs)
    user = dict(user or {})
    available = [c for c in columns if c != ROW_COLUMN]
    for key in user:
        if key not in law_inputs:
            raise DataError(
                f"unknown input '{key}' for {law_name}; its inputs are {', '.join(law_inputs)}"
            )
        if user[key] not in available:
            raise DataError(
                f"--input {key}={user[key]}: column '{user[key]}' not found "
                f"(columns: {format_columns(available)})"
            )
    chosen = dict(user)
    if spec_inputs is not None:
        spec = list(spec_inputs)
        free = [c for c in spec if c not in chosen.values()]
        for name in law_inputs:
            if name not in chosen and name in free:
                chosen[name] = name
                free.remove(name)
        guessed = []
        for i, name in enumerate(law_inputs):
            if name in chosen:
                continue
            if not free:
                raise DataError(
                    f"dataset.toml lists {len(spec)} input(s) ({', '.join(spec)}) but {law_name} "
                    f"needs {len(law_inputs)} ({', '.join(law_inputs)}): "
                    + advice.format(name=name)
                )
            column = spec[i] if i < len(spec) and spec[i] in free else free[0]
            chosen[name] = column
            free.remove(column)
            guessed.append(name)
        if guessed and len(spec) > len(law_inputs):
            pairs = ", ".join(f"{chosen[n]} for {n}" for n in guessed)
            warnings.warn(
                f"dataset.toml lists {len(spec)} inputs ({', '.join(spec)}) but {law_name} takes "
                f"{len(law_inputs)}; using {pairs} by position: pass --input NAME=COLUMN to choose",
                DataWarning,
                stacklevel=2,
            )
    else:
        for name in law_inputs:
            if name not in chosen:
                if name not in available:
                    raise DataError(
                        f"law input '{name}' has no column: {advice.format(name=name)} "
                        f"(columns: {format_columns(available)})"
                    )
                chosen[name] = name
    mapping = {name: chosen[name] for name in law_inputs}
    seen: dict[str, str] = {}
    for name, column in mapping.items():
        if column not in available:
            raise DataError(f"column '{column}' not found (columns: {format_columns(available)})")
        if column in seen:
            raise DataError(
                f"column '{column}' is mapped to both {seen[column]} and {name}; "
                f"map each input of {law_name} to its own column with --input"
            )
        seen[column] = name
    return mapping
