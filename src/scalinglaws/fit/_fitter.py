"""The :class:`Fitter`: configuration only; :meth:`Fitter.fit` returns a new :class:`FitResult`."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from typing import Any, Callable, Literal, Mapping, Sequence

import numpy as np

from .._checks import DATA_HINT, LAW_HINT, require_type
from .._errors import FitError, FitWarning, InputError
from ..laws import Law
from . import _solver
from ._result import FitResult, law_spec

Progress = Callable[[int, int], None]

#: Fewest bootstrap refits that make a percentile interval (0 turns the bootstrap off).
MIN_BOOTSTRAP = 10


@dataclass(frozen=True)
class Fitter:
    """How to fit a law: objective, solver effort and resampling. Holds configuration only.

    Parameters
    ----------
    loss : {"huber", "l2"}
        Pointwise loss. ``"huber"`` (default) is the Chinchilla / Besiroglu et al. 2024 protocol.
    delta : float
        Huber threshold, in the units of the residuals (log-loss units in log space).
    space : {"log", "raw"}
        Residuals of log-predictions (``log f - log y``, default) or of raw predictions.
    n_starts : int
        Size of the grid of starting points for the non-linear parameters (the linear ones are
        solved exactly for each start).
    n_polish : int
        How many of the best starts are polished by the robust Levenberg-Marquardt solver.
    max_iter : int
        Iteration limit of the solver.
    seed : int
        Seed for every random choice (Sobol scrambling, bootstrap resampling).
    shared : tuple of str
        With groups: parameters shared by all groups (the others are fitted per group).
    bootstrap : int
        Number of bootstrap refits: 0 for none, else at least :data:`MIN_BOOTSTRAP` (fewer
        draws cannot make a percentile interval; 1000 is typical).
    bootstrap_unit : {"runs", "groups"}
        Resample observations (stratified by group) or whole groups.
    level : float
        Default confidence level of reported intervals.
    """

    loss: Literal["huber", "l2"] = "huber"
    delta: float = 1e-3
    space: Literal["log", "raw"] = "log"
    n_starts: int = 1024
    n_polish: int = 8
    max_iter: int = 300
    seed: int = 0
    shared: tuple[str, ...] = ()
    bootstrap: int = 0
    bootstrap_unit: Literal["runs", "groups"] = "runs"
    level: float = 0.95

    def __post_init__(self) -> None:
        for name in ("n_starts", "n_polish", "max_iter", "seed", "bootstrap"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise InputError(f"{name} must be an integer, got {v!r}")
            object.__setattr__(self, name, int(v))  # numpy integers are not JSON
        for name in ("delta", "level"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise InputError(f"{name} must be a number, got {v!r}")
            object.__setattr__(self, name, float(v))
        if isinstance(self.shared, str):
            raise InputError(f"shared must be a sequence of parameter names, e.g. "
                             f"({self.shared!r},), not a string")
        object.__setattr__(self, "shared", tuple(self.shared or ()))
        if not all(isinstance(p, str) for p in self.shared):
            raise InputError(f"shared must hold parameter names (strings), got {self.shared!r}")
        if self.loss not in ("huber", "l2"):
            raise InputError(f"loss must be 'huber' or 'l2', got {self.loss!r}")
        if self.space not in ("log", "raw"):
            raise InputError(f"space must be 'log' or 'raw', got {self.space!r}")
        if not (self.delta > 0 and math.isfinite(self.delta)):
            raise InputError(f"the Huber delta must be a positive number, got {self.delta!r}")
        if self.n_starts < 1 or self.n_polish < 1 or self.max_iter < 1:
            raise InputError("n_starts, n_polish and max_iter must be at least 1")
        if self.bootstrap < 0 or 0 < self.bootstrap < MIN_BOOTSTRAP:
            raise InputError(f"bootstrap must be 0 (no intervals) or at least {MIN_BOOTSTRAP} "
                             f"refits, got {self.bootstrap}; 1000 gives stable 95% intervals")
        if self.seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {self.seed}")
        if self.bootstrap_unit not in ("runs", "groups"):
            raise InputError("bootstrap_unit must be 'runs' or 'groups'")
        if not 0 < self.level < 1:
            raise InputError(f"level must be between 0 and 1 (e.g. 0.95), got {self.level}")

    def settings(self) -> dict:
        """The configuration as a JSON-ready dict (recorded in every result's provenance)."""
        d = asdict(self)
        d["shared"] = list(self.shared)
        return d

    # ------------------------------------------------------------------------------------------
    def fit(self, law: Law, data, *, progress: Progress | None = None) -> FitResult:
        """Fit ``law`` to ``data``.

        Parameters
        ----------
        law : Law
            A catalogue law (:func:`scalinglaws.get_law`) or a formula law.
        data : Dataset
            Validated data (:func:`scalinglaws.load_dataset`); its ``X`` keys must be the law's
            inputs. Groups, when present, get their own parameters except those in ``shared``.
            Every row is fitted: pass ``data.train()`` to leave a test split out.
        progress : callable, optional
            Called as ``progress(done, total)`` during the bootstrap.

        Returns
        -------
        FitResult

        Raises
        ------
        InputError
            If a shared name is not a parameter, a value of the data is not finite, or there
            are fewer distinct scales than parameters.
        FitError
            If no starting point gives a finite objective.

        Warns
        -----
        FitWarning
            When the data has rows labelled ``test``: they are fitted too.
        """
        _check_law_and_data(law, data)
        for name in self.shared:
            law.param(name)  # raises for an unknown name
        missing = [k for k in law.inputs if k not in data.X]
        if missing:
            raise InputError(f"the data has no column for input(s) {', '.join(map(repr, missing))} "
                             f"of law {law.name!r} (its inputs: {', '.join(data.X) or 'none'}); "
                             "map them with --input NAME=COLUMN (the mapping of make_dataset "
                             "in Python)")
        split = getattr(data, "split", None)
        n_test = 0 if split is None else int(np.sum(np.asarray(split) == "test"))
        if n_test:
            warnings.warn(f"the data has {n_test} test row(s) of {len(split)} and they are "
                          "fitted with the others; fit data.train() to keep the test split "
                          "out, as the fit command does by default", FitWarning, stacklevel=2)
        X, y = _finite_data(law, data)
        if self.space == "log" and np.any(y <= 0):
            i = int(np.argmax(y <= 0))
            row = int(data.rows[i]) if getattr(data, "rows", None) is not None else i + 1
            raise InputError(f"target column {data.target!r} row {row}: {y[i]:g} must be > 0 to "
                             "fit in log space; use --space raw (space='raw' in Python)")
        labels, codes = _group_codes(data)
        G = len(labels)
        if self.shared and getattr(data, "group", None) is None:
            raise InputError(f"shared parameters ({', '.join(self.shared)}) are shared across "
                             "groups, and this data has none: give the data a group column "
                             "(--group COLUMN; group= of make_dataset) or share nothing")
        if self.bootstrap and self.bootstrap_unit == "groups" and G < 2:
            raise InputError("--bootstrap-unit groups (bootstrap_unit='groups') resamples whole "
                             "groups and needs two or more: give the data a group column "
                             "(--group COLUMN; group= of make_dataset) or resample runs "
                             "(--bootstrap-unit runs)")
        if self.bootstrap and self.bootstrap_unit == "groups" and G > 1 and not self.shared:
            raise InputError("--bootstrap-unit groups (bootstrap_unit='groups') resamples whole "
                             "groups, which leaves per-group parameters unchanged: share some "
                             "(--share alpha; shared=('alpha',) in Python) or "
                             "resample runs (--bootstrap-unit runs)")
        n_free = law.n_params
        for g in range(G):
            sub = data.subset(codes == g) if G > 1 else data
            need = n_free if not self.shared else (n_free - len(self.shared))
            sub.require_distinct_scales(max(1, need), law_name=law.name)

        theta = np.empty((G, law.n_params))
        fvals = np.empty(G)
        conv = np.empty(G, bool)
        problems: list[_solver.Problem] = []
        scale = _solver.target_scale(law, y)
        for g in range(G):
            m = codes == g
            Xg = {k: v[m] for k, v in X.items()}
            pb = _solver.make_problem(law, Xg, y[m], loss=self.loss, delta=self.delta,
                                      space=self.space, scale=scale)
            U, f, c = self._minimise(pb, Xg, y[m])
            theta[g] = pb.natural(U)
            fvals[g], conv[g] = pb.natural_objective(f), c
            problems.append(pb)
        joint = None
        if self.shared and G > 1:
            joint = _solver.make_problem(law, X, y, groups=codes, shared=self.shared,
                                         loss=self.loss, delta=self.delta, space=self.space,
                                         scale=scale)
            U0 = _joint_starts(joint, theta, law, self.shared, X, y, codes, self.space)
            res = _solver.levenberg_marquardt(joint, U0, np.ones(len(y)), max_iter=self.max_iter * 2)
            b = int(np.argmin(res.f))
            if not np.isfinite(res.f[b]):
                raise FitError(f"{law.name}: the joint fit with shared {', '.join(self.shared)} "
                               "found no finite objective")
            theta = _unpack(joint, res.U[b], G, law.n_params)
            fvals = np.array([joint.natural_objective(res.f[b])])
            conv = np.array([bool(res.converged[b])])

        draws, n_failed = None, 0
        if self.bootstrap:
            draws, n_failed = self._bootstrap(law, X, y, codes, G, theta, problems, joint,
                                              progress)
        return FitResult.build(
            law=law, spec=law_spec(law), data=data, X=X, y=y, codes=codes, labels=labels,
            theta=theta, objective=float(np.sum(fvals)), converged=bool(np.all(conv)),
            draws=draws, n_failed=n_failed, fitter=self, problems=problems, joint=joint,
        )

    def at(self, law: Law, data, params: Mapping[str, Any]) -> FitResult:
        """A :class:`FitResult` for ``law`` at given parameters, with no optimisation.

        Useful for parameters chosen elsewhere (a published fit, or the components of a stacked
        law fitted one by one): the result carries the same diagnostics, predictions and
        provenance as a fit, with the objective evaluated at those values.

        Parameters
        ----------
        law : Law
        data : Dataset
            The data the parameters describe (its ``X`` keys are the law's inputs).
        params : mapping
            ``{parameter: value}``, or with groups ``{group label: {parameter: value}}`` for
            every group of ``data``.

        Returns
        -------
        FitResult

        Raises
        ------
        InputError
            If a group or a parameter value is missing or outside the parameter's bounds, or
            a value of the data is not finite, or a parameter is not one of the law's.
        """
        _check_law_and_data(law, data)
        require_type(params, Mapping, "params",
                     "a mapping of parameter name to value, e.g. {'E': 1.8, 'A': 480, ...}")
        X, y = _finite_data(law, data)
        labels, codes = _group_codes(data)
        G = len(labels)
        per_group = G > 1 or (params and isinstance(next(iter(params.values())), Mapping))
        theta = np.empty((G, law.n_params))
        for g, label in enumerate(labels):
            values = params if not per_group else (
                params.get(label) if label in params else
                next((v for k, v in params.items() if str(k) == label), None))
            if values is None:
                raise InputError(f"no parameters given for group {label!r}")
            if not isinstance(values, Mapping):
                raise InputError(f"the parameters of group {label!r} must be a mapping of "
                                 "parameter name to value")
            unknown = [str(n) for n in values if n not in law.param_names]
            if unknown:
                raise InputError(f"{', '.join(unknown)}: not a parameter of law {law.name!r} "
                                 f"(its parameters: {', '.join(law.param_names)})"
                                 + (f"; group {label!r}" if per_group else ""))
            missing = [n for n in law.param_names if n not in values]
            if missing:
                raise InputError(f"no value for parameter(s) {', '.join(missing)}"
                                 + (f" of group {label!r}" if per_group else ""))
            try:
                theta[g] = [float(values[n]) for n in law.param_names]
            except (TypeError, ValueError):
                raise InputError("parameter values must be numbers"
                                 + (f" (group {label!r})" if per_group else "")) from None
            for j, (p, v) in enumerate(zip(law.params, theta[g])):
                # a value a hair outside (bounds written with 6 digits) is taken as the bound
                slack = 1e-6 * max(abs(v), abs(p.lower) if math.isfinite(p.lower) else 0.0,
                                   abs(p.upper) if math.isfinite(p.upper) else 0.0, 1e-300)
                if not (math.isfinite(v) and p.lower - slack <= v <= p.upper + slack):
                    raise InputError(f"parameter {p.name} = {v:g}"
                                     + (f" (group {label!r})" if per_group else "")
                                     + f" is outside its bounds [{p.lower:g}, {p.upper:g}]")
                theta[g, j] = min(max(v, p.lower), p.upper)
        problems, fvals = [], np.empty(G)
        scale = _solver.target_scale(law, y)
        for g in range(G):
            m = codes == g
            pb = _solver.make_problem(law, {k: v[m] for k, v in X.items()}, y[m], loss=self.loss,
                                      delta=self.delta, space=self.space, scale=scale)
            f = pb.objective(pb.internal(theta[g])[None], np.ones(int(m.sum())))[0]
            fvals[g] = float(pb.natural_objective(f))
            problems.append(pb)
        return FitResult.build(
            law=law, spec=law_spec(law), data=data, X=X, y=y, codes=codes, labels=labels,
            theta=theta, objective=float(np.sum(fvals)), converged=True, draws=None, n_failed=0,
            fitter=self, problems=problems, joint=None,
        )

    # ------------------------------------------------------------------------------------------
    def _minimise(self, pb: _solver.Problem, X, y):
        w = np.ones(len(y))
        U, f = _solver.start_candidates(pb.law, X, y, w, n_starts=self.n_starts, seed=self.seed,
                                        space=self.space, loss=self.loss, delta=self.delta,
                                        problem=pb)
        finite = np.isfinite(f)
        if not finite.any():
            raise FitError(f"{pb.law.name}: no starting point gives a finite objective; check "
                           "that the law can produce the data's values (e.g. positive "
                           "predictions for a log-space fit), or set --bound to sensible ranges")
        U = U[finite][: self.n_polish]
        res = _solver.levenberg_marquardt(pb, U, w, max_iter=self.max_iter)
        b = int(np.argmin(res.f))
        better = _solver.repair_linear(pb, X, y, w, res.U[b], float(res.f[b]),
                                       max_iter=self.max_iter)
        if better is not None:
            return better
        return res.U[b], float(res.f[b]), bool(res.converged[b])

    def _bootstrap(self, law, X, y, codes, G, theta, problems, joint, progress):
        rng = np.random.default_rng(self.seed)
        B, n = self.bootstrap, len(y)
        W = np.zeros((B, n))
        absent = np.zeros((B, G), bool)
        if self.bootstrap_unit == "groups" and G > 1:
            picks = rng.integers(0, G, size=(B, G))
            counts = np.stack([np.bincount(p, minlength=G) for p in picks])
            W = counts[:, codes].astype(float)
            absent = counts == 0
        else:
            for g in range(G):
                idx = np.flatnonzero(codes == g)
                c = rng.multinomial(len(idx), np.full(len(idx), 1.0 / len(idx)), size=B)
                W[:, idx] = c
        draws = np.empty((B, G, law.n_params))
        chunk = 100
        done = 0
        if joint is not None:
            U_hat = joint.internal(_pack(joint, theta))
            for s in range(0, B, chunk):
                Wc = W[s:s + chunk]
                res = _solver.levenberg_marquardt(joint, np.repeat(U_hat[None], len(Wc), 0), Wc,
                                                  max_iter=self.max_iter)
                for k in range(len(Wc)):
                    draws[s + k] = _unpack(joint, res.U[k], G, law.n_params)
                done += len(Wc)
                if progress:
                    progress(done, B)
        else:
            total = B * G
            for g, pb in enumerate(problems):
                m = codes == g
                U_hat = pb.internal(theta[g])
                for s in range(0, B, chunk):
                    Wc = W[s:s + chunk][:, m]
                    res = _solver.levenberg_marquardt(pb, np.repeat(U_hat[None], len(Wc), 0), Wc,
                                                      max_iter=self.max_iter)
                    draws[s:s + len(Wc), g] = pb.natural(res.U)
                    done += len(Wc)
                    if progress:
                        progress(done, total)
        # a group left out of a resample has no data for its own parameters: the solver leaves
        # them at the estimate, which would narrow their intervals, so they count as missing
        own = np.array([p.name not in self.shared for p in law.params])
        missing = absent[:, :, None] & own[None, None, :]
        failed = np.any(~np.isfinite(draws) & ~missing, axis=(1, 2))
        draws[missing] = np.nan
        return draws[~failed], int(failed.sum())


def _finite_data(law: Law, data) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The law's inputs and the target as float arrays; an error naming the column and row of
    the first value that is not a finite number (a Dataset built by hand is not checked)."""
    rows = getattr(data, "rows", None)
    X = {k: np.asarray(data.X[k], float) for k in law.inputs}
    y = np.asarray(data.y, float)
    for what, v in [*((f"input {k!r}", a) for k, a in X.items()), (f"target {data.target!r}", y)]:
        bad = ~np.isfinite(v)
        if bad.any():
            i = int(np.argmax(bad))
            row = int(rows[i]) if rows is not None else i + 1
            raise InputError(f"{what} row {row}: {v[i]:g} is not a finite number; fix or drop "
                             "the row")
    return X, y


def _group_codes(data) -> tuple[list[str], np.ndarray]:
    g = getattr(data, "group", None)
    if g is None:
        return ["all"], np.zeros(len(data.y), dtype=int)
    labels, codes = np.unique(np.asarray(g).astype(str), return_inverse=True)
    return [str(x) for x in labels], codes.astype(int)


def _pack(problem: _solver.Problem, theta: np.ndarray) -> np.ndarray:
    """Full parameter vector (natural units) from per-group values ``(G, P)``; shared: median."""
    K = problem.K
    out = np.empty(K)
    slot_group = _slot_groups(problem, theta.shape[0])
    for k in range(K):
        j = problem.slot_param[k]
        gs = slot_group[k]
        out[k] = np.median(theta[gs, j]) if len(gs) > 1 else theta[gs[0], j]
    return out


def _slot_groups(problem: _solver.Problem, G: int) -> list[list[int]]:
    slot_group: list[list[int]] = [[] for _ in range(problem.K)]
    P = problem.law.n_params
    for j in range(P):
        first = problem.index[:, j].min()
        count = problem.index[:, j].max() - first + 1
        for g in range(G):
            k = first + (g if count > 1 else 0)
            if g not in slot_group[k]:
                slot_group[k].append(g)
    return slot_group


def _unpack(problem: _solver.Problem, U: np.ndarray, G: int, P: int) -> np.ndarray:
    theta = problem.natural(U)
    out = np.empty((G, P))
    for j in range(P):
        first = problem.index[:, j].min()
        count = problem.index[:, j].max() - first + 1
        for g in range(G):
            out[g, j] = theta[first + (g if count > 1 else 0)]
    return out


def _joint_starts(problem: _solver.Problem, theta: np.ndarray, law: Law,
                  shared: Sequence[str], X=None, y=None, codes=None,
                  space: str = "log") -> np.ndarray:
    """Starts for a joint fit: shared parameters at the median of the per-group fits, and at
    each quartile, per-group parameters at their own fits.

    When no linear parameter is shared and the data is given, each start also carries a copy
    whose per-group linear parameters are re-solved exactly for the shared values (the groups'
    own amplitudes may not suit a shared exponent, and can even make predictions negative).
    """
    sj = [law.param_names.index(s) for s in shared]
    lin = [law.param_names.index(n) for n in law.linear_params]
    resolve = X is not None and lin and not (set(sj) & set(lin))
    starts = []
    for q in (50, 25, 75):
        th = theta.copy()
        for j in sj:
            th[:, j] = np.percentile(theta[:, j], q)
        starts.append(_pack(problem, th))
        if resolve:
            th = th.copy()
            for g in range(th.shape[0]):
                m = codes == g
                Xg = {k: v[m] for k, v in X.items()}
                th[g, lin] = _solver._solve_linear(law, Xg, y[m], np.ones(int(m.sum())),
                                                   th[g][None, :], lin, space)[0]
            starts.append(_pack(problem, th))
    return problem.internal(np.array(starts))


def _check_law_and_data(law, data) -> None:
    from ..data import Dataset

    require_type(law, Law, "law", LAW_HINT)
    require_type(data, Dataset, "data", DATA_HINT)


def fit(law: Law, data, **options) -> FitResult:
    """Fit ``law`` to ``data`` with a :class:`Fitter` built from ``options``.

    Parameters
    ----------
    law : Law
    data : Dataset
    **options
        Any :class:`Fitter` field (``loss``, ``delta``, ``space``, ``seed``, ``bootstrap``...),
        and ``progress``, a callable ``progress(done, total)`` called during the bootstrap.

    Returns
    -------
    FitResult
    """
    progress = options.pop("progress", None)
    return Fitter(**options).fit(law, data, progress=progress)

