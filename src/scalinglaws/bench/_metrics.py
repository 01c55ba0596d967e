"""Extrapolation metrics: how far predictions on held-out rows are from the observed values.

Every function takes the observed values ``y`` and the predictions ``pred`` of the same rows
(1-D, equal length, finite predictions) and returns a float, or None where the metric is not
defined for those rows (a normalised metric when the observed values do not vary, a
logarithmic one when a value is not positive). None is never replaced by a number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import numpy.typing as npt

METRICS = ("r2", "nmse", "nmae", "are", "log_rmse")
"""Names of the metrics, in report order."""

# Below this relative spread of the observed values a normalised metric is noise divided by
# noise: report it as undefined rather than as a huge number.
_FLAT = 1e-12


def _arrays(y: npt.ArrayLike, pred: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float).ravel()
    pred = np.asarray(pred, dtype=float).ravel()
    if y.shape != pred.shape:
        raise ValueError(f"y has {y.size} values but pred has {pred.size}")
    return y, pred


def _spread(y: np.ndarray, power: int) -> float | None:
    """``sum |y - mean(y)|**power``, or None when the values do not vary."""
    if y.size < 2:
        return None
    dev = np.abs(y - y.mean()) ** power
    total = float(np.sum(dev))
    scale = float(np.sum(np.abs(y) ** power))
    return total if total > _FLAT * max(scale, 1e-300) else None


def r2(y: npt.ArrayLike, pred: npt.ArrayLike) -> float | None:
    """Coefficient of determination ``1 - sum((pred - y)**2) / sum((y - mean(y))**2)``.

    The SLDBench definition, ``1 - MSE / Var(y)`` with the population variance of the
    held-out values themselves. None for fewer than two rows or constant ``y``.

    Parameters
    ----------
    y, pred : array_like
        Observed values and predictions of the same rows (flattened; equal sizes).

    Returns
    -------
    float or None
        R² (1.0 for exact predictions, negative when worse than the mean of ``y``), or None.

    Raises
    ------
    ValueError
        If ``y`` and ``pred`` have different numbers of values.
    """
    y, pred = _arrays(y, pred)
    nmse_value = nmse(y, pred)
    return None if nmse_value is None else 1.0 - nmse_value


def nmse(y: npt.ArrayLike, pred: npt.ArrayLike) -> float | None:
    """Normalised mean squared error ``sum((pred - y)**2) / sum((y - mean(y))**2)`` (= 1 - R²).

    Parameters
    ----------
    y, pred : array_like
        Observed values and predictions of the same rows (flattened; equal sizes).

    Returns
    -------
    float or None
        The error (0.0 for exact predictions), or None for fewer than two rows or constant
        ``y``.

    Raises
    ------
    ValueError
        If ``y`` and ``pred`` have different numbers of values.
    """
    y, pred = _arrays(y, pred)
    denominator = _spread(y, 2)
    if denominator is None:
        return None
    return float(np.sum((pred - y) ** 2)) / denominator


def nmae(y: npt.ArrayLike, pred: npt.ArrayLike) -> float | None:
    """Normalised mean absolute error ``sum|pred - y| / sum|y - mean(y)|``.

    Parameters
    ----------
    y, pred : array_like
        Observed values and predictions of the same rows (flattened; equal sizes).

    Returns
    -------
    float or None
        The error (0.0 for exact predictions), or None for fewer than two rows or constant
        ``y``.

    Raises
    ------
    ValueError
        If ``y`` and ``pred`` have different numbers of values.
    """
    y, pred = _arrays(y, pred)
    denominator = _spread(y, 1)
    if denominator is None:
        return None
    return float(np.sum(np.abs(pred - y))) / denominator


def are(y: npt.ArrayLike, pred: npt.ArrayLike) -> float | None:
    """Mean absolute relative error ``mean(|pred - y| / |y|)`` (a fraction, not a percentage).

    None when a value of ``y`` is zero or there are no rows.

    Parameters
    ----------
    y, pred : array_like
        Observed values and predictions of the same rows (flattened; equal sizes).

    Returns
    -------
    float or None
        The mean relative error, or None.

    Raises
    ------
    ValueError
        If ``y`` and ``pred`` have different numbers of values.
    """
    y, pred = _arrays(y, pred)
    if y.size == 0 or np.any(y == 0):
        return None
    return float(np.mean(np.abs(pred - y) / np.abs(y)))


def log_rmse(y: npt.ArrayLike, pred: npt.ArrayLike) -> float | None:
    """Root mean squared error of natural-log predictions ``sqrt(mean((log pred - log y)**2))``.

    None when there are no rows or a value or prediction is not positive.

    Parameters
    ----------
    y, pred : array_like
        Observed values and predictions of the same rows (flattened; equal sizes).

    Returns
    -------
    float or None
        The error in natural-log units, or None.

    Raises
    ------
    ValueError
        If ``y`` and ``pred`` have different numbers of values.
    """
    y, pred = _arrays(y, pred)
    if y.size == 0 or np.any(y <= 0) or np.any(pred <= 0):
        return None
    return float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2)))


_FUNCTIONS = {"r2": r2, "nmse": nmse, "nmae": nmae, "are": are, "log_rmse": log_rmse}


def score(y: npt.ArrayLike, pred: npt.ArrayLike) -> dict[str, float | None]:
    """All the metrics of :data:`METRICS` for one set of rows.

    Parameters
    ----------
    y, pred : array_like
        Observed values and predictions of the same rows.

    Returns
    -------
    dict
        ``{"r2", "nmse", "nmae", "are", "log_rmse"}`` -> float or None (undefined).
    """
    return {name: _FUNCTIONS[name](y, pred) for name in METRICS}


def mean_defined(values: Iterable[float | None]) -> float | None:
    """Mean of the values, or None when any is None (an undefined part leaves the whole
    undefined) or there are none."""
    values = list(values)
    if not values or any(v is None for v in values):
        return None
    return float(sum(values) / len(values))  # type: ignore[arg-type]


def median_defined(values: Iterable[float | None]) -> float | None:
    """Median of the values that are defined, or None when none is."""
    defined = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.median(defined)) if defined else None


def mean_over_targets(scores: Iterable[Mapping[str, float | None]]) -> dict[str, float | None]:
    """Each metric averaged over targets (the SLDBench rule for several targets)."""
    scores = list(scores)
    return {name: mean_defined(s[name] for s in scores) for name in METRICS}
