"""Parameters and laws: small frozen objects with vectorised formulas and exact Jacobians."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Mapping, Sequence

import numpy as np

from .._errors import LawError
from . import _expr

InputDomain = Literal["positive", "nonnegative", "real"]


@dataclass(frozen=True)
class DataRange:
    """A typical range taken from the data: ``[lo * min(v), hi * max(v)]`` of variable ``v``.

    ``v`` is an input name or ``"y"`` for the target. Used for parameters whose natural scale
    is the data's own (the break of a broken power law, the asymptotes of a learning curve).
    """

    var: str
    lo: float = 1.0
    hi: float = 1.0
    use: Literal["range", "min", "max"] = "range"

    def resolve(self, X: Mapping[str, np.ndarray], y: np.ndarray) -> tuple[float, float]:
        """Return the numeric range for the given data.

        Parameters
        ----------
        X : mapping of str to ndarray
            Input values keyed by input name; must hold :attr:`var` unless it is ``"y"``.
        y : ndarray
            Target values.

        Returns
        -------
        (float, float)
            ``(lo * min(v), hi * max(v))`` for ``use="range"``, both factors applied to
            ``min(v)`` for ``"min"`` or to ``max(v)`` for ``"max"``, over the finite values of
            ``v``; ``(lo, hi)`` themselves when ``v`` has no finite value.
        """
        v = np.asarray(y if self.var == "y" else X[self.var], dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0:
            return (self.lo, self.hi)
        vmin, vmax = float(v.min()), float(v.max())
        if self.use == "min":
            return (self.lo * vmin, self.hi * vmin)
        if self.use == "max":
            return (self.lo * vmax, self.hi * vmax)
        return (self.lo * vmin, self.hi * vmax)


@dataclass(frozen=True)
class Param:
    """A law parameter.

    Parameters
    ----------
    name : str
        Name, part of the public interface (``alpha``, ``E``...).
    lower, upper : float
        Hard bounds.
    typical : (float, float) or DataRange, optional
        Range that seeds the grid of starting points and the contract tests.
    scale : {"linear", "log"}
        ``"log"`` for positive quantities spanning decades (amplitudes, scales); they are sampled
        and optimised in log space.
    symbol : str, optional
        LaTeX symbol.
    description : str
        One line on what it means.
    """

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    typical: tuple[float, float] | DataRange | None = None
    scale: Literal["linear", "log"] = "linear"
    symbol: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.lower < self.upper:
            raise LawError(f"parameter {self.name!r}: lower bound {self.lower} must be below upper "
                           f"bound {self.upper}")
        if self.scale == "log" and self.lower < 0:
            raise LawError(f"parameter {self.name!r}: a log-scale parameter needs lower bound >= 0")

    def typical_range(self, X: Mapping[str, np.ndarray] | None = None,
                      y: np.ndarray | None = None) -> tuple[float, float]:
        """Numeric typical range, clipped to the bounds.

        Parameters
        ----------
        X : mapping of str to ndarray, optional
            Input values, used only when :attr:`typical` is a :class:`DataRange`.
        y : ndarray, optional
            Target values, likewise.

        Returns
        -------
        (float, float)
            ``(lo, hi)`` with ``lo < hi`` (a collapsed range is widened slightly) and, for a
            log-scale parameter, ``lo > 0``. Without a typical range it is taken from the
            finite bounds (``-1`` and ``lo + 2`` stand in for infinite ones), widened to at
            least ``[1e-3, 1e3]`` for a log-scale parameter.
        """
        t = self.typical
        if isinstance(t, DataRange):
            lo, hi = t.resolve(X or {}, np.asarray([] if y is None else y))
        elif t is None:
            lo = self.lower if math.isfinite(self.lower) else -1.0
            hi = self.upper if math.isfinite(self.upper) else lo + 2.0
            if self.scale == "log":
                lo, hi = max(lo, 1e-3), max(hi, 1e3)
        else:
            lo, hi = t
        lo, hi = max(lo, self.lower), min(hi, self.upper)
        if self.scale == "log":
            lo = max(lo, 1e-300)
        if not lo < hi:
            hi = lo + (abs(lo) * 1e-3 + 1e-12)
        return (float(lo), float(hi))

    def with_bounds(self, lower: float, upper: float) -> Param:
        """Return a copy with new bounds (and typical range set to them when finite).

        Parameters
        ----------
        lower, upper : float
            The new bounds (infinite for none); ``lower`` must be below ``upper``.

        Returns
        -------
        Param
            The scale becomes ``"linear"`` when a log-scale parameter gets a negative lower
            bound, and ``"log"`` when both bounds are finite and positive with a ratio above
            100.

        Raises
        ------
        LawError
            If ``lower`` is not below ``upper``.
        """
        typical = self.typical
        if math.isfinite(lower) and math.isfinite(upper):
            typical = (lower, upper)
        scale = self.scale if (lower >= 0 or self.scale == "linear") else "linear"
        if math.isfinite(lower) and math.isfinite(upper) and lower > 0 and upper / lower > 100:
            scale = "log"
        return Param(self.name, lower, upper, typical, scale, self.symbol, self.description)


class Law:
    """A scaling law: inputs, parameters and a vectorised formula with an exact Jacobian.

    Subclasses implement :meth:`_evaluate`. Parameter arrays have shape ``(S, P)`` (``S`` sets
    of parameters evaluated at once) and inputs shape ``(n,)``; predictions are ``(S, n)``.
    """

    name: str
    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    formula: str
    latex: str
    reference: str
    description: str
    domains: Mapping[str, InputDomain]

    @property
    def param_names(self) -> tuple[str, ...]:
        """Parameter names in order."""
        return tuple(p.name for p in self.params)

    @property
    def n_params(self) -> int:
        """Number of parameters."""
        return len(self.params)

    def param(self, name: str) -> Param:
        """Return the parameter called ``name``; raises :class:`LawError` if unknown.

        Parameters
        ----------
        name : str
            A parameter name of the law.

        Returns
        -------
        Param

        Raises
        ------
        LawError
            If the law has no parameter called ``name`` (the message lists them).
        """
        for p in self.params:
            if p.name == name:
                return p
        raise LawError(f"unknown parameter {name!r} for law {self.name!r}; its parameters are "
                       f"{', '.join(self.param_names)}")

    # -- evaluation -------------------------------------------------------------------------
    def _evaluate(self, X: Mapping[str, np.ndarray], theta: np.ndarray, jac: bool):
        raise NotImplementedError  # pragma: no cover - abstract

    def predict(self, X: Mapping[str, np.ndarray], theta) -> np.ndarray:
        """Evaluate the law.

        Parameters
        ----------
        X : mapping of str to array
            Input arrays of equal length ``n``, keyed by the law's input names.
        theta : array_like or mapping
            Parameters, shape ``(P,)`` or ``(S, P)``, or a mapping name -> value.

        Returns
        -------
        ndarray
            Shape ``(n,)`` for one parameter set, ``(S, n)`` for several.
        """
        th, single = self._theta(theta)
        v, _ = self._evaluate(self._inputs(X), th, False)
        v = np.broadcast_to(v, (th.shape[0], self._n(X)))
        return v[0] if single else v

    def jacobian(self, X: Mapping[str, np.ndarray], theta) -> tuple[np.ndarray, np.ndarray]:
        """Predictions and their exact derivatives with respect to the parameters.

        Parameters
        ----------
        X : mapping of str to array
            Input arrays of equal length ``n``, keyed by the law's input names.
        theta : array_like or mapping
            Parameters, shape ``(P,)`` or ``(S, P)``, or a mapping name -> value.

        Returns
        -------
        value : ndarray, shape (S, n)
        jac : ndarray, shape (S, n, P)
        """
        th, _ = self._theta(theta)
        v, J = self._evaluate(self._inputs(X), th, True)
        S, n = th.shape[0], self._n(X)
        return np.broadcast_to(v, (S, n)), np.broadcast_to(J, (S, n, self.n_params))

    def _n(self, X: Mapping[str, np.ndarray]) -> int:
        return len(next(iter(X.values()))) if X else 1

    def _inputs(self, X: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for name in self.inputs:
            if name not in X:
                raise LawError(f"law {self.name!r} needs input {name!r}; got "
                               f"{', '.join(X) or 'none'}")
            out[name] = np.asarray(X[name], dtype=float)
        return out

    def _theta(self, theta) -> tuple[np.ndarray, bool]:
        if isinstance(theta, Mapping):
            missing = [n for n in self.param_names if n not in theta]
            if missing:
                raise LawError(f"law {self.name!r}: no value for parameter(s) {', '.join(missing)}")
            unknown = [n for n in theta if n not in self.param_names]
            if unknown:
                raise LawError(f"unknown parameter(s) {', '.join(unknown)} for law {self.name!r}; "
                               f"its parameters are {', '.join(self.param_names)}")
            theta = [float(theta[n]) for n in self.param_names]
        th = np.asarray(theta, dtype=float)
        single = th.ndim == 1
        th = np.atleast_2d(th)
        if th.ndim == 3:
            return th, False
        if th.shape[-1] != self.n_params:
            raise LawError(f"law {self.name!r} has {self.n_params} parameters, got {th.shape[-1]}")
        return th, single

    # -- linear structure (variable projection) ---------------------------------------------
    @property
    def linear_params(self) -> tuple[str, ...]:
        """Parameters that enter the formula linearly (solved exactly by the fitter)."""
        return ()

    @property
    def homogeneous(self) -> bool:
        """Whether multiplying every linear parameter by ``s`` multiplies the prediction by
        ``s`` (the formula is a sum of linear terms with no other term); the fitter then
        works in the target's own unit (:func:`scalinglaws.fit._solver.target_scale`)."""
        return False

    def linear_basis(self, X: Mapping[str, np.ndarray], theta: np.ndarray):
        """Offset ``(S, n)`` and basis ``(S, n, m)`` with ``f = offset + basis @ c_linear``.

        Only the non-linear entries of ``theta`` (shape ``(S, P)``) are used.

        Parameters
        ----------
        X : mapping of str to array
            Input arrays of equal length ``n``, keyed by the law's input names.
        theta : ndarray, shape (S, P)
            Parameter sets; the values of :attr:`linear_params` are ignored.

        Returns
        -------
        offset : ndarray, shape (S, n)
            The part of the formula without a linear parameter.
        basis : ndarray, shape (S, n, m)
            The factor of each of the ``m`` linear parameters, in the order of
            :attr:`linear_params`.

        Raises
        ------
        LawError
            If the law has no linear parameters.
        """
        raise LawError(f"law {self.name!r} has no linear parameters")

    def describe(self) -> dict:
        """A JSON-ready description: formula, inputs, parameters with bounds, reference."""
        return {
            "name": self.name,
            "formula": self.formula,
            "latex": self.latex,
            "inputs": list(self.inputs),
            "params": [
                {
                    "name": p.name,
                    "lower": _jsonable(p.lower),
                    "upper": _jsonable(p.upper),
                    "typical": (
                        None if p.typical is None
                        else f"data range of {p.typical.var} x [{p.typical.lo}, {p.typical.hi}]"
                        if isinstance(p.typical, DataRange) else list(p.typical)
                    ),
                    "scale": p.scale,
                    "linear": p.name in self.linear_params,
                    "description": p.description,
                }
                for p in self.params
            ],
            "reference": self.reference,
            "description": self.description,
        }

    def __repr__(self) -> str:
        return f"<Law {self.name}: {self.formula}>"


