"""What the figures show, computed once: used by the matplotlib plots and by the HTML report.

Nothing here draws. Every function takes a :class:`~scalinglaws.fit.FitResult` (or plain
arrays) and returns numbers, so that the static figures and the interactive report cannot
disagree.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from .._checks import is_whole
from .._errors import InputError

#: the FLOPs of training a dense transformer of N parameters on D tokens: C = 6 N D
#: (Kaplan et al. 2020, section 2.1; Hoffmann et al. 2022, appendix F)
FLOPS_PER_PARAM_TOKEN = 6.0


# ---------------------------------------------------------------------------------------------
# the runs behind a fit


def runs_table(res) -> dict[str, Any]:
    """The fitted runs with their diagnostics, one entry per run.

    Parameters
    ----------
    res : FitResult

    Returns
    -------
    dict
        ``row`` (row number in the source table), ``X`` (``{input: array}``), ``y``,
        ``fitted``, ``residual`` (fit space: ``log ŷ − log y`` or ``ŷ − y``), ``group``
        (array of labels or ``None``), ``outlier`` (bool), ``z`` (robust z of the residual,
        NaN when not an outlier), ``cooks`` (Cook's distance, NaN unless among the most
        influential runs), ``high_influence`` (bool).
    """
    data = res.data or {}
    X = {k: np.asarray(data["X"][k], dtype=float) for k in res.law.inputs}
    y = np.asarray(data["y"], dtype=float)
    n = len(y)
    rows = np.asarray(data.get("rows") or np.arange(1, n + 1), dtype=int)
    group = data.get("group")
    group = np.asarray(group, dtype=object).astype(str) if group is not None else None
    fitted = np.asarray(res.fitted, dtype=float) if len(res.fitted) == n else np.full(n, np.nan)
    resid = np.asarray(res.residuals, dtype=float) if len(res.residuals) == n else np.full(n, np.nan)
    pos = {int(r): i for i, r in enumerate(rows)}
    outlier = np.zeros(n, bool)
    z = np.full(n, np.nan)
    for o in (res.diagnostics or {}).get("outliers", []) or []:
        i = pos.get(int(o["row"]))
        if i is not None:
            outlier[i] = True
            z[i] = float(o.get("z", np.nan))
    cooks = np.full(n, np.nan)
    high = np.zeros(n, bool)
    for o in (res.diagnostics or {}).get("influence", []) or []:
        i = pos.get(int(o["row"]))
        if i is not None:
            cooks[i] = float(o.get("cooks_distance", np.nan))
            high[i] = bool(o.get("high", False))
    return {"row": rows, "X": X, "y": y, "fitted": fitted, "residual": resid, "group": group,
            "outlier": outlier, "z": z, "cooks": cooks, "high_influence": high}


def input_label(res, name: str) -> str:
    """Axis label for a law input: ``"N (params)"`` when it reads a differently named column."""
    col = (res.inputs or {}).get(name)
    return f"{name} ({col})" if col and col != name else name


def target_label(res) -> str:
    """Axis label for the fitted target."""
    return str(res.target or "y")


def residual_label(res) -> str:
    """Axis label for residuals in the fit's space."""
    return "residual  log ŷ − log y" if res.space == "log" else "residual  ŷ − y"


def is_positive(values: np.ndarray) -> bool:
    """Whether every finite value is > 0 (so the axis can be log-scaled)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return v.size > 0 and bool(np.all(v > 0))


def spans_decades(values: np.ndarray, factor: float = 10.0) -> bool:
    """Whether positive values span at least ``factor`` (max/min): a log axis reads better."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return v.size > 0 and bool(np.all(v > 0)) and float(v.max() / v.min()) >= factor


def _grid(lo: float, hi: float, n: int, log: bool) -> np.ndarray:
    if log:
        return np.geomspace(lo, hi, n)
    return np.linspace(lo, hi, n)


def _round_sig(x: float, sig: int = 2) -> float:
    if not math.isfinite(x) or x == 0:
        return x
    return float(f"{x:.{sig}g}")


