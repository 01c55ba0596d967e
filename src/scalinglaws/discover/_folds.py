"""Validation folds inside the train rows: extrapolate to the largest scales, or cross-validate.

Only the train split is ever used here. When the data has scale inputs (see
:func:`scalinglaws.discover._inputs.analyse_inputs`), every fold is an *extrapolation*. With
the default scheme, ``largest``, one fold per scale holds out, within each group, the rows at
the top share of its distinct values (at least one value), and, with two or more scales, one
fold holds out the rows on the *frontier* (no other run is at least as large in every scale),
which is where a published extrapolation split usually lies. The ``series`` scheme holds out
instead the last point(s) of every *series* along a scale (the runs that share the values of
the other scales: for tokens, each model size's longest runs). Without scales (only
mixture proportions or hyperparameters), the folds are a seeded K-fold over the distinct input
points of each group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ._inputs import InputInfo

#: A group keeps at least this many distinct input points for the fit of a fold.
MIN_KEEP = 3


@dataclass(frozen=True)
class Fold:
    """One validation fold.

    Attributes
    ----------
    name : str
        What it holds out, e.g. ``"largest tokens"`` or ``"frontier (params, tokens)"``.
    held_out : ndarray of bool
        Over the train rows: the rows predicted.
    fitted : ndarray of bool, optional
        The rows fitted (default: every row not held out). An earlier origin of a rolling
        extrapolation fits only the rows below the ones it predicts.
    """

    name: str
    held_out: np.ndarray
    fitted: np.ndarray | None = None

    @property
    def fit_mask(self) -> np.ndarray:
        """Over the train rows: the rows fitted (all rows not held out, unless restricted)."""
        return ~self.held_out if self.fitted is None else self.fitted

    @property
    def n_held_out(self) -> int:
        """Number of rows held out."""
        return int(self.held_out.sum())

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"name": self.name, "held_out": self.n_held_out,
                "fitted": int(self.fit_mask.sum())}


FoldScheme = Literal["auto", "largest", "series", "both", "kfold"]
FOLD_SCHEMES: tuple[str, ...] = ("auto", "largest", "series", "both", "kfold")


def validation_folds(X: dict[str, np.ndarray], codes: np.ndarray, infos: tuple[InputInfo, ...],
                     *, scheme: FoldScheme = "largest", holdout: float = 0.15, kfold: int = 5,
                     origins: int = 1, seed: int = 0) -> list[Fold]:
    """The validation folds for the train rows.

    Parameters
    ----------
    X : mapping of str to ndarray
        Train values of the inputs.
    codes : ndarray of int
        Group code of each train row.
    infos : tuple of InputInfo
        The inputs' kinds.
    scheme : {"largest", "series", "both", "auto", "kfold"}
        ``largest``: per scale, the rows at its largest values in each group, plus the frontier;
        ``series``: per scale, the last rows of each series along it (runs sharing the other
        scales), plus the frontier; ``both``: the folds of the two; ``auto``: ``series`` when
        there are two or more scales and a hyperparameter input (a positive input that is not a
        scale: each scale cell is then a sweep, and each series' last cells are the natural
        extrapolation), else ``largest``; ``kfold``: a K-fold over input points (also used
        whenever the data has no scale input).
    holdout : float
        Share of the distinct values of a scale held out at its top (at least one value).
    kfold : int
        Number of folds when there is no scale.
    origins : int
        With a single scale (learning curves, one size axis): how many *rolling origins*: the
        first fold fits below the held-out top values; each further origin moves the window
        one distinct value down, fitting only the rows below the ones it predicts.
    seed : int
        Seed of the K-fold assignment.

    Returns
    -------
    list of Fold
        Distinct, non-empty folds; each leaves every group at least :data:`MIN_KEEP` distinct
        input points to fit (a group too small for that is never held out).
    """
    scales = [i.name for i in infos if i.kind == "scale"]
    if scheme == "auto":
        hyper = any(i.kind == "positive" for i in infos)
        scheme = "series" if len(scales) >= 2 and hyper else "largest"
    if scheme == "both":
        if len(scales) < 2:
            scheme = "largest"
        else:
            folds = [*validation_folds(X, codes, infos, scheme="largest", holdout=holdout,
                                       origins=origins, seed=seed),
                     *validation_folds(X, codes, infos, scheme="series", holdout=holdout,
                                       origins=origins, seed=seed)]
            return _distinct(folds)
    n = len(codes)
    points = _point_ids(X, n)
    folds: list[Fold] = []
    if scales and scheme != "kfold":
        for s in scales:
            others = [o for o in scales if o != s] if scheme == "series" else []
            mask = np.zeros(n, bool)
            for g in np.unique(codes):
                rows = np.flatnonzero(codes == g)
                held = _series_tops(X, s, others, rows, holdout)
                mask[_keep_enough(held, rows, points)] = True
            name = f"last {s} of each series" if others else f"largest {s}"
            if not mask.any() and others:  # no series with two points: the global top
                for g in np.unique(codes):
                    rows = np.flatnonzero(codes == g)
                    held = _series_tops(X, s, [], rows, holdout)
                    mask[_keep_enough(held, rows, points)] = True
                name = f"largest {s}"
            folds.append(Fold(name, mask))
            if len(scales) == 1:
                for j in range(1, origins):
                    held_j = np.zeros(n, bool)
                    fit_j = np.zeros(n, bool)
                    for g in np.unique(codes):
                        rows = np.flatnonzero(codes == g)
                        h, f = _rolling(X[s], rows, holdout, j)
                        if f.size and np.unique(points[f]).size >= MIN_KEEP:
                            held_j[h] = True
                            fit_j[f] = True
                    folds.append(Fold(f"largest {s}, {j} value(s) earlier", held_j, fit_j))
        if len(scales) >= 2:
            mask = np.zeros(n, bool)
            for g in np.unique(codes):
                rows = np.flatnonzero(codes == g)
                V = np.column_stack([np.asarray(X[s], float)[rows] for s in scales])
                front = _frontier(V)
                mask[_keep_enough(rows[front], rows, points)] = True
            folds.append(Fold(f"frontier ({', '.join(scales)})", mask))
    else:
        rng = np.random.default_rng(seed)
        assign = np.full(n, -1)
        for g in np.unique(codes):
            rows = np.flatnonzero(codes == g)
            ids = np.unique(points[rows])
            if ids.size < MIN_KEEP + 1:
                continue
            order = rng.permutation(ids.size)
            fold_of = {int(ids[j]): i % kfold for i, j in enumerate(order)}
            assign[rows] = [fold_of[int(p)] for p in points[rows]]
        for f in range(kfold):
            folds.append(Fold(f"fold {f + 1} of {kfold}", assign == f))
    return _distinct(folds)


def _distinct(folds: list[Fold]) -> list[Fold]:
    """The non-empty folds, each once (the first of equal ones)."""
    out, seen = [], set()
    for fold in folds:
        key = fold.held_out.tobytes() + fold.fit_mask.tobytes()
        if fold.n_held_out and key not in seen:
            seen.add(key)
            out.append(fold)
    return out


def _series_tops(X: dict[str, np.ndarray], s: str, others: list[str], rows: np.ndarray,
                 holdout: float) -> np.ndarray:
    """Rows at the top ``holdout`` share (at least one value) of ``s`` in each *series*: the
    rows of ``rows`` that share the values of the ``others`` scales. A series needs two
    distinct values of ``s`` left after the hold-out to be held out at all."""
    v = np.asarray(X[s], float)[rows]
    if others:
        keys = np.column_stack([np.asarray(X[o], float)[rows] for o in others])
        _, series = np.unique(keys, axis=0, return_inverse=True)
        series = np.asarray(series).ravel()
    else:
        series = np.zeros(rows.size, int)
    held = []
    for k in np.unique(series):
        m = series == k
        distinct = np.unique(v[m])
        top = max(1, int(holdout * distinct.size))
        if distinct.size - top < 1 or (not others and distinct.size - top < 2):
            continue
        held.append(rows[m & (v >= distinct[-top])])
    return np.concatenate(held) if held else rows[:0]


def _rolling(x: np.ndarray, rows: np.ndarray, holdout: float,
             shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out and fitted rows of a group for the window of top values moved ``shift``
    distinct values down: predict the window, fit only the rows below it."""
    v = np.asarray(x, float)[rows]
    distinct = np.unique(v)
    top = max(1, int(holdout * distinct.size))
    hi = distinct.size - 1 - shift          # index of the highest value predicted
    lo = hi - top + 1                       # index of the lowest value predicted
    if lo < 2:                              # fewer than two values left to fit
        return rows[:0], rows[:0]
    held = rows[(v >= distinct[lo]) & (v <= distinct[hi])]
    fitted = rows[v < distinct[lo]]
    return held, fitted


def _point_ids(X: dict[str, np.ndarray], n: int) -> np.ndarray:
    """An integer id per row for its input point (equal inputs, equal ids)."""
    if not X:
        return np.zeros(n, int)
    M = np.column_stack([np.asarray(v, float) for v in X.values()])
    _, ids = np.unique(M, axis=0, return_inverse=True)
    return np.asarray(ids).ravel()


def _keep_enough(held: np.ndarray, rows: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``held`` if the rest of the group keeps :data:`MIN_KEEP` distinct points, else none."""
    kept = np.setdiff1d(rows, held)
    if np.unique(points[kept]).size < MIN_KEEP:
        return held[:0]
    return held


def _frontier(V: np.ndarray) -> np.ndarray:
    """Rows of ``V`` (one column per scale) not dominated by another row: no other row is at
    least as large in every column and larger in one."""
    n = V.shape[0]
    geq = np.all(V[None, :, :] >= V[:, None, :], axis=2)   # geq[i, j]: row j >= row i everywhere
    gt = np.any(V[None, :, :] > V[:, None, :], axis=2)
    dominated = np.any(geq & gt, axis=1)
    return np.flatnonzero(~dominated) if n else np.zeros(0, int)
