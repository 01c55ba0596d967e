"""A law with its parameter estimate and bootstrap draws, in the form the planners use.

Every planning computation is done at once for the estimate and for every bootstrap draw: the
parameter sets are stacked into one ``(S, P)`` array (row 0 the estimate, rows 1.. the draws)
and the law is evaluated on ``(S, m)`` input arrays, one row of inputs per parameter set.
Intervals are percentiles over the draws' answers, so every derived quantity carries the
fit's uncertainty without any linearisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .._checks import as_number
from .._errors import InputError
from ..laws import Law


@dataclass(frozen=True, eq=False)
class FittedLaw:
    """A law, a parameter estimate, optional bootstrap draws and how to read its inputs.

    Build one with :func:`as_fitted_law`.

    Attributes
    ----------
    law : Law
    theta : ndarray, shape (P,)
        The estimate.
    draws : ndarray, shape (B, P), or None
        Bootstrap draws (rows with a missing value are dropped).
    level : float
        Interval level.
    n_input, d_input : str
        The law's inputs that are the parameter count ``N`` and the training tokens ``D``.
    fixed : mapping
        Values for the law's other inputs (e.g. the unique tokens ``U`` of a data-constrained
        law), held fixed while planning.
    origin : str
        Where the numbers come from, in words (reported with every plan).
    group : str or None
        The group of a grouped fit that was used.
    provenance : dict
        The fit's provenance, when there is one.
    data_range : dict
        ``{input: (smallest, largest)}`` of the ``N`` and ``D`` inputs over the runs the
        fit saw (of its group, for a grouped fit); empty for given parameters.
    """

    law: Law
    theta: np.ndarray
    draws: np.ndarray | None
    level: float
    n_input: str
    d_input: str
    fixed: Mapping[str, float] = field(default_factory=dict)
    origin: str = ""
    group: str | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    data_range: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, float]:
        """The estimate as ``{name: value}``."""
        return {n: float(v) for n, v in zip(self.law.param_names, self.theta)}

    @property
    def has_draws(self) -> bool:
        """Whether intervals can be given."""
        return self.draws is not None and len(self.draws) > 0

    def stacked(self) -> np.ndarray:
        """``(S, P)``: the estimate in row 0, then the draws."""
        if not self.has_draws:
            return self.theta[None, :]
        return np.vstack([self.theta[None, :], self.draws])

    def evaluate(self, N: np.ndarray, D: np.ndarray, theta: np.ndarray | None = None,
                 extra: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """The law at ``(N, D)`` (and the fixed inputs) for each parameter set.

        Parameters
        ----------
        N, D : ndarray, shape (S, m)
            One row of inputs per parameter set (broadcast if shapes allow).
        theta : ndarray, shape (S, P), optional
            Parameter sets (default :meth:`stacked`).
        extra : mapping, optional
            Other inputs with shape (S, m), overriding :attr:`fixed`.

        Returns
        -------
        ndarray, shape (S, m)
            NaN where the law is not finite.
        """
        th = self.stacked() if theta is None else np.asarray(theta, float)
        S = th.shape[0]
        N, D = np.broadcast_arrays(np.atleast_2d(np.asarray(N, float)),
                                   np.atleast_2d(np.asarray(D, float)))
        m = N.shape[1]
        N, D = np.broadcast_to(N, (S, m)), np.broadcast_to(D, (S, m))
        X = {self.n_input: N.reshape(-1), self.d_input: D.reshape(-1)}
        for k, v in self.fixed.items():
            X[k] = np.full(S * m, float(v))
        for k, v in (extra or {}).items():
            X[k] = np.broadcast_to(np.asarray(v, float), (S, m)).reshape(-1)
        per_point = np.repeat(th, m, axis=0)[None, :, :]  # (1, S*m, P)
        with np.errstate(all="ignore"):
            v = np.array(self.law.predict(X, per_point), dtype=float).reshape(S, m)
        v[~np.isfinite(v)] = np.nan
        return v

    def describe(self) -> dict:
        """JSON-ready: law, estimate, number of draws, inputs, fixed values, origin, and the
        provenance of the fit it came from (package version, data hash and source, fitter
        settings, seed)."""
        return {"law": self.law.name, "formula": self.law.formula, "params": self.params,
                "n_draws": int(len(self.draws)) if self.has_draws else 0, "level": self.level,
                "N_input": self.n_input, "D_input": self.d_input, "fixed": dict(self.fixed),
                "group": self.group, "origin": self.origin,
                "provenance": {k: self.provenance[k] for k in ("version", "data_hash",
                                                                "data_source", "fitter", "seed")
                               if k in self.provenance}}


def as_fitted_law(source, *, params: Mapping[str, float] | None = None,
                  draws: np.ndarray | None = None, group: str | None = None,
                  fixed: Mapping[str, float] | None = None, n_input: str | None = None,
                  d_input: str | None = None, level: float | None = None,
                  origin: str | None = None) -> FittedLaw:
    """Normalise what the planners accept into a :class:`FittedLaw`.

    Parameters
    ----------
    source : FitResult, Law or FittedLaw
        A fit (its estimate and bootstrap draws are used), or a law with ``params``.
    params : mapping, optional
        Parameter values; required with a :class:`Law`, and with a fit they replace its
        estimate (e.g. published coefficients).
    draws : ndarray, shape (B, P), optional
        Parameter draws to use instead of the fit's (see :func:`recentred_draws`).
    group : str, optional
        With a grouped fit: which group's parameters.
    fixed : mapping, optional
        Values of the law's inputs other than ``N`` and ``D``.
    n_input, d_input : str, optional
        Which inputs are parameters and tokens (default ``N`` and ``D``, else the inputs
        mapped to columns whose names say so, else the first two inputs).
    level : float, optional
        Interval level (default: the fit's, or 0.95).
    origin : str, optional
        Words saying where the numbers come from.

    Returns
    -------
    FittedLaw

    Raises
    ------
    InputError
        For a missing group, parameters or fixed inputs, a fixed input outside the law's
        domain (e.g. a non-positive unique-token count ``U``), or inputs that cannot be
        identified.
    """
    if isinstance(source, FittedLaw):
        return source
    from ..fit import FitResult

    prov: Mapping[str, Any] = {}
    seen: dict[str, np.ndarray] = {}
    fit_draws = None
    columns: Mapping[str, str] = {}
    if isinstance(source, FitResult):
        law = source.law
        g = 0
        if source.groups is not None:
            if group is None:
                if len(source.groups) != 1:
                    raise InputError(f"this fit has parameters per group; choose one with --group "
                                     f"(group= in Python): {', '.join(source.groups[:10])}")
                group = source.groups[0]
            group = str(group)  # labels are kept as text (a numeric column's 1 is '1')
            if group not in source.groups:
                raise InputError(f"unknown group '{group}'; groups: "
                                 f"{', '.join(source.groups[:10])}")
            g = source.groups.index(group)
        elif group is not None:
            raise InputError(f"group {group!r}: this fit has no groups")
        theta = np.asarray(source.theta[g], float)
        if source.draws is not None and len(source.draws):
            fit_draws = np.asarray(source.draws[:, g, :], float)
        level = source.level if level is None else level
        prov = dict(source.provenance)
        columns = dict(source.inputs)
        seen = _runs_seen(source, group)
        default_origin = f"fit of {law.name}" + (
            f" ({prov.get('data_source')})" if prov.get("data_source") else "")
    elif isinstance(source, Law):
        law = source
        if params is None:
            raise InputError(f"law {law.name!r}: give its parameter values (params=, --params)")
        theta = None
        default_origin = "given parameters"
    else:
        raise InputError(f"expected a FitResult or a Law, got {type(source).__name__}")
    if params is not None:
        unknown = [k for k in params if k not in law.param_names]
        if unknown:
            raise InputError(f"unknown parameter(s) {', '.join(unknown)} for law {law.name!r}; "
                             f"its parameters are {', '.join(law.param_names)}")
        base = {} if theta is None else dict(zip(law.param_names, theta))
        base.update({k: as_number(v, f"parameter {k}") for k, v in params.items()})
        missing = [k for k in law.param_names if k not in base]
        if missing:
            raise InputError(f"law {law.name!r}: no value for parameter(s) {', '.join(missing)}")
        theta = np.array([base[k] for k in law.param_names], float)
        default_origin = "given parameters"
        if draws is None:
            fit_draws = None  # a fit's draws belong to its own estimate, not to these values
    if not np.all(np.isfinite(theta)):
        raise InputError("the parameter values must be finite")
    if draws is not None:
        fit_draws = np.asarray(draws, float)
        if fit_draws.ndim != 2 or fit_draws.shape[1] != law.n_params:
            raise InputError(f"draws must have shape (B, {law.n_params})")
    if fit_draws is not None:
        fit_draws = fit_draws[np.all(np.isfinite(fit_draws), axis=1)]
        if len(fit_draws) == 0:
            fit_draws = None
    n_in, d_in = _identify_inputs(law, columns, n_input, d_input)
    fixed = {k: as_number(v, f"fixed input {k}") for k, v in (fixed or {}).items()}
    for k, v in fixed.items():
        if k not in law.inputs or k in (n_in, d_in):
            others = [i for i in law.inputs if i not in (n_in, d_in)]
            raise InputError(f"fixed input {k!r} is not one of the law's other inputs "
                             f"({', '.join(others) or 'none'})")
        if not math.isfinite(v):
            raise InputError(f"fixed input {k}: the value must be finite")
        domain = law.domains.get(k, "real")
        if (domain == "positive" and not v > 0) or (domain == "nonnegative" and not v >= 0):
            need = "a positive number" if domain == "positive" else "a number >= 0"
            raise InputError(f"fixed input {k}={v:g} (--fix {k}=VALUE; fixed= in Python) is "
                             f"outside the domain of law {law.name!r}: {k} must be {need}")
    missing = [i for i in law.inputs if i not in (n_in, d_in) and i not in fixed]
    if missing:
        raise InputError(f"law {law.name!r} has input(s) {', '.join(missing)} besides "
                         f"{n_in} and {d_in}: hold them fixed (fixed={{'{missing[0]}': ...}}, "
                         f"--fix {missing[0]}=VALUE)")
    lvl = 0.95 if level is None else as_number(level, "level")
    if not 0 < lvl < 1:
        raise InputError(f"level must be between 0 and 1, got {lvl}")
    if params is not None:
        seen = {}  # other parameter values: the fit's runs say nothing about their range
    span = {k: (float(seen[k].min()), float(seen[k].max())) for k in (n_in, d_in)
            if k in seen and seen[k].size}
    return FittedLaw(law=law, theta=theta, draws=fit_draws, level=lvl, n_input=n_in,
                     d_input=d_in, fixed=fixed, origin=origin or default_origin, group=group,
                     provenance=prov, data_range=span)


def _runs_seen(result, group) -> dict[str, np.ndarray]:
    """The finite positive input values of the runs a fit saw (of ``group``, if grouped)."""
    data = result.data if isinstance(result.data, Mapping) else {}
    X = data.get("X")
    if not isinstance(X, Mapping):
        return {}
    keep = None
    if group is not None and data.get("group") is not None:
        keep = np.array([str(g) == str(group) for g in data["group"]], bool)
    out = {}
    for k, v in X.items():
        try:
            a = np.asarray(v, float).ravel()
        except (TypeError, ValueError):
            continue
        if keep is not None and len(keep) == len(a):
            a = a[keep]
        out[k] = a[np.isfinite(a) & (a > 0)]
    return out


_N_WORDS = ("param", "size", "n_params", "non_embedding")
_D_WORDS = ("token", "data")


def _identify_inputs(law: Law, columns: Mapping[str, str], n_input, d_input) -> tuple[str, str]:
    ins = list(law.inputs)
    for name, v in (("N input", n_input), ("D input", d_input)):
        if v is not None and v not in ins:
            raise InputError(f"{name} {v!r} is not an input of law {law.name!r} "
                             f"({', '.join(ins)})")
    if n_input is not None and n_input == d_input:
        raise InputError(f"n_input and d_input (--n-input, --d-input) both name {n_input}: the "
                         "parameter count and the tokens must be two different inputs")
    if n_input is None:
        n_input = "N" if "N" in ins else _by_words(ins, columns, _N_WORDS)
    if d_input is None:
        d_input = "D" if "D" in ins else _by_words(ins, columns, _D_WORDS)
    if n_input is None or d_input is None or n_input == d_input:
        raise InputError(f"cannot tell which inputs of law {law.name!r} ({', '.join(ins)}) are "
                         "the parameter count and the tokens: name them with --n-input and "
                         "--d-input (n_input= and d_input= in Python)")
    return n_input, d_input


def _by_words(ins, columns, words) -> str | None:
    hits = [i for i in ins if any(w in (i + " " + str(columns.get(i, ""))).lower() for w in words)]
    return hits[0] if len(hits) == 1 else None


def recentred_draws(fit, params: Mapping[str, float], *, group: str | None = None) -> np.ndarray:
    """Borrow a fit's bootstrap spread for other parameter values (e.g. published ones).

    Each draw's deviation from the fit's estimate is added to ``params``: on the log scale for
    parameters the law declares as log-scale (amplitudes), on the linear scale otherwise. This
    assumes the published estimate would have had the same sampling spread as ours; it is an
    approximation, stated as such wherever it is used.

    Parameters
    ----------
    fit : FitResult
        A fit with bootstrap draws, of the same law.
    params : mapping
        The values to centre on (every parameter of the law).
    group : str, optional
        With a grouped fit, which group's draws.

    Returns
    -------
    ndarray, shape (B, P)

    Raises
    ------
    InputError
        If the fit has no draws or the parameters do not match its law.
    """
    fl = as_fitted_law(fit, group=group)
    if not fl.has_draws:
        raise InputError("the fit has no bootstrap draws to borrow a spread from: fit with "
                         "--bootstrap K")
    law = fl.law
    missing = [k for k in law.param_names if k not in params]
    unknown = [k for k in params if k not in law.param_names]
    if missing or unknown:
        raise InputError(f"the parameters must be exactly those of law {law.name!r} "
                         f"({', '.join(law.param_names)})")
    target = np.array([float(params[k]) for k in law.param_names])
    out = np.empty_like(fl.draws)
    for j, p in enumerate(law.params):
        if p.scale == "log" and fl.theta[j] > 0 and target[j] > 0:
            out[:, j] = target[j] * (fl.draws[:, j] / fl.theta[j])
        else:
            out[:, j] = target[j] + (fl.draws[:, j] - fl.theta[j])
    return out


def interval(values: np.ndarray, level: float) -> tuple[float, float] | None:
    """Percentile interval of the finite values, or None when fewer than 10 are finite."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size < 10:
        return None
    q = 100 * np.array([(1 - level) / 2, (1 + level) / 2])
    lo, hi = np.percentile(v, q)
    return (float(lo), float(hi))


def nondegenerate(iv):
    """``iv`` unless it has zero width (a quantity fixed by construction), else None."""
    if iv is None:
        return None
    scale = max(abs(iv[0]), abs(iv[1]))
    return iv if iv[1] - iv[0] > 1e-9 * scale else None


__all__ = ["FittedLaw", "as_fitted_law", "interval", "recentred_draws"]
