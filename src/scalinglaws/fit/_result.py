"""The :class:`FitResult`: parameters, intervals, predictions, diagnostics, provenance."""

from __future__ import annotations

import copy
import json
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .. import __version__
from .._env import environment
from .._errors import FitWarning, InputError, LawError
from ..laws import FormulaLaw, Law, catalogue_entry, formula_law, get_law
from ..laws._catalogue import with_bounds
from . import _solver

STATUSES = ("converged", "at_bound", "ill_conditioned", "iteration_limit", "failed")


def law_spec(law: Law) -> dict:
    """A JSON-ready description from which :func:`law_from_spec` rebuilds the law.

    Parameters
    ----------
    law : Law
        A catalogue law or a formula law.

    Returns
    -------
    dict
        ``{"kind": "catalogue", "name"}`` (with ``n_inputs`` for a law whose number of
        inputs varies, and ``bounds`` where they differ from the catalogue's) for a
        catalogue law; otherwise ``{"kind": "formula", "name", "formula", "inputs",
        "bounds"}``, with only the finite bounds and infinities written as
        ``"inf"``/``"-inf"``.

    Raises
    ------
    LawError
        If the law is neither in the catalogue nor a formula law.
    """
    try:
        entry = catalogue_entry(law.name)
    except LawError:
        entry = None
    if entry is not None and law.reference != "user-defined":
        spec: dict[str, Any] = {"kind": "catalogue", "name": law.name}
        if entry.variadic:
            spec["n_inputs"] = len(law.inputs)
        # bounds set by the user (--bound) differ from the catalogue's: they are recorded
        own = get_law(law.name, n_inputs=spec.get("n_inputs"))
        changed = {p.name: [_num(p.lower), _num(p.upper)] for p, q in zip(law.params, own.params)
                   if (p.lower, p.upper) != (q.lower, q.upper)}
        if changed:
            spec["bounds"] = changed
        return spec
    if not isinstance(law, FormulaLaw):
        raise LawError(f"cannot record law {law.name!r}: it is neither in the catalogue nor a "
                       "formula")
    bounds = {p.name: [_num(p.lower), _num(p.upper)] for p in law.params
              if math.isfinite(p.lower) or math.isfinite(p.upper)}
    return {"kind": "formula", "name": law.name, "formula": law.formula,
            "inputs": list(law.inputs), "bounds": bounds}


def law_from_spec(spec: Mapping[str, Any]) -> Law:
    """Rebuild a law recorded by :func:`law_spec`.

    Parameters
    ----------
    spec : mapping
        A record with ``kind`` ``"catalogue"`` (``name``, optional ``n_inputs`` and ``bounds``) or
        ``"formula"`` (``formula``, ``inputs``, optional ``bounds`` and ``name``).

    Returns
    -------
    Law

    Raises
    ------
    InputError
        If ``spec`` is not a mapping, ``kind`` is neither ``"catalogue"`` nor ``"formula"``,
        or an entry the kind needs is missing.
    LawError
        If the catalogue name is unknown or the formula is invalid.
    """
    if not isinstance(spec, Mapping):
        raise InputError("a law record must be a mapping such as {'kind': 'catalogue', 'name': "
                         f"'chinchilla'}}, not {type(spec).__name__}")
    kind = spec.get("kind")
    need = {"catalogue": ("name",), "formula": ("formula", "inputs")}.get(kind, ())
    missing = [k for k in need if k not in spec]
    if missing:
        raise InputError(f"the {kind} law record has no {' or '.join(map(repr, missing))} "
                         f"entr{'y' if len(missing) == 1 else 'ies'}")
    if kind == "catalogue":
        law = get_law(spec["name"], n_inputs=spec.get("n_inputs"))
        bounds = {k: (float(v[0]), float(v[1])) for k, v in (spec.get("bounds") or {}).items()}
        return with_bounds(law, bounds) if bounds else law
    if kind == "formula":
        bounds = {k: (float(v[0]), float(v[1])) for k, v in spec.get("bounds", {}).items()}
        return formula_law(spec["formula"], spec["inputs"], bounds=bounds, name=spec.get("name"))
    raise InputError(f"unrecognised law record {dict(spec)!r}")


