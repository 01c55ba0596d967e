"""Numerical core: objectives, variable-projection starts and a batched robust Levenberg-Marquardt.

Everything here works on a *batch* of problems at once: ``B`` parameter vectors, each with its
own observation weights (the bootstrap passes resampling counts as weights), so that a grid of
starts or a thousand bootstrap refits is a handful of vectorised numpy operations per iteration
rather than a Python loop around a scalar optimiser.

Parameters are optimised in *internal coordinates*: log-scale parameters as their logarithm,
the others as they are; bounds become box constraints on the internal vector, enforced by
projection with an active set.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal, Mapping

import numpy as np

from ..laws import Law

Loss = Literal["huber", "l2"]
Space = Literal["log", "raw"]


# ---------------------------------------------------------------------------------------------
# Objective


def residuals(pred: np.ndarray, y: np.ndarray, space: Space) -> np.ndarray:
    """Residuals in the fitting space: ``log(pred) - log(y)`` or ``pred - y``."""
    with np.errstate(all="ignore"):
        if space == "log":
            return np.log(pred) - np.log(y)
        return pred - y


def rho(r: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """Pointwise loss: Huber with threshold ``delta`` or half the squared residual."""
    if loss == "l2":
        return 0.5 * r * r
    a = np.abs(r)
    return np.where(a <= delta, 0.5 * r * r, delta * (a - 0.5 * delta))


def objective_value(r: np.ndarray, w: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """Weighted sum of the pointwise loss over the last axis; ``inf`` where non-finite."""
    with np.errstate(all="ignore"):
        f = np.sum(w * rho(r, loss, delta), axis=-1)
    return np.where(np.isfinite(f), f, np.inf)


def irls_weight(r: np.ndarray, loss: Loss, delta: float) -> np.ndarray:
    """IRLS weight ``rho'(r)/r``: 1 for least squares, ``min(1, delta/|r|)`` for Huber."""
    if loss == "l2":
        return np.ones_like(r)
    with np.errstate(divide="ignore"):
        return np.minimum(1.0, delta / np.abs(r))


# ---------------------------------------------------------------------------------------------
# The problem: a law, data, and a layout of (possibly group-wise) parameters


