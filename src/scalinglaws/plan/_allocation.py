"""Compute-optimal allocation of a training budget between parameters and tokens.

For a loss law ``L(N, D)`` and a budget ``C = k N D`` (``k = 6``) the compute-optimal model
minimises ``L(N, C / (k N))`` over ``N``. For the Chinchilla form
``L = E + A / N^alpha + B / D^beta`` the answer is closed (Hoffmann et al. 2022, Eq. 4)::

    N* = G (C/6)^a,   D* = G^-1 (C/6)^b,   G = (alpha A / (beta B))^(1 / (alpha + beta)),
    a = beta / (alpha + beta),  b = alpha / (alpha + beta),
    L*(C) = E + (A G^-alpha + B G^beta) (C/6)^(-alpha beta / (alpha + beta)).

For every other law (Kaplan, over-training, data-constrained with the unique tokens held
fixed, any formula) the minimum is found numerically: a grid over the tokens-per-parameter
ratio from 1e-3 to 1e7 brackets it and a golden-section search refines it, for the estimate
and every bootstrap draw at once. The allocation exponents ``a = d log N* / d log C`` and
``b = d log D* / d log C`` are then local slopes (central differences over +-0.05 decades).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .._checks import FAR_ABOVE
from .._errors import InputError
from . import _text
from ._model import FittedLaw, as_fitted_law, interval, nondegenerate

_RATIO_GRID = np.geomspace(1e-3, 1e7, 201)  # tokens per parameter
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
_H = 0.05 * math.log(10.0)  # half-step in log C for the local exponents


@dataclass(frozen=True)
class Allocation:
    """A training plan: parameters, tokens, predicted loss, with intervals from the draws.

    Attributes
    ----------
    budget : float
        Training compute, FLOPs.
    N_opt, D_opt : float
        Parameters and training tokens.
    tokens_per_param : float
        ``D_opt / N_opt``.
    loss : float
        Predicted loss of the plan.
    exponent_N, exponent_D : float
        Local allocation exponents ``d log N / d log C`` and ``d log D / d log C``.
    method : str
        ``"closed form"`` or ``"numerical"``.
    constraint : str or None
        A constraint that shaped the plan (a fixed ratio, a token limit).
    target_loss : float or None
        For :func:`least_compute`: the loss asked for.
    intervals : dict
        ``name -> (low, high)`` percentile intervals over the bootstrap draws.
    level : float
    n_draws : int
        Draws that gave an answer.
    n_failed : int
        Draws that did not (no interior optimum, or the target is out of reach).
    model : dict
        The law and parameters used (:meth:`FittedLaw.describe`).
    notes : tuple of str
    """

    budget: float
    N_opt: float
    D_opt: float
    tokens_per_param: float
    loss: float
    exponent_N: float
    exponent_D: float
    method: str
    constraint: str | None = None
    target_loss: float | None = None
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    level: float = 0.95
    n_draws: int = 0
    n_failed: int = 0
    model: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready record (full precision)."""
        d = {k: getattr(self, k) for k in (
            "budget", "N_opt", "D_opt", "tokens_per_param", "loss", "exponent_N", "exponent_D",
            "method", "constraint", "target_loss", "level", "n_draws", "n_failed")}
        d["intervals"] = {k: list(v) for k, v in self.intervals.items()}
        d["model"] = dict(self.model)
        d["notes"] = list(self.notes)
        return d

    def summary(self) -> str:
        """Readable text."""
        iv = self.intervals
        lvl = f"{100 * self.level:g}%"

        def row(label, key, value, fmt):
            s = f"  {label:<18} {fmt(value):>10}"
            if key in iv:
                s += f"   {lvl} [{fmt(iv[key][0])}, {fmt(iv[key][1])}]"
            return s

        head = (f"least compute reaching loss {_text.num(self.target_loss)}"
                if self.target_loss is not None else f"compute-optimal plan at C = "
                f"{_text.sci(self.budget)} FLOPs")
        lines = [f"{head} ({self.method}{'; ' + self.constraint if self.constraint else ''})"]
        if self.target_loss is not None:
            lines.append(row("compute C", "budget", self.budget, _text.sci))
        lines += [
            row("parameters N", "N_opt", self.N_opt, _text.count),
            row("tokens D", "D_opt", self.D_opt, _text.count),
            row("tokens/param", "tokens_per_param", self.tokens_per_param,
                lambda x: _text.num(x, 3)),
            row("predicted loss", "loss", self.loss, lambda x: _text.num(x, 5)),
            row("N* ~ C^a, a", "exponent_N", self.exponent_N, lambda x: _text.num(x, 4)),
            row("D* ~ C^b, b", "exponent_D", self.exponent_D, lambda x: _text.num(x, 4)),
        ]
        if self.n_draws:
            extra = f"; {self.n_failed} draw(s) gave no answer" if self.n_failed else ""
            lines.append(f"  intervals: percentiles over {self.n_draws} bootstrap draws{extra}")
        else:
            lines.append("  no intervals: the parameters carry no bootstrap draws")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# public functions


