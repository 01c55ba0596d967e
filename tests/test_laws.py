"""Tests of the laws layer: the safe formula parser, exact Jacobians, linear structure, and the
contract every catalogue law must meet (simulate from its example, fit, recover the truth)."""

from __future__ import annotations

import keyword
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import scalinglaws as sl
from scalinglaws import LawError
from scalinglaws.laws import ALLOWED, FUNCTIONS, catalogue_entry, parse_formula
from scalinglaws.laws._expr import (BinOp, Call, Const, Neg, Node, Var, evaluate,
                                    one_hot_evaluate, to_text)
from scalinglaws.simulate import grid_points

CATALOGUE = sl.catalogue_names()


# ---------------------------------------------------------------------------------------------
# The safe parser: what it accepts


@pytest.mark.parametrize(
    ("formula", "env", "expected"),
    [
        ("2", {}, 2.0),
        ("1.5e3", {}, 1500.0),
        ("x", {"x": 3.0}, 3.0),
        ("2 + 3*x - y/4 + x**2", {"x": 3.0, "y": 8.0}, 18.0),
        ("-(x - 1) * +2", {"x": 4.0}, -6.0),
        ("(x + 1) * (y - 1) / 2", {"x": 3.0, "y": 5.0}, 8.0),
        ("x ** -1", {"x": 4.0}, 0.25),
        ("x ** y ** 2", {"x": 2.0, "y": 1.5}, 2.0 ** 2.25),  # ** is right-associative
        ("-x ** 2", {"x": 3.0}, -9.0),  # unary minus binds looser than **
        ("exp(0) + log(E)", {"E": math.e}, 2.0),
        ("log10(100) + log2(8)", {}, 5.0),
        ("sqrt(16) + abs(-3)", {}, 7.0),
        ("tanh(0) + sigmoid(0) + softplus(0)", {}, 0.5 + math.log(2.0)),
        ("min(a, b) + max(a, b) * 10", {"a": 1.0, "b": 2.0}, 21.0),
        ("E + A/N**alpha + B/D**beta",
         {"E": 1.8, "A": 400.0, "N": 1e9, "alpha": 0.34, "B": 2000.0, "D": 1e11, "beta": 0.28},
         1.8 + 400.0 / 1e9 ** 0.34 + 2000.0 / 1e11 ** 0.28),
    ],
)
def test_parser_accepts_and_evaluates(formula, env, expected):
    tree = parse_formula(formula)
    value, tangent = evaluate(tree, {k: np.float64(v) for k, v in env.items()})
    assert tangent is None
    assert float(value) == pytest.approx(expected, rel=1e-12)


def test_parser_tree_shape():
    assert parse_formula("E + A/N**alpha") == BinOp(
        "+", Var("E"), BinOp("/", Var("A"), BinOp("**", Var("N"), Var("alpha"))))
    assert parse_formula("-x") == Neg(Var("x"))
    assert parse_formula("+x") == Var("x")
    assert parse_formula("exp(2)") == Call("exp", (Const(2.0),))


# ---------------------------------------------------------------------------------------------
# The safe parser: what it refuses, and that it says what is allowed


@pytest.mark.parametrize(
    ("formula", "what"),
    [
        ("__import__('os')", "calling '__import__'"),
        ("__import__('os').system('true')", "calling anything but a named function"),
        ("x.y", "attribute access"),
        ("a[0]", "subscripting"),
        ("lambda: 1", "lambda"),
        ("'abc'", "constant 'abc'"),
        ("open(1)", "calling 'open'"),
        ("a if b else c", "conditional expression"),
        ("a < b", "comparison"),
        ("a and b", "boolean operator"),
        ("a ^ b", "write powers as **"),
        ("a // b", "FloorDiv"),
        ("a % b", "Mod"),
        ("~a", "Invert"),
        ("_x + 1", "may not start with '_'"),
        ("__class__", "may not start with '_'"),
        ("exp(x=1)", "keyword"),
        ("max(*a)", "starred"),
        ("True + x", "constant True"),
        ("1j * x", "constant 1j"),
        ("[x]", "List"),
        ("exp + 1", "function name 'exp'"),
        ("f'{x}'", "JoinedStr"),
        ("(x := 1)", "NamedExpr"),
    ],
)
def test_parser_refuses_with_what_is_allowed(formula, what):
    with pytest.raises(LawError) as err:
        parse_formula(formula)
    message = str(err.value)
    assert what in message
    assert ALLOWED in message  # the message says what a formula may use
    assert "\n" not in message