def _check_level(level) -> float:
    try:
        level = float(level)
    except (TypeError, ValueError):
        raise InputError(f"level must be a number between 0 and 1 (e.g. 0.95), got "
                         f"{level!r}") from None
    if not 0 < level < 1:
        raise InputError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    return level


def _num(x: float):
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x)



@dataclass(frozen=True, eq=False)
class FitResult:
    """The outcome of a fit; build it with :meth:`Fitter.fit`.

    Its attributes cannot be reassigned and its arrays are read-only. Its mappings
    (``metrics``, ``diagnostics``, ``data``, ``provenance``) are plain dicts shared with the
    result: read them, and change a copy (:meth:`to_dict` returns one).

    Attributes
    ----------
    law : Law
        The fitted law.
    theta : ndarray, shape (G, P)
        Fitted parameters, one row per group (one row when there are no groups).
    groups : list of str or None
        Group labels, or ``None`` for an ungrouped fit.
    draws : ndarray, shape (B, G, P), or None
        Bootstrap refits.
    status : str
        ``"converged"``, ``"at_bound"``, ``"ill_conditioned"``, ``"iteration_limit"`` (the
        solver stopped before converging) or ``"failed"``.
    warnings : tuple of str
        Every soft problem found, in words.
    diagnostics : dict
        Outliers, influential points, parameters at bounds, condition number.
    provenance : dict
        Package version, data hash and source, fitter settings, seed.
    """

    law: Law
    spec: Mapping[str, Any]
    inputs: Mapping[str, str]
    target: str
    theta: np.ndarray
    groups: list[str] | None
    shared: tuple[str, ...]
    objective: float
    n: int
    status: str
    warnings: tuple[str, ...]
    metrics: Mapping[str, float]
    diagnostics: Mapping[str, Any]
    residuals: np.ndarray
    fitted: np.ndarray
    data: Mapping[str, Any]
    provenance: Mapping[str, Any]
    space: str = "log"
    level: float = 0.95
    draws: np.ndarray | None = None
    _codes: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        for name in ("theta", "residuals", "fitted", "draws", "_codes"):
            a = getattr(self, name)
            if isinstance(a, np.ndarray) and a.flags.writeable:
                a = a.copy()
                a.setflags(write=False)
                object.__setattr__(self, name, a)

    # ------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, *, law, spec, data, X, y, codes, labels, theta, objective, converged, draws,
              fitter, problems, joint, n_failed=0) -> FitResult:
        """Assemble a result and its diagnostics (used by :class:`Fitter`).

        Every warning found is also emitted as a :class:`FitWarning`.

        Parameters
        ----------
        law : Law
            The fitted law.
        spec : mapping
            Its record from :func:`law_spec`.
        data : Dataset
            The data fitted (for its columns, target, rows, groups, hash and provenance).
        X : mapping of str to ndarray
            Input values of the rows fitted, keyed by the law's input names.
        y : ndarray
            Target values of those rows.
        codes : ndarray of int
            Group index of each row (into ``labels``; all zeros without groups).
        labels : list of str
            Group labels, one per row of ``theta``.
        theta : ndarray, shape (G, P)
            Fitted parameters, one row per group.
        objective : float
            Final value of the objective (summed over groups).
        converged : bool
            Whether every solve converged before its iteration limit.
        draws : ndarray, shape (B, G, P), or None
            Bootstrap refits.
        fitter : Fitter
            The fitter, for its residual space, level, shared parameters, settings and seed.
        problems : list of solver problems
            One per group, for the condition number and the influence of each run.
        joint : solver problem or None
            The joint problem when parameters are shared across groups; it then replaces
            ``problems`` in the diagnostics.
        n_failed : int, default 0
            Bootstrap refits that failed and were dropped (reported as a warning).

        Returns
        -------
        FitResult
            With its status (``failed``, ``iteration_limit``, ``at_bound``, ``ill_conditioned``
            or ``converged``), warnings, metrics, diagnostics, data and provenance.
        """
        grouped = getattr(data, "group", None) is not None
        th_rows = theta[codes]
        pred = np.asarray(law.predict(X, th_rows[None]))[0]
        r = _solver.residuals(pred, y, fitter.space)
        warns: list[str] = []
        status = "converged"
        if not np.isfinite(objective) or not np.all(np.isfinite(pred)):
            status = "failed"
            warns.append("the objective is not finite at the reported parameters")
        at_bound = _at_bounds(law, theta, labels if grouped else None, X, y)
        cond = _condition(problems, joint, theta, codes)
        diag: dict[str, Any] = {"at_bound": at_bound, "condition_number": cond}
        if at_bound and status == "converged":
            status = "at_bound"
        for b in at_bound:
            where = f" in group {b['group']!r}" if b.get("group") is not None else ""
            if b.get("floor") is not None:
                warns.append(f"parameter {b['param']}{where} is at {b['floor']:.3g}, the "
                             "smallest value the fitter tries for it (25 e-folds below the "
                             "size the data suggests; its lower bound is 0): the optimum may "
                             f"lie below; set --bound {b['param']}=LO:HI with a smaller LO "
                             "(bounds= of formula_law in Python), or rescale the data")
                continue
            warns.append(f"parameter {b['param']}{where} is at its {b['side']} bound "
                         f"{b['bound']:g}: the optimum may lie outside; widen it with --bound "
                         "(bounds= in Python) or treat this value with care")
        if cond is not None and (not np.isfinite(cond) or cond > 1e12):
            if status == "converged":
                status = "ill_conditioned"
            warns.append(f"the problem is ill-conditioned (condition number {cond:.2g}): some "
                         "parameters are not separately identifiable from these data")
        if not converged and status != "failed":
            status = "iteration_limit"
            warns.append("the solver stopped at its iteration limit before converging: the "
                         "parameters may not be the optimum; more starts (--starts; n_starts=) "
                         "or a higher limit (--max-iter; max_iter=) may help")
        rows = np.asarray(data.rows) if getattr(data, "rows", None) is not None else np.arange(len(y)) + 1
        diag["outliers"] = _outliers(r, rows)
        diag["influence"] = _influence(problems, joint, theta, codes, r, rows, fitter)
        if diag["outliers"]:
            warns.append(f"{len(diag['outliers'])} outlying run(s) (robust z > 3.5), first at "
                         f"row {diag['outliers'][0]['row']}")
        if n_failed:
            warns.append(f"{n_failed} bootstrap refit(s) failed and were dropped")
        n_shared = len(fitter.shared) if grouped else 0
        n_fitted = theta.shape[0] * (theta.shape[1] - n_shared) + n_shared
        if len(y) <= n_fitted:
            warns.append(f"{len(y)} runs for {n_fitted} parameters: the law can pass through "
                         "every run, so its R² and intervals say nothing about how well it "
                         "fits; add runs or fit a law with fewer parameters")
        with np.errstate(all="ignore"):
            ss_res = float(np.sum((pred - y) ** 2))
            ss_tot = float(np.sum((y - y.mean()) ** 2))
        metrics = {
            "rmse": math.sqrt(ss_res / len(y)),
            "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan"),
            "rmse_log": float(np.sqrt(np.mean((np.log(pred) - np.log(y)) ** 2)))
            if np.all(pred > 0) and np.all(y > 0) else float("nan"),
            "mae": float(np.mean(np.abs(pred - y))),
        }
        provenance = {
            "package": "scalinglaws",
            "version": __version__,
            "environment": environment(),
            "data_hash": data.hash(),
            "data_source": getattr(data, "source", None),
            "rows_dropped": int(getattr(data, "n_dropped", 0)),
            "rows_excluded": int(getattr(data, "n_excluded", 0)),
            "fitter": fitter.settings(),
            "seed": fitter.seed,
        }
        datad = {
            "X": {k: v.tolist() for k, v in X.items()},
            "y": y.tolist(),
            "rows": [int(x) for x in rows],
            "group": [labels[c] for c in codes] if grouped else None,
            "group_column": getattr(data, "group_column", None) if grouped else None,
        }
        res = cls(law=law, spec=spec, inputs=dict(data.columns), target=data.target, theta=theta,
                  groups=labels if grouped else None, shared=tuple(fitter.shared),
                  objective=objective, n=len(y), status=status, warnings=tuple(warns),
                  metrics=metrics, diagnostics=diag, residuals=r, fitted=pred, data=datad,
                  provenance=provenance, space=fitter.space, level=fitter.level, draws=draws,
                  _codes=codes)
        for w in warns:
            warnings.warn(w, FitWarning, stacklevel=4)
        return res

    # ------------------------------------------------------------------------------------------
    @property
    def params(self) -> dict:
        """Fitted values: ``{name: value}``, or ``{group: {name: value}}`` with groups."""
        names = self.law.param_names
        if self.groups is None:
            return {n: float(v) for n, v in zip(names, self.theta[0])}
        return {g: {n: float(v) for n, v in zip(names, self.theta[i])}
                for i, g in enumerate(self.groups)}

    def ci(self, level: float | None = None) -> dict:
        """Percentile bootstrap intervals of the parameters, same nesting as :attr:`params`.

        Parameters
        ----------
        level : float, optional
            Coverage of the intervals, strictly between 0 and 1 (default: the fit's level,
            0.95 unless set); NaN draws are ignored.

        Returns
        -------
        dict
            ``{name: (low, high)}``, or ``{group: {name: (low, high)}}`` with groups.

        Raises
        ------
        InputError
            If the fit has no bootstrap draws, or ``level`` is not a number between 0 and 1.
        """
        if self.draws is None or len(self.draws) == 0:
            raise InputError("this fit has no bootstrap draws: fit again with --bootstrap K "
                             "(bootstrap=K in Python, e.g. 1000) to get intervals")
        level = _check_level(self.level if level is None else level)
        q = 100 * np.array([(1 - level) / 2, (1 + level) / 2])
        lo, hi = np.nanpercentile(self.draws, q, axis=0)
        names = self.law.param_names
        if self.groups is None:
            return {n: (float(lo[0, j]), float(hi[0, j])) for j, n in enumerate(names)}
        return {g: {n: (float(lo[i, j]), float(hi[i, j])) for j, n in enumerate(names)}
                for i, g in enumerate(self.groups)}

    def _rows_theta(self, n: int, group) -> tuple[np.ndarray, np.ndarray]:
        if self.groups is None:
            if group is not None:
                raise InputError(f"group {group!r} given, but this fit has no groups")
            return np.zeros(n, dtype=int), self.theta
        if group is None:
            if len(self.groups) == 1:
                return np.zeros(n, dtype=int), self.theta
            raise InputError(f"this fit has one set of parameters per group; name the group "
                             f"(one of {', '.join(self.groups[:10])})")
        labels = np.asarray(group, dtype=object)
        if labels.ndim > 1 or (labels.ndim == 1 and len(labels) not in (1, n)):
            raise InputError(f"group: give one label, or one per point ({n}), not "
                             f"{labels.shape[0] if labels.ndim == 1 else labels.shape}")
        gs = np.broadcast_to(labels.astype(str), (n,))
        unknown = sorted(set(gs) - set(self.groups))
        if unknown:
            raise InputError(f"unknown group '{unknown[0]}'; groups: {', '.join(self.groups[:10])}")
        pos = {g: i for i, g in enumerate(self.groups)}
        return np.array([pos[g] for g in gs]), self.theta

    def predict(self, X: Mapping[str, Any], *, group=None, level: float | None = None,
                seed: int = 0) -> dict[str, np.ndarray]:
        """Predict at new inputs, with intervals when the fit has bootstrap draws.

        Parameters
        ----------
        X : mapping
            Input values keyed by the law's input names (scalars or equal-length arrays).
        group : str or array of str, optional
            Group of each point, for fits with per-group parameters.
        level : float, optional
            Interval level (default: the fit's level).
        seed : int
            Seed for the residual noise added to prediction intervals.

        Returns
        -------
        dict
            ``"prediction"``; with draws also ``"ci_low"``, ``"ci_high"`` (confidence interval of
            the mean: parameter uncertainty only) and ``"pi_low"``, ``"pi_high"`` (prediction
            interval of a new run: parameter uncertainty plus the fit's residual noise).

        Raises
        ------
        InputError
            A missing input. Values outside the law's domain are not refused
            here (the prediction there is NaN or infinite); the ``predict`` command refuses
            them.
        """
        if not isinstance(X, Mapping):
            raise InputError("X must be a mapping of input name to values, e.g. "
                             f"{{{', '.join(repr(k) + ': ...' for k in self.law.inputs)}}}")
        extra = [k for k in X if k not in self.law.inputs]
        if extra:
            raise InputError(f"unknown input {extra[0]!r}: the law's inputs are "
                             f"{', '.join(self.law.inputs)}")
        Xa = {}
        for k in self.law.inputs:
            if k not in X:
                raise InputError(f"missing input {k!r}: the law's inputs are "
                                 f"{', '.join(self.law.inputs)}")
            try:
                Xa[k] = np.atleast_1d(np.asarray(X[k], dtype=float))
            except (TypeError, ValueError):
                raise InputError(f"input {k!r}: values must be numbers") from None
            if Xa[k].ndim != 1:
                raise InputError(f"input {k!r}: give a number or a 1-D array, not shape "
                                 f"{Xa[k].shape}")
        if any(len(v) == 0 for v in Xa.values()):
            raise InputError("no points to predict: the inputs are empty")
        sizes = {len(v) for v in Xa.values()} - {1}
        if len(sizes) > 1:
            raise InputError("the inputs have different lengths ("
                             + ", ".join(f"{k}: {len(v)}" for k, v in Xa.items())
                             + "); give arrays of one length, or scalars")
        n = max(len(v) for v in Xa.values())
        Xa = {k: np.broadcast_to(v, (n,)) for k, v in Xa.items()}
        if level is not None:
            level = _check_level(level)
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {seed!r}")
        codes, theta = self._rows_theta(n, group)
        out = {"prediction": np.asarray(self.law.predict(Xa, theta[codes][None]))[0]}
        if self.draws is None or len(self.draws) == 0:
            return out
        level = _check_level(self.level if level is None else level)
        q = 100 * np.array([(1 - level) / 2, (1 + level) / 2])
        sims = np.asarray(self.law.predict(Xa, self.draws[:, codes, :]))  # (B, n)
        out["ci_low"], out["ci_high"] = np.nanpercentile(sims, q, axis=0)
        rng = np.random.default_rng(seed)
        # several noise samples per draw so that the PI's tails are not limited by B
        reps = max(1, math.ceil(4000 / len(sims)))
        sims = np.repeat(sims, reps, axis=0)
        noise = np.empty_like(sims)
        for c in np.unique(codes):
            own = self.residuals[self._codes == c] if self._codes is not None else self.residuals
            pool = own if len(own) >= 5 else self.residuals
            pool = pool[np.isfinite(pool)]
            m = codes == c
            # one residual per draw, shared by the points of a call: bands stay smooth in x
            noise[:, m] = pool[rng.integers(0, len(pool), size=len(sims))][:, None]
        noisy = sims * np.exp(noise) if self.space == "log" else sims + noise
        out["pi_low"], out["pi_high"] = np.nanpercentile(noisy, q, axis=0)
        return out

    # ------------------------------------------------------------------------------------------
    def summary(self) -> str:
        """A readable report: parameters with intervals, fit statistics, status, diagnostics."""
        from .._format import fit_summary

        return fit_summary(self)

    def to_dict(self) -> dict:
        """JSON-ready dict with full precision (see :meth:`from_dict`)."""
        d: dict[str, Any] = {
            "law": self.law.name,
            "law_spec": dict(self.spec),
            "formula": self.law.formula,
            "inputs": dict(self.inputs),
            "target": self.target,
            "params": self.params,
            "groups": self.groups,
            "shared": list(self.shared),
            "level": self.level,
            "objective": self.objective,
            "n": self.n,
            "status": self.status,
            "warnings": list(self.warnings),
            "metrics": dict(self.metrics),
            "diagnostics": self.diagnostics,
            "space": self.space,
            "provenance": dict(self.provenance),
        }
        if self.draws is not None and len(self.draws):
            d["ci"] = self.ci()
            d["n_draws"] = int(len(self.draws))
            d["draws"] = self.draws.tolist()
        d["residuals"] = [float(x) for x in self.residuals]
        d["fitted"] = [float(x) for x in self.fitted]
        d["data"] = self.data
        return copy.deepcopy(d)  # the caller may change the record; the result stays as it is

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FitResult:
        """Rebuild a result saved with :meth:`to_dict`.

        Parameters
        ----------
        d : mapping
            The record, as written by :meth:`to_dict` or read back from :meth:`to_json` text.

        Returns
        -------
        FitResult

        Raises
        ------
        InputError
            If the dict is not a saved fit, or a damaged one (missing or malformed entries,
            non-finite parameters, sizes that do not match).
        """
        try:
            law = law_from_spec(d["law_spec"])
            groups = d.get("groups")
            names = law.param_names
            if groups is None:
                theta = np.array([[float(d["params"][n]) for n in names]])
            else:
                theta = np.array([[float(d["params"][g][n]) for n in names] for g in groups])
            draws = np.array(d["draws"], dtype=float) if d.get("draws") else None
            data = d["data"]
            codes = None
            if groups is not None and data.get("group") is not None:
                pos = {g: i for i, g in enumerate(groups)}
                codes = np.array([pos[g] for g in data["group"]])
            elif groups is None:
                codes = np.zeros(int(d["n"]), dtype=int)
            n = int(d["n"])
            residuals = np.array(d["residuals"], dtype=float)
            space, level = d.get("space", "log"), float(d.get("level", 0.95))
            X = data["X"]
            problems = []
            if not np.all(np.isfinite(theta)):
                problems.append("a parameter that is not a finite number")
            if draws is not None and (draws.ndim != 3 or draws.shape[1:] != theta.shape):
                problems.append(f"bootstrap draws of shape {draws.shape}, not (B, "
                                f"{theta.shape[0]}, {theta.shape[1]})")
            if residuals.shape != (n,):
                problems.append(f"{residuals.size} residuals for {n} runs")
            if not isinstance(X, Mapping) or any(len(X.get(k, ())) != n for k in law.inputs) \
                    or len(data["y"]) != n:
                problems.append(f"data that is not {n} runs of {', '.join(law.inputs)}")
            if space not in ("log", "raw"):
                problems.append(f"space {space!r} (not 'log' or 'raw')")
            if not 0 < level < 1:
                problems.append(f"level {level:g} (not between 0 and 1)")
            if problems:
                raise InputError(f"not a saved fit, or a damaged one: {'; '.join(problems)}; "
                                 "produce it again with 'scalinglaws fit ... -o FIT.json'")
            return cls(law=law, spec=d["law_spec"], inputs=d["inputs"], target=d["target"],
                       theta=theta, groups=groups, shared=tuple(d.get("shared", ())),
                       objective=float(d["objective"]), n=n, status=d["status"],
                       warnings=tuple(d.get("warnings", ())), metrics=d.get("metrics", {}),
                       diagnostics=d.get("diagnostics", {}),
                       residuals=residuals,
                       fitted=np.array(d.get("fitted", []), dtype=float), data=data,
                       provenance=d.get("provenance", {}), space=space,
                       level=level, draws=draws, _codes=codes)
        except InputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            what = f"'{exc.args[0]}'" if isinstance(exc, KeyError) else str(exc)
            raise InputError(f"not a saved fit (missing or malformed: {what}); produce one with "
                             "'scalinglaws fit ... -o FIT.json'") from None

    def to_json(self, **kwargs) -> str:
        """The :meth:`to_dict` record as strict JSON text (NaN as null, infinity as ``"inf"``).

        Parameters
        ----------
        **kwargs
            Passed to :func:`json.dumps` (``indent``, ``sort_keys``...); ``allow_nan`` is set
            to False and cannot be given.

        Returns
        -------
        str
        """
        from .._format import json_ready

        return json.dumps(json_ready(self.to_dict()), allow_nan=False, **kwargs)

    def __repr__(self) -> str:
        return (f"<FitResult {self.law.name}: status={self.status}, n={self.n}, "
                f"objective={self.objective:.6g}>")