def compute_optimal(source, budget: float | Sequence[float], *,
                    params: Mapping[str, float] | None = None, draws: np.ndarray | None = None,
                    group: str | None = None, fixed: Mapping[str, float] | None = None,
                    n_input: str | None = None, d_input: str | None = None,
                    max_tokens: float | None = None, tokens_per_param: float | None = None,
                    flops_per_param_token: float = 6.0, level: float | None = None,
                    method: str = "auto") -> Allocation | list[Allocation]:
    """The compute-optimal ``N*, D*`` for a training budget, with intervals from the draws.

    Parameters
    ----------
    source : FitResult, Law or FittedLaw
        A fit (estimate and bootstrap draws) or a law with ``params``.
    budget : float or sequence of float
        Training compute in FLOPs (``C = k N D``).
    params : mapping, optional
        Parameter values (required with a law; with a fit they replace its estimate and its
        draws are dropped unless ``draws`` is given).
    draws : ndarray (B, P), optional
        Parameter draws for the intervals (e.g. :func:`recentred_draws`).
    group : str, optional
        Group of a grouped fit.
    fixed : mapping, optional
        Values of inputs other than ``N`` and ``D`` (the unique tokens ``U`` of the
        data-constrained law).
    n_input, d_input : str, optional
        Which law inputs are ``N`` and ``D`` (default: ``N`` and ``D``).
    max_tokens : float, optional
        A hard limit on training tokens (a data budget without repetition): when ``D*``
        exceeds it, ``D = max_tokens`` and ``N = C / (k max_tokens)``.
    tokens_per_param : float, optional
        Plan at this fixed ratio ``D / N`` instead of the optimum (over-training, or a rule
        of thumb such as 20); the loss penalty against the optimum (under ``max_tokens``,
        if given) is reported in the notes. With ``max_tokens`` too, the ratio's tokens
        ``D = sqrt(C tokens_per_param / k)`` must be within the limit.
    flops_per_param_token : float
        ``k`` in ``C = k N D``.
    level : float, optional
        Interval level (default: the fit's).
    method : {"auto", "closed", "numerical"}
        ``"auto"`` uses the closed form for the catalogue Chinchilla law.

    Returns
    -------
    Allocation, or a list of them for a sequence of budgets.

    Raises
    ------
    InputError
        For a non-positive budget or option, a law whose inputs cannot be identified, or a
        budget that ``tokens_per_param`` and ``max_tokens`` cannot both accommodate (the
        ratio would need more tokens than the limit: the message gives the largest budget
        that fits), an empty sequence of budgets, or a budget so small that the plan would
        have less than one parameter or token.

    Notes
    -----
    When the fit's runs are known (``source`` is a :class:`~scalinglaws.FitResult` used
    with its own estimate) and the plan's ``N`` or ``D`` is below the smallest run's, a
    note says the plan extrapolates downwards; more than :data:`FAR_ABOVE` times the largest
    run's, a note says it is far beyond the runs.
    """
    fl = as_fitted_law(source, params=params, draws=draws, group=group, fixed=fixed,
                       n_input=n_input, d_input=d_input, level=level)
    k = _positive(flops_per_param_token, "flops_per_param_token")
    if max_tokens is not None:
        _positive(max_tokens, "max_tokens")
    if tokens_per_param is not None:
        _positive(tokens_per_param, "tokens_per_param")
    if method not in ("auto", "closed", "numerical"):
        raise InputError(f"method must be auto, closed or numerical, got {method!r}")
    try:
        budgets = np.atleast_1d(np.asarray(budget, float))
    except (TypeError, ValueError):
        raise InputError(f"budget must be a positive number or a list of them, got "
                         f"{budget!r}") from None
    if budgets.size == 0:
        raise InputError("give at least one budget")
    for c in budgets:
        _positive(c, "budget")
        if tokens_per_param is not None and max_tokens is not None:
            _check_ratio_cap(math.sqrt(c * tokens_per_param / k), tokens_per_param, max_tokens,
                             k, f"the budget C = {c:.3g} FLOPs")
    out = [_allocate(fl, float(c), k, max_tokens, tokens_per_param, method) for c in budgets]
    return out[0] if np.ndim(budget) == 0 else out


