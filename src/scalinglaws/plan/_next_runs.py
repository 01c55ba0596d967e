"""Which runs to train next: the ones that most reduce the uncertainty of a prediction.

The bootstrap draws of a fit describe the uncertainty of its parameters. Pushed through the
law, they give an ensemble of log-predictions at any point: at the target ``T`` (where we want
to predict, e.g. the compute-optimal model of a large budget) and at every candidate run
``x``. Under the linear-Gaussian approximation that underlies Fisher-information designs, a
new run at ``x`` observed with noise variance ``s^2`` (in log loss) reduces the variance of
the prediction at ``T`` by::

    delta(x) = cov(x, T)^2 / (var(x) + s^2)

where the covariances are those of the ensemble. This is the Sherman-Morrison update of the
parameter covariance ``Sigma`` by one observation with gradient ``j``: with ``g`` the
gradient at ``T``, ``cov(x, T) = j' Sigma g`` and ``var(x) = j' Sigma j``, so the criterion is
the linearised (Fisher) one, with the bootstrap covariance standing in for ``Sigma`` and no
derivatives needed. After a run is chosen the covariances are updated,
``cov'(u, v) = cov(u, v) - cov(u, x) cov(x, v) / (var(x) + s^2)``, and the next run is chosen
greedily the same way. Runs whose loss the fit already pins down (small ``var(x)``) or whose
uncertainty is unrelated to the target's (small ``cov(x, T)``) score low; the best runs are
where the fitted law is least pinned down and most tied to the target -- often at the edges
of the candidate region, as in classical optimal design. The criterion trusts the law's form:
if you do not trust it in some corner (say the smallest runs), leave that corner out with
``min_flops`` or ``ratio_range``. Each suggestion is a distinct run unless ``allow_repeats``.

The noise ``s`` is the residual standard deviation of the fit, ``sqrt(sum r^2 / (n - p))``, in
log space. Candidates are a log-spaced grid of ``(N, D)`` above the data's smallest ``N`` and
``D``, within a per-run compute limit ``k N D <= max_flops`` and within the data's range of
tokens per parameter (runs far outside it would pin the law down in regimes nobody trains
in, and the linear approximation is least trustworthy there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .._errors import InputError
from ..laws import Law
from . import _text
from ._allocation import _positive, compute_optimal
from ._model import as_fitted_law


@dataclass(frozen=True)
class RunSuggestions:
    """Suggested runs, in the order chosen, and the uncertainty they are expected to remove.

    Attributes
    ----------
    target : dict
        ``N``, ``D``, ``flops``, ``prediction``, ``sd_log`` (current standard deviation of the
        log-prediction over the draws).
    runs : tuple of dict
        ``N``, ``D``, ``flops``, ``tokens_per_param``, ``prediction``, ``sd_log`` (current),
        ``sd_target_after`` (linearised sd of the target's log-prediction once this and every
        earlier suggestion is trained), ``reduction`` (fraction of the target's variance removed
        so far).
    noise_sd : float
        Noise of one run in log loss.
    max_flops : float
    n_candidates : int
    n_draws : int
    model : dict
    notes : tuple of str
    """

    target: Mapping[str, float]
    runs: tuple[Mapping[str, float], ...]
    noise_sd: float
    max_flops: float
    n_candidates: int
    n_draws: int
    model: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready record."""
        return {"target": dict(self.target), "runs": [dict(r) for r in self.runs],
                "noise_sd": self.noise_sd, "max_flops": self.max_flops,
                "n_candidates": self.n_candidates, "n_draws": self.n_draws,
                "model": dict(self.model), "notes": list(self.notes),
                "method": "greedy linearised variance reduction from bootstrap draws"}

    def summary(self) -> str:
        """Readable text."""
        t = self.target
        lines = [f"target N={_text.count(t['N'])}, D={_text.count(t['D'])} "
                 f"(C={_text.sci(t['flops'])}): predicted {_text.num(t['prediction'], 5)}, "
                 f"sd of log-prediction {t['sd_log']:.4f} over {self.n_draws} draws",
                 f"next runs within {_text.sci(self.max_flops)} FLOPs each (greedy, linearised "
                 f"variance reduction; run noise sd {self.noise_sd:.4f} in log loss; "
                 f"{self.n_candidates} candidates):",
                 f"  {'#':>2} {'N':>8} {'D':>8} {'FLOPs':>9} {'tok/param':>9} {'pred.':>7} "
                 f"{'sd now':>7}  {'target sd after':>15} {'var. removed':>12}"]
        for i, r in enumerate(self.runs, 1):
            lines.append(f"  {i:>2} {_text.count(r['N']):>8} {_text.count(r['D']):>8} "
                         f"{_text.sci(r['flops'], 2):>9} {_text.num(r['tokens_per_param'], 3):>9} "
                         f"{r['prediction']:>7.4f} {r['sd_log']:>7.4f}  "
                         f"{r['sd_target_after']:>15.4f} {100 * r['reduction']:>11.1f}%")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)


