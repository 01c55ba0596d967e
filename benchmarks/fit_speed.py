"""Speed of the default Chinchilla fit against a naive multi-start L-BFGS-B reference.

On the Chinchilla runs recovered by Epoch AI (``chinchilla_epoch_svg``, 240 rows after the
dataset's own exclusions) this script

1. times the default ``Fitter()`` fit of the ``chinchilla`` law (median of several repeats
   after a warm-up);
2. runs a naive reference in the same process: ``scipy.optimize.minimize(method="L-BFGS-B")``
   with numerical (finite-difference) gradients, started from *every* point of the start grid
   the fitter itself uses (the output of ``start_candidates``: the grid of non-linear
   parameters with the linear ones solved by variable projection), on the same objective --
   the sum of Huber(delta=1e-3) losses of ``log(prediction) - log(loss)`` -- and the same
   bounds, keeping the best objective;
3. times a 1000-draw bootstrap (``Fitter(bootstrap=1000, seed=0)``) and prints the 95%
   intervals of E, alpha and beta.

Parameterisation of the naive reference: the same internal coordinates as the fitter, i.e.
``(E, log A, log B, alpha, beta)``, with the fitter's bounds on them (E >= 0,
log A, log B >= log(10) - 25, 0 <= alpha, beta <= 2). The objective is written out
independently in plain numpy (not the package's ``Problem.objective``); the script checks that
both agree at the fitted optimum.

Run from the repository root::

    .venv/bin/python benchmarks/fit_speed.py                  # full grid (about 10-20 s)
    .venv/bin/python benchmarks/fit_speed.py --naive-starts 64  # random subset, extrapolated
"""

from __future__ import annotations

import os

# One BLAS thread for both contenders (override by setting the variables yourself). On a small,
# shared machine multi-threaded OpenBLAS made scipy's L-BFGS-B erratically slow (27 us vs up to
# 390 us per objective evaluation on the same run of starts), which would flatter the fitter;
# the fitter's own time is the same with one thread or two.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.optimize import minimize  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws.fit import _solver  # noqa: E402

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
DATASET = DATASETS / "chinchilla_epoch_svg"
DELTA = 1e-3