def least_compute(source, target_loss: float, *, params: Mapping[str, float] | None = None,
                  draws: np.ndarray | None = None, group: str | None = None,
                  fixed: Mapping[str, float] | None = None, n_input: str | None = None,
                  d_input: str | None = None, max_tokens: float | None = None,
                  tokens_per_param: float | None = None, flops_per_param_token: float = 6.0,
                  level: float | None = None, method: str = "auto") -> Allocation:
    """The least training compute that reaches ``target_loss``, and its allocation.

    The compute-optimal loss ``L*(C)`` decreases with ``C``; for the Chinchilla law it is
    inverted in closed form, ``C = 6 ((L - E) / K)^(-(alpha + beta) / (alpha beta))`` with
    ``K = A G^-alpha + B G^beta``, otherwise by bisection in ``log C`` over 1e6..1e40 FLOPs.

    The constraints of :func:`compute_optimal` are honoured. With ``max_tokens``, the
    frontier is the constrained one: once ``D*`` would exceed the limit, ``D = max_tokens``
    and ``N`` is the size that reaches the target at that ``D`` (for Chinchilla
    ``N = (A / (L - E - B / D^beta))^(1 / alpha)``); a target at or below the loss the law
    tends to at ``D = max_tokens`` (``E + B / max_tokens^beta`` for Chinchilla) cannot be
    reached. With ``tokens_per_param = R``, the plan stays on ``D = R N`` and ``N`` is found
    by bisection; with both, the tokens this needs must be within ``max_tokens``.

    Parameters
    ----------
    source, params, draws, group, fixed, n_input, d_input, flops_per_param_token, level, method
        As for :func:`compute_optimal`.
    target_loss : float
        The loss to reach.
    max_tokens, tokens_per_param : float, optional
        As for :func:`compute_optimal`: a hard limit on training tokens, a fixed ``D / N``.

    Returns
    -------
    Allocation
        ``budget`` is the compute; draws for which the target is out of reach (below the
        law's floor, or under the constraints) are counted in ``n_failed``.

    Raises
    ------
    InputError
        If the estimate itself cannot reach the target with any compute (it is at or below
        the loss the law tends to, under the constraints if any), if reaching it at
        ``tokens_per_param`` needs more tokens than ``max_tokens``, or if the target is so
        easy (above the losses of the fit's runs) that the plan would have less than one
        parameter or token.
    """
    fl = as_fitted_law(source, params=params, draws=draws, group=group, fixed=fixed,
                       n_input=n_input, d_input=d_input, level=level)
    k = _positive(flops_per_param_token, "flops_per_param_token")
    if max_tokens is not None:
        max_tokens = _positive(max_tokens, "max_tokens")
    if tokens_per_param is not None:
        tokens_per_param = _positive(tokens_per_param, "tokens_per_param")
    try:
        target = float(target_loss)
    except (TypeError, ValueError):
        raise InputError(f"the target loss must be a number, got {target_loss!r}") from None
    if not math.isfinite(target):
        raise InputError("the target loss must be a finite number")
    theta = fl.stacked()
    closed = _use_closed(fl, method)
    C = _inverse(fl, theta, target, k, closed, max_tokens, tokens_per_param)
    if not np.isfinite(C[0]):
        raise InputError(_unreachable(fl, theta[:1], target, k, max_tokens, tokens_per_param))
    n_over = 0
    if tokens_per_param is not None and max_tokens is not None:
        best = fl.evaluate(np.array([[max_tokens / tokens_per_param]]),
                           np.array([[max_tokens]]), theta[:1])[0, 0]
        _check_ratio_cap(math.sqrt(C[0] * tokens_per_param / k), tokens_per_param, max_tokens,
                         k, f"reaching loss {target:g}", lower="the ratio, raise the target",
                         best=best)
        # draws that would need more tokens than the limit at this ratio cannot reach it
        with np.errstate(invalid="ignore"):
            over = np.sqrt(C * tokens_per_param / k) > max_tokens * (1 + 1e-12)
        n_over = int(over[1:].sum())
        C = np.where(over, np.inf, C)
    alloc = _allocate(fl, float(C[0]), k, max_tokens, tokens_per_param, method,
                      C_draws=C[1:], what=f"to reach loss {target:g} (C = {C[0]:.3g} FLOPs)")
    notes = list(alloc.notes)
    ivs = dict(alloc.intervals)
    if fl.has_draws:
        ok = np.isfinite(C[1:])
        iv = interval(C[1:][ok], fl.level)
        if iv:
            ivs["budget"] = iv
        if (~ok).any():
            if max_tokens is None and tokens_per_param is None:
                why = "with any compute (their irreducible loss is higher)"
            elif tokens_per_param is None:
                why = f"with at most {max_tokens:.3g} training tokens"
            else:
                why = f"at {tokens_per_param:g} tokens per parameter" + (
                    f" within {max_tokens:.3g} tokens" if max_tokens is not None else "")
            notes.append(f"{int((~ok).sum())} of {len(ok)} draws cannot reach loss {target:g} "
                         f"{why}; they are left out of the intervals")
            if n_over:
                notes.append(f"({n_over} of them would need more than {max_tokens:.3g} tokens "
                             f"at {tokens_per_param:g} tokens per parameter)")
    if tokens_per_param is not None:
        free = _inverse(fl, theta[:1], target, k, closed, max_tokens, None)[0]
        if np.isfinite(free):
            best = ("the compute-optimal plan" if max_tokens is None else
                    f"the best plan within {max_tokens:.3g} tokens")
            more = (f"{C[0] / free - 1:+.1%} more" if C[0] < 2 * free else
                    f"{C[0] / free:.3g} times the")
            notes.append(f"{best} reaches loss {target:g} with C = {free:.4g} FLOPs; this "
                         f"ratio needs {more} compute")
    return Allocation(**{**alloc.__dict__, "target_loss": target, "intervals": ivs,
                         "notes": tuple(notes),
                         "n_failed": int((~np.isfinite(C[1:])).sum()) if fl.has_draws else 0})