def _group_theta_index(res, group: str | None) -> tuple[str | None, int]:
    if res.groups is None:
        return None, 0
    if group is None:
        return res.groups[0], 0
    group = str(group)  # labels are kept as text (a numeric column's 1 is '1')
    if group not in res.groups:
        raise InputError(f"unknown group '{group}'; groups: {', '.join(res.groups[:10])}")
    return group, res.groups.index(group)


def plan_group(res, plan: Mapping[str, Any] | None, group: str | None = None) -> str | None:
    """The group whose parameters draw a plan on a grouped fit's charts.

    A plan made from one group of a grouped fit records that group (``plan["model"]["group"]``);
    its allocation is only meaningful on that group's curves. ``group`` is the caller's own
    choice (``plot --group``), which must agree with the plan's.

    Parameters
    ----------
    res : FitResult
    plan : mapping, optional
        A plan record.
    group : str, optional
        The group asked for.

    Returns
    -------
    str or None
        The group to draw (``None``: the fit's default, or an ungrouped fit).

    Raises
    ------
    InputError
        If the plan's group is not one of the fit's, or differs from ``group``.
    """
    model = (plan or {}).get("model") if isinstance(plan, Mapping) else None
    mine = model.get("group") if isinstance(model, Mapping) else None
    if res.groups is None or mine is None:
        return group
    mine = str(mine)
    if mine not in [str(g) for g in res.groups]:
        raise InputError(f"the plan was made for group '{mine}', which this fit does not have; "
                         f"groups: {', '.join(map(str, res.groups[:10]))}")
    if group is not None and str(group) != mine:
        raise InputError(f"--group {group} (group=): the plan was made for group '{mine}'; draw "
                         f"it with --group {mine} or leave --group out")
    return mine


# ---------------------------------------------------------------------------------------------
# data and fitted law against one input


def fit_curves(res, *, x: str | None = None, colour: str | None = None, n_curves: int = 5,
               n: int = 160) -> dict[str, Any]:
    """Curves of the fitted law against one input, the others held at fixed values.

    With groups, one curve per group (other inputs at the group's median). Without groups
    and with several inputs, the input that varies most besides ``x`` is the *colour* input:
    ``n_curves`` curves at quantiles of it (rounded to two significant figures); any further
    inputs are held at their median.

    Parameters
    ----------
    res : FitResult
    x : str, optional
        Law input on the horizontal axis (default: the first).
    colour : str, optional
        Input whose values pick the curves (default: chosen as above).
    n_curves : int
        Number of curves for the colour input.
    n : int
        Points per curve.

    Returns
    -------
    dict
        ``x`` (input name), ``colour`` (input name or ``None``), ``log_x``, ``log_y``,
        ``curves``: list of ``{label, value (colour-input value or None), group, x, y}``.

    Raises
    ------
    InputError
        If ``x`` or ``colour`` is not an input of the law.
    """
    law = res.law
    runs = runs_table(res)
    X = runs["X"]
    x = x or law.inputs[0]
    if x not in law.inputs:
        raise InputError(f"--input {x} (x=): not an input of law {law.name!r} "
                         f"(its inputs are {', '.join(law.inputs)})")
    others = [k for k in law.inputs if k != x]
    log_x = spans_decades(X[x])
    xv = X[x][np.isfinite(X[x])]
    lo, hi = float(xv.min()), float(xv.max())
    if log_x:
        lo, hi = lo / 1.3, hi * 1.3
    else:
        pad = 0.05 * (hi - lo or 1.0)
        lo, hi = lo - pad, hi + pad
    grid = _grid(lo, hi, n, log_x)
    curves = []
    if res.groups is not None and len(res.groups) > 1 and runs["group"] is not None:
        colour = None
        for g in res.groups:
            m = runs["group"] == g
            held = {k: float(np.median(X[k][m])) for k in others}
            xm = X[x][m]
            if log_x:
                gx = np.geomspace(xm.min() / 1.3, xm.max() * 1.3, n)
            else:
                pad = 0.05 * (xm.max() - xm.min() or 1.0)
                gx = np.linspace(xm.min() - pad, xm.max() + pad, n)
            Xg = {x: gx, **{k: np.full(n, v) for k, v in held.items()}}
            pred = _point_predict(res, Xg, g)
            curves.append({"label": str(g), "value": None, "group": g, "held": held,
                           "x": gx, "y": pred})
    else:
        if colour is None and others:
            spread = {k: _spread(X[k]) for k in others}
            colour = max(spread, key=spread.get) if max(spread.values()) > 0 else None
        elif colour is not None and colour not in others:
            raise InputError(f"colour input {colour!r} must be one of {', '.join(others) or 'none'}")
        fixed = {k: float(np.median(X[k])) for k in others if k != colour}
        if colour is None:
            values = [None]
        else:
            cv = X[colour][np.isfinite(X[colour])]
            qs = np.quantile(np.log(cv) if is_positive(cv) else cv, np.linspace(0.05, 0.95, n_curves))
            values = [_round_sig(float(np.exp(q) if is_positive(cv) else q)) for q in qs]
            values = list(dict.fromkeys(values))  # rounding may merge neighbours
        for v in values:
            held = dict(fixed)
            if colour is not None:
                held[colour] = v
            Xg = {x: grid, **{k: np.full(n, val) for k, val in held.items()}}
            pred = _point_predict(res, Xg, None)
            label = ", ".join(f"{k} = {val:.3g}" for k, val in held.items()) or "fitted law"
            curves.append({"label": label, "value": v, "group": None, "held": held,
                           "x": grid, "y": pred})
    log_y = is_positive(runs["y"]) and all(is_positive(c["y"]) for c in curves if len(c["y"]))
    return {"x": x, "colour": colour, "log_x": log_x, "log_y": log_y, "curves": curves,
            "fixed": {k: float(np.median(X[k])) for k in others if k != colour}}


