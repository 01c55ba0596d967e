"""What each input of a dataset looks like: a scale, a hyperparameter, a proportion or other.

The grammar of :mod:`scalinglaws.discover` builds different terms for different kinds of input
(power laws for scales, bowls in the logarithm for hyperparameters such as the learning rate,
shifted powers for mixture proportions), and the validation folds extrapolate along the scales.
The kinds are read from the train rows alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import spearmanr

InputKind = Literal["scale", "positive", "fraction", "real", "constant"]

#: An input is a *scale* when it is positive, spans at least this ratio (max / min) ...
SCALE_RATIO = 3.0
#: ... and the target moves monotonically with it (|Spearman rank correlation| within groups,
#: or within series that hold the other inputs fixed).
SCALE_CORRELATION = 0.4
#: Share of the rows that series (rows sharing the other inputs) must cover to be read.
SERIES_COVERAGE = 0.5


@dataclass(frozen=True)
class InputInfo:
    """One input of the data, as the search sees it.

    Attributes
    ----------
    name : str
        The name used in formulas (the column name).
    kind : {"scale", "positive", "fraction", "real", "constant"}
        ``scale``: positive, spans decades and the target moves monotonically with it, over
        each group or with the other inputs held fixed (model size, tokens, examples seen);
        ``positive``: positive but not a scale (a learning rate, a batch size: the target may
        have an optimum in it); ``fraction``: values in [0, 1]
        with some zeros or that sum to one with other fractions (mixture proportions);
        ``real``: anything else; ``constant``: one value in the train rows (no term uses it).
    lo, hi : float
        Smallest and largest value in the train rows.
    correlation : float
        Mean within-group Spearman rank correlation between the input and the target (0 when
        undefined).
    n_distinct : int
        Number of distinct values in the train rows.
    series_correlation : float
        The same correlation with the other inputs held fixed (:func:`series_correlation`).
    """

    name: str
    kind: InputKind
    lo: float
    hi: float
    correlation: float
    n_distinct: int
    series_correlation: float = 0.0

    @property
    def ref(self) -> float:
        """A reference value in the middle of the data (geometric mean of the range for positive
        inputs), used to normalise optima such as ``log(x / ref)``."""
        if self.lo > 0:
            return _round_sig(math.sqrt(self.lo * self.hi))
        return _round_sig(0.5 * (self.lo + self.hi))

    def to_dict(self) -> dict:
        """JSON-ready description."""
        return {"name": self.name, "kind": self.kind, "min": self.lo, "max": self.hi,
                "correlation": self.correlation, "series_correlation": self.series_correlation,
                "distinct": self.n_distinct}


def _round_sig(x: float) -> float:
    """``x`` rounded to one significant figure (readable constants in formulas)."""
    if x == 0 or not math.isfinite(x):
        return 1.0
    e = math.floor(math.log10(abs(x)))
    return float(round(x / 10.0 ** e) * 10.0 ** e)


def within_group_correlation(x: np.ndarray, y: np.ndarray, codes: np.ndarray) -> float:
    """Mean Spearman rank correlation of ``x`` and ``y`` within groups, weighted by group size.

    Groups where ``x`` or ``y`` is constant (or with fewer than three rows) are left out; 0.0
    when no group qualifies.
    """
    return _rank_correlation(x, y, codes)[0]


def _rank_correlation(x: np.ndarray, y: np.ndarray, codes: np.ndarray) -> tuple[float, int]:
    """``(mean within-group Spearman correlation, number of rows in the groups used)``."""
    total, weight = 0.0, 0
    for g in np.unique(codes):
        m = codes == g
        if m.sum() < 3 or np.ptp(x[m]) == 0 or np.ptp(y[m]) == 0:
            continue
        rho = spearmanr(x[m], y[m])[0]
        if np.isfinite(rho):
            total += float(rho) * int(m.sum())
            weight += int(m.sum())
    return (total / weight if weight else 0.0), weight


def series_correlation(name: str, X: dict[str, np.ndarray], y: np.ndarray,
                       codes: np.ndarray) -> float:
    """Spearman correlation of input ``name`` with the target with the other inputs held fixed.

    Rows that share the group and the values of every other input form a *series* (a model
    size swept at a fixed number of samples seen, say); the correlation is the mean over
    series of three rows or more, weighted by size. It is 0.0 unless such series hold at least
    :data:`SERIES_COVERAGE` of the rows, because a few series say little about the rest.
    """
    others = [np.asarray(v, float) for k, v in X.items() if k != name]
    if not others:
        return 0.0
    keys = np.column_stack([np.asarray(codes, float), *others])
    series = np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)
    rho, used = _rank_correlation(np.asarray(X[name], float), np.asarray(y, float), series)
    return rho if used >= SERIES_COVERAGE * len(y) else 0.0


def analyse_inputs(X: dict[str, np.ndarray], y: np.ndarray, codes: np.ndarray,
                   scales: tuple[str, ...] | None = None) -> tuple[InputInfo, ...]:
    """Classify each input from the train rows.

    Parameters
    ----------
    X : mapping of str to ndarray
        Train values of each input.
    y : ndarray
        Train values of the target.
    codes : ndarray of int
        Group code of each row (all zeros without groups).
    scales : tuple of str, optional
        Inputs to treat as scales whatever their values say (``--scale``); when given, the
        other positive inputs are not scales.

    Returns
    -------
    tuple of InputInfo
        In the order of ``X``.
    """
    arrays = {k: np.asarray(v, float) for k, v in X.items()}
    fractions = _fraction_inputs(arrays)
    out = []
    for name, v in arrays.items():
        lo, hi = float(np.min(v)), float(np.max(v))
        rho = within_group_correlation(v, np.asarray(y, float), codes)
        rho_series = series_correlation(name, arrays, y, codes)
        distinct = int(np.unique(v).size)
        if distinct < 2:
            kind: InputKind = "constant"
        elif name in fractions:
            kind = "fraction"
        elif lo > 0:
            if scales is not None:
                kind = "scale" if name in scales else "positive"
            elif hi / lo >= SCALE_RATIO and distinct >= 3 and \
                    max(abs(rho), abs(rho_series)) >= SCALE_CORRELATION:
                kind = "scale"
            else:
                kind = "positive"
        else:
            kind = "real"
        out.append(InputInfo(name, kind, lo, hi, float(rho), distinct, float(rho_series)))
    return tuple(out)


def _fraction_inputs(arrays: dict[str, np.ndarray]) -> set[str]:
    """Inputs that are proportions: within [0, 1], and either containing zeros or summing to
    one (within 1e-6) with the other inputs in [0, 1]."""
    unit = {k for k, v in arrays.items() if v.size and np.all((v >= 0) & (v <= 1))}
    if not unit:
        return set()
    total = np.sum([arrays[k] for k in unit], axis=0)
    sums_to_one = len(unit) >= 2 and bool(np.all(np.abs(total - 1.0) < 1e-6))
    return {k for k in unit if sums_to_one or np.any(arrays[k] == 0)}


def repeat_pairs(infos: tuple[InputInfo, ...], X: dict[str, np.ndarray]) -> list[tuple[str, str]]:
    """Pairs ``(total, unique)`` of positive inputs where ``total >= unique`` on every row, with
    equality on some rows (one pass) and ratios of four and more on others: ``total`` counts
    repetitions of ``unique`` (tokens seen vs unique tokens,
    epochs), the setting of an *effective quantity* such as the effective data of Muennighoff
    et al. 2023."""
    pos = [i.name for i in infos if i.kind in ("scale", "positive")]
    pairs = []
    for a in pos:
        for b in pos:
            if a == b:
                continue
            ratio = np.asarray(X[a], float) / np.asarray(X[b], float)
            if np.all(ratio >= 1.0 - 1e-9) and np.any(ratio <= 1.0 + 1e-9) \
                    and np.ptp(np.log(ratio)) > math.log(4.0) and np.mean(ratio > 1.0 + 1e-9) > 0.2:
                pairs.append((a, b))
    return pairs