def optimal_loss(source, budget, **options) -> np.ndarray:
    """The compute-optimal loss ``L*(C)`` of the estimate at each budget (vectorised helper).

    Parameters
    ----------
    source : FitResult, Law or FittedLaw
    budget : float or array of float
    **options
        As for :func:`compute_optimal`.

    Returns
    -------
    ndarray
    """
    allocs = compute_optimal(source, np.atleast_1d(budget), **options)
    return np.array([a.loss for a in allocs])


# ---------------------------------------------------------------------------------------------
# machinery (vectorised over parameter sets)


def _positive(v, name) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a positive number, got {v!r}") from None
    if not (math.isfinite(f) and f > 0):
        raise InputError(f"{name} must be a positive number, got {v!r}")
    return f


def _is_chinchilla(fl: FittedLaw) -> bool:
    return (fl.law.name == "chinchilla" and fl.law.reference != "user-defined"
            and fl.n_input == "N" and fl.d_input == "D" and not fl.fixed)


def _use_closed(fl, method) -> bool:
    if method == "numerical":
        return False
    ok = _is_chinchilla(fl)
    if method == "closed" and not ok:
        raise InputError(f"no closed form for law {fl.law.name!r}: use method='numerical' (--method numerical)")
    return ok


def _chin(theta):
    E, A, B, al, be = (theta[:, j] for j in range(5))
    with np.errstate(all="ignore"):
        G = (al * A / (be * B)) ** (1.0 / (al + be))
        a = be / (al + be)
        b = al / (al + be)
        K = A * G ** (-al) + B * G ** be
    return E, A, B, al, be, G, a, b, K


