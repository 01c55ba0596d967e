"""Stacking: a weighted average of the best laws, weighted by how they extrapolate together.

When several forms validate about equally well, their extrapolations often err in different
directions, and an average of them extrapolates better than any one (stacked regression,
Wolpert 1992; Breiman 1996). The weights are non-negative, sum to one, and are chosen by least
squares on the laws' *held-out* predictions of the validation folds, that is, on how each law
extrapolated inside the train split. The stacked law is honest only if its own validation score
is too: it is scored by leave-one-fold-out (the weights used to predict a fold are chosen on the
other folds), and the search selects it only when that score beats the best single law's.

The stacked law is itself a formula: ``w1*(law 1) + w2*(law 2) + ...``, each law with its
parameters renamed ``NAME_k`` (``k``: the law's rank), so it can be saved, refitted by ``fit``
and used by ``predict``, ``plan`` and ``report`` like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls
from scipy.stats import binom

#: Weights below this share are dropped (and the rest re-weighted on the remaining laws).
MIN_WEIGHT = 0.01

#: With groups, the stack must beat the single law for significantly more groups than it loses
#: (one-sided sign test at this level).
GROUP_LEVEL = 0.05

#: How strongly the sum-to-one constraint is enforced in the augmented least-squares problem.
_SUM_PENALTY = 1e4


def stack_weights(P: np.ndarray, y: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
    """Non-negative weights summing to one that best combine predictions ``P`` into ``y``.

    Parameters
    ----------
    P : ndarray, shape (k, n)
        Predictions of ``k`` laws at ``n`` points.
    y : ndarray, shape (n,)
        Observed values.
    scale : ndarray, shape (n,), optional
        Residual scale per point (e.g. ``y`` itself for relative errors); 1 by default.

    Returns
    -------
    ndarray, shape (k,)
        The weights (zeros for the laws left out).
    """
    P = np.asarray(P, float)
    y = np.asarray(y, float)
    s = np.ones_like(y) if scale is None else np.asarray(scale, float)
    A = (P / s).T
    b = y / s
    unit = float(np.sqrt(np.mean(b ** 2))) or 1.0
    k = P.shape[0]
    lam = np.sqrt(_SUM_PENALTY * len(y)) * unit
    w, _ = nnls(np.vstack([A, np.full((1, k), lam)]), np.r_[b, lam])
    keep = w >= MIN_WEIGHT * max(w.sum(), 1e-300)
    if keep.sum() < k and keep.any():  # refit on the laws kept
        w = np.zeros(k)
        sub, _ = nnls(np.vstack([A[:, keep], np.full((1, int(keep.sum())), lam)]), np.r_[b, lam])
        w[keep] = sub
    total = w.sum()
    return w / total if total > 0 else w


def cross_validated(P: np.ndarray, y: np.ndarray, fold: np.ndarray,
                    scale: np.ndarray | None = None) -> np.ndarray:
    """Leave-one-fold-out predictions of the stack: each fold's rows predicted with weights
    chosen on the other folds' rows.

    Parameters
    ----------
    P : ndarray, shape (k, n)
        Held-out predictions of ``k`` laws, pooled over the folds.
    y : ndarray, shape (n,)
        The held-out values.
    fold : ndarray of int, shape (n,)
        The fold of each held-out row.
    scale : ndarray, optional
        As in :func:`stack_weights`.

    Returns
    -------
    ndarray, shape (n,)
    """
    out = np.empty(len(y))
    for f in np.unique(fold):
        m = fold == f
        w = stack_weights(P[:, ~m], y[~m], None if scale is None else scale[~m])
        out[m] = w @ P[:, m]
    return out


def group_errors(pred: np.ndarray, y: np.ndarray, groups: np.ndarray,
                 scale: np.ndarray | None = None) -> np.ndarray:
    """Root-mean-square held-out error of each group (relative when ``scale``).

    Parameters
    ----------
    pred, y : ndarray, shape (n,)
        Predictions and observed values.
    groups : ndarray of int, shape (n,)
        Group code of each row (0, 1, ...).
    scale : ndarray, optional
        As in :func:`stack_weights`.

    Returns
    -------
    ndarray
        One error per group present in ``groups``, in code order.
    """
    r = (pred - y) if scale is None else (pred - y) / scale
    count = np.bincount(groups)
    with np.errstate(all="ignore"):
        sq = np.bincount(groups, weights=r ** 2)
    return np.sqrt(sq[count > 0] / count[count > 0])


def sign_test(better: np.ndarray, worse: np.ndarray) -> tuple[int, int, float]:
    """One-sided sign test that the first errors are lower more often than not.

    Parameters
    ----------
    better, worse : ndarray
        Paired errors (e.g. per group) of the challenger and of the incumbent.

    Returns
    -------
    wins : int
        Pairs where the challenger's error is lower.
    losses : int
        Pairs where it is higher (ties count as neither).
    p : float
        Probability of at least ``wins`` wins out of ``wins + losses`` if each were a coin toss.
    """
    wins = int(np.count_nonzero(better < worse))
    losses = int(np.count_nonzero(better > worse))
    n = wins + losses
    p = float(binom.sf(wins - 1, n, 0.5)) if n else 1.0
    return wins, losses, p


@dataclass(frozen=True)
class StackedFormula:
    """The formula of a stack of formula laws.

    Attributes
    ----------
    formula : str
        ``w1*(formula 1) + ...`` with every parameter renamed ``NAME_k``.
    readable : str
        The same with the laws' readable forms (their own parameter names, suffix ``_k``).
    bounds : dict
        Renamed finite bounds.
    shared : tuple of str
        Renamed shared parameters.
    names : list of dict
        For each law: ``{old name: new name}``.
    """

    formula: str
    readable: str
    bounds: dict[str, tuple[float, float]]
    shared: tuple[str, ...]
    names: list[dict[str, str]]


def rename(text: str, names: dict[str, str]) -> str:
    """``text`` with each whole-word name of ``names`` replaced by its new name."""
    if not names:
        return text
    pattern = re.compile(r"(?<![A-Za-z0-9_.])(" + "|".join(
        re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def stacked_formula(parts: list[tuple[float, int, str, str, list[str],
                                      dict[str, tuple[float, float]], tuple[str, ...]]]
                    ) -> StackedFormula:
    """Assemble the stacked formula.

    Parameters
    ----------
    parts : list of tuples
        For each law: ``(weight, rank, formula, readable, parameter names, bounds, shared)``.
    """
    terms, readable, bounds, shared, names = [], [], {}, [], []
    for w, rank, formula, read, params, bds, sh in parts:
        mapping = {p: f"{p}_{rank}" for p in params}
        names.append(mapping)
        terms.append(f"{w:.6g}*({rename(formula, mapping)})")
        readable.append(f"{w:.3g}*({rename(read, mapping)})")
        bounds.update({mapping[k]: v for k, v in bds.items() if k in mapping})
        shared += [mapping[s] for s in sh if s in mapping]
    return StackedFormula(" + ".join(terms), " + ".join(readable), bounds, tuple(shared), names)