@pytest.mark.parametrize(
    ("formula", "what"),
    [
        ("", "empty formula"),
        ("   ", "empty formula"),
        ("x +", "not a valid expression"),
        ("a = 1", "not a valid expression"),
        ("a; b", "not a valid expression"),
        ("exp(1, 2)", "exp() takes 1 argument(s), got 2"),
        ("min(1)", "min() takes 2 argument(s), got 1"),
        ("x" * 10_001, "longer than 10000 characters"),
    ],
)
def test_parser_refuses_malformed_text(formula, what):
    with pytest.raises(LawError, match=None) as err:
        parse_formula(formula)
    assert what in str(err.value)


@pytest.mark.parametrize(
    "formula",
    [
        "1" + "0" * 400,          # an integer literal too large for a float
        "x + " + "9" * 320,
        "-" * 3000 + "x",         # nested deeper than the recursion limit, under 10000 chars
        "1+" * 3000 + "1",
        "x**" * 2000 + "2",
    ],
    ids=["huge-int", "huge-int-in-sum", "deep-unary", "long-sum", "deep-power"],
)
def test_parser_pathological_text_raises_law_error(formula):
    """Whatever the text, the parser either returns a tree or raises LawError."""
    try:
        tree = parse_formula(formula)
    except LawError:
        return
    assert isinstance(tree, Node)


@pytest.mark.parametrize("formula", ["(-x)**2", "(-2)**x", "-x**2", "(-(x))**(-y)", "2**-x"])
def test_to_text_keeps_the_meaning_of_negated_powers(formula):
    """(-x)**2 is 4 at x=2 while -x**2 is -4: rendering must keep them apart."""
    tree = parse_formula(formula)
    text = to_text(tree)
    again = parse_formula(text)
    env = {"x": np.float64(2.0), "y": np.float64(3.0)}
    assert float(evaluate(again, env)[0]) == float(evaluate(tree, env)[0])
    assert again == tree


@pytest.mark.parametrize("formula", ["1e999", "x * 1e999", "x + 1e400"])
def test_non_finite_constant_is_refused_or_round_trips(formula):
    """A literal that overflows to inf must not turn into the *variable* 'inf' on re-parsing."""
    try:
        tree = parse_formula(formula)
    except LawError:
        return
    assert parse_formula(to_text(tree)) == tree


def test_user_formula_cannot_reach_python():
    for text in ("__import__('os').system('echo pwned')", "open('/etc/passwd')",
                 "().__class__.__bases__[0]", "eval('1')", "exec('x=1')", "globals()"):
        with pytest.raises(LawError):
            sl.formula_law(text, ["N"])


# ---------------------------------------------------------------------------------------------
# Hypothesis properties


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_random_text_parses_or_raises_law_error(text):
    try:
        tree = parse_formula(text)
    except LawError:
        return
    assert isinstance(tree, Node)


FORMULA_ALPHABET = "0123456789.eE+-*/()^,<>=_ xyabNDalphexpogsqrtminax'\"[]:;!@%&|~"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=FORMULA_ALPHABET, max_size=80))
def test_formula_like_text_parses_or_raises_law_error(text):
    try:
        tree = parse_formula(text)
    except LawError:
        return
    assert isinstance(tree, Node)
    # whatever parses renders back to text that parses to the same tree
    assert parse_formula(to_text(tree)) == tree


_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and s not in FUNCTIONS and s not in ("True", "False",
                                                                            "None"))
_NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(str),
    st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False).map(repr),
)
_UNARY = sorted(f for f, n in FUNCTIONS.items() if n == 1)
_BINARY = sorted(f for f, n in FUNCTIONS.items() if n == 2)


def _compound(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**"]), children,
                  st.sampled_from(["", " "])).map(lambda t: f"({t[0]}{t[3]}{t[1]}{t[3]}{t[2]})"),
        st.tuples(st.sampled_from(["-", "+"]), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(_UNARY), children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(_BINARY), children, children).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        children.map(lambda s: f"({s})"),
    )


VALID_FORMULAS = st.recursive(st.one_of(_NAMES, _NUMBERS), _compound, max_leaves=25)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VALID_FORMULAS)
@example("((-(x))**2)")      # a negated base must stay inside the power
@example("(-(2)**-(y))")
@example("(x*1e300)")
@example("(exp(-(a)) - max(b, 0.5))")
def test_parse_to_text_parse_is_stable(formula):
    tree = parse_formula(formula)
    text = to_text(tree)
    again = parse_formula(text)
    assert again == tree
    assert to_text(again) == text


