"""LaTeX for formulas: the parsed expression tree rendered with minimal parentheses."""

from __future__ import annotations

import math
import re

from ..laws import parse_formula
from ..laws._expr import BinOp, Call, Const, Neg, Node, Var

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda",
          "mu", "nu", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}
_NUMBERED = re.compile(r"^([A-Za-z]+)(\d+)(?:_(.+))?$")


def latex(formula: str, inputs: tuple[str, ...] | list[str] = ()) -> str:
    """LaTeX of a formula; names in ``inputs`` are set upright (``\\mathrm``).

    Parameters
    ----------
    formula : str
        A formula in the language of :func:`scalinglaws.laws.parse_formula`.
    inputs : sequence of str
        Names that are inputs (data columns) rather than parameters.

    Returns
    -------
    str
    """
    return _tex(parse_formula(formula), set(inputs))


def _name(name: str, inputs: set[str]) -> str:
    if name in inputs or name.endswith("_eff"):
        base = name[:-4] if name.endswith("_eff") and name not in inputs else name
        text = r"\mathrm{" + base.replace("_", r"\_") + "}"
        return text + (r"_{\mathrm{eff}}" if base != name else "")
    if name in _GREEK:
        return "\\" + name
    m = _NUMBERED.match(name)
    if m:
        head, num, tail = m.groups()
        head = "\\" + head if head in _GREEK else head
        sub = num if tail is None else num + "," + _name(tail, inputs | {tail})
        return f"{head}_{{{sub}}}"
    if "_" in name:
        head, tail = name.split("_", 1)
        head = "\\" + head if head in _GREEK else head
        return f"{head}_{{{_name(tail, inputs | {tail})}}}"
    return name


def _num(v: float) -> str:
    if v == int(v) and abs(v) < 1e5:
        return str(int(v))
    e = math.floor(math.log10(abs(v))) if v else 0
    mant = v / 10.0 ** e
    if abs(mant - round(mant)) < 1e-9 and round(mant) == 1:
        return f"10^{{{e}}}"
    if abs(e) >= 4:
        return f"{mant:.3g} \\times 10^{{{e}}}"
    return f"{v:.4g}"


def _prec(n: Node) -> int:
    if isinstance(n, BinOp):
        return _PREC[n.op]
    if isinstance(n, Neg):
        return _PREC["neg"]
    if isinstance(n, Const) and n.value < 0:
        return _PREC["neg"]
    return 10


def _wrap(n: Node, inputs: set[str], below: int) -> str:
    text = _tex(n, inputs)
    return rf"\left({text}\right)" if _prec(n) < below else text


def _tex(n: Node, inputs: set[str]) -> str:
    if isinstance(n, Const):
        return _num(n.value)
    if isinstance(n, Var):
        return _name(n.name, inputs)
    if isinstance(n, Neg):
        return "-" + _wrap(n.arg, inputs, _PREC["*"])
    if isinstance(n, BinOp):
        op = n.op
        if op == "+":
            right = n.right
            if isinstance(right, Neg):
                return f"{_tex(n.left, inputs)} - {_wrap(right.arg, inputs, 2)}"
            return f"{_tex(n.left, inputs)} + {_tex(right, inputs)}"
        if op == "-":
            return f"{_tex(n.left, inputs)} - {_wrap(n.right, inputs, 2)}"
        if op == "*":
            return f"{_wrap(n.left, inputs, 2)}\\,{_wrap(n.right, inputs, 3)}"
        if op == "/":
            return rf"\frac{{{_tex(n.left, inputs)}}}{{{_tex(n.right, inputs)}}}"
        base = _wrap(n.left, inputs, 10)
        expo = _tex(n.right, inputs)
        return f"{base}^{{{expo}}}"
    if isinstance(n, Call):
        args = ", ".join(_tex(a, inputs) for a in n.args)
        if n.func == "sqrt":
            return rf"\sqrt{{{args}}}"
        if n.func in ("exp", "log", "tanh", "min", "max"):
            return rf"\{n.func}\left({args}\right)"
        return rf"\operatorname{{{n.func}}}\left({args}\right)"
    raise TypeError(n)  # pragma: no cover
