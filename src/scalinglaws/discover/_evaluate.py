"""Evaluating one candidate law on the validation folds (runs in worker processes).

Everything a worker needs travels in a :class:`EvalTask`: the law, the fitter, the train rows
(inputs keyed by the law's input names) and the masks of the folds. The worker fits the law on
the fitted part of each fold and returns its predictions of the held-out part; the caller pools
them and scores them. The test split never reaches a worker during the search.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .._errors import FitError, ScalingLawsWarning
from ..data import Dataset
from ..fit import Fitter
from ..laws import Law


@dataclass(frozen=True)
class EvalTask:
    """One candidate to validate.

    Attributes
    ----------
    law : Law
        The candidate law.
    fitter : Fitter
        How to fit it (shared parameters included).
    data : Dataset
        The train rows, with inputs keyed by the law's input names.
    folds : tuple of (ndarray, ndarray)
        Boolean masks over ``data``'s rows: for each fold, the rows fitted and the rows held out.
    """

    law: Law
    fitter: Fitter
    data: Dataset
    folds: tuple[tuple[np.ndarray, np.ndarray], ...]


def law_data(data: Dataset, mapping: dict[str, str]) -> Dataset:
    """``data`` with its inputs renamed for a law: ``{law input: input of data}``."""
    return replace(data, X={k: data.X[v] for k, v in mapping.items()},
                   columns={k: data.columns.get(v, v) for k, v in mapping.items()})


def fit_quietly(law: Law, fitter: Fitter, data: Dataset):
    """Fit with warnings silenced (a candidate's soft problems show in its score)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScalingLawsWarning)
        with np.errstate(all="ignore"):
            return fitter.fit(law, data)


def predict_rows(result, data: Dataset) -> np.ndarray:
    """Predictions of a fit at the rows of ``data`` (their groups' parameters)."""
    group = None
    if result.groups is not None:
        group = list(np.asarray(data.group).astype(str))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScalingLawsWarning)
        with np.errstate(all="ignore"):
            out = result.predict({k: data.X[k] for k in result.law.inputs}, group=group)
    return np.asarray(out["prediction"], dtype=float)


def evaluate(task: EvalTask) -> dict[str, Any]:
    """Fit on each fold's fitted rows and predict its held-out rows.

    Returns
    -------
    dict
        ``prediction``: the held-out predictions of all folds, concatenated in fold order;
        ``objective``: the sum of the folds' fit objectives; ``limited``: the number of folds
        whose fit stopped at the solver's iteration limit (status ``iteration_limit``), where
        the parameters, and so the held-out predictions, may still move with the seed.

    Raises
    ------
    FitError
        If a fit fails or a prediction is not finite (the candidate is then reported as failed,
        with this reason).
    InputError
        If a fold leaves too few distinct points for the law's parameters.
    """
    preds = []
    objective = 0.0
    limited = 0
    for k, (fit_mask, held_mask) in enumerate(task.folds):
        fitted = task.data.subset(fit_mask)
        held = task.data.subset(held_mask)
        result = fit_quietly(task.law, task.fitter, fitted)
        if result.status == "failed":
            raise FitError(f"the fit of fold {k + 1} failed")
        p = predict_rows(result, held)
        if not np.all(np.isfinite(p)):
            raise FitError(f"non-finite prediction in fold {k + 1}")
        preds.append(p)
        objective += float(result.objective)
        limited += result.status == "iteration_limit"
    return {"prediction": np.concatenate(preds) if preds else np.zeros(0),
            "objective": objective, "limited": limited}


def fit_train(task: EvalTask):
    """Fit the candidate on all of ``task.data`` (the train rows) and return the FitResult."""
    result = fit_quietly(task.law, task.fitter, task.data)
    if result.status == "failed":
        raise FitError("the fit on the train rows failed")
    return result