# ---------------------------------------------------------------------------------------------
# diagnostics


def _at_bounds(law: Law, theta: np.ndarray, labels, X, y) -> list[dict]:
    out = []
    scale = _solver.target_scale(law, y)
    lo_u, hi_u, is_log = _solver.internal_bounds(law, X, y, scale)
    units = _solver.param_units(law, scale)
    for g in range(theta.shape[0]):
        for j, p in enumerate(law.params):
            v = theta[g, j]
            for side, bound in (("lower", p.lower), ("upper", p.upper)):
                if not math.isfinite(bound):
                    continue
                floor = None
                if is_log[j] and side == "lower" and bound == 0:
                    floor = math.exp(lo_u[j]) * units[j]
                    hit = v <= floor * math.e  # pinned near the internal floor
                elif is_log[j] and bound > 0:  # a scale parameter: a relative test
                    hit = abs(v - bound) <= 1e-6 * bound
                else:  # in the unit the parameter was fitted in
                    hit = abs(v - bound) <= 1e-6 * (units[j] + abs(bound))
                if hit:
                    rec = {"param": p.name, "side": side, "bound": float(bound),
                           "group": labels[g] if labels is not None else None}
                    if floor is not None:
                        rec["floor"] = floor
                    out.append(rec)
    return out


def _jacobians(problems, joint, theta, codes):
    """Residual-space Jacobians at the fit, one per independent problem."""
    if joint is not None:
        from ._fitter import _pack

        U = joint.internal(_pack(joint, theta))[None]
        pairs = [(joint, U, np.ones(len(joint.y), bool))]
    else:
        pairs = [(pb, pb.internal(theta[g])[None], codes == g) for g, pb in enumerate(problems)]
    for pb, U, mask in pairs:
        pred, J = pb.model(U, jac=True)
        J = J[0]
        if pb.space == "log":
            with np.errstate(all="ignore"):
                J = J / pred[0][:, None]
        yield pb, J, mask


