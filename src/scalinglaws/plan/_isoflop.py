"""The three approaches of Hoffmann et al. 2022 to the compute-optimal frontier, side by side.

* **Approach 1** (envelope of training curves): every checkpoint of every run is a point
  ``(C = k N D, loss)``; at each compute ``C`` the run with the lowest (interpolated) loss
  gives ``N_opt(C)``; a line through ``log N_opt`` against ``log C`` gives the exponent.
  Needs loss curves (several checkpoints per run).
* **Approach 2** (IsoFLOP parabolas): at each budget a parabola ``loss = c0 + c1 x + c2 x^2``
  in ``x = log N`` is fitted to the runs of that budget; its vertex is ``N_opt(C)``. A budget
  is used only when the parabola opens upwards and its vertex lies inside the sampled range of
  ``N`` (*bracketed*); other budgets are reported with a warning and left out of the line.
* **Approach 3** (direct fit): ``L = E + A / N^alpha + B / D^beta`` fitted to all runs; the
  exponents are ``a = beta / (alpha + beta)`` and ``b = alpha / (alpha + beta)``.

Intervals: Approach 2 by resampling the runs within each budget and refitting every parabola
and the line; Approach 1 by resampling whole runs; Approach 3 from the bootstrap of the fit.

**The bias of Approach 2.** At fixed ``C`` the Chinchilla loss in ``x = log N`` is
``E + A e^(-alpha x) + B' e^(beta x)``: a valley that is a parabola only to second order and is
skewed when ``alpha != beta``. A parabola fitted over a window of width ``w`` therefore puts its
vertex off the true minimum, by an amount that grows with ``w`` (roughly as ``w^2``) and with
the skew, and that depends on where the window sits relative to the minimum. Because the
valley has the same shape at every budget (only its depth scales), a window centred on the true
optimum at every budget shifts every vertex by the same factor: ``N_opt`` is biased but the
exponent is not. When the windows sit differently relative to the optimum at different budgets
-- as they do in practice, since the optimum is what one is trying to find (a grid centred on
a rule of thumb such as 20 tokens per parameter, or one fixed set of model sizes) -- the
shift changes with ``C`` and the exponent is biased too, more so the wider the window.
``benchmarks/isoflop_bias.py`` measures both on noise-free synthetic data; :func:`isoflop`
reports, for the data at hand, the bias that Approach 2 would have on noise-free data drawn
from the Approach 3 law at exactly the sampled points (``design_bias``). See Besiroglu et al.
2024 and Li et al. 2025 ("(Mis)Fitting Scaling Laws") for the wider discussion.
"""

from __future__ import annotations

import math
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .._checks import is_whole
from .._errors import FitWarning, InputError
from ..fit._fitter import MIN_BOOTSTRAP
from . import _text
from ._model import interval, nondegenerate

APPROACH_NAMES = {1: "envelope of training curves", 2: "IsoFLOP parabolas",
                  3: "direct fit (Chinchilla law)"}