def _closed_optimum(theta, C, k):
    """N*, D*, L*, a, b for Chinchilla, all parameter sets, one budget (or one per set)."""
    E, A, B, al, be, G, a, b, K = _chin(theta)
    X = np.asarray(C, float) / k
    with np.errstate(all="ignore"):
        N = G * X ** a
        D = X ** b / G
        L = E + A / N ** al + B / D ** be
    # the formula needs alpha, beta > 0 and positive amplitudes; otherwise there is no optimum
    bad = ~((al > 0) & (be > 0) & (A > 0) & (B > 0)) | ~np.isfinite(N) | ~np.isfinite(D)
    for v in (N, D, L, a, b):
        v[bad] = np.nan
    return N, D, L, a, b


def _closed_inverse(fl, theta, target, k):
    E, A, B, al, be, G, a, b, K = _chin(theta)
    with np.errstate(all="ignore"):
        C = k * ((target - E) / K) ** (-(al + be) / (al * be))
    C = np.where((target > E) & np.isfinite(C), C, np.inf)
    return C


def _loss_at(fl, theta, C, k, logN):
    """Loss of each parameter set at (N = e^logN, D = C/(kN)); shapes (S, m)."""
    N = np.exp(logN)
    D = np.asarray(C, float).reshape(-1, 1) / (k * N)
    return fl.evaluate(N, D, theta)


def _numerical_optimum(fl, theta, C, k):
    """Minimise L(N, C/(kN)) over log N for every parameter set: N*, D*, L* (NaN if none)."""
    S = theta.shape[0]
    C = np.broadcast_to(np.asarray(C, float), (S,))
    logN = 0.5 * (np.log(C[:, None] / k) - np.log(_RATIO_GRID[None, :]))  # (S, m), decreasing
    logN = logN[:, ::-1]  # increasing in N
    f = _loss_at(fl, theta, C, k, logN)
    f = np.where(np.isnan(f), np.inf, f)
    i = np.argmin(f, axis=1)
    m = logN.shape[1]
    rows = np.arange(S)
    ok = (i > 0) & (i < m - 1) & np.isfinite(f[rows, i])
    lo = logN[rows, np.clip(i - 1, 0, m - 1)]
    hi = logN[rows, np.clip(i + 1, 0, m - 1)]
    u = _golden(lambda x: _loss_at(fl, theta, C, k, x[:, None])[:, 0], lo, hi)
    N = np.exp(u)
    D = C / (k * N)
    L = fl.evaluate(N[:, None], D[:, None], theta)[:, 0]
    for v in (N, D, L):
        v[~ok] = np.nan
    return N, D, L


def _golden(fun, lo, hi, iters: int = 48):
    """Vectorised golden-section minimisation on [lo, hi] (NaN treated as +inf)."""
    a, b = lo.copy(), hi.copy()
    c = b - _GOLDEN * (b - a)
    d = a + _GOLDEN * (b - a)
    fc, fd = _inf(fun(c)), _inf(fun(d))
    for _ in range(iters):
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c = b - _GOLDEN * (b - a)
        new_d = a + _GOLDEN * (b - a)
        # one of the interior points carries over; evaluate the other
        x_new = np.where(left, new_c, new_d)
        f_new = _inf(fun(x_new))
        c, d, fc, fd = (np.where(left, new_c, d), np.where(left, c, new_d),
                        np.where(left, f_new, fd), np.where(left, fc, f_new))
    return 0.5 * (a + b)


def _inf(v):
    v = np.asarray(v, float)
    return np.where(np.isnan(v), np.inf, v)


def _optimum(fl, theta, C, k, closed, max_tokens, ratio):
    """N, D, L for each parameter set under the constraints."""
    S = theta.shape[0]
    C = np.broadcast_to(np.asarray(C, float), (S,)).astype(float)
    if ratio is not None:
        N = np.sqrt(C / (k * ratio))
        D = ratio * N
        L = fl.evaluate(N[:, None], D[:, None], theta)[:, 0]
        return N, D, L
    if closed:
        N, D, L, _, _ = _closed_optimum(theta, C, k)
    else:
        N, D, L = _numerical_optimum(fl, theta, C, k)
    if max_tokens is not None:
        over = D > max_tokens
        if over.any():
            D = np.where(over, max_tokens, D)
            N = np.where(over, C / (k * max_tokens), N)
            L = np.where(over, fl.evaluate(N[:, None], D[:, None], theta)[:, 0], L)
    return N, D, L