def _spread(v: np.ndarray) -> float:
    v = np.asarray(v, dtype=float)
    v = v[np.isfinite(v)]
    if v.size < 2:
        return 0.0
    if np.all(v > 0):
        return float(np.log(v.max() / v.min()))
    return float(v.max() - v.min()) / (abs(float(np.mean(v))) + 1e-300)


def _point_predict(res, X: Mapping[str, np.ndarray], group) -> np.ndarray:
    """Point prediction only (no bootstrap work), for curves that need no band."""
    _, gi = _group_theta_index(res, group)
    return np.asarray(res.law.predict({k: np.asarray(v, float) for k, v in X.items()},
                                      res.theta[gi]))


# ---------------------------------------------------------------------------------------------
# extrapolation


def _scaled_inputs(res, X: Mapping[str, np.ndarray]) -> list[str]:
    """Inputs that an extrapolation moves: those whose runs span a decade (else the first)."""
    scaled = [k for k in res.law.inputs if spans_decades(X[k])]
    return scaled or [res.law.inputs[0]]


def default_target(res) -> dict[str, float]:
    """Where to extrapolate to when no target is given: one decade beyond the runs.

    Inputs whose runs span at least a factor of 10 are set to ten times their largest value
    (when none does, the first input is set to twice its largest value); the other inputs are
    held at their median.
    """
    X = runs_table(res)["X"]
    scaled = _scaled_inputs(res, X)
    out = {}
    for k in res.law.inputs:
        v = X[k][np.isfinite(X[k])]
        if k in scaled:
            out[k] = float((10 if spans_decades(v) else 2) * v.max())
        else:
            out[k] = float(np.median(v))
    return out


