"""Safe formula expressions: a whitelist parser, vectorised evaluation and exact derivatives.

A formula such as ``"E + A/N**alpha + B/D**beta"`` is parsed with :mod:`ast` and converted,
node by node, into a small immutable tree. Only numbers, names, ``+ - * / **``, parentheses and
the functions in :data:`FUNCTIONS` are accepted; everything else is refused with a message that
says what is allowed. The tree is evaluated with numpy; nothing is ever passed to ``eval``.

Derivatives are computed in forward mode: every node carries its value and its tangent with
respect to all parameters at once (an array with a leading parameter axis), which gives the
exact Jacobian of the prediction in one pass over the tree.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .._errors import LawError

#: Functions a formula may call, with their number of arguments.
FUNCTIONS: dict[str, int] = {
    "exp": 1,
    "log": 1,
    "log10": 1,
    "log2": 1,
    "sqrt": 1,
    "abs": 1,
    "tanh": 1,
    "sigmoid": 1,
    "softplus": 1,
    "min": 2,
    "max": 2,
}

ALLOWED = (
    "numbers, names, + - * / **, parentheses and the functions "
    + ", ".join(sorted(FUNCTIONS))
)


@dataclass(frozen=True)
class Node:
    """Base class of formula tree nodes."""


@dataclass(frozen=True)
class Const(Node):
    value: float


@dataclass(frozen=True)
class Var(Node):
    name: str


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class BinOp(Node):
    op: str  # one of + - * / **
    left: Node
    right: Node


@dataclass(frozen=True)
class Call(Node):
    func: str
    args: tuple[Node, ...]


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}


def _refuse(what: str, formula: str) -> LawError:
    return LawError(f"formula {formula!r}: {what} is not allowed; a formula may use {ALLOWED}")


def parse_formula(formula: str) -> Node:
    """Parse a formula string into an expression tree, refusing anything off the whitelist.

    Parameters
    ----------
    formula : str
        The formula, written in Python syntax, for example ``"E + A/N**alpha"``.

    Returns
    -------
    Node
        The root of the expression tree.

    Raises
    ------
    LawError
        If the text is not a valid expression or uses anything other than numbers, names,
        ``+ - * / **``, parentheses and the whitelisted functions.
    """
    if not isinstance(formula, str) or not formula.strip():
        raise LawError("empty formula: write the law as an expression, e.g. 'E + A/N**alpha'")
    if len(formula) > 10_000:
        raise LawError("formula is longer than 10000 characters")
    try:
        tree = ast.parse(formula.strip(), mode="eval")
        return _convert(tree.body, formula)
    except SyntaxError as exc:
        raise LawError(f"formula {formula!r} is not a valid expression ({exc.msg}); "
                       f"a formula may use {ALLOWED}") from None
    except (RecursionError, MemoryError):
        raise LawError(f"formula {formula[:60]!r}... is nested too deeply; simplify it or use "
                       "definitions") from None


def check_constants(root: Node, formula: str) -> None:
    """Refuse a part of a formula without names whose value is not a finite number.

    ``1/0`` or ``10**400`` in a law would make every prediction infinite, and a fit would
    then fail with a message about bounds, which sends the user to the wrong fix.

    Parameters
    ----------
    root : Node
        The parsed formula.
    formula : str
        Its text, for the message.

    Raises
    ------
    LawError
        Naming the first such part.
    """
    def check(n: Node) -> None:
        if isinstance(n, Const):
            return  # the parser has refused literals that are not finite
        with np.errstate(all="ignore"):
            v = _ev(n, {}, None)[0]
        if not np.all(np.isfinite(v)):
            raise LawError(f"formula {formula!r}: the constant part {to_text(n)!r} is not a "
                           "finite number; write a finite constant or make it a parameter")

    def walk(n: Node) -> bool:  # True when n has no names; maximal such parts are checked
        if isinstance(n, (Const, Var)):
            return isinstance(n, Const)
        kids = ([n.arg] if isinstance(n, Neg) else [n.left, n.right] if isinstance(n, BinOp)
                else list(n.args))
        flags = [walk(k) for k in kids]
        if all(flags):
            return True
        for k, f in zip(kids, flags):
            if f:
                check(k)
        return False

    if walk(root):
        check(root)


def _convert(node: ast.AST, formula: str) -> Node:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(f"the constant {node.value!r}", formula)
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise _refuse(f"the constant {str(node.value)[:20]!r} (too large for a float)", formula)
        return Const(value)
    if isinstance(node, ast.Name):
        name = node.id
        if name.startswith("_"):
            raise _refuse(f"the name {name!r} (names may not start with '_')", formula)
        if name in FUNCTIONS:
            raise _refuse(f"using the function name {name!r} as a variable", formula)
        return Var(name)
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, ast.USub):
            return Neg(_convert(node.operand, formula))
        if isinstance(node.op, ast.UAdd):
            return _convert(node.operand, formula)
        raise _refuse(f"the operator {type(node.op).__name__}", formula)
    if isinstance(node, ast.BinOp):
        op = _BINOPS.get(type(node.op))
        if op is None:
            hint = " (write powers as **)" if isinstance(node.op, ast.BitXor) else ""
            raise _refuse(f"the operator {type(node.op).__name__}{hint}", formula)
        return BinOp(op, _convert(node.left, formula), _convert(node.right, formula))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise _refuse("calling anything but a named function", formula)
        name = node.func.id
        if name not in FUNCTIONS:
            raise _refuse(f"calling {name!r}", formula)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise _refuse("keyword or starred arguments", formula)
        if len(node.args) != FUNCTIONS[name]:
            raise LawError(f"formula {formula!r}: {name}() takes {FUNCTIONS[name]} argument(s), "
                           f"got {len(node.args)}")
        return Call(name, tuple(_convert(a, formula) for a in node.args))
    what = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripting",
        ast.Lambda: "a lambda",
        ast.Compare: "a comparison",
        ast.BoolOp: "a boolean operator",
        ast.IfExp: "a conditional expression",
    }.get(type(node), f"the construct {type(node).__name__}")
    raise _refuse(what, formula)


def names(node: Node) -> list[str]:
    """Return the variable names used in a tree, in order of first appearance."""
    out: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Var):
            if n.name not in out:
                out.append(n.name)
        elif isinstance(n, Neg):
            walk(n.arg)
        elif isinstance(n, BinOp):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)

    walk(node)
    return out


def count(node: Node, name: str) -> int:
    """Number of occurrences of variable ``name`` in a tree."""
    if isinstance(node, Var):
        return int(node.name == name)
    if isinstance(node, Neg):
        return count(node.arg, name)
    if isinstance(node, BinOp):
        return count(node.left, name) + count(node.right, name)
    if isinstance(node, Call):
        return sum(count(a, name) for a in node.args)
    return 0


# ---------------------------------------------------------------------------------------------
# Evaluation with forward-mode tangents


def evaluate(node: Node, env: Mapping[str, np.ndarray],
             tangents: Mapping[str, np.ndarray] | None = None):
    """Evaluate a tree, optionally with forward-mode derivatives.

    Parameters
    ----------
    node : Node
        Tree to evaluate.
    env : mapping
        Values of every variable, arrays that broadcast together (typically parameters of
        shape ``(S, 1)`` and inputs of shape ``(n,)``).
    tangents : mapping, optional
        For each parameter, its tangent: an array of shape ``(P, ...)`` that is the derivative of
        the variable with respect to the ``P`` free parameters (one-hot rows for plain parameters).
        Variables absent from the mapping are constant.

    Returns
    -------
    value : ndarray
    tangent : ndarray or None
        ``None`` when no tangents were requested or the node does not depend on parameters.
    """
    with np.errstate(all="ignore"):
        return _ev(node, env, tangents)


def one_hot_evaluate(node: Node, env: Mapping[str, np.ndarray], params):
    """Evaluate a tree with the derivatives with respect to ``params``, by the plain walk.

    Every parameter gets a one-hot tangent and every node carries the tangent of all of them:
    the reference that :func:`run_program` reproduces to the bit, kept for tests and
    benchmarks.

    Parameters
    ----------
    node : Node
    env : mapping
        Values of every name (see :func:`evaluate`).
    params : sequence of str
        The parameters, in the order of the tangent axis.

    Returns
    -------
    value : ndarray
    tangent : ndarray or None
        Shape ``(len(params), ...)``; ``None`` when the tree depends on no parameter.
    """
    P = len(params)
    tangents = {}
    for j, name in enumerate(params):
        t = np.zeros((P, 1, 1))
        t[j] = 1.0
        tangents[name] = t
    return evaluate(node, env, tangents)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _scale(t, f):
    return None if t is None else t * f


def _ev(n: Node, env, tg):
    if isinstance(n, Const):
        return np.float64(n.value), None
    if isinstance(n, Var):
        try:
            v = env[n.name]
        except KeyError:
            raise LawError(f"no value for {n.name!r} in the formula") from None
        return v, (tg.get(n.name) if tg is not None else None)
    if isinstance(n, Neg):
        v, t = _ev(n.arg, env, tg)
        return -v, _scale(t, -1.0)
    if isinstance(n, BinOp):
        a, ta = _ev(n.left, env, tg)
        b, tb = _ev(n.right, env, tg)
        op = n.op
        if op == "+":
            return a + b, _add(ta, tb)
        if op == "-":
            return a - b, _add(ta, _scale(tb, -1.0))
        if op == "*":
            return a * b, _add(_scale(ta, b), _scale(tb, a))
        if op == "/":
            v = a / b
            return v, _add(_scale(ta, 1.0 / b), _scale(tb, -v / b))
        # power
        if isinstance(n.right, Const):
            e = n.right.value
            v = a ** e
            return v, _scale(ta, e * a ** (e - 1.0))
        v = a ** b
        t = _scale(tb, v * np.log(a))
        if ta is not None:
            t = _add(t, ta * (b * a ** (b - 1.0)))
        return v, t
    if isinstance(n, Call):
        f = n.func
        if f in ("min", "max"):
            a, ta = _ev(n.args[0], env, tg)
            b, tb = _ev(n.args[1], env, tg)
            pick_a = (a <= b) if f == "min" else (a >= b)
            v = np.where(pick_a, a, b)
            if ta is None and tb is None:
                return v, None
            za = ta if ta is not None else 0.0
            zb = tb if tb is not None else 0.0
            return v, np.where(pick_a, za, zb)
        a, ta = _ev(n.args[0], env, tg)
        if f == "exp":
            v = np.exp(a)
            return v, _scale(ta, v)
        if f == "log":
            return np.log(a), _scale(ta, 1.0 / a)
        if f == "log10":
            return np.log10(a), _scale(ta, 1.0 / (a * np.log(10.0)))
        if f == "log2":
            return np.log2(a), _scale(ta, 1.0 / (a * np.log(2.0)))
        if f == "sqrt":
            v = np.sqrt(a)
            return v, _scale(ta, 0.5 / v)
        if f == "abs":
            return np.abs(a), _scale(ta, np.sign(a))
        if f == "tanh":
            v = np.tanh(a)
            return v, _scale(ta, 1.0 - v * v)
        if f == "sigmoid":
            v = 0.5 * (1.0 + np.tanh(0.5 * a))
            return v, _scale(ta, v * (1.0 - v))
        if f == "softplus":
            v = np.logaddexp(0.0, a)
            return v, _scale(ta, 0.5 * (1.0 + np.tanh(0.5 * a)))
    raise LawError(f"cannot evaluate node {n!r}")  # pragma: no cover - parser forbids it


# ---------------------------------------------------------------------------------------------
# Linear structure (for variable projection)


def _terms(n: Node, sign: float = 1.0) -> list[tuple[float, Node]]:
    if isinstance(n, BinOp) and n.op in "+-" and len(n.op) == 1:
        return _terms(n.left, sign) + _terms(n.right, sign if n.op == "+" else -sign)
    if isinstance(n, Neg):
        return _terms(n.arg, -sign)
    return [(sign, n)]


def _factors(n: Node) -> tuple[list[Node], list[Node]]:
    """Split a product/quotient into numerator and denominator factors."""
    if isinstance(n, BinOp) and n.op == "*":
        ln, ld = _factors(n.left)
        rn, rd = _factors(n.right)
        return ln + rn, ld + rd
    if isinstance(n, BinOp) and n.op == "/":
        ln, ld = _factors(n.left)
        rn, rd = _factors(n.right)
        # a/(b/c) = a*c/b: the right side's denominator joins the numerator
        return ln + rd, ld + rn
    return [n], []


def _product(nums: list[Node], dens: list[Node], sign: float) -> Node:
    out: Node = Const(sign)
    for f in nums:
        out = f if (isinstance(out, Const) and out.value == 1.0) else BinOp("*", out, f)
    for f in dens:
        out = BinOp("/", out, f)
    return out


def linear_decomposition(root: Node, params: list[str]) -> tuple[Node | None, list[tuple[str, Node]]]:
    """Split a formula into ``offset + sum_j c_j * basis_j`` where each ``c_j`` is a parameter.

    A parameter is linear when it appears exactly once in the whole formula, as a factor of
    the numerator of one additive term. Each term contributes at most one linear parameter.

    Returns
    -------
    offset : Node or None
        The sum of the terms without a linear parameter (``None`` when there are none).
    linear : list of (name, basis)
        The linear parameters and their basis expressions (which depend only on the other
        parameters and the inputs).
    """
    linear: list[tuple[str, Node]] = []
    rest: list[tuple[float, Node]] = []
    for sign, term in _terms(root):
        nums, dens = _factors(term)
        chosen = None
        for i, f in enumerate(nums):
            if isinstance(f, Var) and f.name in params and count(root, f.name) == 1:
                chosen = i
                break
        if chosen is None:
            rest.append((sign, term))
            continue
        name = nums[chosen].name  # type: ignore[attr-defined]
        linear.append((name, _product(nums[:chosen] + nums[chosen + 1:], dens, sign)))
    offset: Node | None = None
    for sign, term in rest:
        t = term if sign > 0 else Neg(term)
        offset = t if offset is None else BinOp("+", offset, t)
    return offset, linear


def to_text(n: Node) -> str:
    """Render a tree back to formula text (fully parenthesised where needed)."""
    if isinstance(n, Const):
        v = n.value
        text = repr(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
        return f"({text})" if v < 0 else text
    if isinstance(n, Var):
        return n.name
    if isinstance(n, Neg):
        return f"(-({to_text(n.arg)}))"
    if isinstance(n, BinOp):
        return f"({to_text(n.left)} {n.op} {to_text(n.right)})"
    if isinstance(n, Call):
        return f"{n.func}({', '.join(to_text(a) for a in n.args)})"
    raise TypeError(n)  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Compiled evaluation: shared sub-expressions once, tangents only over the parameters they use


@dataclass(frozen=True, eq=False)
class Program:
    """Formulas compiled for evaluation, with :func:`compile_program`.

    Each distinct sub-expression of the formulas is one *slot*, evaluated once, in an order
    where every slot comes after its arguments; a sub-expression that appears several times
    (a factor repeated in every term of an expanded formula) is computed once. Each slot
    records the parameters it depends on, and its tangent (in forward mode) is carried only
    over those, not over every parameter of the law.

    Attributes
    ----------
    code : tuple of tuple
        Per slot: ``("c", value)``, ``("v", name)``, ``("neg", a)``, ``("bin", op, a, b)`` or
        ``("call", func, a, ...)``, where ``a``, ``b`` are the slots of the arguments.
    deps : tuple of ndarray
        Per slot, the sorted indices of the parameters it depends on.
    places : tuple of tuple
        Per slot and argument: the positions of the argument's parameters among the slot's,
        or ``None`` when they are the same parameters.
    outputs : tuple of int
        The slots of the compiled formulas, in the order given.
    n_params : int
        Number of parameters (the length of the full tangent).
    """

    code: tuple[tuple, ...]
    deps: tuple[np.ndarray, ...]
    places: tuple[tuple[np.ndarray | None, ...], ...]
    outputs: tuple[int, ...]
    n_params: int


def compile_program(roots, params) -> Program:
    """Compile formula trees that share parameters into one :class:`Program`.

    Parameters
    ----------
    roots : sequence of Node
        The trees (for example a formula, or the offset and basis functions of its linear
        decomposition).
    params : sequence of str
        The parameter names, in the order of the tangent axis; every other name is an input.

    Returns
    -------
    Program
    """
    index = {p: i for i, p in enumerate(params)}
    code: list[tuple] = []
    deps: list[tuple[int, ...]] = []
    slots: dict[tuple, int] = {}
    seen: dict[int, int] = {}

    def add(key: tuple, dep: tuple[int, ...]) -> int:
        slot = slots.get(key)
        if slot is None:
            slot = slots[key] = len(code)
            code.append(key)
            deps.append(dep)
        return slot

    def union(args: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set().union(*(deps[a] for a in args))))

    def visit(n: Node) -> int:
        slot = seen.get(id(n))
        if slot is not None:
            return slot
        if isinstance(n, Const):
            # the sign of a zero is kept apart: 1/0.0 and 1/-0.0 differ
            slot = add(("c", n.value, math.copysign(1.0, n.value)), ())
        elif isinstance(n, Var):
            slot = add(("v", n.name), (index[n.name],) if n.name in index else ())
        elif isinstance(n, Neg):
            a = visit(n.arg)
            slot = add(("neg", a), deps[a])
        elif isinstance(n, BinOp):
            a, b = visit(n.left), visit(n.right)
            slot = add(("bin", n.op, a, b), union((a, b)))
        elif isinstance(n, Call):
            args = tuple(visit(x) for x in n.args)
            slot = add(("call", n.func) + args, union(args))
        else:  # pragma: no cover - the parser makes only these nodes
            raise LawError(f"cannot compile node {n!r}")
        seen[id(n)] = slot
        return slot

    outputs = tuple(visit(r) for r in roots)
    dep_arrays = tuple(np.asarray(d, dtype=np.intp) for d in deps)
    places = []
    for key, d in zip(code, deps):
        args = key[1:] if key[0] == "neg" else key[2:] if key[0] in ("bin", "call") else ()
        places.append(tuple(None if deps[a] == d else
                            np.searchsorted(dep_arrays[len(places)], dep_arrays[a])
                            for a in args))
    # the first element of a code entry of a constant is the kind; keep the value only
    code = [("c", key[1]) if key[0] == "c" else key for key in code]
    return Program(tuple(code), dep_arrays, tuple(places), outputs, len(params))


def _place(t, where, k: int, shape) -> np.ndarray:
    """A tangent over a slot's parameters from one over a subset of them (zeros elsewhere)."""
    if where is None:
        return t
    out = np.zeros((k,) + shape)
    out[where] = t
    return out


