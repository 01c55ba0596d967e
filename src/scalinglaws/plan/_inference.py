"""Inference-aware allocation (Sardana et al. 2024, "Beyond Chinchilla-Optimal").

A model that will serve ``D_inf`` tokens costs ``k N D`` FLOPs to train and about ``2 N D_inf``
to serve (one forward pass, two FLOPs per parameter per token). Two questions:

* **Quality target** -- the cheapest model over its lifetime that reaches a loss ``l``:
  minimise ``k N D + 2 N D_inf`` subject to ``L(N, D) = l``. For each ``N`` the tokens are
  found from the law (``D = (B / (l - E - A / N^alpha))^(1 / beta)`` for Chinchilla, by
  bisection in ``log D`` otherwise); the total is minimised over ``log N`` by a grid and a
  golden-section search. The target is by default the loss of the compute-optimal model of a
  given training budget, and that model is the reference.
* **Lifetime budget** -- the best loss for a total of ``C_tot`` FLOPs (training plus
  inference): minimise ``L(N, (C_tot - 2 N D_inf) / (k N))`` over ``N``; the reference is the
  compute-optimal model whose training plus inference costs the same ``C_tot``.

Both are solved for the estimate and for every bootstrap draw (each draw with its own
reference), so the ratios to the reference carry intervals.

A hard limit on training tokens (``max_tokens``) applies to the plan and to its reference
alike. The lifetime cost along the iso-loss curve (and the loss along the lifetime budget) is
unimodal in ``log N`` with ``D`` falling as ``N`` grows, so where the free optimum needs more
tokens than the limit the constrained one sits on it: ``D = max_tokens`` and ``N`` the size
that reaches the target there (quality target), or ``N = C_tot / (k max_tokens + 2 D_inf)``
(lifetime budget).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .._errors import InputError
from . import _text
from ._allocation import (
    _golden, _inf, _inverse, _is_chinchilla, _optimum, _outside_runs, _params_for_loss,
    _positive,
)
from ._model import as_fitted_law, interval, nondegenerate


@dataclass(frozen=True)
class InferencePlan:
    """An inference-aware plan and the compute-optimal reference it is compared with.

    Attributes
    ----------
    mode : str
        ``"quality target"`` or ``"lifetime budget"``.
    inference_tokens : float
        Expected tokens served over the model's life.
    N, D, tokens_per_param, loss : float
        The plan.
    training_flops, inference_flops, total_flops : float
    reference : dict
        The compute-optimal model compared with: ``N``, ``D``, ``tokens_per_param``,
        ``loss``, ``training_flops``, ``inference_flops``, ``total_flops``.
    N_ratio, D_ratio : float
        ``N / N_ref`` and ``D / D_ref``.
    total_saving : float
        ``1 - total / total_ref`` (quality target) -- the fraction of lifetime compute saved.
    loss_gain : float
        ``loss_ref - loss`` (lifetime budget).
    intervals : dict
        ``name -> (low, high)`` over the bootstrap draws.
    level : float
    n_draws, n_failed : int
    target_loss, budget, lifetime_budget : float or None
        What was asked.
    max_tokens : float or None
        The limit on training tokens, if any (it applies to the reference too).
    constraint : str or None
        Whether the token limit shaped the plan.
    model : dict
    notes : tuple of str
    """

    mode: str
    inference_tokens: float
    N: float
    D: float
    tokens_per_param: float
    loss: float
    training_flops: float
    inference_flops: float
    total_flops: float
    reference: Mapping[str, float]
    N_ratio: float
    D_ratio: float
    total_saving: float
    loss_gain: float
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    level: float = 0.95
    n_draws: int = 0
    n_failed: int = 0
    target_loss: float | None = None
    budget: float | None = None
    lifetime_budget: float | None = None
    max_tokens: float | None = None
    constraint: str | None = None
    model: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        """JSON-ready record."""
        d = {k: v for k, v in self.__dict__.items() if k not in ("intervals", "model", "notes",
                                                                  "reference")}
        d["reference"] = dict(self.reference)
        d["intervals"] = {k: list(v) for k, v in self.intervals.items()}
        d["model"] = dict(self.model)
        d["notes"] = list(self.notes)
        return d

    def summary(self) -> str:
        """Readable text: the plan beside the compute-optimal reference."""
        iv, lvl = self.intervals, f"{100 * self.level:g}%"
        ref = self.reference
        if self.mode == "quality target":
            head = (f"inference-aware plan (Sardana et al. 2024): reach loss "
                    f"{_text.num(self.target_loss, 5)} at least lifetime cost, serving "
                    f"{_text.sci(self.inference_tokens)} tokens")
            if self.budget is not None:
                head += (f"\n  (the target is the loss of the compute-optimal model for "
                         f"C = {_text.sci(self.budget)} FLOPs)")
        else:
            head = (f"inference-aware plan (Sardana et al. 2024): best loss for "
                    f"{_text.sci(self.lifetime_budget)} FLOPs of training + inference, serving "
                    f"{_text.sci(self.inference_tokens)} tokens")
        if self.constraint:
            head += f"\n  ({self.constraint})"
        lines = [head, f"  {'':<16} {'this plan':>10} {f'({lvl} interval)':<24} "
                       f"{'compute-optimal':>15}"]

        def row(label, key, mine, theirs, fmt):
            ivs = f"[{fmt(iv[key][0])}, {fmt(iv[key][1])}]" if key in iv else ""
            return f"  {label:<16} {fmt(mine):>10} {ivs:<24} {fmt(theirs):>15}"

        lines += [
            row("parameters N", "N", self.N, ref["N"], _text.count),
            row("tokens D", "D", self.D, ref["D"], _text.count),
            row("tokens/param", "tokens_per_param", self.tokens_per_param,
                ref["tokens_per_param"], lambda x: _text.num(x, 3)),
            row("loss", "loss", self.loss, ref["loss"], lambda x: _text.num(x, 5)),
            row("training FLOPs", "training_flops", self.training_flops, ref["training_flops"],
                _text.sci),
            row("inference FLOPs", "inference_flops", self.inference_flops,
                ref["inference_flops"], _text.sci),
            row("total FLOPs", "total_flops", self.total_flops, ref["total_flops"], _text.sci),
        ]
        moves = [f"N x{self.N_ratio:.3g}" + _iv_txt(iv.get("N_ratio"), ".3g"),
                 f"D x{self.D_ratio:.3g}" + _iv_txt(iv.get("D_ratio"), ".3g")]
        if self.mode == "quality target":
            moves.append(f"lifetime FLOPs saved {round(100 * self.total_saving, 1) + 0.0:.1f}%"
                         + _iv_txt(iv.get("total_saving"), ".1%"))
        else:
            moves.append(f"loss lower by {self.loss_gain:.4g}"
                         + _iv_txt(iv.get("loss_gain"), ".3g"))
        lines.append("  moved from compute-optimal: " + ", ".join(moves))
        if self.n_draws:
            extra = f"; {self.n_failed} draw(s) gave no answer" if self.n_failed else ""
            lines.append(f"  intervals: percentiles over {self.n_draws} bootstrap draws{extra}")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(lines)


def _iv_txt(iv, spec) -> str:
    if not iv:
        return ""
    return f" [{_no_negative_zero(iv[0], spec)}, {_no_negative_zero(iv[1], spec)}]"


def _no_negative_zero(x: float, spec: str) -> str:
    """``format(x, spec)``, with a value that rounds to zero shown as 0, never as -0."""
    text = format(x, spec)
    return text[1:] if text.startswith("-") and float(text.rstrip("%")) == 0 else text


def inference_optimal(source, inference_tokens: float, *, budget: float | None = None,
                      target_loss: float | None = None, lifetime_budget: float | None = None,
                      params: Mapping[str, float] | None = None, draws: np.ndarray | None = None,
                      group: str | None = None, fixed: Mapping[str, float] | None = None,
                      n_input: str | None = None, d_input: str | None = None,
                      max_tokens: float | None = None, flops_per_param_token: float = 6.0,
                      inference_flops_per_param_token: float = 2.0,
                      level: float | None = None) -> InferencePlan:
    """Allocation that accounts for the cost of serving the model (Sardana et al. 2024).

    Give exactly one of ``budget`` (reach the loss of the compute-optimal model of this
    training budget), ``target_loss`` (reach this loss) or ``lifetime_budget`` (best loss
    for this many FLOPs of training plus inference).

    Parameters
    ----------
    source : FitResult, Law or FittedLaw
    inference_tokens : float
        Tokens the model is expected to process over its life (0 gives compute-optimal).
    budget, target_loss, lifetime_budget : float, optional
        The question (see above).
    params, draws, group, fixed, n_input, d_input, level
        As for :func:`compute_optimal`.
    max_tokens : float, optional
        A hard limit on training tokens, honoured by the plan and by its compute-optimal
        reference (which is then :func:`compute_optimal` with the same ``max_tokens``). A
        fixed tokens-per-parameter ratio is not an option here: choosing the ratio is what
        this plan does.
    flops_per_param_token : float
        Training FLOPs per parameter per token (6).
    inference_flops_per_param_token : float
        Inference FLOPs per parameter per token (2, a forward pass).

    Returns
    -------
    InferencePlan

    Raises
    ------
    InputError
        For a missing or doubled question, negative tokens, a non-positive ``max_tokens``, or
        a target the law cannot reach (within ``max_tokens``, if given).
    """
    fl = as_fitted_law(source, params=params, draws=draws, group=group, fixed=fixed,
                       n_input=n_input, d_input=d_input, level=level)
    asked = [x is not None for x in (budget, target_loss, lifetime_budget)]
    if sum(asked) != 1:
        raise InputError("give exactly one of budget (training FLOPs of the compute-optimal "
                         "reference), target_loss or lifetime_budget")
    try:
        Dinf = float(inference_tokens)
    except (TypeError, ValueError):
        raise InputError(f"inference_tokens must be a number, got {inference_tokens!r}") from None
    if not (math.isfinite(Dinf) and Dinf >= 0):
        raise InputError(f"inference_tokens must be >= 0, got {inference_tokens!r}")
    k = _positive(flops_per_param_token, "flops_per_param_token")
    ki = _positive(inference_flops_per_param_token, "inference_flops_per_param_token")
    cap = None if max_tokens is None else _positive(max_tokens, "max_tokens")
    theta = fl.stacked()
    S = theta.shape[0]
    closed = _is_chinchilla(fl)
    notes: list[str] = []
    if lifetime_budget is None:
        if budget is not None:
            Cb = _positive(budget, "budget")
            Nr, Dr, ell = _optimum(fl, theta, np.full(S, Cb), k, closed, cap, None)
        else:
            try:
                tl = float(target_loss)
            except (TypeError, ValueError):
                raise InputError(f"target_loss must be a number, got {target_loss!r}") from None
            if not math.isfinite(tl):
                raise InputError("target_loss must be a finite number")
            ell = np.full(S, tl)
            Cr = _inverse(fl, theta, tl, k, closed, cap, None)
            if not np.isfinite(Cr[0]):
                within = ("" if cap is None else f" within {cap:.3g} training tokens "
                          "(max_tokens, --max-tokens)")
                raise InputError(f"loss {tl:g} cannot be reached with any compute{within} by "
                                 "this law (it is at or below the loss the law tends to)")
            Nr, Dr, _ = _optimum(fl, theta, np.where(np.isfinite(Cr), Cr, 1.0), k, closed, cap,
                                 None)
            bad = ~np.isfinite(Cr)
            Nr[bad] = Dr[bad] = np.nan
        N, D = _quality_target(fl, theta, ell, Nr, k, ki, Dinf, closed)
        if cap is not None:
            # the free optimum needs more tokens than allowed: the best plan is on the limit
            over = np.isfinite(D) & (D > cap)
            if over.any():
                Ncap = _params_for_loss(fl, theta, np.full(S, cap), ell, closed)
                Ncap = np.where(np.isfinite(Ncap), Ncap, np.nan)
                N = np.where(over, Ncap, N)
                D = np.where(over & np.isfinite(Ncap), cap, D)
        L = ell.copy()
        Lr = ell
        mode = "quality target"
    else:
        Ctot = _positive(lifetime_budget, "lifetime_budget")
        N, D, L = _lifetime(fl, theta, Ctot, k, ki, Dinf)
        if cap is not None:
            over = np.isfinite(D) & (D > cap)
            if over.any():
                Nmin = Ctot / (k * cap + ki * Dinf)  # where D = (Ctot - ki N Dinf) / (k N) = cap
                Lcap = fl.evaluate(np.full((S, 1), Nmin), np.full((S, 1), cap), theta)[:, 0]
                N = np.where(over, Nmin, N)
                D = np.where(over, cap, D)
                L = np.where(over, Lcap, L)
        Nr, Dr, Lr = _lifetime_reference(fl, theta, Ctot, k, ki, Dinf, closed, cap)
        mode = "lifetime budget"
    with np.errstate(all="ignore"):
        tr, inf_ = k * N * D, ki * N * Dinf
        tr_r, inf_r = k * Nr * Dr, ki * Nr * Dinf
        vals = {
            "N": N, "D": D, "tokens_per_param": D / N, "loss": L, "training_flops": tr,
            "inference_flops": inf_, "total_flops": tr + inf_, "N_ratio": N / Nr,
            "D_ratio": D / Dr, "total_saving": 1.0 - (tr + inf_) / (tr_r + inf_r),
            "loss_gain": Lr - L,
        }
    if not np.isfinite(N[0]):
        raise InputError("no inference-aware optimum found for the estimate (the target may be "
                         "out of reach, or the lifetime budget too small to serve the tokens)")
    what = (f"to reach loss {L[0]:.5g}" if mode == "quality target" else
            f"with a lifetime budget of {lifetime_budget:.3g} FLOPs")
    note = _outside_runs(fl, float(N[0]), float(D[0]), what)
    if note:
        notes.append(note)
    ivs: dict[str, tuple[float, float]] = {}
    n_ok = n_failed = 0
    if S > 1:
        ok = np.isfinite(N[1:]) & np.isfinite(Nr[1:])
        n_ok, n_failed = int(ok.sum()), int((~ok).sum())
        for key, v in vals.items():
            iv = nondegenerate(interval(v[1:][ok], fl.level))
            if iv:
                ivs[key] = iv
    if Dinf == 0:
        notes.append("with no inference tokens the plan is the compute-optimal one")
    constraint = None
    if cap is not None:
        binding = D[0] >= cap * (1 - 1e-12)
        ref_binding = Dr[0] >= cap * (1 - 1e-12)
        constraint = f"token limit {cap:.3g} " + (
            "binding: D is held at the limit" if binding else "not binding")
        if ref_binding:
            constraint += "; the compute-optimal reference is held at it too"
        if binding and ref_binding and mode == "quality target":
            notes.append("with the tokens capped the plan cannot trade parameters for more "
                         "tokens: it is the compute-optimal model under the limit")
    reference = {"N": float(Nr[0]), "D": float(Dr[0]), "tokens_per_param": float(Dr[0] / Nr[0]),
                 "loss": float(Lr[0]), "training_flops": float(tr_r[0]),
                 "inference_flops": float(inf_r[0]), "total_flops": float(tr_r[0] + inf_r[0])}
    return InferencePlan(
        mode=mode, inference_tokens=Dinf, N=float(N[0]), D=float(D[0]),
        tokens_per_param=float(D[0] / N[0]), loss=float(L[0]), training_flops=float(tr[0]),
        inference_flops=float(inf_[0]), total_flops=float(tr[0] + inf_[0]), reference=reference,
        N_ratio=float(vals["N_ratio"][0]), D_ratio=float(vals["D_ratio"][0]),
        total_saving=float(vals["total_saving"][0]), loss_gain=float(vals["loss_gain"][0]),
        intervals=ivs, level=fl.level, n_draws=n_ok, n_failed=n_failed,
        target_loss=float(L[0]) if mode == "quality target" else None,
        budget=float(budget) if budget is not None else None,
        lifetime_budget=float(lifetime_budget) if lifetime_budget is not None else None,
        max_tokens=cap, constraint=constraint, model=fl.describe(), notes=tuple(notes))


# ---------------------------------------------------------------------------------------------


def _tokens_for_loss(fl, theta, N, ell, closed):
    """D with L(N, D) = ell for each set (rows) and each N (columns); inf when unreachable."""
    S, m = N.shape
    ell = np.asarray(ell, float).reshape(S, 1)
    if closed:
        E, A, B, al, be = (theta[:, j:j + 1] for j in range(5))
        with np.errstate(all="ignore"):
            gap = ell - E - A / N ** al
            D = (B / gap) ** (1.0 / be)
        return np.where((gap > 0) & np.isfinite(D), D, np.inf)
    lo = np.zeros((S, m))
    hi = np.full((S, m), math.log(1e30))
    th = theta
    floor = fl.evaluate(N, np.exp(hi), th)
    reach = np.isfinite(floor) & (floor < ell)
    for _ in range(48):
        mid = 0.5 * (lo + hi)
        Lm = fl.evaluate(N, np.exp(mid), th)
        ok = np.isfinite(Lm) & (Lm <= ell)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return np.where(reach, np.exp(hi), np.inf)


def _quality_target(fl, theta, ell, Nref, k, ki, Dinf, closed):
    S = theta.shape[0]
    base = np.where(np.isfinite(Nref), Nref, 1.0)
    g = np.linspace(math.log(1e-4), math.log(10.0), 161)
    logN = np.log(base)[:, None] + g[None, :]

    def cost(u):
        N = np.exp(u)
        D = _tokens_for_loss(fl, theta, N, ell, closed)
        return k * N * D + ki * N * Dinf

    f = _inf(cost(logN))
    i = np.argmin(f, axis=1)
    rows = np.arange(S)
    m = logN.shape[1]
    ok = np.isfinite(f[rows, i]) & (i < m - 1) & np.isfinite(Nref)
    # the feasible region starts where L's floor at this N drops below the target: the
    # optimum may sit right at the grid's first feasible point, so refine from the previous one
    lo = logN[rows, np.clip(i - 1, 0, m - 1)]
    hi = logN[rows, np.clip(i + 1, 0, m - 1)]
    u = _golden(lambda x: cost(x[:, None])[:, 0], lo, hi)
    N = np.exp(u)
    D = _tokens_for_loss(fl, theta, N[:, None], ell, closed)[:, 0]
    N[~ok | ~np.isfinite(D)] = np.nan
    D[~ok | ~np.isfinite(D)] = np.nan
    return N, D


def _lifetime(fl, theta, Ctot, k, ki, Dinf):
    S = theta.shape[0]
    lo = 0.5 * math.log(Ctot / (k * 1e7))
    hi = 0.5 * math.log(Ctot / (k * 1e-3))
    if Dinf > 0:
        hi = min(hi, math.log(Ctot / (ki * Dinf)) - 1e-9)
    if hi <= lo:
        nan = np.full(S, np.nan)
        return nan, nan.copy(), nan.copy()
    grid = np.linspace(lo, hi, 241)

    def loss(u):
        N = np.exp(u)
        D = (Ctot - ki * N * Dinf) / (k * N)
        return fl.evaluate(N, np.where(D > 0, D, np.nan), theta)

    f = _inf(loss(np.broadcast_to(grid, (S, grid.size))))
    i = np.argmin(f, axis=1)
    m = grid.size
    ok = np.isfinite(f[np.arange(S), i]) & (i > 0) & (i < m - 1)
    u = _golden(lambda x: loss(x[:, None])[:, 0], grid[np.clip(i - 1, 0, m - 1)],
                grid[np.clip(i + 1, 0, m - 1)])
    N = np.exp(u)
    D = (Ctot - ki * N * Dinf) / (k * N)
    L = fl.evaluate(N[:, None], D[:, None], theta)[:, 0]
    for v in (N, D, L):
        v[~ok] = np.nan
    return N, D, L


def _lifetime_reference(fl, theta, Ctot, k, ki, Dinf, closed, max_tokens=None):
    """Compute-optimal model (under the token limit) whose training plus inference costs Ctot
    (bisection on C_train)."""
    S = theta.shape[0]
    a = np.full(S, math.log(Ctot) - 60.0)
    b = np.full(S, math.log(Ctot))
    for _ in range(60):
        mid = 0.5 * (a + b)
        Nm, _, _ = _optimum(fl, theta, np.exp(mid), k, closed, max_tokens, None)
        over = ~np.isfinite(Nm) | (np.exp(mid) + ki * Nm * Dinf > Ctot)
        b = np.where(over, mid, b)
        a = np.where(over, a, mid)
    return _optimum(fl, theta, np.exp(a), k, closed, max_tokens, None)


__all__ = ["InferencePlan", "inference_optimal"]
