"""The search space: law forms built from terms, rendered to formulas, and the moves between them.

A :class:`Form` is a small, hashable description of a law:

* an additive *base*: an optional offset ``E`` plus terms, each a function of one or two inputs
  with its own amplitude (power laws, saturating and broken power laws, logarithms, products of
  powers for interactions, shifted powers and logarithms of mixture proportions);
* *bowls* ``C*(log(x) - m - sum_k g_k*log(z_k/ref_k))**2`` for inputs with an optimum (learning
  rate, batch size), whose optimum may move as a power law of other inputs, and cross terms
  between two bowls; they are added to the base or multiply it as ``base*(1 + bowls)``;
* an optional exponential link ``base*exp(sum_j t_j*r_j)`` over proportions (data mixing laws);
* *effective quantities*: an input ``x`` that repeats another input ``u`` (tokens seen and
  unique tokens) may be replaced everywhere by ``u + u*R*(1 - exp(-(x/u - 1)/R))``;
* with groups, which parameters are shared by all groups.

A form renders to two equivalent formulas: a readable one (factored, with definitions) and the
one that is fitted, expanded so that every amplitude and offset appears once as a factor of an
additive term, which lets the fitter solve them exactly (variable projection).

Moves (:func:`expand`) add a term, enrich a term (a power law into a saturating or broken one,
or into an interaction with a second input), let a bowl's optimum depend on one more input,
switch bowls between added and multiplying, add an exponential link, substitute an effective
quantity, change which parameters are shared, or drop a term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Iterator, Literal

from ._inputs import InputInfo

# term kinds, in the canonical order of rendering
BASE_KINDS = ("pow", "sat", "logistic", "richards", "bpow", "inter", "pmean", "log", "fpow",
              "flog", "flin")
BOWL_KINDS = ("bowl", "abowl", "nbowl", "cross")
SHAPED_BOWLS = ("bowl", "abowl", "nbowl")
SCALE_TERMS = ("pow", "sat", "logistic", "bpow", "log")
FRACTION_TERMS = ("fpow", "flog", "flin")
Sharing = Literal["none", "exponents", "nonlinear"]
SHARINGS: tuple[Sharing, ...] = ("none", "exponents", "nonlinear")


@dataclass(frozen=True, order=True)
class Term:
    """One term of a form.

    Attributes
    ----------
    kind : str
        ``pow`` ``A/x**a``; ``sat`` ``A*(1 + x/s)**(-a)``; ``logistic`` ``A/(1 + (x/s)**a)``;
        ``richards`` ``A*(1 + (x/s)**a)**(-b)`` (a generalised logistic in log x); ``bpow`` ``A/x**a*(1 + x/s)**(-b)`` (a broken power law); ``inter``
        ``A/(x**a*z**b)``; ``pmean`` ``A*((x/x0)**(-c) + r*(z/z0)**(-d))**q`` (a power mean of
        two power laws, Kaplan et al. 2020's L(N, D)); ``log`` ``A*log(x)``; ``fpow`` ``A*(r + e)**(-a)``; ``flog``
        ``A*log(r + e)``; ``flin`` ``A*r``; ``bowl`` ``C*(log(x) - m - sum g*log(z/ref))**2``;
        ``abowl`` and ``nbowl``: asymmetric bowls ``C*(exp(k*u) - 1 - k*u)/k**2`` in the same
        centred log ``u`` (``k > 0``: steeper above the optimum, ``k < 0``: below it); ``cross``
        ``C*u_x*u_z`` (the product of the centred logs of two bowls).
    inputs : tuple of str
        The input (or, for ``inter`` and ``cross``, the two inputs) it depends on.
    deps : tuple of str
        For a bowl: the inputs its optimum depends on.
    """

    kind: str
    inputs: tuple[str, ...]
    deps: tuple[str, ...] = ()

    def order_key(self) -> tuple:
        """Sort key that puts terms in the canonical order of rendering.

        Returns
        -------
        tuple
            ``(position of kind in BASE_KINDS + BOWL_KINDS, inputs, deps)``.
        """
        kinds = BASE_KINDS + BOWL_KINDS
        return (kinds.index(self.kind), self.inputs, self.deps)

    def describe(self) -> str:
        """Short label, e.g. ``pow(tokens)`` or ``bowl(lr | params, tokens)``."""
        deps = f" | {', '.join(self.deps)}" if self.deps else ""
        return f"{self.kind}({', '.join(self.inputs)}{deps})"


@dataclass(frozen=True)
class Form:
    """A law form: base terms, bowls, link, effective quantities and sharing.

    Attributes
    ----------
    terms : tuple of Term
        Base terms and bowls, in canonical order.
    offset : bool
        Whether the base has a constant ``E``.
    bowls_multiply : bool
        Bowls multiply the base, ``base*(1 + bowls)``, instead of adding to it.
    link : tuple of str
        Proportions in an exponential link ``*exp(sum_j t_j*r_j)`` (empty: no link).
    effective : tuple of (str, str)
        ``(total, unique)`` pairs: ``total`` is replaced by its effective value.
    sharing : {"none", "exponents", "nonlinear"}
        With groups: no parameter shared; the exponents (and slopes of optima) shared; every
        parameter but the amplitudes and the offset shared.
    """

    terms: tuple[Term, ...]
    offset: bool = True
    bowls_multiply: bool = False
    link: tuple[str, ...] = ()
    effective: tuple[tuple[str, str], ...] = ()
    sharing: Sharing = "none"

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(sorted(set(self.terms), key=Term.order_key)))
        object.__setattr__(self, "link", tuple(sorted(set(self.link))))
        object.__setattr__(self, "effective", tuple(sorted(set(self.effective))))

    @property
    def base(self) -> tuple[Term, ...]:
        """The base terms (kinds in ``BASE_KINDS``), in canonical order."""
        return tuple(t for t in self.terms if t.kind in BASE_KINDS)

    @property
    def bowls(self) -> tuple[Term, ...]:
        """The bowls and cross terms (kinds in ``BOWL_KINDS``), in canonical order."""
        return tuple(t for t in self.terms if t.kind in BOWL_KINDS)

    def key(self) -> str:
        """A canonical string identifying the form (equal forms, equal keys)."""
        parts = [t.describe() for t in self.terms]
        if self.offset:
            parts.insert(0, "E")
        text = " + ".join(parts)
        if self.bowls_multiply and self.bowls:
            text += " [bowls multiply]"
        if self.link:
            text += f" [exp link: {', '.join(self.link)}]"
        if self.effective:
            text += " [effective: " + ", ".join(f"{a}<-{b}" for a, b in self.effective) + "]"
        if self.sharing != "none":
            text += f" [shared: {self.sharing}]"
        return text


# ---------------------------------------------------------------------------------------------
# rendering


@dataclass
class Rendered:
    """A form rendered to formulas.

    Attributes
    ----------
    formula : str
        The formula that is fitted (expanded: amplitudes are linear parameters).
    readable : str
        The same law, factored, with effective quantities as named definitions.
    definitions : list of (str, str)
        ``(name, formula)`` of the definitions used by ``readable``.
    bounds : dict
        ``parameter -> (lower, upper)``; finite bounds also set the start grid.
    shared : tuple of str
        Parameters shared across groups.
    params : list of str
        Parameter names in order of appearance.
    """

    formula: str
    readable: str
    definitions: list[tuple[str, str]]
    bounds: dict[str, tuple[float, float]]
    shared: tuple[str, ...]
    params: list[str] = field(default_factory=list)


def _fmt(x: float) -> str:
    """A constant as compact formula text (``1e9``, ``256``, ``0.5``)."""
    if x == int(x) and abs(x) < 1e5:
        return str(int(x))
    text = f"{x:.3g}"
    return text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


class _Names:
    """Parameter names that never collide with input names (a clash gets a trailing ``_``)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = set(taken)
        self.order: list[str] = []

    def __call__(self, base: str) -> str:
        name = base
        while name in self.taken:
            name = name + "_"
        self.taken.add(name)
        self.order.append(name)
        return name


def render(form: Form, infos: tuple[InputInfo, ...]) -> Rendered:
    """Render a form to its fitted and readable formulas, bounds and shared parameters.

    Parameters
    ----------
    form : Form
        The law form to render.
    infos : tuple of InputInfo
        The inputs of the data; their names are kept out of the parameter names, and their
        ranges and reference values set the bounds of locations and the centres of optima.

    Returns
    -------
    Rendered
        The fitted and readable formulas, definitions, bounds, shared parameters and the
        parameter names in order of appearance.
    """
    info = {i.name: i for i in infos}
    names = _Names(set(info))
    bounds: dict[str, tuple[float, float]] = {}
    kinds: dict[str, str] = {}   # parameter -> "amp", "exp", "loc", "shape"

    def param(base: str, lo: float, hi: float, kind: str) -> str:
        n = names(base)
        if math.isfinite(lo) or math.isfinite(hi):
            bounds[n] = (lo, hi)
        kinds[n] = kind
        return n

    # effective quantities: readable name, fitted expression
    eff_expr: dict[str, str] = {}
    eff_name: dict[str, str] = {}
    definitions: list[tuple[str, str]] = []
    for j, (total, unique) in enumerate(form.effective, start=1):
        R = param(f"R{j}", 0.1, 1e4, "loc")
        expr = f"{unique} + {unique}*{R}*(1 - exp(-({total}/{unique} - 1)/{R}))"
        label = names(f"{total}_eff")
        names.order.remove(label)  # a definition, not a parameter
        eff_expr[total] = f"({expr})"
        eff_name[total] = label
        definitions.append((label, expr))

    def x_fit(name: str) -> str:
        return eff_expr.get(name, name)

    def x_read(name: str) -> str:
        return eff_name.get(name, name)

    base_fit: list[str] = []
    base_read: list[str] = []
    if form.offset:
        e = param("E", -math.inf, math.inf, "amp")
        base_fit.append(e)
        base_read.append(e)
    k = 0
    for t in form.base:
        k += 1
        fit_text, read_text = _render_term(t, k, x_fit, x_read, info, param)
        base_fit.append(fit_text)
        base_read.append(read_text)

    bowl_u_fit: dict[str, str] = {}
    bowl_u_read: dict[str, str] = {}
    bowl_fit: list[str] = []
    bowl_read: list[str] = []
    mult = form.bowls_multiply and bool(form.base or form.offset)
    for t in form.bowls:
        k += 1
        if t.kind in SHAPED_BOWLS:
            x = t.inputs[0]
            m_lo, m_hi = math.log(info[x].lo) - 2.0, math.log(info[x].hi) + 2.0
            m = param(f"m{k}", m_lo, m_hi, "loc")
            parts_fit = [f"log({x_fit(x)})", m]
            parts_read = [f"log({x_read(x)})", m]
            for d in t.deps:
                g = param(f"g{k}_{d}" if len(t.deps) > 1 else f"g{k}", -2.0, 2.0, "exp")
                ref = _fmt(info[d].ref)
                parts_fit.append(f"{g}*log({x_fit(d)}/{ref})")
                parts_read.append(f"{g}*log({x_read(d)}/{ref})")
            u_fit = "(" + " - ".join(parts_fit) + ")"
            u_read = "(" + " - ".join(parts_read) + ")"
            bowl_u_fit[x], bowl_u_read[x] = u_fit, u_read
            if mult:  # a curvature relative to the base: non-linear, with a log-spaced grid
                C = param(f"C{k}", 1e-6, 10.0, "loc")
            else:
                C = param(f"C{k}", 0.0, math.inf, "amp")
            if t.kind == "bowl":
                bowl_fit.append(f"{C}*{u_fit}**2")
                bowl_read.append(f"{C}*{u_read}**2")
            else:
                lo, hi = (0.05, 5.0) if t.kind == "abowl" else (-5.0, -0.05)
                kk = param(f"k{k}", lo, hi, "shape")
                bowl_fit.append(f"{C}*(exp({kk}*{u_fit}) - 1 - {kk}*{u_fit})/{kk}**2")
                bowl_read.append(f"{C}*(exp({kk}*{u_read}) - 1 - {kk}*{u_read})/{kk}**2")
        else:  # cross
            a, b = t.inputs
            if mult:
                C = param(f"C{k}", -10.0, 10.0, "loc")
            else:
                C = param(f"C{k}", -math.inf, math.inf, "amp")
            bowl_fit.append(f"{C}*{bowl_u_fit[a]}*{bowl_u_fit[b]}")
            bowl_read.append(f"{C}*{bowl_u_read[a]}*{bowl_u_read[b]}")

    link_fit = link_read = ""
    if form.link:
        ts = []
        for r in form.link:
            tname = param(f"t_{r}" if len(form.link) > 1 else "t", -20.0, 20.0, "exp")
            ts.append(f"{tname}*{r}")
        link_fit = link_read = "exp(" + " + ".join(ts) + ")"

    # the fitted formula: every base term carries the multipliers so its amplitude stays linear
    mults_fit = []
    if mult and bowl_fit:
        mults_fit.append("(1 + " + " + ".join(bowl_fit) + ")")
    if link_fit:
        mults_fit.append(link_fit)
    suffix = "".join(f"*{m}" for m in mults_fit)
    fitted_terms = [f"{t}{suffix}" for t in base_fit]
    if not mult:
        fitted_terms += [f"{t}{('*' + link_fit) if link_fit else ''}" for t in bowl_fit]
    formula = " + ".join(fitted_terms)

    readable = " + ".join(base_read)
    if mult and bowl_read:
        readable = f"({readable})*(1 + {' + '.join(bowl_read)})"
    elif bowl_read:
        readable = " + ".join(filter(None, [readable, *bowl_read]))
    if link_read:
        readable = f"({readable})*{link_read}"
    formula = formula.replace("+ -", "- ")
    params = [n for n in names.order]
    shared = _shared(form.sharing, kinds)
    return Rendered(formula, readable, definitions, bounds, shared, params)


def _shared(sharing: Sharing, kinds: dict[str, str]) -> tuple[str, ...]:
    if sharing == "none":
        return ()
    if sharing == "exponents":
        return tuple(p for p, k in kinds.items() if k == "exp")
    return tuple(p for p, k in kinds.items() if k != "amp")


def _render_term(t: Term, k: int, x_fit, x_read, info, param) -> tuple[str, str]:
    """Fitted and readable text of one base term (amplitude first, so that it is linear)."""
    x = t.inputs[0]
    A = param(f"A{k}", -math.inf, math.inf, "amp")
    if t.kind == "pow":
        a = param(f"a{k}", 0.0, 3.0, "exp")
        return f"{A}/{x_fit(x)}**{a}", f"{A}/{x_read(x)}**{a}"
    if t.kind == "sat":
        s = param(f"s{k}", info[x].lo / 100.0, info[x].hi * 100.0, "loc")
        a = param(f"a{k}", 0.0, 3.0, "exp")
        return (f"{A}*(1 + {x_fit(x)}/{s})**(-{a})", f"{A}*(1 + {x_read(x)}/{s})**(-{a})")
    if t.kind == "logistic":
        s = param(f"s{k}", info[x].lo / 100.0, info[x].hi * 100.0, "loc")
        a = param(f"a{k}", 0.0, 3.0, "exp")
        return (f"{A}/(1 + ({x_fit(x)}/{s})**{a})", f"{A}/(1 + ({x_read(x)}/{s})**{a})")
    if t.kind == "richards":
        s = param(f"s{k}", info[x].lo / 100.0, info[x].hi * 100.0, "loc")
        a = param(f"a{k}", 0.0, 3.0, "exp")
        b = param(f"b{k}", 0.01, 10.0, "exp")
        return (f"{A}*(1 + ({x_fit(x)}/{s})**{a})**(-{b})",
                f"{A}*(1 + ({x_read(x)}/{s})**{a})**(-{b})")
    if t.kind == "bpow":
        a = param(f"a{k}", 0.0, 3.0, "exp")
        s = param(f"s{k}", info[x].lo / 100.0, info[x].hi * 100.0, "loc")
        b = param(f"b{k}", -3.0, 3.0, "exp")
        return (f"{A}/{x_fit(x)}**{a}*(1 + {x_fit(x)}/{s})**(-{b})",
                f"{A}/{x_read(x)}**{a}*(1 + {x_read(x)}/{s})**(-{b})")
    if t.kind == "inter":
        z = t.inputs[1]
        a = param(f"a{k}", -1.0, 3.0, "exp")
        b = param(f"b{k}", -1.0, 3.0, "exp")
        return (f"{A}/({x_fit(x)}**{a}*{x_fit(z)}**{b})",
                f"{A}/({x_read(x)}**{a}*{x_read(z)}**{b})")
    if t.kind == "pmean":
        z = t.inputs[1]
        x0, z0 = _fmt(info[x].ref), _fmt(info[z].ref)
        c = param(f"c{k}", 0.0, 6.0, "exp")
        r = param(f"r{k}", 1e-4, 1e4, "loc")
        d = param(f"d{k}", 0.0, 6.0, "exp")
        q = param(f"q{k}", 0.05, 2.0, "exp")
        return (f"{A}*(({x_fit(x)}/{x0})**(-{c}) + {r}*({x_fit(z)}/{z0})**(-{d}))**{q}",
                f"{A}*(({x_read(x)}/{x0})**(-{c}) + {r}*({x_read(z)}/{z0})**(-{d}))**{q}")
    if t.kind == "log":
        return f"{A}*log({x_fit(x)})", f"{A}*log({x_read(x)})"
    if t.kind == "fpow":
        e = param(f"e{k}", 1e-4, 1.0, "loc")
        a = param(f"a{k}", 0.0, 3.0, "exp")
        return f"{A}*({x} + {e})**(-{a})", f"{A}*({x} + {e})**(-{a})"
    if t.kind == "flog":
        e = param(f"e{k}", 1e-4, 1.0, "loc")
        return f"{A}*log({x} + {e})", f"{A}*log({x} + {e})"
    if t.kind == "flin":
        return f"{A}*{x}", f"{A}*{x}"
    raise ValueError(f"unknown term kind {t.kind!r}")  # pragma: no cover


def n_params(form: Form, infos: tuple[InputInfo, ...]) -> int:
    """Number of parameters of the rendered law (per group)."""
    return len(render(form, infos).params)


# ---------------------------------------------------------------------------------------------
# starting forms and moves


def initial_forms(infos: tuple[InputInfo, ...], *, grouped: bool) -> list[Form]:
    """The first generation: simple additive laws in each kind of input.

    Parameters
    ----------
    infos : tuple of InputInfo
        The inputs of the data; their kinds decide the terms (power laws for scales, bowls
        for positive inputs, shifted powers, logarithms and a linear term or an exponential
        link for fractions, linear terms for real inputs).
    grouped : bool
        Whether the data has groups (not used: the first generation is the same either way).

    Returns
    -------
    list of Form
        Distinct forms (by :meth:`Form.key`), each with at least one term or a link.
    """
    scales = [i.name for i in infos if i.kind == "scale"]
    hypers = [i.name for i in infos if i.kind == "positive"]
    fracs = [i.name for i in infos if i.kind == "fraction"]
    forms: list[Form] = []
    bowls = tuple(Term("bowl", (h,)) for h in hypers)
    if scales:
        base = tuple(Term("pow", (s,)) for s in scales)
        forms.append(Form(base + bowls))
        forms.append(Form(base + bowls, offset=False))
        if bowls:
            forms.append(Form(base + bowls, bowls_multiply=True))
        if len(scales) > 1:
            for s in scales:
                forms.append(Form((Term("pow", (s,)),) + bowls))
            for i, s in enumerate(scales):
                for z in scales[i + 1:]:
                    rest = tuple(Term("pow", (o,)) for o in scales if o not in (s, z))
                    forms.append(Form((Term("pmean", (s, z)),) + rest + bowls))
    elif hypers:
        forms.append(Form(bowls))
    if fracs:
        forms.append(Form((), link=tuple(fracs)))  # the data mixing law of Ye et al. 2024
        for r in fracs:
            forms.append(Form((Term("fpow", (r,)),)))
            forms.append(Form((Term("flog", (r,)),)))
        forms.append(Form(tuple(Term("flin", (r,)) for r in fracs)))
    reals = [i.name for i in infos if i.kind == "real"]
    if reals and not forms:
        forms.append(Form(tuple(Term("flin", (r,)) for r in reals)))
    if not forms:
        forms.append(Form(tuple(Term("pow", (i.name,)) for i in infos
                                if i.lo > 0 and i.kind != "constant")))
    out, seen = [], set()
    for f in forms:
        if f.key() not in seen and (f.terms or f.link):
            seen.add(f.key())
            out.append(f)
    return out


def expand(form: Form, infos: tuple[InputInfo, ...], *, grouped: bool,
           pairs: list[tuple[str, str]], allow_sharing: bool) -> Iterator[Form]:
    """Every form one move away from ``form`` (duplicates are removed by the caller).

    Parameters
    ----------
    form : Form
        The form to move from.
    infos : tuple of InputInfo
        The inputs of the data; their kinds decide which terms may be added or enriched.
    grouped : bool
        Whether the data has groups; sharing moves are made only when it has.
    pairs : list of (str, str)
        ``(total, unique)`` input pairs that may become effective quantities (see
        :func:`~scalinglaws.discover._inputs.repeat_pairs`); a pair is offered only when
        ``total`` appears in a term.
    allow_sharing : bool
        Whether to change which parameters are shared across groups (with ``grouped``).

    Yields
    ------
    Form
        Each neighbouring form, possibly with repeats.
    """
    kinds = {i.name: i.kind for i in infos}
    scales = [i.name for i in infos if i.kind == "scale"]
    positives = [i.name for i in infos if i.kind in ("scale", "positive")]
    hypers = [i.name for i in infos if i.kind == "positive"]
    fracs = [i.name for i in infos if i.kind == "fraction"]
    terms = set(form.terms)

    def with_terms(new: set[Term]) -> Form:
        return replace(form, terms=tuple(new))

    # add a term
    for s in scales:
        for kind in SCALE_TERMS:
            t = Term(kind, (s,))
            if t not in terms:
                yield with_terms(terms | {t})
    for r in fracs:
        for kind in FRACTION_TERMS:
            t = Term(kind, (r,))
            if t not in terms:
                yield with_terms(terms | {t})
    bowl_inputs = {t.inputs[0] for t in terms if t.kind in SHAPED_BOWLS}
    for h in hypers:
        if h not in bowl_inputs:
            yield with_terms(terms | {Term("bowl", (h,))})
    # enrich a term
    for t in form.base:
        rest = terms - {t}
        if t.kind == "pow":
            x = t.inputs[0]
            for kind in ("sat", "logistic", "bpow"):
                yield with_terms(rest | {Term(kind, (x,))})
            for z in scales:  # interactions between scales; hyperparameters enter by bowls
                if z != x:
                    yield with_terms(rest | {Term("inter", tuple(sorted((x, z))))})
        if t.kind in ("pow", "sat"):  # two scale terms join into a power mean
            for o in form.base:
                if o != t and o.kind in ("pow", "sat") and o.inputs[0] != t.inputs[0] \
                        and o.inputs[0] in scales and t.inputs[0] in scales and t < o:
                    yield with_terms((rest - {o}) | {
                        Term("pmean", tuple(sorted((t.inputs[0], o.inputs[0]))))})
        if t.kind in ("sat", "logistic"):
            yield with_terms(rest | {Term("bpow", t.inputs)})
            yield with_terms(rest | {Term("richards", t.inputs)})
        elif t.kind == "flin":
            yield with_terms(rest | {Term("fpow", t.inputs)})
            yield with_terms(rest | {Term("flog", t.inputs)})
    # a bowl's optimum moves with one more input; cross terms between bowls
    bowls = [t for t in form.terms if t.kind in SHAPED_BOWLS]
    for t in bowls:
        x = t.inputs[0]
        for d in positives:
            if d != x and d not in t.deps:
                yield with_terms((terms - {t}) | {Term(t.kind, (x,), tuple(sorted(t.deps + (d,))))})
        for kind in SHAPED_BOWLS:  # a symmetric bowl becomes asymmetric, or the reverse
            if kind != t.kind:
                yield with_terms((terms - {t}) | {Term(kind, (x,), t.deps)})
    for i, a in enumerate(bowls):
        for b in bowls[i + 1:]:
            c = Term("cross", tuple(sorted((a.inputs[0], b.inputs[0]))))
            if c not in terms:
                yield with_terms(terms | {c})
    if bowls and (form.base or form.offset):
        yield replace(form, bowls_multiply=not form.bowls_multiply)
    # exponential link over proportions
    for r in fracs:
        if r not in form.link:
            yield replace(form, link=form.link + (r,))
    if form.link and (form.base or form.bowls):
        yield replace(form, link=())
    # effective quantities
    for total, unique in pairs:
        if (total, unique) not in form.effective and any(
                total in t.inputs or total in t.deps for t in form.terms) and \
                all(u != total for _, u in form.effective):
            yield replace(form, effective=form.effective + ((total, unique),))
    # offset, sharing, pruning
    if form.terms or form.link:
        yield replace(form, offset=not form.offset)
    if grouped and allow_sharing:
        for s in SHARINGS:
            if s != form.sharing:
                yield replace(form, sharing=s)
    if len(form.terms) > 1:
        for t in form.terms:
            rest = terms - {t}
            if t.kind in SHAPED_BOWLS and any(c.kind == "cross" and t.inputs[0] in c.inputs
                                              for c in rest):
                continue
            yield with_terms(rest)
    del kinds