def _condition(problems, joint, theta, codes) -> float | None:
    worst = 0.0
    for _, J, _ in _jacobians(problems, joint, theta, codes):
        H = J.T @ J
        d = np.sqrt(np.abs(np.diag(H)))
        if not np.all(np.isfinite(H)):
            return float("inf")
        if np.any(d == 0):
            worst = math.inf
            continue
        C = H / np.outer(d, d)
        ev = np.linalg.eigvalsh(C)
        c = float(ev[-1] / ev[0]) if ev[0] > 0 else math.inf
        worst = max(worst, c)
    return worst


def _outliers(r: np.ndarray, rows: np.ndarray, z_max: float = 3.5) -> list[dict]:
    rr = r[np.isfinite(r)]
    if rr.size < 5:
        return []
    med = np.median(rr)
    mad = 1.4826 * np.median(np.abs(rr - med))
    if mad <= 0:
        return []
    z = (r - med) / mad
    idx = np.flatnonzero(np.abs(z) > z_max)
    idx = idx[np.argsort(-np.abs(z[idx]))]
    return [{"row": int(rows[i]), "residual": float(r[i]), "z": float(z[i])} for i in idx[:20]]


def _influence(problems, joint, theta, codes, r, rows, fitter, top: int = 5) -> list[dict]:
    """Leverage and Cook's distance from the Gauss-Newton hat matrix; the most influential runs."""
    out = []
    n = len(r)
    lev = np.zeros(n)
    cook = np.zeros(n)
    for pb, J, mask in _jacobians(problems, joint, theta, codes):
        p = J.shape[1]
        try:
            Q, _ = np.linalg.qr(J)
        except np.linalg.LinAlgError:
            continue
        h = np.clip(np.sum(Q * Q, axis=1), 0, 1 - 1e-12)
        rm = r[mask]
        s2 = np.sum(rm ** 2) / max(1, len(rm) - p)
        with np.errstate(all="ignore"):
            c = rm ** 2 / (p * s2) * h / (1 - h) ** 2
        lev[mask] = h
        cook[mask] = np.where(np.isfinite(c), c, 0.0)
    if not np.any(cook > 0):
        return out
    order = np.argsort(-cook)[:top]
    for i in order:
        out.append({"row": int(rows[i]), "leverage": float(lev[i]), "cooks_distance": float(cook[i]),
                    "high": bool(cook[i] > 4.0 / n)})
    return out