def extrapolation_path(res, at: Mapping[str, float] | None = None, *, x: str | None = None,
                       group: str | None = None, n: int = 160,
                       level: float | None = None) -> dict[str, Any]:
    """The fitted law along a path from the runs to a target, with its bands.

    The path scales every input that spans a decade in the runs by one common factor, so the
    ratios between them stay those of the target (for N and D: a fixed number of tokens per
    parameter); the other inputs stay at the target's values. It starts where the horizontal
    input ``x`` equals its smallest value in the runs and ends at the target.

    Parameters
    ----------
    res : FitResult
    at : mapping, optional
        The target: a value for every law input (default :func:`default_target`).
    x : str, optional
        Input on the horizontal axis (default: the first input that is scaled).
    group : str, optional
        Group whose parameters to use (grouped fits; default the first).
    n : int
        Points along the path.
    level : float, optional
        Interval level (default: the fit's).

    Returns
    -------
    dict
        ``x`` (input name), ``path`` (``{input: array}``), ``prediction`` and, when the fit has
        bootstrap draws, ``ci_low``, ``ci_high``, ``pi_low``, ``pi_high``; ``target`` (inputs,
        prediction and intervals at the target), ``data_max`` (largest ``x`` among the runs),
        ``scaled`` (inputs that move along the path), ``held`` (the others), ``group``,
        ``level``.

    Raises
    ------
    InputError
        If the target misses an input, is not positive where the path needs logs, or lies
        below the runs.
    """
    law = res.law
    runs = runs_table(res)
    X = runs["X"]
    target = dict(default_target(res) if at is None else at)
    missing = [k for k in law.inputs if k not in target]
    if missing:
        raise InputError(f"--at (at=): give a value for {', '.join(missing)} (the law's inputs "
                         f"are {', '.join(law.inputs)})")
    unknown = [k for k in target if k not in law.inputs]
    if unknown:
        raise InputError(f"--at (at=): {unknown[0]!r} is not an input of law {law.name!r} "
                         f"(its inputs are {', '.join(law.inputs)})")
    target = {k: float(target[k]) for k in law.inputs}
    scaled = _scaled_inputs(res, X)
    for k in scaled:
        if not target[k] > 0:
            raise InputError(f"--at {k}={target[k]:g}: must be positive (the path is log-spaced)")
    x = x or scaled[0]
    if x not in scaled:
        raise InputError(f"--input {x} (x=): the path moves {', '.join(scaled)}; choose one of "
                         "them")
    xmin = float(np.nanmin(X[x]))
    if not xmin > 0:
        raise InputError(f"input {x} has runs at {x}={xmin:g}: an extrapolation path is "
                         "log-spaced and needs positive values")
    if not target[x] > xmin:
        raise InputError(f"--at {x}={target[x]:g}: the target must lie above the smallest run "
                         f"({x}={xmin:g})")
    # common factor s in [xmin / target_x, 1], log-spaced, with the target itself included
    s = np.geomspace(xmin / target[x], 1.0, n)
    path = {k: (target[k] * s if k in scaled else np.full(n, target[k])) for k in law.inputs}
    group, _ = _group_theta_index(res, group)
    pred = res.predict(path, group=group, level=level)
    out: dict[str, Any] = {"x": x, "path": path, "scaled": scaled,
                           "held": {k: target[k] for k in law.inputs if k not in scaled},
                           "group": group, "data_max": float(np.nanmax(X[x])),
                           "level": float(res.level if level is None else level)}
    for k, v in pred.items():
        out[k] = np.asarray(v, dtype=float)
    # the target on its own, as 'scalinglaws predict' computes it (same seed, same numbers)
    at_target = res.predict({k: np.array([v]) for k, v in target.items()}, group=group,
                            level=level)
    out["target"] = {"inputs": target, **{k: float(v[0]) for k, v in at_target.items()}}
    return out


def path_description(res, ext: Mapping[str, Any]) -> str:
    """Words for the path of :func:`extrapolation_path` (``"D/N = 20 fixed"``...)."""
    t = ext["target"]["inputs"]
    x = ext["x"]
    parts = [f"{k}/{x} = {t[k] / t[x]:.3g}" for k in ext["scaled"] if k != x]
    parts += [f"{k} = {v:.3g}" for k, v in ext["held"].items()]
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# compute: IsoFLOP profiles and the compute-optimal frontier


