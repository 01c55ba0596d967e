"""Speed of fits with parameters shared across many groups: block-wise vs dense linear algebra.

A fit with ``shared`` parameters solves one problem over all groups: ``K`` slots (the shared
parameters once, the others once per group). Each Levenberg-Marquardt iteration needs the
gradient and the Gauss-Newton matrix ``J^T W J`` of that problem. A row only depends on its own
group's slots, so the package builds the matrix block by block (one ``P x P`` product per group,
added to that group's slots). The baseline, run in the same process, is the previous dense
construction: the Jacobian spread over all ``K`` slots, ``(B, n, K)``, and a dense product.
The two constructions give the same gradient and matrix to rounding (checked at the fitted
optimum); the fits then take slightly different paths, so their objectives agree closely but
not to the last digit.

The matrix has an arrow shape (a block per group, bordered by the shared slots), so each step
is solved by eliminating the groups' blocks first and then solving in the shared slots only
(the Schur complement); the baseline solves the dense ``K x K`` system.

Data: the 42 fine-tuning curves of ``sldbench_sft_rectified`` (train split, 504 rows), law
``A1/D**a1 + A2*(1 + D/s2)**(-a2)`` with ``a2`` shared (5 parameters, 169 slots). The two
constructions must reach the same objective; the script checks it.

Run from the repository root::

    .venv/bin/python benchmarks/joint_fit.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws.fit import _solver  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "sldbench_sft_rectified"
LAW = "A1/sft_data_size**a1 + A2*(1 + sft_data_size/s2)**(-a2)"
BOUNDS = {"a1": (0.0, 3.0), "s2": (2.0, 4e7), "a2": (0.0, 3.0)}


def dense_normal_equations(self, U, w):
    """The previous construction: the Jacobian over all K slots, then dense products."""
    pred, J = self.model(U, jac=True)
    with np.errstate(all="ignore"):
        r = _solver.residuals(pred, self.y, self.space)
        if self.space == "log":
            J = J / pred[:, :, None]
        om = w * _solver.irls_weight(r, self.loss, self.delta)
        g = np.einsum("bn,bn,bnk->bk", om, r, J)
        H = np.einsum("bnk,bn,bnl->bkl", J, om, J)
    return pred, g, H


def dense_solve(self, H, g):
    """The previous solve: one dense ``K x K`` system per start."""
    return _solver._batched_solve(H, g)


def timed_fit(law, data, fitter, repeats: int):
    times, res = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fitter.fit(law, data)
        times.append(time.perf_counter() - t)
    return float(np.median(times)), res


def main() -> int:
    if not (DATA / "data.csv").is_file():
        print(f"error: shared dataset not found at {DATA}", file=sys.stderr)
        return 1
    data = sl.load_dataset(DATA, law_inputs=["sft_data_size"]).train()
    law = sl.formula_law(LAW, ["sft_data_size"], bounds=BOUNDS)
    fitter = sl.Fitter(shared=("a2",))
    print(f"data: {data.n} rows, {len(data.groups())} groups; law {LAW}, a2 shared")
    t_block, r_block = timed_fit(law, data, fitter, repeats=3)
    original = _solver.Problem.normal_equations, _solver.Problem.solve
    _solver.Problem.normal_equations = dense_normal_equations
    _solver.Problem.solve = dense_solve
    try:
        t_dense, r_dense = timed_fit(law, data, fitter, repeats=1)
    finally:
        _solver.Problem.normal_equations, _solver.Problem.solve = original
    print(f"block-wise (arrow):          {t_block:7.2f} s  objective {r_block.objective:.6f}")
    print(f"dense (baseline):            {t_dense:7.2f} s  objective {r_dense.objective:.6f}")
    print(f"speed-up: {t_dense / t_block:.1f}x")
    # the same normal equations at a common point (the block-wise fit's optimum, and 8 points
    # around it)
    codes = np.unique(np.asarray(data.group), return_inverse=True)[1]
    X = {"sft_data_size": np.asarray(data.X["sft_data_size"], float)}
    pb = _solver.make_problem(law, X, np.asarray(data.y, float), groups=codes, shared=("a2",))
    rng = np.random.default_rng(0)
    theta = np.asarray([[r_block.params[g][p] for p in law.param_names]
                        for g in r_block.groups])
    slots = np.empty(pb.K)
    for k in range(pb.K):
        j = pb.slot_param[k]
        row = np.flatnonzero(pb.index[:, j] == k)[0]
        slots[k] = theta[codes[row], j]
    U = pb.internal(slots[None, :])[0]
    U = U[None, :] + np.vstack([np.zeros(pb.K), 0.01 * rng.standard_normal((8, pb.K))])
    W = np.ones((len(U), pb.y.size))
    _, g1, H1 = pb.normal_equations(U, W)
    _, g2, H2 = dense_normal_equations(pb, U, W)
    same = np.allclose(g1, g2, rtol=1e-9, atol=1e-12) and np.allclose(H1, H2, rtol=1e-9,
                                                                        atol=1e-12)
    print("same gradient and Gauss-Newton matrix at 9 points:", "yes" if same else "NO")
    damped = H1 + 1e-3 * np.einsum("bkk->bk", H1)[:, :, None] * np.eye(pb.K)
    x1, x2 = pb.solve(damped, g1), dense_solve(pb, damped, g1)
    same_step = np.allclose(x1, x2, rtol=1e-6, atol=1e-12 * np.abs(x2).max())
    print("same Levenberg-Marquardt step from the arrow and the dense solve:",
          "yes" if same_step else "NO")
    same = same and same_step
    rel = abs(r_block.objective - r_dense.objective) / abs(r_dense.objective)
    print(f"relative difference of the fitted objectives: {rel:.1e}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