def param_column(theta: np.ndarray, j: int) -> np.ndarray:
    """Column ``j`` of a parameter array, shaped to broadcast against inputs of shape ``(n,)``.

    ``theta`` is ``(S, P)`` (one parameter set per row) or ``(S, n, P)`` (a parameter set per
    observation, used for group-wise parameters); the result is ``(S, 1)`` or ``(S, n)``.
    """
    return theta[..., j] if theta.ndim == 3 else theta[:, j:j + 1]


def _jsonable(x: float):
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


@dataclass(frozen=True, repr=False)
class FormulaLaw(Law):
    """A law defined by a formula in the safe expression language.

    Parameters
    ----------
    name : str
        Catalogue name (or the formula itself for user laws).
    formula : str
        Formula text, e.g. ``"E + A/N**alpha + B/D**beta"``.
    inputs : sequence of str
        Names in the formula that are inputs; all other names are parameters.
    params : sequence of Param
        Parameter declarations; names used in the formula without a declaration get defaults.
    reference, description : str, optional
        Where the law comes from (``"user-defined"`` for a user's formula) and one line on what
        it describes.
    latex : str, optional
        The formula in LaTeX, for reports.
    definitions : sequence of (str, str), optional
        Auxiliary quantities, ``(name, formula)``, substituted into the tree (not into text).
    domains : mapping, optional
        ``input -> "positive" | "nonnegative" | "real"``: the values the law accepts.
    """

    name: str
    formula: str
    inputs: tuple[str, ...]
    params: tuple[Param, ...]
    reference: str = ""
    description: str = ""
    latex: str = ""
    definitions: tuple[tuple[str, str], ...] = ()
    domains: Mapping[str, InputDomain] = field(default_factory=dict)
    _tree: _expr.Node = field(init=False, compare=False)
    _offset: _expr.Node | None = field(init=False, compare=False)
    _linear: tuple[tuple[str, _expr.Node], ...] = field(init=False, compare=False)
    _program: _expr.Program = field(init=False, compare=False, repr=False)
    _basis_program: _expr.Program | None = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        tree = _expr.parse_formula(self.formula)
        defs = dict(self.definitions)
        for dname, dformula in reversed(list(defs.items())):
            tree = _substitute(tree, dname, _expr.parse_formula(dformula))
        # definitions may refer to earlier definitions
        for _ in range(len(defs)):
            for dname, dformula in defs.items():
                tree = _substitute(tree, dname, _expr.parse_formula(dformula))
        used = _expr.names(tree)
        missing_inputs = [i for i in self.inputs if i not in used]
        if missing_inputs:
            raise LawError(f"law {self.name!r}: input(s) {', '.join(missing_inputs)} do not "
                           f"appear in the formula {self.formula!r}")
        declared = {p.name: p for p in self.params}
        unknown = [n for n in declared if n not in used]
        if unknown:
            raise LawError(f"law {self.name!r}: parameter(s) {', '.join(unknown)} do not appear "
                           f"in the formula {self.formula!r}")
        names = [n for n in used if n not in self.inputs]
        if not names:
            raise LawError(f"formula {self.formula!r} has no parameters to fit (every name is "
                           f"an input)")
        params = tuple(declared.get(n, Param(n)) for n in names)
        # keep the declared order when every parameter is declared (stable public interface)
        if len(declared) == len(params):
            params = tuple(declared[n] for n in declared)
        object.__setattr__(self, "params", params)
        object.__setattr__(self, "_tree", tree)
        offset, linear = _expr.linear_decomposition(tree, [p.name for p in params])
        object.__setattr__(self, "_offset", offset)
        object.__setattr__(self, "_linear", tuple(linear))
        names_ = [p.name for p in params]
        object.__setattr__(self, "_program", _expr.compile_program([tree], names_))
        roots = ([offset] if offset is not None else []) + [b for _, b in linear]
        object.__setattr__(self, "_basis_program",
                           _expr.compile_program(roots, names_) if linear else None)
        if not self.latex:
            object.__setattr__(self, "latex", self.formula)
        doms = {i: "positive" for i in self.inputs}
        doms.update(self.domains)
        object.__setattr__(self, "domains", doms)

    @property
    def tree(self) -> _expr.Node:
        """The parsed expression tree (definitions substituted)."""
        return self._tree

    @property
    def linear_params(self) -> tuple[str, ...]:
        """Parameters that enter the formula linearly (solved exactly by the fitter), found by
        decomposing the formula as ``offset + sum_k c_k * basis_k``."""
        return tuple(n for n, _ in self._linear)

    @property
    def homogeneous(self) -> bool:
        """Whether the formula is ``sum_k c_k * basis_k`` with no other term, so that
        multiplying every linear parameter ``c_k`` by ``s`` multiplies the prediction by ``s``."""
        return bool(self._linear) and self._offset is None

    def _env(self, X, theta):
        env: dict[str, np.ndarray] = dict(X)
        for j, p in enumerate(self.params):
            env[p.name] = param_column(theta, j)
        return env

    def _evaluate(self, X, theta, jac):
        env = self._env(X, theta)
        (v,), tangents = _expr.run_program(self._program, env, jac)
        v = np.asarray(v, dtype=float)
        if not jac:
            return v, None
        t = tangents[0]
        S, n = theta.shape[0], self._n(X)
        v = np.broadcast_to(v, (S, n))
        if t is None:
            J = np.zeros((S, n, self.n_params))
        else:
            J = np.moveaxis(np.broadcast_to(t, (self.n_params, S, n)), 0, -1)
        return v, J

    def linear_basis(self, X, theta):
        if not self._linear:
            return super().linear_basis(X, theta)
        X = self._inputs(X)
        env = self._env(X, theta)
        S, n = theta.shape[0], self._n(X)
        values, _ = _expr.run_program(self._basis_program, env)
        offset = np.zeros((S, n))
        if self._offset is not None:
            offset = np.broadcast_to(values[0], (S, n)).astype(float)
            values = values[1:]
        G = np.empty((S, n, len(self._linear)))
        for k, v in enumerate(values):
            G[:, :, k] = np.broadcast_to(v, (S, n))
        return offset, G