def nd_inputs(res) -> tuple[str, str]:
    """The law inputs that are the parameter count N and the token count D.

    Recognised as the planners recognise them: by the law's input names (``N``, ``D``) or by
    the words in the names and columns (``params``, ``size``; ``tokens``, ``data``).

    Raises
    ------
    InputError
        If the law has no such pair, or has other inputs as well (the allocation of compute
        between N and D is then not defined by the law alone).
    """
    from ..plan._model import _identify_inputs

    law = res.law
    try:
        n, d = _identify_inputs(law, dict(res.inputs or {}), None, None)
    except InputError:
        raise InputError(f"law {law.name!r} has inputs {', '.join(law.inputs)}: IsoFLOP and "
                         "compute-optimal plots need a law of the parameter count N and the token "
                         "count D") from None
    if len(law.inputs) != 2:
        extra = [k for k in law.inputs if k not in (n, d)]
        raise InputError(f"law {law.name!r} has inputs besides {n} and {d} ({', '.join(extra)}): "
                         "IsoFLOP and compute-optimal plots need a law of N and D only")
    return n, d


def compute_budgets(C: np.ndarray, *, per_decade: int = 4) -> np.ndarray:
    """Assign runs to compute budgets: the nearest of ``per_decade`` log-spaced values a decade.

    Returns the integer bin ``round(per_decade * log10 C)`` of each run (NaN-safe: -1 for
    non-positive or missing ``C``).
    """
    C = np.asarray(C, dtype=float)
    out = np.full(C.shape, -1, dtype=int)
    ok = np.isfinite(C) & (C > 0)
    out[ok] = np.rint(per_decade * np.log10(C[ok])).astype(int)
    return out


def isoflop_profiles(N: Sequence[float], D: Sequence[float] | None, loss: Sequence[float], *,
                     flops: Sequence[float] | None = None, budget: Sequence[float] | None = None,
                     per_decade: int = 4, min_points: int = 5) -> list[dict[str, Any]]:
    """Group runs by compute budget and fit a parabola in log N to each group (Approach 2).

    The compute of a run is ``flops`` when given, else ``6 N D``. Runs are grouped by
    ``budget`` when given (e.g. the nominal budget column of an IsoFLOP sweep), else by the
    nearest of ``per_decade`` log-spaced budgets a decade. Each group with at least
    ``min_points`` distinct N gets ``loss ≈ a (log10 N)² + b log10 N + c``; its vertex is the
    group's empirical compute-optimal N when the parabola is convex and the vertex lies
    within the group's runs (Hoffmann et al. 2022, Approach 2).

    Parameters
    ----------
    N, D, loss : array_like
        Parameters, tokens and final loss of each run (``D`` may be ``None`` with ``flops``).
    flops : array_like, optional
        Training compute of each run (FLOPs).
    budget : array_like, optional
        Nominal budget of each run; runs with equal values form one group.
    per_decade : int
        Budget bins per decade when ``budget`` is not given.
    min_points : int
        Smallest group that gets a parabola.

    Returns
    -------
    list of dict
        One per group, by increasing compute: ``C`` (median compute of the group, FLOPs),
        ``index`` (positions of its runs), ``N``, ``D``, ``loss``, ``parabola`` (``None`` or
        ``{"coef": (a, b, c), "N_opt", "loss_opt", "logN_range"}``).

    Raises
    ------
    InputError
        If the arrays differ in length or neither ``D`` nor ``flops`` is given.
    """
    def column(values, name):
        try:
            out = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise InputError(f"IsoFLOP profiles: {name} must be numbers, one per run") from None
        if out.ndim != 1:
            raise InputError(f"IsoFLOP profiles: {name} must be a list of numbers, one per run")
        return out

    for value, name in ((per_decade, "per_decade"), (min_points, "min_points")):
        if not is_whole(value) or value < 1:
            raise InputError(f"IsoFLOP profiles: {name} must be a whole number >= 1, got "
                             f"{value!r}")
    if D is None and flops is None:
        raise InputError("IsoFLOP profiles need the tokens D or the compute (flops) of each run")
    N, loss = column(N, "N"), column(loss, "loss")
    D = None if D is None else column(D, "D")
    flops = None if flops is None else column(flops, "flops")
    lengths = {len(a) for a in (N, loss, D, flops) if a is not None}
    if len(lengths) > 1:
        raise InputError("IsoFLOP profiles: N, D (or flops) and loss must have the same length")
    if D is None:
        C = flops
        D = C / (FLOPS_PER_PARAM_TOKEN * N)
    else:
        C = flops if flops is not None else FLOPS_PER_PARAM_TOKEN * N * D
    ok = np.isfinite(N) & (N > 0) & np.isfinite(loss) & np.isfinite(C) & (C > 0)
    if budget is not None:
        b = column(budget, "budget")
        if len(b) != len(N):
            raise InputError("IsoFLOP profiles: budget must have one value per run")
        if not np.all(np.isfinite(b)):
            raise InputError("IsoFLOP profiles: every run needs a finite budget")
        keys = b
    else:
        keys = compute_budgets(C, per_decade=per_decade)
    out = []
    for key in np.unique(keys[ok]):
        idx = np.flatnonzero(ok & (keys == key))
        lg = np.log10(N[idx])
        grp = {"C": float(np.median(C[idx])), "index": idx, "N": N[idx], "D": D[idx],
               "loss": loss[idx], "parabola": None}
        if len(np.unique(np.round(lg, 6))) >= min_points:
            a, bb, c = np.polyfit(lg, loss[idx], 2)
            if a > 0:
                v = -bb / (2 * a)
                if lg.min() <= v <= lg.max():
                    grp["parabola"] = {"coef": (float(a), float(bb), float(c)),
                                       "N_opt": float(10 ** v),
                                       "loss_opt": float(c - bb * bb / (4 * a)),
                                       "logN_range": (float(lg.min()), float(lg.max()))}
        out.append(grp)
    out.sort(key=lambda g: g["C"])
    return out