# ---------------------------------------------------------------------------------------------
# Exact Jacobians


def _example(name):
    law = sl.get_law(name)
    ex = catalogue_entry(name).example
    X = grid_points(ex.grid, law.inputs)
    theta = np.array([ex.params[p] for p in law.param_names], dtype=float)
    return law, ex, X, theta


def _finite_difference_jacobian(law, X, theta, rel_step=1e-3):
    """Five-point central differences with a step relative to each parameter."""
    n = len(next(iter(X.values())))
    out = np.empty((n, len(theta)))
    for j in range(len(theta)):
        h = rel_step * max(abs(theta[j]), 1e-3)

        def f(d, j=j):
            t = theta.copy()
            t[j] += d
            return law.predict(X, t)

        out[:, j] = (-f(2 * h) + 8 * f(h) - 8 * f(-h) + f(-2 * h)) / (12 * h)
    return out


def _assert_jacobian_matches(law, X, theta):
    value, J = law.jacobian(X, theta)
    assert value.shape == (1, len(next(iter(X.values()))))
    assert J.shape == value.shape + (law.n_params,)
    np.testing.assert_allclose(value[0], law.predict(X, theta), rtol=1e-14)
    J_fd = _finite_difference_jacobian(law, X, theta)
    # rel 1e-4; plus a floor for sensitivities too small for differences to resolve
    # (a change of the prediction below 1e-8 of its value for a unit relative change)
    scale = np.maximum(np.abs(theta), 1e-3)
    floor = 1e-8 * np.abs(value[0])[:, None] / scale[None, :]
    err = np.abs(J[0] - J_fd)
    bad = err > 1e-4 * np.abs(J_fd) + floor
    assert not bad.any(), (
        f"{law.name}: analytic and numerical Jacobians differ for parameter(s) "
        f"{sorted({law.param_names[j] for j in np.nonzero(bad)[1]})}; worst relative error "
        f"{np.max(err / (np.abs(J_fd) + floor)):.3g}"
    )


@pytest.mark.parametrize("name", CATALOGUE)
def test_catalogue_jacobian_matches_finite_differences(name):
    law, _, X, theta = _example(name)
    assert np.all(np.isfinite(law.predict(X, theta)))
    _assert_jacobian_matches(law, X, theta)


@pytest.mark.parametrize("func", sorted(FUNCTIONS))
def test_function_derivatives(func):
    """Every whitelisted function differentiates correctly (away from kinks)."""
    if FUNCTIONS[func] == 1:
        law = sl.formula_law(f"c + k*{func}(b*x - s)", ["x"])
        theta = {"c": 0.3, "k": 1.7, "b": 0.8, "s": -0.25}
    else:
        law = sl.formula_law(f"c + k*{func}(b*x, s)", ["x"])
        theta = {"c": 0.3, "k": 1.7, "b": 0.8, "s": 2.05}
    X = {"x": np.linspace(0.1, 5.0, 23)}
    _assert_jacobian_matches(law, X, np.array([theta[p] for p in law.param_names]))


def test_jacobian_of_several_parameter_sets():
    law, _, X, theta = _example("chinchilla")
    thetas = np.stack([theta, theta * 1.1, theta * 0.9])
    value, J = law.jacobian(X, thetas)
    for s in range(3):
        v1, J1 = law.jacobian(X, thetas[s])
        np.testing.assert_allclose(value[s], v1[0], rtol=1e-14)
        np.testing.assert_allclose(J[s], J1[0], rtol=1e-14)


def _tree_walk(law, X, theta):
    """Values and Jacobian of a formula law by the plain tree walk with one-hot tangents (the
    reference the compiled program must reproduce)."""
    v, t = one_hot_evaluate(law.tree, law._env(law._inputs(X), theta), law.param_names)
    S, n, P = theta.shape[0], len(next(iter(X.values()))), law.n_params
    return np.broadcast_to(v, (S, n)), np.moveaxis(np.broadcast_to(t, (P, S, n)), 0, -1)