def suggest_runs(source, *, max_flops: float, n_runs: int = 3, target: Mapping[str, float]
                 | None = None, budget: float | None = None, group: str | None = None,
                 fixed: Mapping[str, float] | None = None, n_input: str | None = None,
                 d_input: str | None = None, n_grid: int = 48, min_N: float | None = None,
                 min_D: float | None = None, ratio_range: tuple[float, float] | None = None,
                 min_flops: float | None = None, allow_repeats: bool = False,
                 noise_sd: float | None = None,
                 flops_per_param_token: float = 6.0) -> RunSuggestions:
    """Suggest the next runs that most reduce the uncertainty of the prediction at a target.

    Parameters
    ----------
    source : FitResult
        A fit with bootstrap draws (or a :class:`FittedLaw` with draws).
    max_flops : float
        Compute limit of one run, FLOPs.
    n_runs : int
        How many runs to suggest.
    target : mapping, optional
        ``{"N": ..., "D": ...}`` where the prediction matters.
    budget : float, optional
        Instead of ``target``: the compute-optimal point of this budget under the fit.
    group, fixed, n_input, d_input
        As for :func:`compute_optimal`.
    n_grid : int
        Candidate grid size per axis.
    min_N, min_D : float, optional
        Smallest candidate ``N`` and ``D`` (default: the smallest in the fitted data, or
        1/1000 of the compute-limited maximum).
    ratio_range : (float, float), optional
        Allowed tokens per parameter ``D / N`` of a candidate (default: the range in the
        fitted data, or 1..1000).
    min_flops : float, optional
        Smallest compute of a candidate (to keep suggestions among the larger runs).
    allow_repeats : bool
        Allow the same candidate to be suggested again (a replicate); by default each
        suggestion is a different run.
    noise_sd : float, optional
        Noise of one run in log loss (default: the fit's residual standard deviation).
    flops_per_param_token : float

    Returns
    -------
    RunSuggestions

    Raises
    ------
    InputError
        Without draws, without a target, or with a compute limit too small for any
        candidate.
    """
    if isinstance(source, Law):
        raise InputError("suggesting runs needs a fit with bootstrap draws (a FitResult), not a "
                         "law: fit it with bootstrap=200 (--bootstrap 200)")
    fl = as_fitted_law(source, group=group, fixed=fixed, n_input=n_input, d_input=d_input)
    if not fl.has_draws or len(fl.draws) < 20:
        raise InputError("suggesting runs needs a fit with bootstrap draws (at least 20): fit "
                         "with --bootstrap K, e.g. 200")
    k = _positive(flops_per_param_token, "flops_per_param_token")
    Cmax = _positive(max_flops, "max_flops")
    if not (isinstance(n_runs, (int, np.integer)) and n_runs >= 1):
        raise InputError(f"n_runs must be a positive integer, got {n_runs!r}")
    if not (isinstance(n_grid, (int, np.integer)) and n_grid >= 2):
        raise InputError(f"n_grid must be an integer >= 2, got {n_grid!r}")
    for name, value in (("min_N", min_N), ("min_D", min_D)):
        if value is not None:
            _positive(value, name)
    if ratio_range is not None and (isinstance(ratio_range, (str, bytes))
                                    or np.ndim(ratio_range) != 1 or len(ratio_range) != 2):
        raise InputError(f"ratio_range must be a pair (low, high) of tokens per parameter, got "
                         f"{ratio_range!r}")
    if (target is None) == (budget is None):
        raise InputError("give either a target point (N and D) or a budget")
    if target is not None:
        try:
            tN, tD = float(target["N"]), float(target["D"])
        except (KeyError, TypeError, ValueError):
            raise InputError("the target needs numbers N and D, e.g. N=7e10,D=1.4e12") from None
        _positive(tN, "target N")
        _positive(tD, "target D")
    else:
        a = compute_optimal(fl, float(budget), flops_per_param_token=k)
        tN, tD = a.N_opt, a.D_opt
    # data ranges from the fit, when it is one
    X = getattr(source, "data", None)
    Xd = (X or {}).get("X") if isinstance(X, Mapping) else None
    dataN = np.asarray(Xd[fl.n_input], float) if Xd and fl.n_input in Xd else None
    dataD = np.asarray(Xd[fl.d_input], float) if Xd and fl.d_input in Xd else None
    nmin = float(min_N) if min_N is not None else (
        float(dataN.min()) if dataN is not None else math.sqrt(Cmax / k) / 1000)
    dmin = float(min_D) if min_D is not None else (
        float(dataD.min()) if dataD is not None else math.sqrt(Cmax / k) / 1000)
    nmax = Cmax / (k * dmin)
    if not nmax > nmin:
        raise InputError(f"max_flops {Cmax:.3g} allows no run with N >= {nmin:.3g} and "
                         f"D >= {dmin:.3g}: raise it")
    Ng = np.geomspace(nmin, nmax, n_grid)
    dmax = Cmax / (k * nmin)
    Dg = np.geomspace(dmin, dmax, n_grid)
    NN, DD = np.meshgrid(Ng, Dg, indexing="ij")
    if ratio_range is None:
        ratio_range = ((float((dataD / dataN).min()), float((dataD / dataN).max()))
                       if dataN is not None and dataD is not None else (1.0, 1000.0))
    rlo, rhi = float(ratio_range[0]), float(ratio_range[1])
    if not (0 < rlo <= rhi):
        raise InputError(f"ratio_range must be 0 < low <= high, got {ratio_range!r}")
    ratio = DD / NN
    feas = (k * NN * DD <= Cmax * (1 + 1e-9)) & (ratio >= rlo * (1 - 1e-9)) & \
        (ratio <= rhi * (1 + 1e-9))
    if min_flops is not None:
        Cmin = _positive(min_flops, "min_flops")
        if Cmin > Cmax:
            raise InputError(f"--min-flops {Cmin:.3g} exceeds --max-flops {Cmax:.3g}: swap them"
                             " (min_flops and max_flops in Python)")
        feas &= k * NN * DD >= Cmin * (1 - 1e-9)
    if not feas.any():
        raise InputError(f"no candidate run within {Cmax:.3g} FLOPs and {rlo:g}..{rhi:g} tokens "
                         "per parameter: raise max_flops or widen ratio_range")
    cN, cD = NN[feas], DD[feas]
    # ensemble of log-predictions at the candidates and at the target (draws only)
    P = fl.evaluate(np.append(cN, tN)[None, :], np.append(cD, tD)[None, :], fl.draws)
    with np.errstate(all="ignore"):
        P = np.log(P)
    good = np.all(np.isfinite(P), axis=1)
    P = P[good]
    if len(P) < 20:
        raise InputError("fewer than 20 draws give finite predictions at the candidates")
    Z = P - P.mean(axis=0)
    Z /= math.sqrt(len(P) - 1)
    if noise_sd is None:
        s2 = _noise_var(source)
        if not (math.isfinite(s2) and s2 > 0):
            s2 = 1e-6  # a fit with no residual spread: a small floor keeps the algebra finite
    else:
        s2 = _positive(noise_sd, "noise_sd") ** 2
    M = len(cN)
    cov_T = Z[:, :M].T @ Z[:, M]  # (M,)
    var_x = np.einsum("bm,bm->m", Z[:, :M], Z[:, :M])
    var_T0 = float(Z[:, M] @ Z[:, M])
    var_T = var_T0
    U: list[np.ndarray] = []  # rank-one downdates, each over the M candidates + target
    pred0 = fl.evaluate(np.append(cN, tN)[None, :], np.append(cD, tD)[None, :])[0]
    runs = []
    taken = np.zeros(M, bool)
    for _ in range(int(n_runs)):
        score = cov_T ** 2 / (var_x + s2)
        if not allow_repeats:
            if taken.all():
                break
            score = np.where(taken, -np.inf, score)
        i = int(np.argmax(score))
        taken[i] = True
        col = Z.T @ Z[:, i]  # prior covariance of everything with candidate i
        for u in U:
            col = col - u * u[i]
        denom = var_x[i] + s2
        u_new = col / math.sqrt(denom)
        runs.append({"N": float(cN[i]), "D": float(cD[i]), "flops": float(k * cN[i] * cD[i]),
                     "tokens_per_param": float(cD[i] / cN[i]), "prediction": float(pred0[i]),
                     "sd_log": float(math.sqrt(max(var_x[i], 0.0)))})
        U.append(u_new)
        cov_T = cov_T - u_new[:M] * u_new[M]
        var_x = var_x - u_new[:M] ** 2
        var_T = var_T - float(u_new[M] ** 2)
        runs[-1]["sd_target_after"] = math.sqrt(max(var_T, 0.0))
        runs[-1]["reduction"] = 1.0 - max(var_T, 0.0) / var_T0
    notes = []
    if len(runs) < n_runs:
        notes.append(f"only {len(runs)} distinct candidates")
    if tN * tD * k <= Cmax:
        notes.append("the target itself is within the per-run compute limit: training it "
                     "directly answers the question")
    return RunSuggestions(
        target={"N": tN, "D": tD, "flops": k * tN * tD, "prediction": float(pred0[M]),
                "sd_log": math.sqrt(var_T0)},
        runs=tuple(runs), noise_sd=math.sqrt(s2), max_flops=Cmax, n_candidates=M,
        n_draws=int(len(P)), model=fl.describe(), notes=tuple(notes))


def _noise_var(source) -> float:
    r = np.asarray(getattr(source, "residuals", []), float)
    r = r[np.isfinite(r)]
    if r.size < 5:
        return math.nan
    if getattr(source, "space", "log") == "raw":
        f = np.asarray(getattr(source, "fitted", []), float)
        if f.size == np.asarray(source.residuals).size:
            rr = np.asarray(source.residuals, float) / f
            r = rr[np.isfinite(rr)]
    p = len(getattr(getattr(source, "law", None), "params", ())) or 0
    return float(np.sum(r ** 2) / max(1, r.size - p))


__all__ = ["RunSuggestions", "suggest_runs"]