def compute_optimal(res, C: Sequence[float], *, group: str | None = None,
                    level: float | None = None, method: str = "auto",
                    bands: bool = True) -> dict[str, Any]:
    """The compute-optimal allocation N*(C), D*(C) = C/(6 N*) of a fitted law of N and D.

    Arrays over budgets from :func:`scalinglaws.plan.compute_optimal` (the closed form of
    Hoffmann et al. 2022 for the Chinchilla law, a numerical minimum along ``C = 6 N D`` for
    any other law of N and D), so that the figures show what ``scalinglaws plan`` reports.

    Parameters
    ----------
    res : FitResult
    C : array_like
        Compute budgets (FLOPs).
    group : str, optional
        Group whose parameters to use (grouped fits; default the first).
    level : float, optional
        Band level (default: the fit's).
    method : {"auto", "closed", "numerical"}
        ``"auto"`` takes the closed form for the catalogue's Chinchilla law.
    bands : bool
        Compute the bands from the bootstrap draws (when the fit has them).

    Returns
    -------
    dict
        ``C``, ``N_opt``, ``D_opt``, ``loss_opt``, ``method``, ``n``/``d`` (input names),
        ``level``, ``group`` and, with bands, ``N_low``, ``N_high``, ``D_low``, ``D_high``,
        ``loss_low``, ``loss_high`` (NaN where the draws gave none).

    Raises
    ------
    InputError
        If the law is not a law of N and D (see :func:`nd_inputs`).
    """
    from ..plan import compute_optimal as allocate

    n_name, d_name = nd_inputs(res)
    C = np.atleast_1d(np.asarray(C, dtype=float))
    group, gi = _group_theta_index(res, group)
    options: dict[str, Any] = {"group": group, "level": level, "n_input": n_name,
                               "d_input": d_name, "method": method}
    if not bands:
        # the estimate alone: giving its own values drops the draws
        options["params"] = dict(zip(res.law.param_names, res.theta[gi].tolist()))
    try:
        allocs = allocate(res, [float(c) for c in C], **options)
    except InputError:
        # one budget the planner refuses (a plan of less than one parameter, say) leaves a
        # gap in the curve rather than failing the figure; if it refuses them all, say why
        allocs = [_allocation_or_none(allocate, res, float(c), options) for c in C]
        if all(a is None for a in allocs):
            raise
    lvl = float(res.level if level is None else level)
    got = [a for a in allocs if a is not None]

    def col(key):
        return np.array([np.nan if a is None else getattr(a, key) for a in allocs], float)

    out: dict[str, Any] = {
        "C": C, "N_opt": col("N_opt"), "D_opt": col("D_opt"), "loss_opt": col("loss"),
        "method": got[0].method if got else "", "n": n_name, "d": d_name, "level": lvl,
        "group": group}
    if bands and res.draws is not None and len(res.draws):
        for key, name in (("N", "N_opt"), ("D", "D_opt"), ("loss", "loss")):
            lo, hi = [], []
            for a in allocs:
                iv = ((a.intervals if a is not None else None) or {}).get(name)
                lo.append(float(iv[0]) if iv else np.nan)
                hi.append(float(iv[1]) if iv else np.nan)
            out[f"{key}_low"], out[f"{key}_high"] = np.array(lo), np.array(hi)
    return out