@pytest.mark.parametrize("formula", [
    "E + A/N**alpha + B/D**beta",
    # a factor repeated in every term, as discover writes its expanded formulas
    "E*(1 + C*(log(D) - m)**2) + A/N**a*(1 + C*(log(D) - m)**2) + B*log(D)*(1 + C*(log(D) - m)**2)",
    "A*(1 + (N/s)**a)**(-b) - E/D + max(N/D, k) - min(-N, q*D)",
    "c*exp(-k*(N/D - 1)) + sqrt(abs(a*N - D)) + tanh(t*N) + sigmoid(g*D) + softplus(h - N)",
    "(A/N**alpha)**(1/q) + log10(N)*u + log2(D)*w + N**2*v + (-(x0*N))",
])
def test_compiled_formula_matches_the_tree_walk_bit_for_bit(formula):
    """The compiled program (shared sub-expressions once, tangents over the parameters each
    uses) gives the tree walk's values and Jacobian exactly, for several parameter sets."""
    law = sl.formula_law(formula, ["N", "D"])
    rng = np.random.default_rng(3)
    X = {"N": 10 ** rng.uniform(0.5, 3, 40), "D": 10 ** rng.uniform(0.5, 3, 40)}
    theta = rng.uniform(0.2, 1.5, (4, law.n_params))
    v0, J0 = _tree_walk(law, X, theta)
    v1, J1 = law.jacobian(X, theta)
    assert np.isfinite(v1).all() and np.isfinite(J1).all()
    assert np.array_equal(v0, v1) and np.array_equal(J0, J1)
    np.testing.assert_array_equal(law.predict(X, theta), v0)


def test_compiled_formula_shares_repeated_parts_and_group_wise_parameters():
    """A repeated factor is one slot of the program; parameters given per observation (the
    layout of group-wise fits) are evaluated like the tree walk too."""
    from scalinglaws.laws._expr import compile_program

    bowl = "(1 + C*(log(D) - m)**2)"
    law = sl.formula_law(f"E*{bowl} + A/N**a*{bowl}", ["N", "D"])
    prog = compile_program([law.tree], law.param_names)
    once = compile_program([parse_formula(f"E*{bowl} + A/N**a")], law.param_names)
    assert len(prog.code) == len(once.code) + 1  # only the second product by the bowl
    rng = np.random.default_rng(4)
    X = {"N": 10 ** rng.uniform(0.5, 3, 30), "D": 10 ** rng.uniform(0.5, 3, 30)}
    theta = rng.uniform(0.2, 1.5, (2, 30, law.n_params))  # a parameter set per observation
    v0, J0 = _tree_walk(law, X, theta)
    v1, J1 = law._evaluate(law._inputs(X), theta, True)
    assert np.array_equal(v0, v1) and np.array_equal(J0, J1)


# ---------------------------------------------------------------------------------------------
# Linear structure (variable projection)


@pytest.mark.parametrize(
    ("law", "linear"),
    [
        (sl.get_law("chinchilla"), ("E", "A", "B")),
        (sl.get_law("kaplan"), ()),
        (sl.get_law("power_offset"), ("E", "A")),
        (sl.get_law("m4"), ()),
        (sl.formula_law("E + A/N**alpha + B/D**beta", ["N", "D"]), ("E", "A", "B")),
        (sl.formula_law("A/N**alpha - E", ["N"]), ("A", "E")),
        # A also appears in the exponent: not linear
        (sl.formula_law("A*exp(-N/A) + E", ["N"]), ("E",)),
        # all in exponents or nested: nothing linear
        (sl.formula_law("(N/N_c)**(-alpha)", ["N"]), ()),
    ],
    ids=lambda v: v.name if isinstance(v, sl.Law) else None,
)
def test_linear_params_detection(law, linear):
    assert law.linear_params == linear


@pytest.mark.parametrize("name", [n for n in CATALOGUE if sl.get_law(n).linear_params])
def test_linear_basis_reproduces_the_prediction(name):
    law, _, X, theta = _example(name)
    offset, G = law.linear_basis(X, theta[None])
    lin = [law.param_names.index(p) for p in law.linear_params]
    recon = offset[0] + G[0] @ theta[lin]
    np.testing.assert_allclose(recon, law.predict(X, theta), rtol=1e-10)


def test_user_formula_params_and_defaults():
    law = sl.formula_law("E + A/N**alpha + B/D**beta", ["N", "D", "unused"])
    assert law.inputs == ("N", "D")
    assert law.param_names == ("E", "A", "alpha", "B", "beta")
    assert law.param("alpha").typical == (0.05, 1.5)  # exponents get an exponent-like range
    assert law.param("E").typical == (-1.0, 1.0)
    bounded = sl.formula_law("E + A/N**alpha", ["N"], bounds={"alpha": (0.0, 2.0)})
    assert (bounded.param("alpha").lower, bounded.param("alpha").upper) == (0.0, 2.0)
    with pytest.raises(LawError, match="gamma"):
        sl.formula_law("E + A/N**alpha", ["N"], bounds={"gamma": (0.0, 1.0)})
    with pytest.raises(LawError, match="uses none of the inputs"):
        sl.formula_law("E + A/N**alpha", ["D"])
    with pytest.raises(LawError, match="no parameters"):
        sl.formula_law("N + D", ["N", "D"])