@dataclass
class Problem:
    """A law bound to data, with a parameter layout in internal coordinates.

    ``index`` is an ``(n, P)`` integer array: for observation ``i`` and law parameter ``j``,
    the position of its value in the full parameter vector (length ``K``). Without groups it
    is ``arange(P)`` on every row; with groups, per-group parameters get one slot per group and
    shared parameters a single slot.
    """

    law: Law
    X: Mapping[str, np.ndarray]
    y: np.ndarray
    index: np.ndarray            # (n, P) -> slot in the full vector
    slot_param: np.ndarray       # (K,) law parameter index of each slot
    lower: np.ndarray            # (K,) internal bounds
    upper: np.ndarray
    is_log: np.ndarray           # (K,) bool
    loss: Loss = "huber"
    delta: float = 1e-3
    space: Space = "log"
    unit: np.ndarray | None = None   # (K,) natural value of one internal unit (target scale)
    rscale: float = 1.0              # raw-space residuals are divided by this

    @property
    def K(self) -> int:
        return len(self.slot_param)

    @property
    def trivial_layout(self) -> bool:
        return self.K == self.law.n_params

    def natural(self, U: np.ndarray) -> np.ndarray:
        """Natural parameter values from internal coordinates (any leading shape)."""
        with np.errstate(over="ignore"):
            theta = np.where(self.is_log, np.exp(U), U)
        return theta if self.unit is None else theta * self.unit

    def internal(self, theta: np.ndarray) -> np.ndarray:
        """Internal coordinates from natural values, clipped to the internal bounds."""
        if self.unit is not None:
            theta = theta / self.unit
        with np.errstate(divide="ignore", invalid="ignore"):
            U = np.where(self.is_log, np.log(np.maximum(theta, 0.0)), theta)
        return np.clip(U, self.lower, self.upper)

    def _dnatural(self, theta: np.ndarray, is_log: np.ndarray, unit) -> np.ndarray:
        """Derivative of natural values with respect to internal coordinates."""
        return np.where(is_log, theta, 1.0 if unit is None else unit)

    def _residuals(self, pred: np.ndarray) -> np.ndarray:
        r = residuals(pred, self.y, self.space)
        return r if self.rscale == 1.0 else r / self.rscale

    def model(self, U: np.ndarray, jac: bool = False):
        """Predictions ``(B, n)`` and, optionally, the Jacobian in internal coordinates."""
        theta = self.natural(U)
        if self.trivial_layout:
            th = theta
        else:
            th = theta[:, self.index]  # (B, n, P)
        v, J = self.law._evaluate(self.law._inputs(self.X), th, jac)
        B, n = U.shape[0], len(self.y)
        v = np.broadcast_to(v, (B, n))
        if not jac:
            return v, None
        J = np.broadcast_to(J, (B, n, self.law.n_params))
        if self.trivial_layout:
            Jk = J.copy()
        else:
            Jk = np.zeros((B, n, self.K))
            rows = np.arange(n)
            for j in range(self.law.n_params):
                Jk[:, rows, self.index[:, j]] = J[:, :, j]
        Jk *= self._dnatural(theta, self.is_log, self.unit)[:, None, :]
        return v, Jk

    def objective(self, U: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Objective for each row of ``U`` with weights ``w`` (``(n,)`` or ``(B, n)``).

        In raw space with a target scale the residuals and the Huber threshold are both
        divided by :attr:`rscale`, so the value is the objective in the data's units divided by
        ``rscale**2`` (:meth:`natural_objective` undoes it).
        """
        pred, _ = self.model(U)
        return objective_value(self._residuals(pred), w, self.loss, self.delta / self.rscale)

    def natural_objective(self, f):
        """An objective value of :meth:`objective` in the data's units."""
        return f * self.rscale ** 2

    def blocks(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Rows that share a parameter layout, and their slots: ``[(rows, slots (P,)), ...]``.

        With groups there is one block per group; a row's Jacobian is non-zero only in its
        block's ``P`` slots, which lets the normal equations be built block by block.
        """
        cached = getattr(self, "_blocks", None)
        if cached is None:
            patterns, inverse = np.unique(self.index, axis=0, return_inverse=True)
            inverse = np.asarray(inverse).reshape(-1)
            cached = [(np.flatnonzero(inverse == b), patterns[b]) for b in range(len(patterns))]
            object.__setattr__(self, "_blocks", cached)
        return cached

    def arrow(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(shared slots (S,), private slots (G, p))`` when the layout has the arrow shape.

        With shared parameters, the Gauss-Newton matrix couples each group's private slots only
        with themselves and with the shared slots: block diagonal plus a border. ``None`` when
        there is no such structure to use (one block, or no shared slot, or blocks of unequal
        sizes).
        """
        cached = getattr(self, "_arrow", False)
        if cached is not False:
            return cached
        blocks = self.blocks()
        out = None
        if len(blocks) > 1:
            counts = np.bincount(np.concatenate([slots for _, slots in blocks]),
                                 minlength=self.K)
            shared = np.flatnonzero(counts > 1)
            private = [slots[counts[slots] == 1] for _, slots in blocks]
            sizes = {len(p) for p in private}
            covered = len(shared) + sum(len(p) for p in private) == self.K
            if shared.size and len(sizes) == 1 and sizes != {0} and covered:
                out = (shared, np.vstack(private))
        object.__setattr__(self, "_arrow", out)
        return out

    def solve(self, H: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Solve ``H x = g`` for each row of the batch, using the arrow shape when there is one.

        The private blocks are eliminated first (one small solve per group, all groups at
        once), which leaves a system in the shared slots only (the Schur complement); the cost
        grows with the number of groups instead of its cube. Falls back to a dense solve if a
        block is singular or the result is not finite.
        """
        arrow = self.arrow()
        if arrow is None:
            return _batched_solve(H, g)
        S, Pv = arrow                                    # (s,), (G, p)
        try:
            D = H[:, Pv[:, :, None], Pv[:, None, :]]      # (B, G, p, p)
            C = H[:, Pv[:, :, None], S[None, None, :]]    # (B, G, p, s)
            rhs = np.concatenate([g[:, Pv][..., None], C], axis=-1)  # (B, G, p, 1 + s)
            Y = np.linalg.solve(D, rhs)
            Ct = np.swapaxes(C, -1, -2)                   # (B, G, s, p)
            A = H[:, S[:, None], S[None, :]] - np.einsum("bgsp,bgpt->bst", Ct, Y[..., 1:])
            r = g[:, S] - np.einsum("bgsp,bgp->bs", Ct, Y[..., 0])
            xs = np.linalg.solve(A, r[..., None])[..., 0]  # (B, s)
            xp = Y[..., 0] - np.einsum("bgpt,bt->bgp", Y[..., 1:], xs)
        except np.linalg.LinAlgError:
            return _batched_solve(H, g)
        x = np.empty_like(g)
        x[:, S] = xs
        x[:, Pv] = xp
        if not np.all(np.isfinite(x)):
            return _batched_solve(H, g)
        return x

    def normal_equations(self, U: np.ndarray, w: np.ndarray):
        """Predictions, and the gradient and Gauss-Newton matrix of the IRLS quadratic.

        Parameters
        ----------
        U : ndarray, shape (B, K)
            Internal coordinates.
        w : ndarray, shape (B, n)
            Observation weights.

        Returns
        -------
        pred : ndarray, shape (B, n)
        g : ndarray, shape (B, K)
            ``sum_i omega_i r_i J_i`` (in the residuals' space).
        H : ndarray, shape (B, K, K)
            ``sum_i omega_i J_i J_i^T``.

        Without groups this is the dense product. With groups the law's Jacobian ``(B, n, P)``
        is never spread over all ``K`` slots: each block of rows adds its ``P x P`` product to
        the slots it uses, so the cost grows with the number of rows, not rows times slots.
        """
        theta = self.natural(U)
        B, n, K = U.shape[0], len(self.y), self.K
        th = theta if self.trivial_layout else theta[:, self.index]
        v, J = self.law._evaluate(self.law._inputs(self.X), th, True)
        pred = np.broadcast_to(v, (B, n))
        J = np.broadcast_to(J, (B, n, self.law.n_params))
        is_log = self.is_log if self.trivial_layout else self.is_log[self.index]
        unit = self.unit
        if unit is not None and not self.trivial_layout:
            unit = unit[self.index]
        with np.errstate(all="ignore"):
            scale = self._dnatural(th, is_log, unit)
            J = J * (scale[:, None, :] if self.trivial_layout else scale)
            r = self._residuals(pred)
            if self.space == "log":
                J = J / pred[:, :, None]
            elif self.rscale != 1.0:
                J = J / self.rscale
            om = w * irls_weight(r, self.loss, self.delta / self.rscale)
            Jw = J * om[:, :, None]
            if self.trivial_layout:
                g = np.einsum("bnk,bn->bk", Jw, r)
                H = np.matmul(Jw.transpose(0, 2, 1), J)
                return pred, g, H
            g = np.zeros((B, K))
            H = np.zeros((B, K, K))
            for rows, slots in self.blocks():
                Jb, Jwb = J[:, rows], Jw[:, rows]
                g[:, slots] += np.einsum("bnk,bn->bk", Jwb, r[:, rows])
                H[:, slots[:, None], slots[None, :]] += np.matmul(Jwb.transpose(0, 2, 1), Jb)
        return pred, g, H


#: Targets whose typical magnitude is within this many decades of 1 are fitted as they are.
SCALE_FREE_DECADES = 2


def target_scale(law: Law, y) -> float:
    """The unit in which the linear parameters of ``law`` are optimised for target ``y``.

    The starting grids, the floors of amplitudes and the solver's tolerances are set for
    targets of order one (losses, accuracies). A target far from that (a loss in units of
    1e-9, a count of 1e12) would leave the fit to work at the edge of those ranges. When the
    law is linear and offset-free in its linear parameters (``E + A/x**alpha``: scaling ``E``
    and ``A`` by ``s`` scales the prediction by ``s``), the fit is done in units of
    ``s = 10**round(log10(g))``, ``g`` the geometric mean of the non-zero ``|y|``, whenever
    ``|log10 s|`` exceeds :data:`SCALE_FREE_DECADES`. Such a fit equals the fit of ``y / s``
    with the linear parameters multiplied back by ``s``. Any other law, or a target of order
    one, gives 1.

    Parameters
    ----------
    law : Law
    y : array_like
        The target values.

    Returns
    -------
    float
        A power of ten (1.0 when no rescaling applies).
    """
    if not getattr(law, "homogeneous", False):
        return 1.0
    a = np.abs(np.asarray(y, float))
    a = a[np.isfinite(a) & (a > 0)]
    if a.size == 0:
        return 1.0
    e = int(round(float(np.mean(np.log10(a)))))
    return 10.0 ** e if abs(e) > SCALE_FREE_DECADES else 1.0


def make_problem(law: Law, X, y, *, groups: np.ndarray | None = None,
                 shared: tuple[str, ...] = (), loss: Loss = "huber", delta: float = 1e-3,
                 space: Space = "log", typical_X=None, typical_y=None,
                 scale: float = 1.0) -> Problem:
    """Build a :class:`Problem`.

    ``groups`` holds an integer group code per observation (``0..G-1``); parameters named in
    ``shared`` get one slot for all groups, the others one slot per group. ``scale`` (from
    :func:`target_scale`) is the natural value of one internal unit of each linear parameter;
    in raw space the residuals are divided by it too.
    """
    n, P = len(y), law.n_params
    G = 1 if groups is None else int(groups.max()) + 1
    slots: list[int] = []
    index = np.empty((n, P), dtype=int)
    for j, p in enumerate(law.params):
        if G == 1 or p.name in shared:
            index[:, j] = len(slots)
            slots.append(j)
        else:
            index[:, j] = len(slots) + groups
            slots.extend([j] * G)
    slot_param = np.asarray(slots, dtype=int)
    lo, hi, is_log = internal_bounds(law, typical_X if typical_X is not None else X,
                                     typical_y if typical_y is not None else y, scale)
    unit = None
    if scale != 1.0:
        unit = param_units(law, scale)[slot_param]
    return Problem(law, X, np.asarray(y, float), index, slot_param, lo[slot_param],
                   hi[slot_param], is_log[slot_param], loss, delta, space, unit,
                   scale if space == "raw" else 1.0)


def param_units(law: Law, scale: float) -> np.ndarray:
    """Natural value of one internal unit of each law parameter: ``scale`` for the linear
    parameters, 1 for the others."""
    lin = set(law.linear_params)
    return np.array([scale if p.name in lin else 1.0 for p in law.params])


def internal_bounds(law: Law, X, y, scale: float = 1.0):
    """Internal-coordinate bounds and log flags for each law parameter.

    With a target ``scale`` (:func:`target_scale`), the bounds of the linear parameters are
    in units of ``scale``, and the typical range that sets the floor of an amplitude whose
    lower bound is 0 is taken on the scaled target.
    """
    P = law.n_params
    lo, hi, is_log = np.empty(P), np.empty(P), np.zeros(P, bool)
    units = param_units(law, scale)
    ys = y if scale == 1.0 else np.asarray(y, float) / scale
    for j, p in enumerate(law.params):
        u = units[j]
        lower, upper = p.lower / u, p.upper / u
        if p.scale == "log":
            is_log[j] = True
            t_lo, _ = p.typical_range(X, ys if u != 1.0 else y)
            lo[j] = math.log(lower) if lower > 0 else math.log(t_lo) - 25.0
            hi[j] = math.log(upper) if math.isfinite(upper) else math.inf
        else:
            lo[j], hi[j] = lower, upper
    return lo, hi, is_log


# ---------------------------------------------------------------------------------------------
# Starting points by variable projection


def start_candidates(law: Law, X, y, w: np.ndarray, *, n_starts: int, seed: int, space: Space,
                     loss: Loss, delta: float, problem: Problem) -> np.ndarray:
    """A grid of starting points, best first, in internal coordinates.

    The non-linear parameters are laid on a grid (or a scrambled Sobol sequence in higher
    dimension) over their typical ranges; for each, the linear parameters are solved exactly by
    bounded weighted least squares (relative residuals when fitting in log space), and every
    start is then scored with the true objective.
    """
    params = law.params
    lin_names = law.linear_params
    nl = [j for j, p in enumerate(params) if p.name not in lin_names]
    lin = [law.param_names.index(nm) for nm in lin_names]
    ranges = [params[j].typical_range(X, y) for j in range(len(params))]

    # sample the non-linear parameters in [0, 1]^d then map to their typical ranges
    d = len(nl)
    if d == 0:
        unit = np.zeros((1, 0))
    else:
        k = int(math.floor(n_starts ** (1.0 / d) + 1e-9))
        if k >= 4:
            axes = [(np.arange(k) + 0.5) / k] * d
            unit = np.array(list(itertools.product(*axes)))
        else:
            m = int(2 ** math.ceil(math.log2(max(n_starts, 2))))
            from scipy.stats import qmc  # lazy: scipy.stats costs ~1 s to import

            unit = qmc.Sobol(d, scramble=True, seed=seed).random(m)
    S = unit.shape[0]
    theta = np.zeros((S, len(params)))
    for c, j in enumerate(nl):
        lo, hi = ranges[j]
        if params[j].scale == "log":
            theta[:, j] = np.exp(math.log(lo) + unit[:, c] * (math.log(hi) - math.log(lo)))
        else:
            theta[:, j] = lo + unit[:, c] * (hi - lo)
    for j in lin:
        lo, hi = ranges[j]
        theta[:, j] = math.sqrt(lo * hi) if params[j].scale == "log" else 0.5 * (lo + hi)

    if lin:
        chunk = max(1, int(4e6 // max(1, len(y) * len(lin))))
        for s0 in range(0, S, chunk):
            sl = slice(s0, s0 + chunk)
            theta[sl][:, lin] = _solve_linear(law, X, y, w, theta[sl], lin, space)
    U = problem.internal(theta)
    f = np.concatenate([problem.objective(U[s0:s0 + 2048], w) for s0 in range(0, S, 2048)])
    order = np.argsort(f, kind="stable")
    return U[order], f[order]


def _solve_linear(law: Law, X, y, w, theta, lin, space, *, exact: bool = False) -> np.ndarray:
    """Bounded weighted least squares for the linear parameters, for each row of ``theta``.

    Lower bounds are honoured exactly by enumerating which coefficients sit at their bound
    (at most 2**m small solves, all vectorised over the starts). The normal equations get a
    ridge of 1e-12 of their trace, which keeps the grid of starts stable but erases a column
    more than about 1e6 times smaller than another; ``exact=True`` scales the columns to unit
    length first, so that the ridge no longer depends on their sizes (see
    :func:`repair_linear`).
    """
    offset, G = law.linear_basis(X, theta)            # (S, n), (S, n, m)
    target = y[None, :] - offset
    if space == "log":
        sw = np.sqrt(w) / y                            # relative residuals approximate log ones
    else:
        sw = np.sqrt(w) * np.ones_like(y)
    A = G * sw[None, :, None]
    b = target * sw[None, :]
    m = len(lin)
    lowers = np.array([law.params[j].lower for j in lin])
    uppers = np.array([law.params[j].upper for j in lin])
    clampable = [c for c in range(m) if math.isfinite(lowers[c])]
    best = np.full((theta.shape[0], m), np.nan)
    best_sse = np.full(theta.shape[0], np.inf)
    subsets = [()]
    if m <= 6:
        subsets = [s for r in range(len(clampable) + 1) for s in itertools.combinations(clampable, r)]
    with np.errstate(all="ignore"):
        for fixed in subsets:
            free = [c for c in range(m) if c not in fixed]
            coef = np.empty((theta.shape[0], m))
            bb = b.copy()
            for c in fixed:
                coef[:, c] = lowers[c]
                bb -= A[:, :, c] * lowers[c]
            if free:
                Af = A[:, :, free]
                AtA = np.einsum("snk,snl->skl", Af, Af)
                Atb = np.einsum("snk,sn->sk", Af, bb)
                if exact:
                    d = np.sqrt(np.maximum(np.einsum("skk->sk", AtA), 1e-300))
                    AtA = AtA / (d[:, :, None] * d[:, None, :])
                    Atb = Atb / d
                else:
                    d = 1.0
                AtA += np.eye(len(free)) * (1e-12 * np.trace(AtA, axis1=1, axis2=2)[:, None, None]
                                            + 1e-300)
                sol = _batched_solve(AtA, Atb) / d
                coef[:, free] = sol
            feasible = np.all(coef >= lowers - 1e-12, axis=1) & np.all(np.isfinite(coef), axis=1)
            if len(subsets) == 1:  # too many to enumerate: clip instead
                coef = np.clip(coef, lowers, uppers)
                feasible = np.all(np.isfinite(coef), axis=1)
            res = b - np.einsum("snk,sk->sn", A, coef)
            sse = np.where(feasible, np.sum(res * res, axis=1), np.inf)
            better = sse < best_sse
            best[better] = coef[better]
            best_sse[better] = sse[better]
    best = np.clip(best, lowers, uppers)
    fallback = np.where(np.isfinite(lowers), np.maximum(lowers, 0.0), 0.0)
    return np.where(np.isfinite(best), best, fallback)


def repair_linear(problem: Problem, X, y, w: np.ndarray, U: np.ndarray, f: float, *,
                  max_iter: int) -> tuple[np.ndarray, float, bool] | None:
    """A better end for a fit whose linear parameters an exact solve improves materially.

    The ridge of the starts' linear solve can leave a small linear parameter at a value the
    polish cannot leave (a constant of ``1e-39`` beside ``N**5``, with ``N`` up to ``1e8``).
    At the polished non-linear parameters ``U``, the linear ones are solved again with their
    columns equilibrated; when that lowers the objective ``f`` by more than 0.1 %, the point is
    polished again. Returns ``(U, f, converged)`` of the better end, or None when there is
    none: the usual case, where the polished linear parameters are already the best ones for
    the non-linear ones, so that the fit is left exactly as the polish ended it.
    """
    law = problem.law
    lin = [law.param_names.index(nm) for nm in law.linear_params]
    if not lin or not problem.trivial_layout:
        return None
    theta = problem.natural(U[None])
    with np.errstate(all="ignore"):
        theta[:, lin] = _solve_linear(law, X, y, w, theta, lin, problem.space, exact=True)
        V = problem.internal(theta)
        g = problem.objective(V, w)
    if not (np.all(np.isfinite(V)) and g[0] < f - 1e-3 * abs(f)):
        return None
    res = levenberg_marquardt(problem, V, w, max_iter=max_iter)
    if not res.f[0] < f:
        return None
    return res.U[0], float(res.f[0]), bool(res.converged[0])


def _batched_solve(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(A, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for i in range(A.shape[0]):
            try:
                out[i] = np.linalg.solve(A[i], b[i])
            except np.linalg.LinAlgError:
                out[i] = np.linalg.lstsq(A[i], b[i], rcond=None)[0]
        return out


# ---------------------------------------------------------------------------------------------
# Batched, bounded, robust Levenberg-Marquardt


@dataclass
class LMResult:
    U: np.ndarray          # (B, K) internal coordinates
    f: np.ndarray          # (B,) objective
    converged: np.ndarray  # (B,) bool
    n_iter: int
    nfev: int


def levenberg_marquardt(problem: Problem, U0: np.ndarray, w: np.ndarray, *, max_iter: int = 300,
                        ftol: float = 1e-12, xtol: float = 1e-10) -> LMResult:
    """Minimise the robust objective from each row of ``U0`` simultaneously.

    Each iteration builds the Gauss-Newton system of the IRLS quadratic that majorises the
    Huber loss at the current residuals, damps it (Levenberg-Marquardt, per problem), freezes
    parameters held at a bound by their gradient, and accepts a step only if it lowers that
    problem's objective.

    Parameters
    ----------
    problem : Problem
    U0 : ndarray, shape (B, K)
        Starting points in internal coordinates.
    w : ndarray, shape (n,) or (B, n)
        Observation weights (bootstrap counts, or ones).

    Returns
    -------
    LMResult
    """
    U = np.clip(np.array(U0, dtype=float), problem.lower, problem.upper)
    B, K = U.shape
    W = np.broadcast_to(np.asarray(w, float), (B, len(problem.y)))
    lam = np.full(B, 1e-3)
    f = problem.objective(U, W)
    active = np.isfinite(f)
    converged = ~active
    stall = np.zeros(B, int)
    eye = np.eye(K)
    nfev = 1
    it = 0
    for it in range(1, max_iter + 1):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        Ua, Wa = U[idx], W[idx]
        _, g, H = problem.normal_equations(Ua, Wa)
        nfev += 1
        bad = ~np.all(np.isfinite(g), axis=1) | ~np.all(np.isfinite(H), axis=(1, 2))
        g[bad] = 0.0
        H[bad] = eye
        # active set: parameters at a bound whose gradient pushes them outside stay put
        at_lo = (Ua <= problem.lower + 1e-12) & (g > 0)
        at_hi = (Ua >= problem.upper - 1e-12) & (g < 0)
        frozen = at_lo | at_hi
        diag = np.maximum(np.einsum("bkk->bk", H), 1e-12 * (1.0 + np.abs(np.einsum("bkk->bk", H)).max(axis=1, keepdims=True)))
        Hd = H + (lam[idx, None] * diag)[:, :, None] * eye
        keep = ~frozen
        Hd = Hd * keep[:, :, None] * keep[:, None, :] + eye * frozen[:, :, None]
        gm = np.where(frozen, 0.0, g)
        step = -problem.solve(Hd, gm)
        step = np.where(np.isfinite(step), step, 0.0)
        Un = np.clip(Ua + step, problem.lower, problem.upper)
        fn = problem.objective(Un, Wa)
        nfev += 1
        fa = f[idx]
        ok = fn < fa
        # accept
        dec = np.where(ok, fa - fn, 0.0)
        moved = np.max(np.abs(Un - Ua), axis=1)
        U[idx[ok]] = Un[ok]
        f[idx[ok]] = fn[ok]
        lam[idx] = np.where(ok, np.maximum(lam[idx] / 3.0, 1e-12), np.minimum(lam[idx] * 4.0, 1e12))
        small = (dec <= ftol * (np.abs(fa) + 1e-300)) & ok | (moved <= xtol) | bad
        stall[idx] = np.where(small | (~ok & (lam[idx] >= 1e12)), stall[idx] + 1, 0)
        done = (stall[idx] >= 3) | (lam[idx] >= 1e12)
        converged[idx[done]] = True
        active[idx[done]] = False
    return LMResult(U, f, converged, it, nfev)