def _substitute(node: _expr.Node, name: str, repl: _expr.Node) -> _expr.Node:
    if isinstance(node, _expr.Var):
        return repl if node.name == name else node
    if isinstance(node, _expr.Neg):
        return _expr.Neg(_substitute(node.arg, name, repl))
    if isinstance(node, _expr.BinOp):
        return _expr.BinOp(node.op, _substitute(node.left, name, repl),
                           _substitute(node.right, name, repl))
    if isinstance(node, _expr.Call):
        return _expr.Call(node.func, tuple(_substitute(a, name, repl) for a in node.args))
    return node


def formula_law(formula: str, inputs: Sequence[str], *, bounds: Mapping[str, tuple[float, float]]
                | None = None, name: str | None = None) -> FormulaLaw:
    """Build a user law from a formula.

    Parameters
    ----------
    formula : str
        The formula, e.g. ``"E + A/N**alpha + B/D**beta"``; see :data:`_expr.ALLOWED`.
    inputs : sequence of str
        Names in the formula that are inputs; every other name is a parameter. Names the
        formula does not use are left out of the law's inputs (so a dataset's full list of
        inputs can be given), but at least one must be used.
    bounds : mapping, optional
        ``name -> (lower, upper)`` for parameters, two numbers with ``lower < upper``
        (either may be infinite); finite bounds also set the start range.
    name : str, optional
        Display name (defaults to the formula).

    Returns
    -------
    FormulaLaw

    Raises
    ------
    LawError
        For a formula off the whitelist or with a constant part that is not finite (``1/0``),
        inputs that are not a list of distinct names, none of them in the formula, or a bound
        on an unknown name or that is not a pair of numbers ``lower < upper``.
    """
    tree = _expr.parse_formula(formula)
    _expr.check_constants(tree, formula)
    used = _expr.names(tree)
    given = inputs
    try:
        inputs = list(inputs) if not isinstance(inputs, (str, bytes, Mapping)) else None
    except TypeError:
        inputs = None
    if inputs is None or not all(isinstance(i, str) for i in inputs):
        raise LawError(f"inputs must be a list of names (e.g. ['N', 'D']), got {given!r}")
    twice = sorted({i for i in inputs if inputs.count(i) > 1})
    if twice:
        raise LawError(f"input(s) {', '.join(twice)} named more than once")
    inputs = tuple(i for i in inputs if i in used)
    if not inputs:
        raise LawError(f"formula {formula!r} uses none of the inputs; name them with "
                       f"--input NAME=COLUMN (inputs= in Python; names in the formula: "
                       f"{', '.join(used)})")
    params = []
    bounds = dict(bounds or {})
    for n in used:
        if n in inputs:
            continue
        lo, hi = _bound_pair(n, bounds.pop(n)) if n in bounds else (-math.inf, math.inf)
        p = _default_formula_param(tree, n, positive=lo >= 0)
        if math.isfinite(lo) or math.isfinite(hi):
            p = p.with_bounds(lo, hi)
        params.append(p)
    if bounds:
        raise LawError(f"bounds (--bound) name unknown parameter(s) {', '.join(bounds)}; the "
                       f"formula's parameters are {', '.join(p.name for p in params)}")
    return FormulaLaw(name=name or formula, formula=formula, inputs=inputs, params=tuple(params),
                      description="user formula", reference="user-defined")