def _allocate(fl: FittedLaw, C: float, k: float, max_tokens, ratio, method,
              C_draws: np.ndarray | None = None, what: str | None = None) -> Allocation:
    theta = fl.stacked()
    S = theta.shape[0]
    closed = _use_closed(fl, method)
    Cs = np.full(S, C)
    if C_draws is not None and S > 1:
        Cs[1:] = C_draws  # the inverse: each draw at its own compute
    good = np.isfinite(Cs)
    Cs = np.where(good, Cs, C)
    N, D, L = _optimum(fl, theta, Cs, k, closed, max_tokens, ratio)
    if closed and max_tokens is None and ratio is None:
        _, _, _, a, b = _closed_optimum(theta, Cs, k)
    else:
        Np, Dp, _ = _optimum(fl, theta, Cs * math.exp(_H), k, closed, max_tokens, ratio)
        Nm, Dm, _ = _optimum(fl, theta, Cs * math.exp(-_H), k, closed, max_tokens, ratio)
        with np.errstate(all="ignore"):
            a = (np.log(Np) - np.log(Nm)) / (2 * _H)
            b = (np.log(Dp) - np.log(Dm)) / (2 * _H)
    for v in (N, D, L, a, b):
        v[~good] = np.nan
    notes = []
    if not np.isfinite(N[0]):
        raise InputError(f"law {fl.law.name!r} has no interior compute-optimal allocation at "
                         f"C={C:.3g} (the loss keeps falling towards a tokens-per-parameter "
                         f"ratio of {_RATIO_GRID[0]:g} or {_RATIO_GRID[-1]:g}); check the fit")
    note = _outside_runs(fl, N[0], D[0], what or f"at C = {C:.3g} FLOPs")
    if note:
        notes.append(note)
    constraint = None
    if ratio is not None:
        constraint = f"fixed {ratio:g} tokens per parameter"
        if max_tokens is not None:
            # _check_ratio_cap has made sure the ratio's tokens are within the limit
            constraint += f"; token limit {max_tokens:.3g} not binding"
        opt = _optimum(fl, theta[:1], np.array([C]), k, closed, max_tokens, None)
        best = ("the compute-optimal plan" if max_tokens is None else
                f"the best plan within {max_tokens:.3g} tokens")
        notes.append(f"{best} at this budget has {opt[1][0] / opt[0][0]:.3g} "
                     f"tokens/param and loss {opt[2][0]:.5g}; this ratio costs "
                     f"{L[0] - opt[2][0]:+.4g} in loss")
    elif max_tokens is not None:
        binding = D[0] >= max_tokens * (1 - 1e-12)
        constraint = (f"token limit {max_tokens:.3g} " + ("binding: all the extra compute goes "
                      "into parameters" if binding else "not binding"))
    ivs: dict[str, tuple[float, float]] = {}
    n_ok = 0
    n_failed = 0
    if S > 1:
        ok = np.isfinite(N[1:]) & good[1:]
        n_ok, n_failed = int(ok.sum()), int((~ok).sum())
        vals = {"N_opt": N, "D_opt": D, "tokens_per_param": D / N, "loss": L, "exponent_N": a,
                "exponent_D": b}
        for key, v in vals.items():
            iv = nondegenerate(interval(v[1:][ok], fl.level))
            if iv:
                ivs[key] = iv
        if n_failed and C_draws is None:
            notes.append(f"{n_failed} of {S - 1} draws have no interior optimum at this budget "
                         "and are left out of the intervals")
    return Allocation(budget=C, N_opt=float(N[0]), D_opt=float(D[0]),
                      tokens_per_param=float(D[0] / N[0]), loss=float(L[0]),
                      exponent_N=float(a[0]), exponent_D=float(b[0]),
                      method="closed form" if (closed and ratio is None) else "numerical",
                      constraint=constraint, intervals=ivs, level=fl.level, n_draws=n_ok,
                      n_failed=n_failed, model=fl.describe(), notes=tuple(notes))


