"""Speed of formula evaluation: the compiled program against the tree walk, in one process.

Formula laws (user formulas, and every law ``discover`` builds) are evaluated with exact
forward-mode derivatives. The package compiles each formula once into a *program*
(``scalinglaws.laws._expr.compile_program``): every distinct sub-expression is computed once
(an expanded ``discover`` formula repeats its bowls in every additive term), and each
sub-expression carries derivatives only with respect to the parameters it uses. The reference
is the plain recursive walk of the formula tree (``_expr.evaluate``) with a one-hot tangent of
every parameter at every node, which is what the package did before.

For each law below, on real rows of the shared datasets, the script

1. checks that both give the same values and Jacobians, bit for bit;
2. times one evaluation with the Jacobian (1024 parameter sets for the start grid are
   evaluated without it; the Levenberg-Marquardt polish needs it for a few at a time), median
   of repeats, and prints the ratio;
3. times a whole default fit (``Fitter()``: 1024 starts, 8 polished) with each evaluator and
   checks that the objectives are identical.

Nothing here is asserted; timings depend on the machine. Run from the repository root::

    .venv/bin/python benchmarks/formula_eval.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws.discover import load_for_discovery  # noqa: E402
from scalinglaws.discover._evaluate import law_data  # noqa: E402
from scalinglaws.discover._grammar import Form, Term  # noqa: E402
from scalinglaws.discover._inputs import analyse_inputs  # noqa: E402
from scalinglaws.discover._search import _form_candidate, _group_codes  # noqa: E402
from scalinglaws.laws import _expr  # noqa: E402
from scalinglaws.laws._law import FormulaLaw  # noqa: E402

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def tree_evaluate(law: FormulaLaw, X, theta, jac):
    """The reference: the recursive tree walk with a one-hot tangent per parameter."""
    env = law._env(X, theta)
    if not jac:
        return np.asarray(_expr.evaluate(law.tree, env)[0], dtype=float), None
    v, t = _expr.one_hot_evaluate(law.tree, env, law.param_names)
    S, n, P = theta.shape[0], law._n(X), law.n_params
    v = np.broadcast_to(np.asarray(v, dtype=float), (S, n))
    if t is None:
        return v, np.zeros((S, n, P))
    return v, np.moveaxis(np.broadcast_to(t, (P, S, n)), 0, -1)


def tree_basis(law: FormulaLaw, X, theta):
    """The reference of ``linear_basis``: the offset and each basis walked separately."""
    X = law._inputs(X)
    env = law._env(X, theta)
    S, n = theta.shape[0], law._n(X)
    offset = np.zeros((S, n))
    if law._offset is not None:
        offset = np.broadcast_to(_expr.evaluate(law._offset, env)[0], (S, n)).astype(float)
    G = np.empty((S, n, len(law._linear)))
    for k, (_, basis) in enumerate(law._linear):
        G[:, :, k] = np.broadcast_to(_expr.evaluate(basis, env)[0], (S, n))
    return offset, G


class TreeLaw(FormulaLaw):
    """The same law, evaluated by the tree walk (for timing whole fits)."""

    def _evaluate(self, X, theta, jac):
        return tree_evaluate(self, X, theta, jac)

    def linear_basis(self, X, theta):
        if not self._linear:
            return super().linear_basis(X, theta)
        return tree_basis(self, X, theta)


def discover_law(folder: str, form: Form):
    """A law built by ``discover``'s grammar on a dataset's train rows."""
    (data,) = load_for_discovery(DATASETS / folder)
    train = data.train() if data.split is not None else data
    infos = analyse_inputs(dict(train.X), train.y, _group_codes(train), None)
    cand = _form_candidate(form, infos, train.group is not None)
    return cand.law, law_data(train, cand.mapping)


def cases():
    N, D, lr, bs = "non_embedding_params", "tokens", "lr", "batch_size"
    lr_form = Form((Term("pmean", (N, D)), Term("log", (D,)), Term("abowl", (bs,), (D,)),
                    Term("abowl", (lr,), (bs, N))), offset=True, bowls_multiply=True)
    yield "lr x batch size, discover's best single law (16 parameters, 1730 rows)", \
        discover_law("sldbench_lr_bsz", lr_form)
    dc_form = Form((Term("pow", ("params",)), Term("sat", ("tokens",))), offset=True,
                   effective=(("tokens", "unique_tokens"),))
    yield "data-constrained, power + saturating law of effective tokens (161 rows)", \
        discover_law("sldbench_data_constrained", dc_form)
    frame = pd.read_csv(DATASETS / "chinchilla_epoch_svg" / "data.csv")
    law = sl.formula_law("E + A/N**alpha + B/D**beta", ["N", "D"])
    yield "Chinchilla written as a formula (245 rows)", \
        (law, sl.make_dataset(frame, {"N": "params", "D": "tokens"}, "loss"))


def typical(p, rng) -> float:
    """A value of a parameter inside its bounds (the middle part of a finite range)."""
    lo = p.lower if np.isfinite(p.lower) else min(p.upper, 1.0) - 1.0
    hi = p.upper if np.isfinite(p.upper) else lo + 1.0
    return float(lo + (hi - lo) * rng.uniform(0.2, 0.8))


def median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    if not DATASETS.is_dir():
        print(f"error: the shared datasets are not at {DATASETS}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(0)
    print("| law | Jacobian, tree walk | compiled | ratio | default fit, tree walk | compiled "
          "| ratio | same result |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for label, (law, data) in cases():
        X = law._inputs(dict(data.X))
        theta = np.array([[typical(p, rng) for p in law.params] for _ in range(8)])
        v0, J0 = tree_evaluate(law, X, theta, True)
        v1, J1 = law._evaluate(X, theta, True)
        same = np.array_equal(v0, v1, equal_nan=True) and np.array_equal(J0, J1, equal_nan=True)
        t_tree = median_time(lambda: tree_evaluate(law, X, theta, True), 20)
        t_prog = median_time(lambda: law._evaluate(X, theta, True), 20)
        tree_law = TreeLaw(name=law.name, formula=law.formula, inputs=law.inputs,
                           params=law.params, definitions=law.definitions)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", sl.ScalingLawsWarning)
            fits = {}

            def fit(which):
                fits[which] = sl.Fitter().fit(tree_law if which == "tree" else law, data)

            f_tree = median_time(lambda: fit("tree"), 2)
            f_prog = median_time(lambda: fit("prog"), 2)
        same_fit = fits["tree"].objective == fits["prog"].objective
        print(f"| {label} | {t_tree * 1e3:.2f} ms | {t_prog * 1e3:.2f} ms | {t_tree / t_prog:.1f}x "
              f"| {f_tree:.2f} s | {f_prog:.2f} s | {f_tree / f_prog:.1f}x | "
              f"{'yes' if same and same_fit else 'NO'} (Jacobian {'identical' if same else 'differs'}"
              f", objective {fits['prog'].objective:.6g}) |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