def _allocation_or_none(allocate, res, budget: float, options: Mapping[str, Any]):
    """The plan at one budget, or None where the planner refuses it."""
    try:
        return allocate(res, budget, **options)
    except InputError:
        return None


def law_isoflop_curves(res, budgets: Sequence[float], *, group: str | None = None,
                       n: int = 120, span: float = 1.5) -> list[dict[str, Any]]:
    """The fitted law's IsoFLOP profiles: loss against N along ``6 N D = C`` for each budget.

    Each curve spans ``span`` decades either side of the law's own optimum.

    Returns
    -------
    list of dict
        ``C``, ``N`` (grid), ``loss``, ``N_opt``, ``loss_opt``.
    """
    n_name, d_name = nd_inputs(res)
    budgets = np.asarray(budgets, dtype=float)
    opt = compute_optimal(res, budgets, group=group, bands=False) if len(budgets) else None
    _, gi = _group_theta_index(res, group)
    out = []
    for i, C in enumerate(budgets):
        centre = opt["N_opt"][i] if np.isfinite(opt["N_opt"][i]) else math.sqrt(C / 6)
        N = np.geomspace(centre / 10 ** span, centre * 10 ** span, n)
        D = C / (FLOPS_PER_PARAM_TOKEN * N)
        with np.errstate(all="ignore"):
            L = np.asarray(res.law.predict({n_name: N, d_name: D}, res.theta[gi]))
        out.append({"C": float(C), "N": N, "loss": L, "N_opt": float(opt["N_opt"][i]),
                    "loss_opt": float(opt["loss_opt"][i])})
    return out


def fit_isoflops(res, *, per_decade: int = 4, min_points: int = 5) -> list[dict[str, Any]]:
    """:func:`isoflop_profiles` of the runs behind a fit of a law of N and D."""
    n_name, d_name = nd_inputs(res)
    runs = runs_table(res)
    return isoflop_profiles(runs["X"][n_name], runs["X"][d_name], runs["y"],
                            per_decade=per_decade, min_points=min_points)


def frontier_budgets(res, *, extra: Sequence[float] = (), n: int = 60) -> np.ndarray:
    """Budgets for a frontier plot: from the smallest run's compute to 100× the largest."""
    n_name, d_name = nd_inputs(res)
    X = runs_table(res)["X"]
    C = FLOPS_PER_PARAM_TOKEN * X[n_name] * X[d_name]
    C = C[np.isfinite(C) & (C > 0)]
    lo, hi = float(C.min()), float(C.max()) * 100
    for e in extra:
        if e and math.isfinite(e) and e > 0:
            lo, hi = min(lo, e / 3), max(hi, e * 3)
    return np.geomspace(lo, hi, n)