def _outside_runs(fl: FittedLaw, N: float, D: float, what: str) -> str | None:
    """Refuse a plan of less than one parameter or token; a note when it is below the runs.

    ``what`` opens the error message (the budget or target the plan is for).
    """
    known = fl.n_input in fl.data_range and fl.d_input in fl.data_range
    if N < 1 or D < 1:
        raise InputError(
            f"{what} the plan would train N = {N:.3g} parameters on D = {D:.3g} tokens (less "
            f"than one parameter or token): far outside any range a law can be fitted on; "
            + (f"the fit's runs have N from {fl.data_range[fl.n_input][0]:.3g} and D from "
               f"{fl.data_range[fl.d_input][0]:.3g}" if known else "check the budget or target"))
    below = [(name, val, fl.data_range[inp][0]) for name, inp, val in
             (("N", fl.n_input, N), ("D", fl.d_input, D))
             if inp in fl.data_range and val < fl.data_range[inp][0] * (1 - 1e-9)]
    far = [(name, val, fl.data_range[inp][1]) for name, inp, val in
           (("N", fl.n_input, N), ("D", fl.d_input, D))
           if inp in fl.data_range and val > fl.data_range[inp][1] * FAR_ABOVE]
    notes = []
    if below:
        notes.append("below the runs the law was fitted on (" + ", ".join(
            f"{name} = {val:.3g} < smallest {lo:.3g}" for name, val, lo in below)
            + "): the plan extrapolates downwards")
    if far:
        notes.append("far beyond the runs the law was fitted on (" + ", ".join(
            f"{name} = {val:.3g}, {val / hi:.2g} times the largest {hi:.3g}"
            for name, val, hi in far)
            + "): nothing in the data says the law still holds there; treat the plan as a "
            "guess")
    return "; ".join(notes) or None


def _unreachable(fl, theta, target, k, max_tokens=None, ratio=None) -> str:
    """Why the estimate cannot reach ``target`` (one line naming the constraint to change)."""
    constrained = ratio is not None or max_tokens is not None
    if not constrained or not np.isfinite(
            _inverse(fl, theta, target, k, _is_chinchilla(fl))[0]):
        free = _loss_floor(fl, theta, k)[0]
        if not np.isfinite(free):
            return (f"loss {target:g} cannot be reached: no budget up to 1e40 FLOPs has a "
                    f"compute-optimal plan of law {fl.law.name!r} with that loss (check the fit "
                    "and the fixed inputs)")
        return (f"loss {target:g} cannot be reached: the law's compute-optimal loss tends to "
                f"{free:.5g} as compute grows (pick a target above it)")
    if ratio is None:
        floor = fl.evaluate(np.array([[1e30]]), np.array([[float(max_tokens)]]), theta)[0, 0]
        return (f"loss {target:g} cannot be reached with at most {max_tokens:.3g} training "
                f"tokens (max_tokens, --max-tokens): at that D the law's loss tends to "
                f"{floor:.5g} as the model grows (raise the token limit or pick a target above "
                "it)")
    floor = _loss_floor(fl, theta, k, None, ratio)[0]
    return (f"loss {target:g} cannot be reached at {ratio:g} tokens per parameter "
            f"(tokens_per_param, --tokens-per-param): the law's loss along that ratio tends to "
            f"{floor:.5g} as compute grows (pick a target above it, or another ratio)")


def _loss_floor(fl, theta, k, max_tokens=None, ratio=None):
    """Loss of the (constrained) compute-optimal plan at 1e40 FLOPs: where the law is heading."""
    N, D, L = _optimum(fl, theta, np.full(theta.shape[0], 1e40), k,
                       _is_chinchilla(fl) and ratio is None, max_tokens, ratio)
    return L


def _numerical_inverse(fl, theta, target, k, lo=1e6, hi=1e40, iters: int = 48,
                       max_tokens=None, ratio=None):
    """Least C with L*(C) <= target for every parameter set (inf when unreachable).

    ``L*`` is the loss of the plan under the constraints (a token limit, a fixed ratio): it
    decreases with ``C`` in every case. A scan over decades of ``C`` finds the first budget
    whose plan reaches the target (budgets without a plan, e.g. no interior optimum, are
    skipped), then bisection in ``log C`` refines the crossing.
    """
    S = theta.shape[0]
    grid = np.linspace(math.log(lo), math.log(hi), int(round(math.log10(hi / lo))) + 1)
    hit = np.zeros((S, grid.size), bool)
    for j, g in enumerate(grid):
        Lg = _optimum(fl, theta, np.full(S, math.exp(g)), k, False, max_tokens, ratio)[2]
        hit[:, j] = np.isfinite(Lg) & (Lg <= target)
    reach = hit.any(axis=1)
    first = np.argmax(hit, axis=1)
    b = grid[first]
    a = np.where(first > 0, grid[np.maximum(first - 1, 0)], grid[0])
    for _ in range(iters):
        mid = 0.5 * (a + b)
        Lm = _optimum(fl, theta, np.exp(mid), k, False, max_tokens, ratio)[2]
        below = np.isfinite(Lm) & (Lm <= target)
        b = np.where(below, mid, b)
        a = np.where(below, a, mid)
    C = np.exp(b)
    return np.where(reach, C, np.inf)