@dataclass(frozen=True)
class ApproachResult:
    """One approach's estimate of the compute-optimal frontier ``N_opt = K_N C^a``.

    Attributes
    ----------
    approach : int
        1, 2 or 3.
    available : bool
        False when the data cannot support it (``reason`` says why).
    exponent_N, exponent_D : float
        ``a`` and ``b`` in ``N_opt ~ C^a``, ``D_opt ~ C^b``.
    coefficient_N : float
        ``K_N`` (``N_opt = K_N C^a``).
    N_at, D_at : float
        ``N_opt`` and ``D_opt`` at the reporting budget.
    intervals : dict
        ``exponent_N``, ``exponent_D``, ``N_at``, ``D_at`` -> ``(low, high)``.
    n_draws : int
        Resamples behind the intervals.
    per_budget : list of dict
        Approach 2: each budget's parabola (``budget``, ``n``, ``N_opt``, ``D_opt``,
        ``loss_min``, ``curvature``, ``bracketed``, ``used``, ``warning``); Approach 1: the
        envelope points.
    details : dict
        Approach-specific extras (Approach 3: the fitted parameters).
    reason : str
    warnings : tuple of str
    """

    approach: int
    available: bool
    exponent_N: float = math.nan
    exponent_D: float = math.nan
    coefficient_N: float = math.nan
    N_at: float = math.nan
    D_at: float = math.nan
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    n_draws: int = 0
    per_budget: tuple[Mapping[str, Any], ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready record."""
        d = {k: v for k, v in self.__dict__.items()}
        d["name"] = APPROACH_NAMES[self.approach]
        d["intervals"] = {k: list(v) for k, v in self.intervals.items()}
        d["per_budget"] = [dict(p) for p in self.per_budget]
        d["details"] = dict(self.details)
        d["warnings"] = list(self.warnings)
        return d


@dataclass(frozen=True)
class IsoflopAnalysis:
    """Approaches 1-3 for one group of runs.

    Attributes
    ----------
    group : str or None
    n : int
        Runs (or interpolated isoFLOP points, for curves) used.
    budgets : tuple of float
    at : float
        Budget at which ``N_at``/``D_at`` are reported.
    approaches : tuple of ApproachResult
    design_bias : dict or None
        Approach 2 on noise-free data from the Approach 3 law at the sampled points:
        ``exponent_N`` (what Approach 2 returns), ``truth`` (the law's exponent), ``bias``,
        ``N_at_ratio`` (Approach 2's ``N_at`` over the law's).
    level : float
    """

    group: str | None
    n: int
    budgets: tuple[float, ...]
    at: float
    approaches: tuple[ApproachResult, ...]
    design_bias: Mapping[str, float] | None = None
    level: float = 0.95

    def approach(self, i: int) -> ApproachResult:
        """The result of approach ``i`` (1, 2 or 3).

        Parameters
        ----------
        i : int
            The approach number.

        Returns
        -------
        ApproachResult

        Raises
        ------
        KeyError
            If the analysis has no result for approach ``i``.
        """
        for a in self.approaches:
            if a.approach == i:
                return a
        raise KeyError(i)

    def to_dict(self) -> dict:
        """JSON-ready record."""
        return {"group": self.group, "n": self.n, "budgets": list(self.budgets), "at": self.at,
                "level": self.level, "approaches": [a.to_dict() for a in self.approaches],
                "design_bias": dict(self.design_bias) if self.design_bias else None}

    def summary(self) -> str:
        """Readable side-by-side table with per-budget checks and warnings."""
        lvl = f"{100 * self.level:g}%"
        title = f"group {self.group}" if self.group is not None else "all runs"
        lines = [f"{title}: {self.n} points, {len(self.budgets)} budgets "
                 f"({_text.sci(min(self.budgets))} .. {_text.sci(max(self.budgets))} FLOPs)"]
        lines.append(f"  {'approach':<34} {'a (N ~ C^a)':<24} {'b (D ~ C^b)':<24} "
                     f"N_opt at {_text.sci(self.at, 2)}")
        for a in self.approaches:
            label = f"{a.approach}. {APPROACH_NAMES[a.approach]}"
            if len(label) > 34:
                label = label[:31] + "..."
            if not a.available:
                lines.append(f"  {label:<34} not available: {a.reason}")
                continue
            iv = a.intervals

            def cell(key, v, fmt):
                s = fmt(v)
                if key in iv:
                    s += f" [{fmt(iv[key][0])}, {fmt(iv[key][1])}]"
                return s

            f3 = lambda x: f"{x:.3f}"  # noqa: E731
            lines.append(f"  {label:<34} {cell('exponent_N', a.exponent_N, f3):<24} "
                         f"{cell('exponent_D', a.exponent_D, f3):<24} "
                         f"{cell('N_at', a.N_at, _text.count)}")
        lines.append(f"  ({lvl} intervals: approach 1 resamples whole runs, approach 2 runs within "
                     "budgets, approach 3 is the fit's bootstrap)")
        a2 = next((a for a in self.approaches if a.approach == 2 and a.available), None)
        if a2 is not None and a2.per_budget:
            lines.append("  approach 2, per budget:")
            lines.append(f"    {'budget':>9} {'runs':>5} {'N_opt':>8} {'tok/param':>9} "
                         f"{'min loss':>9}  check")
            for p in a2.per_budget:
                ok = "ok" if p["used"] else (p["warning"] or "not used")
                tpp = p["D_opt"] / p["N_opt"] if np.isfinite(p["N_opt"]) else math.nan
                lines.append(f"    {_text.sci(p['budget'], 2):>9} {p['n']:>5} "
                             f"{_text.count(p['N_opt']):>8} {_text.num(tpp, 3):>9} "
                             f"{_text.num(p['loss_min'], 4):>9}  {ok}")
        for a in self.approaches:
            for w in a.warnings:
                lines.append(f"  warning (approach {a.approach}): {w}")
        if self.design_bias:
            db = self.design_bias
            lines.append(textwrap.fill(
                f"approach 2 bias for this sampling design: on noise-free data from the "
                f"approach-3 law at exactly these (N, C) points approach 2 gives a = "
                f"{db['exponent_N']:.4f} against the law's {db['truth']:.4f} (bias "
                f"{db['bias']:+.4f}) and N_opt at {_text.sci(self.at, 2)} off by a factor "
                f"{db['N_at_ratio']:.3f}", width=96, initial_indent="  ",
                subsequent_indent="    "))
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# public entry point


def isoflop(N, D, loss, *, budget=None, group=None, run=None, at: float | None = None,
            n_budgets: int = 12, bootstrap: int = 200, seed: int = 0, level: float = 0.95,
            flops_per_param_token: float = 6.0, keep_unbracketed: bool = False,
            approaches: Sequence[int] = (1, 2, 3), fitter=None,
            budget_tolerance: float = 0.1) -> list[IsoflopAnalysis]:
    """Run Approaches 1-3 of Hoffmann et al. 2022 on IsoFLOP data or on training curves.

    Parameters
    ----------
    N, D, loss : array_like
        Parameters, tokens and loss of each run (or checkpoint, with ``run``).
    budget : array_like, optional
        The IsoFLOP budget of each run. Without it, ``C = k N D`` is computed and runs within
        ``budget_tolerance`` (relative) of each other in ``C`` share a budget.
    group : array_like, optional
        Group label of each row; each group is analysed on its own.
    run : array_like, optional
        Run label of each row when the rows are checkpoints of training curves. Enables
        Approach 1; Approaches 2 and 3 then use isoFLOP points interpolated from the curves
        at ``n_budgets`` log-spaced budgets (at each budget and model size, the best run).
    at : float, optional
        Budget at which ``N_opt`` is reported (default: the largest budget of each group).
    n_budgets : int
        Budgets interpolated from curves.
    bootstrap : int
        Resamples for the intervals (0 for none, else at least 10).
    seed : int
    level : float
    flops_per_param_token : float
        ``k`` in ``C = k N D``.
    keep_unbracketed : bool
        Use Approach 2 budgets whose vertex is outside the sampled range (not recommended).
    approaches : sequence of int
        Which approaches to run.
    fitter : Fitter, optional
        For Approach 3 (default ``Fitter(bootstrap=bootstrap, seed=seed, level=level)``).
    budget_tolerance : float
        Relative tolerance for grouping runs into budgets when ``budget`` is not given.

    Returns
    -------
    list of IsoflopAnalysis
        One per group (in sorted order).

    Raises
    ------
    InputError
        For arrays of different lengths, non-positive values, or an unknown approach.
    """
    N = _arr(N, "N")
    D = _arr(D, "D")
    y = _arr(loss, "loss")
    n = len(N)
    if not (len(D) == n == len(y)):
        raise InputError("N, D and loss must have the same length")
    if n == 0:
        raise InputError("no runs: N, D and loss are empty")
    for name, v in (("N", N), ("D", D), ("loss", y)):
        bad = ~(np.isfinite(v) & (v > 0))
        if bad.any():
            raise InputError(f"{name}: row {int(np.argmax(bad)) + 1} is not a positive number")
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise InputError(f"level must be a number between 0 and 1, got {level!r}")
    whole = {"bootstrap": bootstrap, "n_budgets": n_budgets, "seed": seed}
    if not isinstance(approaches, (list, tuple)):
        raise InputError(f"approaches must be a list of 1, 2, 3, got {approaches!r}")
    whole.update({f"approaches[{i}]": a for i, a in enumerate(approaches)})
    for name, v in whole.items():  # a count is never silently rounded
        if not is_whole(v):
            raise InputError(f"{name} must be a whole number, got {v!r}")
    try:
        approaches = tuple(int(a) for a in approaches)
        k = float(flops_per_param_token)
        tol = float(budget_tolerance)
        at = None if at is None else float(at)
        bootstrap, n_budgets, seed = int(bootstrap), int(n_budgets), int(seed)
    except (TypeError, ValueError):
        raise InputError("approaches, flops_per_param_token, budget_tolerance, at, bootstrap, "
                         "n_budgets and seed must be numbers (approaches: a list of 1, 2, 3)"
                         ) from None
    for name, v in (("flops_per_param_token", k), ("budget_tolerance", tol)):
        if not (math.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number, got {v!r}")
    if at is not None and not (math.isfinite(at) and at > 0):
        raise InputError(f"at (the reporting budget) must be a positive number, got {at!r}")
    if bootstrap < 0 or 0 < bootstrap < MIN_BOOTSTRAP:
        raise InputError(f"bootstrap must be 0 (no intervals) or at least {MIN_BOOTSTRAP} "
                         f"resamples, got {bootstrap}")
    if n_budgets < 2 or seed < 0:
        raise InputError("n_budgets must be at least 2 and seed a non-negative integer")
    labels_in = {}
    for name, v in (("group", group), ("run", run)):
        if v is not None:
            a = np.atleast_1d(np.asarray(v)).astype(str)
            if a.shape != (n,):
                raise InputError(f"{name} must have one label per row ({n}), got shape "
                                 f"{a.shape}")
            labels_in[name] = a
    groups = labels_in.get("group", np.full(n, None, object))
    runs = labels_in.get("run")
    budget_tolerance = tol
    if budget is not None:
        Cb = _arr(budget, "budget")
        if len(Cb) != n:
            raise InputError("budget must have one value per row")
        bad = ~(np.isfinite(Cb) & (Cb > 0))
        if bad.any():
            raise InputError(f"budget: row {int(np.argmax(bad)) + 1} is not a positive number")
    else:
        Cb = None
    if any(a not in (1, 2, 3) for a in approaches):
        raise InputError("approaches must be among 1, 2, 3")
    out = []
    labels = sorted(set(groups.tolist()), key=lambda v: (v is None, str(v)))
    for gi, g in enumerate(labels):
        m = groups == g if g is not None else np.ones(n, bool)
        rng = np.random.default_rng([seed, gi])
        out.append(_analyse_group(
            None if g is None else str(g), N[m], D[m], y[m], None if Cb is None else Cb[m],
            None if runs is None else runs[m], at, n_budgets, bootstrap, rng, seed, level, k,
            keep_unbracketed, tuple(approaches), fitter, budget_tolerance))
    return out


# ---------------------------------------------------------------------------------------------


def _arr(v, name) -> np.ndarray:
    try:
        a = np.asarray(v, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"{name}: values must be numbers") from None
    return a


def _cluster_budgets(C: np.ndarray, tol: float) -> np.ndarray:
    """Group compute values within a relative tolerance; each cluster gets its median."""
    order = np.argsort(C)
    labels = np.empty(len(C))
    start = 0
    for i in range(1, len(C) + 1):
        if i == len(C) or C[order[i]] > C[order[start]] * (1 + tol):
            idx = order[start:i]
            labels[idx] = float(np.median(C[idx]))
            start = i
    return labels


def _analyse_group(g, N, D, y, Cb, runs, at, n_budgets, B, rng, seed, level, k, keep, which,
                   fitter, tol) -> IsoflopAnalysis:
    results = []
    curve_info = None
    if runs is not None:
        a1, iso = _approach1(N, D, y, runs, k, n_budgets, B, rng, level, at)
        curve_info = iso
        if 1 in which:
            results.append(a1)
        Np, Dp, yp, Cp = iso
    else:
        if 1 in which:
            results.append(ApproachResult(1, False, reason="needs training curves: name the run "
                                          "column (--curves COLUMN; run= in Python)"))
        Cp = Cb if Cb is not None else _cluster_budgets(k * N * D, tol)
        Np, Dp, yp = N, D, y
    budgets = tuple(float(c) for c in np.unique(Cp))
    at_ = float(at) if at is not None else max(budgets)
    design = None
    a3 = None
    if 3 in which:
        a3 = _approach3(Np, Dp, yp, B, seed, level, at_, k, fitter)
    if 2 in which:
        results.append(_approach2(Np, Dp, yp, Cp, B, rng, level, at_, k, keep))
        if a3 is not None and a3.available:
            design = _design_bias(Np, Cp, a3, at_, k, keep)
    if a3 is not None:
        results.append(a3)
    results.sort(key=lambda r: r.approach)
    n_pts = len(Np) if curve_info is not None else len(N)
    return IsoflopAnalysis(group=g, n=n_pts, budgets=budgets, at=at_, approaches=tuple(results),
                           design_bias=design, level=level)


# -- approach 2 ----------------------------------------------------------------------------


def _parabola(x, yv):
    """Least-squares parabola in x; returns (vertex x, curvature c2, fitted minimum)."""
    if len(np.unique(x)) < 3:
        return math.nan, math.nan, math.nan
    xc = x.mean()
    c2, c1, c0 = np.polyfit(x - xc, yv, 2)
    if not c2 > 0:
        return math.nan, float(c2), math.nan
    v = -c1 / (2 * c2)
    return float(v + xc), float(c2), float(c0 - c1 * c1 / (4 * c2))


def _a2_fit(N, C, yv, budgets, idx_by_budget, keep, k, collect=False):
    """Parabolas per budget and the line through the usable vertices."""
    logC, logN = [], []
    rows = []
    for c in budgets:
        idx = idx_by_budget[c]
        x = np.log(N[idx])
        vx, c2, fmin = _parabola(x, yv[idx])
        bracketed = bool(np.isfinite(vx) and x.min() < vx < x.max())
        warn = ""
        if len(np.unique(x)) < 3:
            warn = "fewer than 3 model sizes: no parabola"
        elif not c2 > 0:
            warn = "the parabola opens downwards: no minimum"
        elif not bracketed:
            side = "largest" if vx >= x.max() else "smallest"
            warn = (f"minimum not bracketed: the vertex (N={_text.count(math.exp(vx))}) lies "
                    f"beyond the {side} sampled model; add runs on that side")
        used = bool(np.isfinite(vx) and (bracketed or keep))
        if used:
            logC.append(math.log(c))
            logN.append(vx)
        if collect:
            Nv = math.exp(vx) if np.isfinite(vx) else math.nan
            imin = idx[np.argmin(yv[idx])]
            rows.append({"budget": float(c), "n": int(len(idx)), "N_opt": Nv,
                         "D_opt": c / (k * Nv) if np.isfinite(vx) else math.nan,
                         "loss_min": fmin, "curvature": c2, "bracketed": bracketed,
                         "used": used, "warning": warn,
                         "best_run_N": float(N[imin]), "best_run_loss": float(yv[imin])})
    if len(logC) < 2:
        return math.nan, math.nan, rows
    slope, icpt = np.polyfit(np.array(logC), np.array(logN), 1)
    return float(slope), float(icpt), rows


def _approach2(N, D, yv, C, B, rng, level, at, k, keep) -> ApproachResult:
    budgets = np.unique(C)
    idx_by = {c: np.flatnonzero(C == c) for c in budgets}
    a, icpt, rows = _a2_fit(N, C, yv, budgets, idx_by, keep, k, collect=True)
    warns = [f"budget {_text.sci(r['budget'], 2)}: {r['warning']}" for r in rows if r["warning"]]
    n_used = sum(r["used"] for r in rows)
    if not np.isfinite(a):
        return ApproachResult(2, False, per_budget=tuple(rows), warnings=tuple(warns),
                              reason=f"only {n_used} budget(s) with a bracketed minimum; need 2")
    logat = math.log(at)
    res = _a_result(a, icpt, logat, k)
    ivs = {}
    n_draws = 0
    if B:
        vals = []
        for _ in range(B):
            idx_b = {c: rng.choice(idx, size=len(idx), replace=True) for c, idx in idx_by.items()}
            ab, ib, _ = _a2_fit(N, C, yv, budgets, idx_b, keep, k)
            if np.isfinite(ab):
                vals.append(_a_result(ab, ib, logat, k))
        n_draws = len(vals)
        if vals:
            arr = {key: np.array([v[key] for v in vals]) for key in vals[0]}
            ivs = _ivs(arr, level)
    notes = []
    if n_used < len(rows):
        notes.append(f"{len(rows) - n_used} of {len(rows)} budgets left out of the line "
                     "(see the per-budget checks)")
    return ApproachResult(2, True, exponent_N=res["exponent_N"], exponent_D=res["exponent_D"],
                          coefficient_N=res["coefficient_N"], N_at=res["N_at"],
                          D_at=res["D_at"], intervals=ivs, n_draws=n_draws,
                          per_budget=tuple(rows), warnings=tuple(warns + notes))


def _a_result(a, icpt, logat, k):
    N_at = math.exp(icpt + a * logat)
    return {"exponent_N": a, "exponent_D": 1.0 - a, "coefficient_N": math.exp(icpt),
            "N_at": N_at, "D_at": math.exp(logat) / (k * N_at)}


def _ivs(arr: Mapping[str, np.ndarray], level) -> dict:
    out = {}
    for key in ("exponent_N", "exponent_D", "N_at", "D_at"):
        if key in arr:
            iv = nondegenerate(interval(arr[key], level))
            if iv:
                out[key] = iv
    return out


# -- approach 3 ----------------------------------------------------------------------------


def _approach3(N, D, yv, B, seed, level, at, k, fitter) -> ApproachResult:
    from ..data import Dataset
    from ..fit import Fitter
    from ..laws import get_law
    from ._allocation import compute_optimal

    law = get_law("chinchilla")
    data = Dataset(X={"N": N, "D": D}, y=yv, target="loss", columns={"N": "N", "D": "D"},
                   name="isoflop")
    f = fitter or Fitter(bootstrap=B, seed=seed, level=level)
    if len(np.unique(np.stack([N, D], 1), axis=0)) < law.n_params:
        return ApproachResult(3, False, reason="fewer distinct (N, D) points than the law's 5 "
                              "parameters")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", FitWarning)
        res = f.fit(law, data)
    alloc = compute_optimal(res, at, flops_per_param_token=k, level=level)  # the analysis level
    ivs = {}
    if "exponent_N" in alloc.intervals:
        ivs = {"exponent_N": alloc.intervals["exponent_N"],
               "exponent_D": alloc.intervals["exponent_D"]}
        if "N_opt" in alloc.intervals:
            ivs["N_at"] = alloc.intervals["N_opt"]
            ivs["D_at"] = alloc.intervals["D_opt"]
    p = res.params
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / (p["alpha"] + p["beta"]))
    coef = G * (1.0 / k) ** alloc.exponent_N
    warns = tuple(str(w.message) for w in caught if issubclass(w.category, FitWarning)
                  and "outlying" not in str(w.message))
    return ApproachResult(3, True, exponent_N=alloc.exponent_N, exponent_D=alloc.exponent_D,
                          coefficient_N=coef, N_at=alloc.N_opt, D_at=alloc.D_opt, intervals=ivs,
                          n_draws=alloc.n_draws,
                          details={"params": p, "status": res.status, "law": law.name,
                                   "fitter": f.settings(),
                                   "ci": res.ci() if res.draws is not None and len(res.draws)
                                   else None},
                          warnings=warns)


def _design_bias(N, C, a3: ApproachResult, at, k, keep) -> dict | None:
    """Approach 2 on noise-free values of the Approach 3 law at the sampled (N, C)."""
    p = a3.details["params"]
    Dv = C / (k * N)
    yv = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / Dv ** p["beta"]
    budgets = np.unique(C)
    idx_by = {c: np.flatnonzero(C == c) for c in budgets}
    a, icpt, _ = _a2_fit(N, C, yv, budgets, idx_by, keep, k)
    if not np.isfinite(a):
        return None
    N_at = math.exp(icpt + a * math.log(at))
    return {"exponent_N": a, "truth": a3.exponent_N, "bias": a - a3.exponent_N,
            "N_at_ratio": N_at / a3.N_at}


# -- approach 1 ----------------------------------------------------------------------------


def _interp_runs(N, D, yv, runs, k):
    """Per run: (N, sorted log C, log loss)."""
    out = []
    C = k * N * D
    for r in np.unique(runs):
        m = runs == r
        if m.sum() < 2:
            continue
        n_vals = np.unique(N[m])
        if len(n_vals) != 1:
            raise InputError(f"run '{r}' has several parameter counts: the run column must "
                             "identify one training run")
        order = np.argsort(C[m])
        lc, ly = np.log(C[m][order]), np.log(yv[m][order])
        keep = np.concatenate([[True], np.diff(lc) > 0])
        out.append((float(n_vals[0]), lc[keep], ly[keep]))
    return out


def _envelope(curves, grid):
    """At each log C of the grid: the best run's N and loss (NaN where < 3 sizes cover it)."""
    Ns = np.array([c[0] for c in curves])
    L = np.full((len(curves), len(grid)), np.inf)
    for i, (_, lc, ly) in enumerate(curves):
        inside = (grid >= lc[0]) & (grid <= lc[-1])
        L[i, inside] = np.interp(grid[inside], lc, ly)
    best = np.argmin(L, axis=0)
    Nbest = Ns[best]
    Lbest = L[best, np.arange(len(grid))]
    cover = np.array([len(np.unique(Ns[np.isfinite(L[:, j])])) for j in range(len(grid))])
    # the envelope's argmin must have a smaller and a larger covering model (bracketed)
    lo_ok = np.array([np.any(np.isfinite(L[:, j]) & (Ns < Nbest[j])) for j in range(len(grid))])
    hi_ok = np.array([np.any(np.isfinite(L[:, j]) & (Ns > Nbest[j])) for j in range(len(grid))])
    valid = np.isfinite(Lbest) & (cover >= 3) & lo_ok & hi_ok
    return Nbest, np.exp(Lbest), valid, L


def _approach1(N, D, yv, runs, k, n_budgets, B, rng, level, at):
    curves = _interp_runs(N, D, yv, runs, k)
    if len(curves) < 3:
        res = ApproachResult(1, False, reason="fewer than 3 runs with at least 2 checkpoints")
        C = k * N * D
        return res, (N, D, yv, _cluster_budgets(C, 0.1))
    lo = min(c[1][0] for c in curves)
    hi = max(c[1][-1] for c in curves)
    grid = np.linspace(lo, hi, 200)
    Nb, Lb, valid, L = _envelope(curves, grid)
    # isoFLOP points for approaches 2 and 3: at n_budgets budgets inside the covered range,
    # the best run of each model size
    cov = grid[valid] if valid.any() else grid
    bud = np.linspace(cov.min(), cov.max(), n_budgets) if len(cov) > 1 else cov
    pts = []
    for lcb in bud:
        vals = {}
        for (n_, lc, ly) in curves:
            if lc[0] <= lcb <= lc[-1]:
                v = float(np.exp(np.interp(lcb, lc, ly)))
                vals[n_] = min(v, vals.get(n_, math.inf))
        for n_, v in vals.items():
            pts.append((n_, math.exp(lcb) / (k * n_), v, math.exp(lcb)))
    iso = tuple(np.array(col) for col in zip(*pts)) if pts else (N, D, yv, k * N * D)
    if valid.sum() < 2:
        return ApproachResult(1, False, reason="the envelope is bracketed (a smaller and a "
                              "larger model cover it) at fewer than 2 compute values"), iso
    logat = math.log(at) if at is not None else float(hi)
    a, icpt = np.polyfit(grid[valid], np.log(Nb[valid]), 1)
    res = _a_result(float(a), float(icpt), logat, k)
    ivs, n_draws = {}, 0
    if B:
        vals = []
        n_runs = len(curves)
        for _ in range(B):
            pick = rng.integers(0, n_runs, n_runs)
            sub = [curves[i] for i in np.unique(pick)]
            if len(sub) < 3:
                continue
            Nb2, _, v2, _ = _envelope(sub, grid)
            if v2.sum() < 2:
                continue
            a2, i2 = np.polyfit(grid[v2], np.log(Nb2[v2]), 1)
            vals.append(_a_result(float(a2), float(i2), logat, k))
        n_draws = len(vals)
        if vals:
            ivs = _ivs({key: np.array([v[key] for v in vals]) for key in vals[0]}, level)
    env = tuple({"budget": float(math.exp(g)), "N_opt": float(n_), "loss": float(l_),
                 "used": bool(v)} for g, n_, l_, v in zip(grid[::10], Nb[::10], Lb[::10],
                                                          valid[::10]))
    warns = []
    if (~valid).any():
        warns.append(f"{int((~valid).sum())} of {len(grid)} compute values left out: the best "
                     "run there is the smallest or largest model covering it, or fewer than 3 "
                     "model sizes cover it")
    return ApproachResult(1, True, exponent_N=res["exponent_N"], exponent_D=res["exponent_D"],
                          coefficient_N=res["coefficient_N"], N_at=res["N_at"], D_at=res["D_at"],
                          intervals=ivs, n_draws=n_draws, per_budget=env,
                          details={"runs": len(curves), "compute_values": int(valid.sum())},
                          warnings=tuple(warns)), iso


def approach2_exponent(N, C, loss, *, keep_unbracketed: bool = False,
                       flops_per_param_token: float = 6.0) -> tuple[float, float]:
    """Approach 2 alone, without intervals: the exponent ``a`` and coefficient ``K_N``.

    Parameters
    ----------
    N, C, loss : array_like
        Parameters, budget and loss of each run.
    keep_unbracketed : bool
        Use budgets whose parabola vertex lies outside the sampled range.
    flops_per_param_token : float

    Returns
    -------
    (float, float)
        ``a`` and ``K_N`` in ``N_opt = K_N C^a`` (NaN when fewer than two budgets qualify).
    """
    N, C, yv = _arr(N, "N"), _arr(C, "C"), _arr(loss, "loss")
    budgets = np.unique(C)
    idx_by = {c: np.flatnonzero(C == c) for c in budgets}
    a, icpt, _ = _a2_fit(N, C, yv, budgets, idx_by, keep_unbracketed, flops_per_param_token)
    return a, (math.exp(icpt) if np.isfinite(icpt) else math.nan)


__all__ = ["APPROACH_NAMES", "ApproachResult", "IsoflopAnalysis", "approach2_exponent", "isoflop"]