# ---------------------------------------------------------------------------------------------
# bench


def bench_rows(bench: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The results of a bench record, tolerant of missing and extra keys.

    Raises
    ------
    InputError
        If ``bench`` has no ``results`` list.
    """
    res = bench.get("results") if isinstance(bench, Mapping) else None
    if not isinstance(res, list):
        raise InputError("not a bench record: expected a JSON object with a 'results' list "
                         "(produce one with 'scalinglaws bench ... -o BENCH.json')")
    return [r for r in res if isinstance(r, Mapping)]


def bench_points(row: Mapping[str, Any]) -> dict[str, np.ndarray] | None:
    """Predicted and actual test values of one bench result, when the record carries them.

    Reads ``predictions`` (what ``scalinglaws bench --predictions`` writes) or
    ``test_points``: a list of ``{"y", "prediction", "group"?, "row"?}`` objects, or a mapping
    of equal-length lists ``{"y": [...], "prediction": [...], "group": [...]}``.

    Returns
    -------
    dict or None
        ``y``, ``prediction`` (float arrays), ``group`` and ``row`` (arrays or ``None``).
    """
    tp = row.get("predictions")
    if not tp:
        tp = row.get("test_points")
    if not tp:
        return None
    if isinstance(tp, Mapping):
        y, p, g, r = tp.get("y"), tp.get("prediction"), tp.get("group"), tp.get("row")
    elif isinstance(tp, list):
        items = [t for t in tp if isinstance(t, Mapping)]
        y = [t.get("y") for t in items]
        p = [t.get("prediction") for t in items]
        g = [t.get("group") for t in items]
        r = [t.get("row") for t in items]
    else:
        return None
    if not y or not p or len(y) != len(p):
        return None
    yy = np.array([as_float(v) for v in y])
    pp = np.array([as_float(v) for v in p])
    gg = (np.array(["" if v is None else str(v) for v in g])
          if g and len(g) == len(y) and any(v is not None for v in g) else None)
    rr = (np.array([-1 if v is None else int(v) for v in r])
          if r and len(r) == len(y) and any(v is not None for v in r) else None)
    return {"y": yy, "prediction": pp, "group": gg, "row": rr}


def bench_label(row: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> str:
    """The name of a bench result's law, with its objective when the record has several."""
    losses = {str(r.get("loss")) for r in rows if isinstance(r.get("loss"), str)}
    name = str(row.get("law"))
    if len(losses) > 1 and isinstance(row.get("loss"), str):
        name += f" ({row['loss']})"
    return name


def bench_best(bench: Mapping[str, Any], row: Mapping[str, Any],
               rows: Sequence[Mapping[str, Any]]) -> bool:
    """Whether a result is its dataset's best: by the record's ``best`` when it names one
    (``{dataset: law}`` or ``{dataset: {"law", "loss"}}``), else by the highest R²."""
    best = bench.get("best")
    ds = str(row.get("dataset"))
    if isinstance(best, Mapping) and ds in best:
        b = best[ds]
        if isinstance(b, str):
            return str(row.get("law")) == b
        if isinstance(b, Mapping) and b.get("law") is not None:
            return (str(row.get("law")) == str(b["law"])
                    and (b.get("loss") is None or row.get("loss") == b.get("loss")))
    v = as_float(row.get("r2"))
    same = [as_float(r.get("r2")) for r in rows
            if str(r.get("dataset")) == ds and str(r.get("target")) == str(row.get("target"))]
    same = [x for x in same if math.isfinite(x)]
    return math.isfinite(v) and bool(same) and v == max(same)


def as_float(v: Any) -> float:
    """A float from a JSON value (``None``, ``"inf"`` strings...), NaN when not a number."""
    if v is None or isinstance(v, bool):
        return float("nan")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