def test_law_parameter_checks():
    law = sl.get_law("chinchilla")
    X = {"N": np.array([1e9]), "D": np.array([1e11])}
    with pytest.raises(LawError, match="alpha"):
        law.predict(X, {"E": 1.0, "A": 1.0, "B": 1.0, "beta": 0.3})
    with pytest.raises(LawError, match="gamma"):
        law.predict(X, {"E": 1.0, "A": 1.0, "B": 1.0, "alpha": 0.3, "beta": 0.3, "gamma": 1})
    with pytest.raises(LawError, match="5 parameters"):
        law.predict(X, [1.0, 2.0])
    with pytest.raises(LawError, match="needs input 'D'"):
        law.predict({"N": np.array([1e9])}, [1.0, 1.0, 1.0, 0.3, 0.3])
    with pytest.raises(LawError, match="unknown parameter 'gamma'"):
        law.param("gamma")
    with pytest.raises(LawError, match="lower bound"):
        sl.Param("x", 1.0, 0.0)


def test_unknown_law_lists_the_catalogue():
    with pytest.raises(LawError) as err:
        sl.get_law("chinchila")
    for name in CATALOGUE:
        assert name in str(err.value)


# ---------------------------------------------------------------------------------------------
# Descriptions (`laws show`)


@pytest.mark.parametrize("name", CATALOGUE)
def test_describe_has_formula_bounds_and_reference(name):
    law = sl.get_law(name)
    d = law.describe()
    assert d["name"] == name
    assert d["formula"] == law.formula and d["formula"].strip()
    assert d["inputs"] == list(law.inputs)
    assert d["reference"].strip() and "arXiv" in d["reference"]
    assert [p["name"] for p in d["params"]] == list(law.param_names)
    for p, param in zip(d["params"], law.params):
        for side, bound in (("lower", param.lower), ("upper", param.upper)):
            if math.isinf(bound):
                assert p[side] == ("inf" if bound > 0 else "-inf")
            else:
                assert p[side] == bound
        assert p["linear"] == (param.name in law.linear_params)
        assert p["scale"] in ("linear", "log")
        assert p["description"].strip()


# ---------------------------------------------------------------------------------------------
# The contract every catalogue law meets


def _tolerance(true_value: float) -> float:
    return max(0.10 * abs(true_value), 0.02)


@pytest.mark.parametrize("name", CATALOGUE)
def test_catalogue_contract_recovers_ground_truth(name):
    law = sl.get_law(name)
    ex = catalogue_entry(name).example
    assert ex is not None, f"{name} has no example"
    assert set(ex.params) == set(law.param_names)
    assert set(ex.grid) == set(law.inputs)
    for p in law.params:  # the example lies inside the declared bounds
        assert p.lower <= ex.params[p.name] <= p.upper, p.name

    frame = sl.simulate(law, seed=1, noise=ex.noise * 0.2)
    data = sl.make_dataset(frame, {k: k for k in law.inputs}, "loss")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)  # outlier flags are not the point here
        res = sl.Fitter().fit(law, data)

    assert res.n == len(frame)
    fitted, true = dict(res.params), dict(ex.params)
    if ex.simplex:
        # proportions that sum to 1 fix the exponents t only up to a common shift, which k
        # absorbs: the fit says so, and the identifiable combinations are compared
        assert res.status == "ill_conditioned", res.warnings
        for values in (fitted, true):
            ts = [n for n in law.param_names if n.startswith("t")]
            shift = float(np.mean([values[n] for n in ts]))
            values.update({n: values[n] - shift for n in ts})
            values["k"] = values["k"] * np.exp(shift)
    else:
        assert res.status == "converged", res.warnings
    off = {p: (fitted[p], true[p]) for p in law.param_names
           if not abs(fitted[p] - true[p]) <= _tolerance(true[p])}
    assert not off, f"{name}: (fitted, true) outside tolerance: {off}"
    # the fit explains the noiseless truth well within the noise level
    truth = frame["true_loss"].to_numpy()
    assert np.max(np.abs(np.log(res.fitted / truth))) < 5 * ex.noise * 0.2
