"""Automated search for the law form that extrapolates best: deterministic, no language model.

:func:`discover` searches a grammar of law forms (sums and products of power laws, saturating
and broken power laws, logarithms, interactions, bowls in the logarithm of hyperparameters with
optima that move as power laws, exponential links over mixture proportions, effective
quantities for repeated data, parameters shared across groups), seeded with the catalogue laws.
Every candidate is fitted with the project's :class:`~scalinglaws.Fitter` and scored by how
well it extrapolates *inside the train split* (rows held out at the largest scales), with a
penalty per parameter. The test split is used only to report the final scores.

Typical use::

    from scalinglaws.discover import discover_path, DiscoverSettings
    report = discover_path("../shared/datasets/sldbench_sft_rectified",
                           settings=DiscoverSettings(seed=0, jobs=2))
    print(report.summary())

See ``docs/discovery.md`` for the method.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from .._errors import InputError
from ..data import Dataset, make_dataset, read_table
from ._folds import Fold, validation_folds
from ._grammar import Form, Term, expand, initial_forms, render
from ._inputs import InputInfo, analyse_inputs
from ._latex import latex
from ._result import Candidate, Discovery, DiscoveryReport
from ._search import DiscoverSettings, Log, discover, formula_names


def load_for_discovery(path: str | os.PathLike[str], *, inputs: Sequence[str] | None = None,
                       targets: Sequence[str] | None = None, group: str | None = None,
                       split: str | None = None, nan_policy: str = "raise") -> list[Dataset]:
    """Read a dataset folder (or a table) into one :class:`Dataset` per target.

    Parameters
    ----------
    path : str or path-like
        A folder with ``dataset.toml`` and ``data.csv``, or a table (CSV, Parquet, JSON).
    inputs : sequence of str, optional
        Input columns (default: the ``dataset.toml`` inputs). They become the names used in
        formulas; a column name that cannot be one (``model size``, ``log``) is given the
        nearest one that can (``model_size``, ``log_``, see :func:`formula_names`), and the
        dataset's ``columns`` say which column each name reads.
    targets : sequence of str, optional
        Target columns (default: the ``dataset.toml`` targets).
    group, split : str, optional
        Group and split columns (default: the ``dataset.toml`` ones).
    nan_policy : {"raise", "drop"}
        Missing values: an error, or drop the rows (with a warning).

    Returns
    -------
    list of Dataset

    Raises
    ------
    InputError
        If inputs or targets are neither given nor in a ``dataset.toml``;
        :class:`~scalinglaws.DataError` for bad data.
    """
    for value, name in ((inputs, "inputs"), (targets, "targets")):
        if value is not None and (isinstance(value, str) or not all(
                isinstance(v, str) for v in value) or not len(value)):
            raise InputError(f"{name} must be a non-empty list of column names, got {value!r}")
    if targets is not None:
        targets = list(dict.fromkeys(targets))  # a target named twice is searched once
    frame, spec = read_table(path)
    if inputs is None:
        if spec is None:
            raise InputError(f"{path}: no dataset.toml: name the input columns with --inputs "
                             "COL1,COL2")
        inputs = list(spec.inputs)
    if targets is None:
        if spec is None:
            raise InputError(f"{path}: no dataset.toml: name the target column with --target")
        targets = list(spec.targets)
    mapping = formula_names(inputs, reserved=targets)
    name = spec.name if spec is not None else Path(path).stem
    out = []
    for t in targets:
        if t in inputs:
            raise InputError(f"column {t!r} cannot be both an input and the target")
        out.append(make_dataset(frame, mapping, t, spec=spec, group=group, split=split,
                                nan_policy=nan_policy,  # type: ignore[arg-type]
                                name=name, source=str(path)))
    return out


def discover_path(path: str | os.PathLike[str], *, targets: Sequence[str] | None = None,
                  inputs: Sequence[str] | None = None, group: str | None = None,
                  split: str | None = None, nan_policy: str = "raise",
                  settings: DiscoverSettings | None = None,
                  log: Log | None = None) -> DiscoveryReport:
    """Run :func:`discover` for every target of a dataset (one law per target).

    The time budget and the screening limit of ``settings`` are shared equally by the targets.

    Parameters
    ----------
    path, targets, inputs, group, split, nan_policy
        As for :func:`load_for_discovery`.
    settings : DiscoverSettings, optional
    log : callable, optional
        Progress lines.

    Returns
    -------
    DiscoveryReport
    """
    settings = settings or DiscoverSettings()
    datasets = load_for_discovery(path, inputs=inputs, targets=targets, group=group,
                                  split=split, nan_policy=nan_policy)
    per = replace(settings, budget_seconds=settings.budget_seconds / len(datasets),
                  max_screened=max(1, settings.max_screened // len(datasets)))
    if settings.scales is not None:  # named by column: the inputs' formula names
        names = {col: k for k, col in datasets[0].columns.items()}
        unknown = [c for c in settings.scales if c not in names]
        if unknown:
            raise InputError(f"--scale {', '.join(unknown)}: not an input column (inputs: "
                             f"{', '.join(names)})")
        per = replace(per, scales=tuple(names[c] for c in settings.scales))
    # how ``fit`` must read the data to refit a selected law as the search did
    read = [*(["--split", split] if split else []),
            *(["--nan-policy", nan_policy] if nan_policy != "raise" else [])]
    results = []
    for d in datasets:
        if log and len(datasets) > 1:
            log(f"target {d.target}")
        found = discover(d, per, log=log)  # its read_options name the group column
        results.append(replace(found, read_options=(*found.read_options, *read)))
    return DiscoveryReport(datasets[0].name, tuple(results))


__all__ = [
    "Candidate", "DiscoverSettings", "Discovery", "DiscoveryReport", "Fold", "Form", "InputInfo",
    "Term", "analyse_inputs", "discover", "discover_path", "expand", "formula_names",
    "initial_forms", "latex", "load_for_discovery", "render", "validation_folds",
]