def naive_objective_factory(N: np.ndarray, D: np.ndarray, y: np.ndarray, delta: float):
    """Summed Huber loss of log residuals over ``u = (E, log A, log B, alpha, beta)``."""
    logN, logD, logy = np.log(N), np.log(D), np.log(y)

    def objective(u: np.ndarray) -> float:
        E, a, b, alpha, beta = u
        with np.errstate(all="ignore"):
            pred = E + np.exp(a - alpha * logN) + np.exp(b - beta * logD)
            r = np.log(pred) - logy
            ar = np.abs(r)
            v = float(np.sum(np.where(ar <= delta, 0.5 * r * r, delta * (ar - 0.5 * delta))))
        # a large finite value keeps L-BFGS-B's line search alive outside the domain
        return v if np.isfinite(v) else 1e10

    return objective


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="timed repeats of the default fit")
    ap.add_argument("--naive-starts", type=int, default=0,
                    help="run the naive reference from a random subset of this many starts and "
                         "extrapolate linearly (default 0: every start of the grid)")
    ap.add_argument("--draws", type=int, default=1000, help="bootstrap draws (default 1000)")
    args = ap.parse_args(argv)

    if not DATASET.is_dir():
        print(f"error: dataset folder not found: {DATASET}\n"
              "(expected the shared datasets next to the repository: <repo>/../shared/datasets)",
              file=sys.stderr)
        return 2
    warnings.simplefilter("ignore")  # the fit warns about outlying runs; irrelevant here

    law = sl.get_law("chinchilla")
    data = sl.load_dataset(DATASET, law_inputs=law.inputs, law_name=law.name)
    fitter = sl.Fitter()
    print(f"dataset: {DATASET.name}, n={data.n}; law: {law.name} ({law.formula})")
    print(f"fitter: loss={fitter.loss} delta={fitter.delta} space={fitter.space} "
          f"n_starts={fitter.n_starts} n_polish={fitter.n_polish}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")

    # ---- 1. the default fit ------------------------------------------------------------------
    res = fitter.fit(law, data)  # warm-up
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        res = fitter.fit(law, data)
        times.append(time.perf_counter() - t0)
    t_fit = statistics.median(times)
    print(f"default fit: {t_fit:.3f} s (median of {args.repeats}, min {min(times):.3f} s, "
          f"max {max(times):.3f} s), objective {res.objective:.6e}, status {res.status}")
    print("  params: " + ", ".join(f"{k}={v:.6g}" for k, v in res.params.items()))

    # ---- 2. the naive reference --------------------------------------------------------------
    X = {k: np.asarray(data.X[k], float) for k in law.inputs}
    y = np.asarray(data.y, float)
    pb = _solver.make_problem(law, X, y, loss=fitter.loss, delta=fitter.delta,
                              space=fitter.space)
    U, f_start = _solver.start_candidates(law, X, y, np.ones(len(y)), n_starts=fitter.n_starts,
                                          seed=fitter.seed, space=fitter.space, loss=fitter.loss,
                                          delta=fitter.delta, problem=pb)
    assert list(law.param_names) == ["E", "A", "B", "alpha", "beta"]
    assert list(pb.is_log) == [False, True, True, False, False]
    bounds = [(lo if np.isfinite(lo) else None, hi if np.isfinite(hi) else None)
              for lo, hi in zip(pb.lower, pb.upper)]
    obj = naive_objective_factory(X["N"], X["D"], y, DELTA)
    check = obj(pb.internal(res.theta[0]))
    print(f"objective check at the fitted optimum: naive {check:.9e} vs fitter "
          f"{res.objective:.9e}")
    print(f"start grid: {len(U)} starts (non-linear grid + VarPro linear params); best start "
          f"objective {f_start[0]:.6e}")
    print("naive reference: scipy L-BFGS-B, numerical gradients (jac=None), coordinates "
          "(E, log A, log B, alpha, beta), bounds " +
          ", ".join(f"[{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
                    for lo, hi in bounds))

    if args.naive_starts and args.naive_starts < len(U):
        rng = np.random.default_rng(0)
        idx = np.sort(rng.choice(len(U), size=args.naive_starts, replace=False))
    else:
        idx = np.arange(len(U))
    # The machine may be shared: to compare like with like, one more default fit is timed
    # after every block of naive starts, and the ratio uses the median over all fit timings.
    best, nfev, nit = np.inf, 0, 0
    t_naive_meas = 0.0
    block = 64
    for b0 in range(0, len(idx), block):
        t0 = time.perf_counter()
        for i in idx[b0:b0 + block]:
            r = minimize(obj, U[i], method="L-BFGS-B", jac=None, bounds=bounds)
            nfev += r.nfev
            nit += r.nit
            if r.fun < best:
                best = r.fun
        t_naive_meas += time.perf_counter() - t0
        t0 = time.perf_counter()
        fitter.fit(law, data)
        times.append(time.perf_counter() - t0)
    if len(idx) < len(U):
        t_naive = t_naive_meas * len(U) / len(idx)
        print(f"naive L-BFGS-B: measured {t_naive_meas:.3f} s on a random subset of {len(idx)} "
              f"of {len(U)} starts; EXTRAPOLATED linearly to the full grid: {t_naive:.1f} s; "
              f"best objective over the subset {best:.6e}")
    else:
        t_naive = t_naive_meas
        print(f"naive L-BFGS-B: {t_naive:.3f} s over all {len(U)} starts, objective {best:.6e}")
    print(f"  ({nfev} objective evaluations, {nit} iterations, "
          f"{t_naive_meas / len(idx) * 1e3:.1f} ms per start, "
          f"{t_naive_meas / nfev * 1e6:.0f} us per evaluation)")
    t_fit_all = statistics.median(times)
    print(f"default fit re-timed between blocks of naive starts: median {t_fit_all:.3f} s over "
          f"{len(times)} timings (min {min(times):.3f} s, max {max(times):.3f} s)")

    ratio = t_naive / t_fit_all
    diff = res.objective - best
    verdict = ("no worse" if diff <= 0 else "no worse within 1e-7 relative"
               if diff <= 1e-7 * abs(best) else "WORSE")
    print(f"speed-up: {ratio:.0f}x = {t_naive:.2f} s / {t_fit_all:.3f} s "
          f"(target >= 50x: {'met' if ratio >= 50 else 'NOT met'})")
    print(f"objective: fitter {res.objective:.9e} vs naive {best:.9e} "
          f"(fitter - naive = {diff:.3e}; fitter {verdict})")

    # ---- 3. bootstrap ------------------------------------------------------------------------
    bfitter = sl.Fitter(bootstrap=args.draws, seed=0)
    t0 = time.perf_counter()
    bres = bfitter.fit(law, data)
    t_boot = time.perf_counter() - t0
    print(f"bootstrap ({args.draws} draws, seed 0): {t_boot:.3f} s including the fit, "
          f"{len(bres.draws)} draws kept")
    ci = bres.ci(0.95)
    for name in ("E", "alpha", "beta"):
        lo, hi = ci[name]
        print(f"  {name}: {bres.params[name]:.4f}, 95% CI [{lo:.4f}, {hi:.4f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