def _combine(ta, wa, tb, wb, k: int):
    """The sum of two tangents over (possibly different) subsets of a slot's parameters."""
    if ta is None:
        return None if tb is None else _place(tb, wb, k, tb.shape[1:])
    if tb is None:
        return _place(ta, wa, k, ta.shape[1:])
    if wa is None and wb is None:
        return ta + tb
    shape = np.broadcast_shapes(ta.shape[1:], tb.shape[1:])
    out = np.zeros((k,) + shape)
    out[slice(None) if wa is None else wa] = ta
    out[slice(None) if wb is None else wb] += tb
    return out


_ONE = np.ones((1, 1, 1))


def run_program(prog: Program, env: Mapping[str, np.ndarray], jac: bool = False):
    """Evaluate a :class:`Program`, optionally with the derivatives of its outputs.

    Parameters
    ----------
    prog : Program
    env : mapping
        Values of every name, arrays that broadcast together (parameters of shape ``(S, 1)``
        or ``(S, n)``, inputs of shape ``(n,)``).
    jac : bool
        Also return the tangents of the outputs with respect to the parameters.

    Returns
    -------
    values : list of ndarray
        One per output.
    tangents : list of ndarray or None
        With ``jac``: one per output, of shape ``(n_params, ...)`` (``None`` for an output that
        depends on no parameter); otherwise ``None``.

    Notes
    -----
    The values and derivatives are those of :func:`evaluate` with one-hot tangents, to the
    last bit where both are finite (the same operations in the same order; a parameter a
    sub-expression does not use contributes no term, where :func:`evaluate` adds an exact
    zero).
    """
    code, deps, places = prog.code, prog.deps, prog.places
    vals: list = [None] * len(code)
    tans: list = [None] * len(code)
    with np.errstate(all="ignore"):
        for i, ins in enumerate(code):
            kind = ins[0]
            if kind == "c":
                vals[i] = np.float64(ins[1])
                continue
            if kind == "v":
                try:
                    vals[i] = env[ins[1]]
                except KeyError:
                    raise LawError(f"no value for {ins[1]!r} in the formula") from None
                if jac and deps[i].size:
                    tans[i] = _ONE
                continue
            if kind == "neg":
                a = ins[1]
                vals[i] = -vals[a]
                if jac and tans[a] is not None:
                    tans[i] = tans[a] * -1.0
                continue
            if kind == "bin":
                op, ia, ib = ins[1], ins[2], ins[3]
                a, b = vals[ia], vals[ib]
                ta, tb = (tans[ia], tans[ib]) if jac else (None, None)
                wa, wb = places[i]
                k = deps[i].size
                if op == "+":
                    vals[i] = a + b
                    if jac:
                        tans[i] = _combine(ta, wa, tb, wb, k)
                elif op == "-":
                    vals[i] = a - b
                    if jac:
                        tans[i] = _combine(ta, wa, None if tb is None else tb * -1.0, wb, k)
                elif op == "*":
                    vals[i] = a * b
                    if jac:
                        tans[i] = _combine(None if ta is None else ta * b, wa,
                                           None if tb is None else tb * a, wb, k)
                elif op == "/":
                    v = vals[i] = a / b
                    if jac:
                        tans[i] = _combine(None if ta is None else ta * (1.0 / b), wa,
                                           None if tb is None else tb * (-v / b), wb, k)
                elif code[ib][0] == "c":  # a power with a constant exponent
                    e = code[ib][1]
                    vals[i] = a ** e
                    if jac and ta is not None:
                        tans[i] = ta * (e * a ** (e - 1.0))
                else:
                    v = vals[i] = a ** b
                    if jac:
                        tans[i] = _combine(None if ta is None else ta * (b * a ** (b - 1.0)), wa,
                                           None if tb is None else tb * (v * np.log(a)), wb, k)
                continue
            f = ins[1]
            if f in ("min", "max"):
                ia, ib = ins[2], ins[3]
                a, b = vals[ia], vals[ib]
                pick_a = (a <= b) if f == "min" else (a >= b)
                vals[i] = np.where(pick_a, a, b)
                if jac and deps[i].size:
                    k = deps[i].size
                    wa, wb = places[i]
                    za = 0.0 if tans[ia] is None else _place(tans[ia], wa, k, tans[ia].shape[1:])
                    zb = 0.0 if tans[ib] is None else _place(tans[ib], wb, k, tans[ib].shape[1:])
                    tans[i] = np.where(pick_a, za, zb)
                continue
            ia = ins[2]
            a = vals[ia]
            ta = tans[ia] if jac else None
            if f == "exp":
                v = np.exp(a)
                d = v
            elif f == "log":
                v, d = np.log(a), (1.0 / a if ta is not None else None)
            elif f == "log10":
                v, d = np.log10(a), (1.0 / (a * np.log(10.0)) if ta is not None else None)
            elif f == "log2":
                v, d = np.log2(a), (1.0 / (a * np.log(2.0)) if ta is not None else None)
            elif f == "sqrt":
                v = np.sqrt(a)
                d = 0.5 / v if ta is not None else None
            elif f == "abs":
                v, d = np.abs(a), (np.sign(a) if ta is not None else None)
            elif f == "tanh":
                v = np.tanh(a)
                d = 1.0 - v * v if ta is not None else None
            elif f == "sigmoid":
                v = 0.5 * (1.0 + np.tanh(0.5 * a))
                d = v * (1.0 - v) if ta is not None else None
            elif f == "softplus":
                v = np.logaddexp(0.0, a)
                d = 0.5 * (1.0 + np.tanh(0.5 * a)) if ta is not None else None
            else:  # pragma: no cover - the parser allows only these
                raise LawError(f"cannot evaluate the function {f!r}")
            vals[i] = v
            if ta is not None:
                tans[i] = ta * d
    values = [vals[o] for o in prog.outputs]
    if not jac:
        return values, None
    out = []
    for o in prog.outputs:
        t = tans[o]
        if t is not None and deps[o].size != prog.n_params:
            full = np.zeros((prog.n_params,) + t.shape[1:])
            full[deps[o]] = t
            t = full
        out.append(t)
    return values, out