def _inverse(fl, theta, target, k, closed, max_tokens=None, ratio=None):
    """Least C whose plan (under the constraints) reaches ``target``, per parameter set.

    Closed form for Chinchilla without a fixed ratio: the unconstrained inverse, and where its
    ``D*`` exceeds ``max_tokens``, ``D = max_tokens`` and ``N = (A / (L - E - B/D^beta))^(1/
    alpha)``, ``C = k N D`` (``D*`` grows with ``C``, so a limit that binds at the
    unconstrained answer binds at the constrained one). Otherwise bisection. ``inf`` where the
    target is out of reach.
    """
    if ratio is not None or not closed:
        return _numerical_inverse(fl, theta, target, k, max_tokens=max_tokens, ratio=ratio)
    C = _closed_inverse(fl, theta, target, k)
    if max_tokens is None:
        return C
    fin = np.isfinite(C)
    _, D, _, _, _ = _closed_optimum(theta, np.where(fin, C, 1.0), k)
    over = fin & (D > max_tokens)
    if over.any():
        N = _params_for_loss(fl, theta, np.full(theta.shape[0], float(max_tokens)),
                             np.full(theta.shape[0], target), True)
        C = np.where(over, np.where(np.isfinite(N), k * N * max_tokens, np.inf), C)
    return C


def _params_for_loss(fl, theta, D, ell, closed, iters: int = 60):
    """N with L(N, D) = ell for each parameter set (one D and one ell per set); inf if none.

    Closed form for Chinchilla, ``N = (A / (ell - E - B / D^beta))^(1 / alpha)``; otherwise
    bisection in ``log N`` over 1..1e30 (the loss falls as N grows).
    """
    S = theta.shape[0]
    D = np.asarray(D, float).reshape(S)
    ell = np.asarray(ell, float).reshape(S)
    if closed:
        E, A, B, al, be = (theta[:, j] for j in range(5))
        with np.errstate(all="ignore"):
            gap = ell - E - B / D ** be
            N = (A / gap) ** (1.0 / al)
        return np.where((gap > 0) & np.isfinite(N), N, np.inf)
    lo = np.zeros(S)
    hi = np.full(S, math.log(1e30))
    Lhi = fl.evaluate(np.exp(hi)[:, None], D[:, None], theta)[:, 0]
    reach = np.isfinite(Lhi) & (Lhi <= ell)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        Lm = fl.evaluate(np.exp(mid)[:, None], D[:, None], theta)[:, 0]
        ok = np.isfinite(Lm) & (Lm <= ell)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return np.where(reach, np.exp(hi), np.inf)


def _check_ratio_cap(D_needed, ratio, max_tokens, k, what, lower="the budget", best=None):
    """Refuse a fixed ratio whose tokens exceed the token limit (both cannot hold)."""
    if D_needed <= max_tokens * (1 + 1e-12):
        return
    reach = f" (loss {best:.5g})" if best is not None and math.isfinite(best) else ""
    raise InputError(
        f"tokens_per_param {ratio:g} (--tokens-per-param) and max_tokens {max_tokens:.3g} "
        f"(--max-tokens) cannot both hold for {what}: at that ratio it needs D = "
        f"{D_needed:.3g} tokens; within the limit the ratio allows at most N = "
        f"{max_tokens / ratio:.3g}, D = {max_tokens:.3g}, C = {k * max_tokens ** 2 / ratio:.3g} "
        f"FLOPs{reach} (lower {lower}, raise the limit, or drop one of the two options)")


__all__ = ["Allocation", "compute_optimal", "least_compute", "optimal_loss"]