def _bound_pair(name: str, b) -> tuple[float, float]:
    """``(lower, upper)`` of a bound given by a user, as floats, or a LawError naming it."""
    try:
        lo, hi = b
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError):
        raise LawError(f"bound on {name}: give two numbers (lower, upper), got {b!r}") from None
    if math.isnan(lo) or math.isnan(hi) or not lo < hi:
        raise LawError(f"bound on {name}: the lower bound must be below the upper one, got "
                       f"({lo:g}, {hi:g})")
    return lo, hi


def _exponent_signs(node: _expr.Node, name: str, inside: bool = False, sign: int = 1,
                    below: bool = False) -> set[int]:
    """The directions in which ``name`` acts as an exponent: -1 where the power decays as the
    exponent grows (``x**(-a)``, ``1/x**a``), +1 where it grows (``x**a``)."""
    if isinstance(node, _expr.Var):
        return {-sign if below else sign} if inside and node.name == name else set()
    if isinstance(node, _expr.Neg):
        return _exponent_signs(node.arg, name, inside, -sign if inside else sign, below)
    if isinstance(node, _expr.BinOp):
        left = _exponent_signs(node.left, name, inside, sign, below)
        if node.op == "**":
            return left | _exponent_signs(node.right, name, True, sign if inside else 1, below)
        if node.op == "-" and inside:
            return left | _exponent_signs(node.right, name, inside, -sign, below)
        if node.op == "/" and not inside:
            return left | _exponent_signs(node.right, name, inside, sign, not below)
        return left | _exponent_signs(node.right, name, inside, sign, below)
    if isinstance(node, _expr.Call):
        return set().union(*(_exponent_signs(a, name, inside, sign, below) for a in node.args))
    return set()


def _default_formula_param(tree: _expr.Node, name: str, positive: bool = False) -> Param:
    """Defaults for an undeclared formula parameter: an exponent written to make a power
    decay (``x**(-a)``, ``1/x**a``) or bounded below by 0 (``positive``) starts in
    (0.05, 1.5); one written as ``x**a`` may have either sign, so it starts in (-1.5, 1.5)."""
    signs = _exponent_signs(tree, name)
    if signs == {-1} or (signs and positive):
        return Param(name, typical=(0.05, 1.5))
    if signs:
        return Param(name, typical=(-1.5, 1.5))
    return Param(name, typical=(-1.0, 1.0))
