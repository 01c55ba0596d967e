"""The catalogue of published scaling laws.

Every entry declares its formula, inputs, parameters (names are part of the public interface),
bounds, typical ranges and the paper it comes from, plus an example parameter set and input
grid (published or representative values) used by ``simulate`` and the contract tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from .._checks import is_whole
from .._errors import LawError
from ._law import DataRange, FormulaLaw, Law, Param, param_column

inf = math.inf


@dataclass(frozen=True)
class Example:
    """Representative parameters and an input grid for simulation and tests."""

    params: Mapping[str, float]
    grid: Mapping[str, tuple[float, float, int]]  # input -> (lo, hi, count), log-spaced
    noise: float = 0.01
    #: When > 0, the inputs are proportions that sum to 1: simulate on the points of the simplex
    #: whose proportions are multiples of ``1 / simplex`` (none zero), not on the product of
    #: the per-input ranges of ``grid`` (which only names the inputs).
    simplex: int = 0


@dataclass(frozen=True)
class Entry:
    """A catalogue entry: a law factory (for laws with a variable number of inputs) and examples.

    ``applies``, when given, takes the law's inputs (name -> values) and returns None when the
    law can describe such data, or one line saying why not (e.g. mixture proportions must lie
    in [0, 1]). Tools that pick laws for a dataset by themselves (``bench``) consult it.
    """

    name: str
    make: Callable[..., Law]
    example: Example | None = None
    variadic: bool = False
    summary: str = ""
    applies: Callable[[Mapping[str, np.ndarray]], str | None] | None = None


def _amp(name: str, desc: str = "amplitude", typical=(1e-2, 1e4)) -> Param:
    return Param(name, 0.0, inf, typical, "log", description=desc)


def _exp(name: str, desc: str = "exponent", typical=(0.05, 1.0), upper: float = 3.0) -> Param:
    return Param(name, 0.0, upper, typical, "linear", description=desc)


def _offset(name: str = "E", desc: str = "irreducible loss") -> Param:
    return Param(name, 0.0, inf, (0.0, 5.0), "linear", description=desc)


# ---------------------------------------------------------------------------------------------
# Laws


def _power() -> Law:
    return FormulaLaw(
        name="power", formula="A * x**(-alpha)", inputs=("x",),
        params=(_amp("A"), _exp("alpha", typical=(0.01, 1.5), upper=5.0)),
        latex=r"y = A\,x^{-\alpha}",
        reference="Kaplan et al. 2020, Scaling Laws for Neural Language Models (arXiv:2001.08361)",
        description="pure power law",
    )


def _power_offset() -> Law:
    return FormulaLaw(
        name="power_offset", formula="E + A * x**(-alpha)", inputs=("x",),
        params=(_offset(), _amp("A"), _exp("alpha", typical=(0.01, 1.5), upper=5.0)),
        latex=r"y = E + A\,x^{-\alpha}",
        reference="Hestness et al. 2017, Deep Learning Scaling is Predictable, Empirically "
                  "(arXiv:1712.00409)",
        description="power law with an irreducible offset",
    )


def _bnsl() -> Law:
    return FormulaLaw(
        name="bnsl", formula="a + b * x**(-c0) * (1 + (x/d1)**(1/f1))**(-c1*f1)", inputs=("x",),
        params=(
            Param("a", 0.0, inf, (0.0, 1.0), description="limit of y for large x"),
            Param("b", 0.0, inf, (1e-2, 1e2), "log", description="amplitude"),
            Param("c0", -2.0, 5.0, (0.0, 1.0), description="slope before the break"),
            Param("c1", -5.0, 20.0, (-1.0, 3.0), description="change of slope at the break"),
            Param("d1", 0.0, inf, DataRange("x", 1.0, 1.0), "log", description="break location"),
            Param("f1", 1e-3, 10.0, (0.05, 3.0), "log", description="sharpness of the break"),
        ),
        latex=r"y = a + b\,x^{-c_0}\left(1 + (x/d_1)^{1/f_1}\right)^{-c_1 f_1}",
        reference="Caballero et al. 2023, Broken Neural Scaling Laws (ICLR, arXiv:2210.14891)",
        description="broken neural scaling law with one break",
    )


def _chinchilla() -> Law:
    return FormulaLaw(
        name="chinchilla", formula="E + A/N**alpha + B/D**beta", inputs=("N", "D"),
        params=(
            _offset("E"),
            _amp("A", "parameter-term amplitude", (1e1, 1e4)),
            _amp("B", "data-term amplitude", (1e1, 1e5)),
            _exp("alpha", "parameter exponent", (0.05, 1.0), 2.0),
            _exp("beta", "data exponent", (0.05, 1.0), 2.0),
        ),
        latex=r"L = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}}",
        reference="Hoffmann et al. 2022, Training Compute-Optimal Large Language Models "
                  "(arXiv:2203.15556), Approach 3; Besiroglu et al. 2024, Chinchilla Scaling: "
                  "A replication attempt (arXiv:2404.10102)",
        description="loss vs parameters N and training tokens D",
    )


def _kaplan() -> Law:
    return FormulaLaw(
        name="kaplan", formula="((N_c/N)**(alpha_N/alpha_D) + D_c/D)**alpha_D", inputs=("N", "D"),
        params=(
            Param("N_c", 0.0, inf, (1e11, 1e16), "log", description="parameter scale"),
            Param("D_c", 0.0, inf, (1e10, 1e16), "log", description="data scale"),
            _exp("alpha_N", "parameter exponent", (0.03, 0.3), 2.0),
            _exp("alpha_D", "data exponent", (0.03, 0.3), 2.0),
        ),
        latex=r"L = \left[\left(\frac{N_c}{N}\right)^{\alpha_N/\alpha_D} + \frac{D_c}{D}\right]"
              r"^{\alpha_D}",
        reference="Kaplan et al. 2020, Scaling Laws for Neural Language Models "
                  "(arXiv:2001.08361), Eq. 1.5",
        description="loss vs parameters and tokens without an irreducible term",
    )


def _data_constrained() -> Law:
    return FormulaLaw(
        name="data_constrained", formula="E + A/Np**alpha + B/Dp**beta", inputs=("N", "D", "U"),
        definitions=(
            ("UN", "min(N, U/20)"),
            ("UD", "min(D, U)"),
            ("Dp", "UD + UD*R_D*(1 - exp(-(D/UD - 1)/R_D))"),
            ("Np", "UN + UN*R_N*(1 - exp(-(N/UN - 1)/R_N))"),
        ),
        params=(
            _offset("E"),
            _amp("A", "parameter-term amplitude", (1e1, 1e4)),
            _amp("B", "data-term amplitude", (1e1, 1e5)),
            _exp("alpha", "parameter exponent", (0.05, 1.0), 2.0),
            _exp("beta", "data exponent", (0.05, 1.0), 2.0),
            Param("R_D", 0.0, inf, (1.0, 100.0), "log",
                  description="decay constant of the value of repeated tokens (epochs)"),
            Param("R_N", 0.0, inf, (1.0, 100.0), "log",
                  description="decay constant of the value of excess parameters"),
        ),
        latex=r"L = E + \frac{A}{N'^{\alpha}} + \frac{B}{D'^{\beta}},\ "
              r"D' = U_D + U_D R_D^*\left(1-e^{-(D/U_D-1)/R_D^*}\right),\ U_D=\min(D, U),\ "
              r"N' = U_N + U_N R_N^*\left(1-e^{-(N/U_N-1)/R_N^*}\right),\ U_N=\min(N, U/20)",
        reference="Muennighoff et al. 2023, Scaling Data-Constrained Language Models "
                  "(NeurIPS, arXiv:2305.16264), Eq. 5 (U_N from the 20 tokens/parameter rule)",
        description="loss with repeated data: effective data D' and effective parameters N'",
    )


def _overtraining() -> Law:
    return FormulaLaw(
        name="overtraining",
        formula="E + a * (D/N)**eta * (6*N*D)**(-eta) + b * (D/N)**(-eta) * (6*N*D)**(-eta)",
        inputs=("N", "D"),
        params=(
            _offset("E"),
            _amp("a", "amplitude of the parameter-limited term", (1e1, 1e5)),
            _amp("b", "amplitude of the data-limited term", (1e1, 1e5)),
            _exp("eta", "compute exponent", (0.02, 0.5), 2.0),
        ),
        latex=r"L(C, M) = E + \left(a M^{\eta} + b M^{-\eta}\right) C^{-\eta},\ "
              r"C = 6ND,\ M = D/N",
        reference="Gadre et al. 2024, Language models scale reliably with over-training and on "
                  "downstream tasks (arXiv:2403.08540), Eq. 4",
        description="loss vs compute C and token multiplier M (equal exponents, Chinchilla form)",
    )


def _moe() -> Law:
    return FormulaLaw(
        name="moe", formula="K * N**a * Eh**(b + c*log(N))", inputs=("N", "E"),
        definitions=(("Eh", "1/(1/(E - 1 + 1/(1/E_start - 1/E_max)) + 1/E_max)"),),
        params=(
            _amp("K", "amplitude (exp of the intercept d)", (1.0, 1e3)),
            Param("a", -1.0, 1.0, (-0.2, 0.0), description="parameter exponent (log-log slope)"),
            Param("b", -1.0, 1.0, (-0.3, 0.0), description="expert-count exponent"),
            Param("c", -0.2, 0.2, (-0.02, 0.02), description="interaction of log N and log E"),
            Param("E_start", 1.0, 1e3, (1.1, 10.0), "log",
                  description="expert count where saturation starts"),
            Param("E_max", 1.0, 1e6, (10.0, 1e4), "log", description="saturating expert count"),
        ),
        latex=r"\log L = d + a\log N + b\log\hat E + c\log N\log\hat E,\ "
              r"\frac{1}{\hat E} = \frac{1}{E-1+(1/E_{start}-1/E_{max})^{-1}} + \frac{1}{E_{max}}",
        reference="Clark et al. 2022, Unified Scaling Laws for Routed Language Models "
                  "(ICML, arXiv:2202.01169), Eq. 9 with saturating expert count",
        description="mixture-of-experts loss vs dense parameters N and number of experts E "
                    "(K = exp(d), natural logarithms)",
        domains={"E": "positive"},
    )


def _vocab() -> Law:
    return FormulaLaw(
        name="vocab", formula="-E + A1/Nnv**alpha1 + A2/Nv**alpha2 + A3/H**alpha3",
        inputs=("Nnv", "Nv", "H"),
        params=(
            Param("E", -inf, inf, (-5.0, 0.0), description="minus the irreducible loss"),
            _amp("A1", "non-vocabulary-parameter amplitude", (1e0, 1e4)),
            _amp("A2", "vocabulary-parameter amplitude", (1e0, 1e4)),
            _amp("A3", "data amplitude", (1e0, 1e5)),
            _exp("alpha1", "non-vocabulary-parameter exponent", (0.05, 1.0), 2.0),
            _exp("alpha2", "vocabulary-parameter exponent", (0.05, 1.0), 2.0),
            _exp("alpha3", "data (characters) exponent", (0.05, 1.0), 2.0),
        ),
        latex=r"L_u = -E + \frac{A_1}{N_{nv}^{\alpha_1}} + \frac{A_2}{N_v^{\alpha_2}} "
              r"+ \frac{A_3}{H^{\alpha_3}}",
        reference="Tao et al. 2024, Scaling Laws with Vocabulary: Larger Models Deserve Larger "
                  "Vocabularies (NeurIPS, arXiv:2407.13623), Eq. 5",
        description="unigram-normalised loss vs non-vocabulary parameters, vocabulary "
                    "parameters and training characters H",
    )


def _parallel() -> Law:
    return FormulaLaw(
        name="parallel", formula="E + A/(N*(k*log(P) + 1))**alpha", inputs=("N", "P"),
        params=(
            _offset("E"),
            _amp("A", "amplitude", (1e0, 1e4)),
            Param("k", 0.0, 10.0, (0.05, 2.0), description="benefit of each parallel stream"),
            _exp("alpha", "parameter exponent", (0.05, 1.0), 2.0),
        ),
        latex=r"L = E + \frac{A}{\left[N\,(k\log P + 1)\right]^{\alpha}}",
        reference="Chen et al. 2025, Parallel Scaling Law for Language Models "
                  "(arXiv:2505.10475), Eq. 5",
        description="loss vs parameters N and number of parallel streams P",
    )


def _rectified() -> Law:
    return FormulaLaw(
        name="rectified", formula="E + B/(D_l + D**beta)", inputs=("D",),
        params=(
            _offset("E"),
            _amp("B", "amplitude", (1e-1, 1e5)),
            Param("D_l", 0.0, inf, (1e-2, 1e5), "log",
                  description="pre-learned data size (rectifies the small-data regime)"),
            _exp("beta", "data exponent", (0.05, 1.5), 5.0),
        ),
        latex=r"L(D) = \frac{B}{D_l + D^{\beta}} + E",
        reference="Lin et al. 2024, Selecting Large Language Model to Fine-tune via Rectified "
                  "Scaling Law (ICML, arXiv:2402.02314), Eq. 4",
        description="fine-tuning loss vs fine-tuning data size D",
        domains={"D": "nonnegative"},
    )


def _mixture(n_inputs: int = 5) -> Law:
    if n_inputs < 1:
        raise LawError("the mixture law needs at least one proportion input")
    names = [f"r{i + 1}" for i in range(n_inputs)]
    ts = [f"t{i + 1}" for i in range(n_inputs)]
    expo = " + ".join(f"{t}*{r}" for t, r in zip(ts, names))
    return FormulaLaw(
        name="mixture", formula=f"c + k*exp({expo})", inputs=tuple(names),
        params=(
            Param("c", 0.0, inf, (0.0, 3.0), description="loss floor"),
            Param("k", 0.0, inf, (1e-2, 10.0), "log", description="amplitude"),
            *[Param(t, -20.0, 20.0, (-3.0, 3.0),
                    description=f"effect of proportion {r}") for t, r in zip(ts, names)],
        ),
        latex=r"L(r_{1..M}) = c + k\exp\left(\sum_j t_j r_j\right)",
        reference="Ye et al. 2024, Data Mixing Laws: Optimizing Data Mixtures by Predicting "
                  "Language Modeling Performance (arXiv:2403.16952), Eq. 6",
        description="one domain's loss vs the mixture proportions r1..rM of the training data",
        domains={r: "nonnegative" for r in names},
    )


def _lr_bsz() -> Law:
    return FormulaLaw(
        name="lr_bsz",
        formula=("E + A/N**alpha + B/D**beta"
                 " + C_lr*(log(lr) - l0 - l_N*log(N/1e9) - l_D*log(D/1e11))**2"
                 " + C_bs*(log(bs) - b0 - b_D*log(D/1e11))**2"),
        inputs=("lr", "bs", "D", "N"),
        params=(
            _offset("E"),
            _amp("A", "parameter-term amplitude", (1e0, 1e4)),
            _amp("B", "data-term amplitude", (1e0, 1e5)),
            _exp("alpha", "parameter exponent", (0.05, 1.0), 2.0),
            _exp("beta", "data exponent", (0.05, 1.0), 2.0),
            Param("C_lr", 0.0, inf, (1e-3, 1.0), "log",
                  description="curvature of the loss in log learning rate"),
            Param("l0", -15.0, 5.0, (-9.0, -4.0),
                  description="log optimal learning rate at N=1e9, D=1e11"),
            Param("l_N", -3.0, 3.0, (-1.0, 0.2), description="exponent of N in the optimal LR"),
            Param("l_D", -3.0, 3.0, (-0.2, 0.6), description="exponent of D in the optimal LR"),
            Param("C_bs", 0.0, inf, (1e-3, 1.0), "log",
                  description="curvature of the loss in log batch size"),
            Param("b0", -5.0, 20.0, (4.0, 9.0),
                  description="log optimal batch size (sequences) at D=1e11"),
            Param("b_D", -3.0, 3.0, (0.0, 1.0), description="exponent of D in the optimal batch"),
        ),
        latex=r"L = E + \frac{A}{N^{\alpha}} + \frac{B}{D^{\beta}} + C_{lr}\left(\log\eta - "
              r"\log\eta^*(N, D)\right)^2 + C_{bs}\left(\log B - \log B^*(D)\right)^2",
        reference="Chinchilla loss plus quadratic penalties around power-law optima of learning "
                  "rate and batch size as in Li et al. 2025, Predictable Scale: Part I -- Optimal "
                  "Hyperparameter Scaling Law in LLM Pretraining (Step Law, arXiv:2503.04715)",
        description="loss vs learning rate, batch size, tokens D and non-embedding parameters N",
    )


def _lr_bsz_asym() -> Law:
    return FormulaLaw(
        name="lr_bsz_asym",
        formula=("E + ((A/N**alpha)**(1/q) + (B/D**beta)**(1/q))**q"
                 " + C_lr*(exp(a*u) - 1 - a*u)/a**2 + C_bs*v**2"),
        inputs=("lr", "bs", "D", "N"),
        definitions=(
            ("u", "log(lr) - l0 - l_N*log(N/1e9) - l_D*log(D/1e11) - l_B*log(bs/256)"),
            ("v", "log(bs) - b0 - b_D*log(D/1e11)"),
        ),
        params=(
            _offset("E"),
            _amp("A", "parameter-term amplitude", (1e0, 1e4)),
            _exp("alpha", "parameter exponent", (0.05, 1.0), 2.0),
            _amp("B", "data-term amplitude", (1e0, 1e5)),
            _exp("beta", "data exponent", (0.05, 1.0), 2.0),
            Param("q", 0.05, 2.0, (0.2, 1.0),
                  description="power-mean exponent joining the N and D terms (1: Chinchilla's "
                              "sum; beta: Kaplan's form)"),
            Param("C_lr", 0.0, inf, (1e-3, 1.0), "log",
                  description="curvature of the loss in log learning rate at the optimum"),
            Param("a", 0.01, 5.0, (0.05, 2.0),
                  description="asymmetry: how much faster the loss rises above the optimal "
                              "learning rate than below it"),
            Param("l0", -15.0, 5.0, (-9.0, -4.0),
                  description="log optimal learning rate at N=1e9, D=1e11, batch 256"),
            Param("l_N", -3.0, 3.0, (-1.0, 0.2), description="exponent of N in the optimal LR"),
            Param("l_D", -3.0, 3.0, (-0.2, 0.6), description="exponent of D in the optimal LR"),
            Param("l_B", -3.0, 3.0, (0.0, 1.0),
                  description="exponent of the batch size in the optimal LR"),
            Param("C_bs", 0.0, inf, (1e-3, 1.0), "log",
                  description="curvature of the loss in log batch size"),
            Param("b0", -5.0, 20.0, (4.0, 9.0),
                  description="log optimal batch size (sequences) at D=1e11"),
            Param("b_D", -3.0, 3.0, (0.0, 1.0), description="exponent of D in the optimal batch"),
        ),
        latex=r"L = E + \left[\left(\tfrac{A}{N^{\alpha}}\right)^{1/q} + "
              r"\left(\tfrac{B}{D^{\beta}}\right)^{1/q}\right]^{q} + "
              r"C_{lr}\frac{e^{a u} - 1 - a u}{a^2} + C_{bs} v^2,\ "
              r"u = \log\eta - \log\eta^*(N, D, b),\ v = \log b - \log b^*(D)"
              r"\ (\eta\text{: learning rate, } b\text{: batch size})",
        reference="this package's law for learning-rate x batch-size sweeps: the Step Law "
                  "optima of Li et al. 2025 (arXiv:2503.04715) with the optimal learning rate "
                  "also scaling with batch size, an asymmetric (linex) penalty in log learning "
                  "rate, and the N and D terms joined by a power mean that contains Hoffmann "
                  "et al. 2022 (arXiv:2203.15556, q = 1) and Kaplan et al. 2020 "
                  "(arXiv:2001.08361, q = beta)",
        description="loss vs learning rate, batch size, tokens D and non-embedding parameters N, "
                    "with a learning-rate optimum that moves with batch size and a steeper rise "
                    "above it than below",
    )


def _proportions(X: Mapping[str, np.ndarray]) -> str | None:
    """None when every input lies in [0, 1] (mixture proportions); else why not."""
    for name, values in X.items():
        v = np.asarray(values, dtype=float)
        if v.size and not (np.all(v >= 0.0) and np.all(v <= 1.0)):
            return (f"input {name} takes values outside [0, 1] (from {np.min(v):.4g} to "
                    f"{np.max(v):.4g}); the law's inputs are mixture proportions")
    return None


class M4Law(Law):
    """The M4 learning-curve law, defined implicitly and solved numerically.

    ``(y - e_inf) / (e_0 - y)**alpha = beta * x**(-c)``, with ``y`` strictly between
    ``e_inf`` and ``e_0``. For ``alpha >= 0`` the left side increases with ``y``, so the
    solution is unique; it is found by a vectorised Newton's method on the log form and
    differentiated with the implicit function theorem.
    """

    name = "m4"
    inputs = ("x",)
    formula = "(y - e_inf) / (e_0 - y)**alpha = beta * x**(-c)   (solved for y)"
    latex = r"\frac{y - \varepsilon_\infty}{(\varepsilon_0 - y)^{\alpha}} = \beta\,x^{-c}"
    reference = ("Alabdulmohsin, Neyshabur and Zhai 2022, Revisiting Neural Scaling Laws in "
                 "Language and Vision (NeurIPS, arXiv:2209.06640), model M4")
    description = "saturating learning curve between an initial and an irreducible loss"
    domains = {"x": "positive"}

    def __init__(self) -> None:
        self.params = (
            Param("e_inf", 0.0, inf, DataRange("y", 0.0, 1.0, "min"),
                  description="irreducible loss (the limit for large x)"),
            Param("e_0", 0.0, inf, DataRange("y", 1.0, 2.0, "max"),
                  description="loss at the start of the curve (the limit for small x)"),
            Param("alpha", 0.0, 10.0, (0.0, 2.0), description="shape of the saturation"),
            Param("beta", 0.0, inf, (1e-3, 1e3), "log", description="scale"),
            Param("c", 0.0, 5.0, (0.05, 1.0), description="power-law exponent in x"),
        )

    def _evaluate(self, X, theta, jac):
        x = np.asarray(X["x"], dtype=float)
        ei, e0, al, be, c = (param_column(theta, j) for j in range(5))
        with np.errstate(all="ignore"):
            rhs = np.log(be) - c * np.log(x)  # log(beta x^-c), shape (S, n)
            width = e0 - ei
            # with z = (y - e_inf)/(e_0 - e_inf) = sigmoid(t) the equation becomes
            # t + (alpha - 1) softplus(t) = k, monotone in t with slope between 1 and alpha
            k = rhs - (1.0 - al) * np.log(width)
            t = _m4_logit(k, np.broadcast_to(al, k.shape))
            a = width * _sigmoid(t)    # y - e_inf, without cancellation
            b = width * _sigmoid(-t)   # e_0 - y
            y = ei + a
            bad = ~(e0 > ei)
            y = np.where(bad, np.nan, y)
            if not jac:
                return y, None
            dh_dy = 1.0 / a + al / b
            dh = np.stack([
                -1.0 / a + 0 * y,
                -al / b + 0 * y,
                -np.log(b) + 0 * y,
                -1.0 / be + 0 * y,
                np.log(x) + 0 * y,
            ], axis=-1)
            J = -dh / dh_dy[..., None]
        return y, J


_T_MAX = 500.0  # |t| beyond this changes y by less than a rounding error


def _sigmoid(t: np.ndarray) -> np.ndarray:
    """The logistic function, accurate in both tails (``sigmoid(-500)`` is not 0)."""
    e = np.exp(-np.abs(t))
    return np.where(t >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _m4_logit(k: np.ndarray, al: np.ndarray) -> np.ndarray:
    """Solve ``t + (al - 1) * softplus(t) = k`` for ``t`` (elementwise) by Newton's method.

    The left side is increasing, concave for ``al < 1`` and convex for ``al > 1``. The start,
    the root of the asymptote (``t = k`` for ``k <= 0``, ``al t = k`` above), lies on the side
    of the root from which Newton's iterates approach it monotonically, so no step overshoots.
    For ``t > 0`` the left side is evaluated as ``al t + (al - 1) softplus(-t)``, which avoids
    cancelling two large terms. Iteration stops, element by element, once a step is below a
    rounding error (quadratic convergence: a few steps).
    """
    shape = np.broadcast_shapes(k.shape, al.shape)
    k = np.broadcast_to(k, shape).ravel()
    al = np.broadcast_to(al, shape).ravel()
    t = np.where(k <= 0, k, k / np.maximum(al, 1e-300))
    t = np.clip(np.nan_to_num(t, nan=0.0), -_T_MAX, _T_MAX)
    active = np.flatnonzero(np.isfinite(k) & np.isfinite(al))
    for _ in range(60):
        if active.size == 0:
            break
        ta, ka, aa = t[active], k[active], al[active]
        pos = ta > 0
        g = np.where(pos, aa * ta + (aa - 1.0) * np.logaddexp(0.0, -ta),
                     ta + (aa - 1.0) * np.logaddexp(0.0, ta)) - ka
        slope = 1.0 + (aa - 1.0) * _sigmoid(ta)
        step = g / slope
        t_new = np.clip(ta - np.where(np.isfinite(step), step, 0.0), -_T_MAX, _T_MAX)
        t[active] = t_new
        active = active[np.abs(t_new - ta) > 1e-13 * (1.0 + np.abs(t_new))]
    return t.reshape(shape)


# ---------------------------------------------------------------------------------------------
# Registry

_ENTRIES: dict[str, Entry] = {}


def _register(entry: Entry) -> None:
    _ENTRIES[entry.name] = entry


for _e in (
    Entry("power", _power, Example({"A": 20.0, "alpha": 0.3}, {"x": (1e3, 1e7, 12)})),
    Entry("power_offset", _power_offset,
          Example({"E": 1.5, "A": 40.0, "alpha": 0.35}, {"x": (1e3, 1e8, 14)})),
    Entry("m4", M4Law,
          Example({"e_inf": 0.5, "e_0": 3.0, "alpha": 0.7, "beta": 300.0, "c": 0.5},
                  {"x": (1e2, 1e8, 25)}, noise=0.003)),
    Entry("bnsl", _bnsl,
          Example({"a": 0.1, "b": 5.0, "c0": 0.1, "c1": 1.0, "d1": 1e5, "f1": 0.3},
                  {"x": (1e2, 1e8, 30)}, noise=0.003)),
    Entry("chinchilla", _chinchilla,
          Example({"E": 1.82, "A": 482.0, "B": 2085.0, "alpha": 0.348, "beta": 0.366},
                  {"N": (7e7, 1.6e10, 8), "D": (5e9, 5e11, 8)})),
    Entry("kaplan", _kaplan,
          Example({"N_c": 6.4e13, "D_c": 1.8e13, "alpha_N": 0.076, "alpha_D": 0.103},
                  {"N": (1e6, 1e10, 8), "D": (1e8, 1e11, 8)}, noise=0.003)),
    Entry("data_constrained", _data_constrained,
          Example({"E": 1.87, "A": 521.0, "B": 1488.0, "alpha": 0.35, "beta": 0.353,
                   "R_D": 15.4, "R_N": 5.3},
                  {"N": (1e8, 9e9, 6), "D": (1e10, 3e11, 6), "U": (1e9, 1e11, 6)}, noise=0.003)),
    Entry("overtraining", _overtraining,
          Example({"E": 1.9, "a": 100.0, "b": 1000.0, "eta": 0.15},
                  {"N": (1e7, 7e9, 7), "D": (1e9, 1e12, 7)}, noise=0.003)),
    Entry("moe", _moe,
          Example({"K": 15.0, "a": -0.09, "b": -0.1, "c": 0.004, "E_start": 2.0,
                   "E_max": 300.0},
                  {"N": (1e7, 1e10, 6), "E": (1.0, 512.0, 10)}, noise=0.003)),
    Entry("vocab", _vocab,
          Example({"E": -1.5, "A1": 300.0, "A2": 30.0, "A3": 2000.0, "alpha1": 0.35,
                   "alpha2": 0.3, "alpha3": 0.3},
                  {"Nnv": (3e7, 3e9, 5), "Nv": (3e6, 3e8, 5), "H": (1e9, 1e12, 5)}, noise=0.003)),
    Entry("parallel", _parallel,
          Example({"E": 1.8, "A": 60.0, "k": 0.4, "alpha": 0.2},
                  {"N": (5e8, 5e9, 6), "P": (1.0, 8.0, 4)}, noise=0.002)),
    Entry("rectified", _rectified,
          Example({"E": 1.2, "B": 80.0, "D_l": 50.0, "beta": 0.5},
                  {"D": (2e2, 8e5, 12)}, noise=0.003)),
    Entry("mixture", _mixture,
          Example({"c": 1.5, "k": 1.2, "t1": -1.0, "t2": 0.5, "t3": -0.3},
                  {"r1": (0.05, 0.9, 4), "r2": (0.05, 0.9, 4), "r3": (0.05, 0.9, 4)},
                  noise=0.002, simplex=10),
          variadic=True, applies=_proportions),
    Entry("lr_bsz", _lr_bsz,
          Example({"E": 1.6, "A": 400.0, "B": 2000.0, "alpha": 0.33, "beta": 0.33,
                   "C_lr": 0.03, "l0": -6.5, "l_N": -0.7, "l_D": 0.3, "C_bs": 0.02,
                   "b0": 6.5, "b_D": 0.57},
                  {"lr": (2e-4, 2e-2, 5), "bs": (64.0, 4096.0, 4), "D": (2e9, 1e11, 3),
                   "N": (6e7, 1e9, 3)}, noise=0.002)),
    Entry("lr_bsz_asym", _lr_bsz_asym,
          Example({"E": 1.2, "A": 60.0, "alpha": 0.2, "B": 40.0, "beta": 0.15, "q": 0.4,
                   "C_lr": 0.05, "a": 0.8, "l0": -6.6, "l_N": -0.5, "l_D": 0.1, "l_B": 0.35,
                   "C_bs": 0.016, "b0": 6.2, "b_D": 0.64},
                  {"lr": (1e-4, 1e-2, 6), "bs": (64.0, 4096.0, 4), "D": (2e9, 1e11, 4),
                   "N": (6e7, 1e9, 4)}, noise=0.002)),
):
    _register(_e)


def catalogue_names() -> list[str]:
    """Names of every law in the catalogue, in catalogue order."""
    return list(_ENTRIES)


def catalogue_entry(name: str) -> Entry:
    """The catalogue entry for ``name``; :class:`LawError` listing the names if unknown.

    Parameters
    ----------
    name : str
        Catalogue name (see :func:`catalogue_names`).

    Returns
    -------
    Entry
        The registered entry (law factory, example, summary, whether its number of inputs
        varies).

    Raises
    ------
    LawError
        If ``name`` is not in the catalogue.
    """
    try:
        return _ENTRIES[name]
    except KeyError:
        raise LawError(f"unknown law {name!r}; known laws: {', '.join(_ENTRIES)} "
                       "(or write a formula: --law 'E + A/N**alpha', or formula_law() in "
                       "Python)") from None


def with_bounds(law: Law, bounds: Mapping[str, tuple[float, float]]) -> Law:
    """Set new bounds on some parameters of a law made for the caller (by :func:`get_law`).

    The law keeps its other settings; each parameter's typical range follows its new bounds
    (:meth:`Param.with_bounds`).

    Parameters
    ----------
    law : Law
        The law, changed in place.
    bounds : mapping of str to (float, float)
        Parameter name to its ``(lower, upper)`` bounds.

    Returns
    -------
    Law
        ``law`` itself.

    Raises
    ------
    LawError
        If a name is not a parameter of the law, or a lower bound is not below its upper one.
    """
    params = list(law.params)
    for name, (lo, hi) in bounds.items():
        p = law.param(name)
        params[law.param_names.index(name)] = p.with_bounds(lo, hi)
    object.__setattr__(law, "params", tuple(params))
    return law


def get_law(name: str, *, n_inputs: int | None = None) -> Law:
    """Return the catalogue law called ``name``.

    Parameters
    ----------
    name : str
        Catalogue name (see :func:`catalogue_names`).
    n_inputs : int, optional
        For laws with a variable number of inputs (``mixture``), how many; other laws have a
        fixed number and ignore it.

    Returns
    -------
    Law
        A new law object (its parameters carry the catalogue's bounds and typical ranges).

    Raises
    ------
    LawError
        If the name is unknown, or ``n_inputs`` is not a whole number >= 1.
    """
    entry = catalogue_entry(name)
    if entry.variadic:
        if n_inputs is None:
            n_inputs = len(entry.example.grid) if entry.example else 1
        if not is_whole(n_inputs) or n_inputs < 1:
            raise LawError(f"n_inputs of law {name!r} must be a whole number >= 1, got "
                           f"{n_inputs!r}")
        return entry.make(int(n_inputs))
    return entry.make()
