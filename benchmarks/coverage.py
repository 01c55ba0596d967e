"""Empirical coverage of the bootstrap percentile intervals for the Chinchilla law.

For each of ``--datasets`` simulated datasets (``scalinglaws.simulate`` with the catalogue's
example parameters E=1.82, A=482, B=2085, alpha=0.348, beta=0.366 on a grid of
``--grid-count`` x ``--grid-count`` (default 16 x 16) log-spaced (N, D) points over the example
ranges, lognormal noise of sd ``--noise``, seed = dataset index) the
script fits ``Fitter(bootstrap=--draws, level=--level, seed=i)`` and records whether each
parameter's percentile interval, and the interval of the mean prediction at a larger scale
(N=7e10, D=1.4e12 by default; ``FitResult.predict``'s ``ci_low``/``ci_high``), contain the true
value. Coverage is reported with its binomial standard error sqrt(p(1-p)/n), along with how
often the truth falls below / above the interval and the median interval width.

Run from the repository root::

    .venv/bin/python benchmarks/coverage.py                     # defaults: 300 datasets x 400 draws, 2 jobs
    .venv/bin/python benchmarks/coverage.py --datasets 200 --draws 200 --jobs 2
"""

from __future__ import annotations

import os

# one BLAS thread per worker: the work is many small batched operations
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import multiprocessing as mp  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws.laws import catalogue_entry  # noqa: E402

LAW = "chinchilla"


def _one(task):
    """Simulate dataset ``seed``, fit with a bootstrap; return (estimates, lows, highs)."""
    seed, draws, level, noise, xpred, loss, delta, grid = task
    warnings.simplefilter("ignore")
    law = sl.get_law(LAW)
    df = sl.simulate(law, grid=grid, noise=noise, seed=seed)
    data = sl.make_dataset(df, {k: k for k in law.inputs}, "loss")
    res = sl.Fitter(bootstrap=draws, level=level, seed=seed, loss=loss, delta=delta).fit(law, data)
    ci = res.ci(level)
    pr = res.predict(xpred, level=level)
    names = law.param_names
    est = [res.params[n] for n in names] + [float(pr["prediction"][0])]
    lo = [ci[n][0] for n in names] + [float(pr["ci_low"][0])]
    hi = [ci[n][1] for n in names] + [float(pr["ci_high"][0])]
    return seed, np.array(est), np.array(lo), np.array(hi), len(res.draws), res.status


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", type=int, default=300, help="simulated datasets (default 300)")
    ap.add_argument("--draws", type=int, default=400, help="bootstrap draws per fit (default 400)")
    ap.add_argument("--level", type=float, default=0.9, help="interval level (default 0.9)")
    ap.add_argument("--noise", type=float, default=0.01,
                    help="sd of the lognormal noise (default 0.01; the real Chinchilla SVG "
                         "data has an RMS log residual of about 0.0075)")
    ap.add_argument("--loss", choices=("huber", "l2"), default="huber",
                    help="fitting loss (default huber, the package default)")
    ap.add_argument("--delta", type=float, default=1e-3, help="Huber delta (default 1e-3)")
    ap.add_argument("--grid-count", type=int, default=16, metavar="K",
                    help="points per input axis over the example ranges (default 16, i.e. 256 "
                         "runs, about the size of the real Chinchilla data's 240; 8 gives the "
                         "catalogue example's 64)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    ap.add_argument("--predict-at", default="7e10,1.4e12", metavar="N,D",
                    help="scale of the prediction whose mean CI is checked (default 7e10,1.4e12)")
    args = ap.parse_args(argv)

    t_start = time.perf_counter()
    law = sl.get_law(LAW)
    ex = catalogue_entry(LAW).example
    truth_params = dict(ex.params)
    Np, Dp = (float(v) for v in args.predict_at.split(","))
    xpred = {"N": Np, "D": Dp}
    truth_pred = float(np.asarray(law.predict({"N": np.array([Np]), "D": np.array([Dp])},
                                              truth_params))[0])
    names = list(law.param_names) + [f"L({Np:.3g},{Dp:.3g})"]
    truth = np.array([truth_params[n] for n in law.param_names] + [truth_pred])
    grid = {k: (lo, hi, args.grid_count or c) for k, (lo, hi, c) in ex.grid.items()}
    grid_text = ", ".join(f"{k} {lo:.3g}..{hi:.3g} x{c}" for k, (lo, hi, c) in grid.items())
    print(f"law {LAW}: {law.formula}; truth " +
          ", ".join(f"{k}={v:g}" for k, v in truth_params.items()))
    print(f"grid: {grid_text} (log-spaced); lognormal noise sd {args.noise}")
    print(f"{args.datasets} datasets (seeds 0..{args.datasets - 1}), {args.draws} bootstrap draws "
          f"each, {args.level:.0%} percentile intervals, {args.jobs} worker(s)")
    print(f"fitter: loss={args.loss}" + (f" delta={args.delta:g}" if args.loss == "huber" else "")
          + f", bootstrap={args.draws}, level={args.level}, seed=dataset index")
    print(f"prediction checked: mean loss at N={Np:.3g}, D={Dp:.3g}, true value {truth_pred:.5f}")

    tasks = [(i, args.draws, args.level, args.noise, xpred, args.loss, args.delta, grid)
             for i in range(args.datasets)]
    if args.jobs > 1:
        with mp.get_context("fork").Pool(args.jobs) as pool:
            out = pool.map(_one, tasks, chunksize=4)
    else:
        out = [_one(t) for t in tasks]
    out.sort(key=lambda o: o[0])
    est = np.array([o[1] for o in out])
    lo = np.array([o[2] for o in out])
    hi = np.array([o[3] for o in out])
    kept = np.array([o[4] for o in out])
    statuses = [o[5] for o in out]

    n = len(out)
    inside = (lo <= truth) & (truth <= hi)
    below = truth < lo   # truth under the interval
    above = truth > hi   # truth over the interval
    cov = inside.mean(axis=0)
    se = np.sqrt(cov * (1 - cov) / n)
    width = np.median(hi - lo, axis=0)
    bias = np.median(est, axis=0) - truth
    # the actual sampling spread of the point estimates over the simulated datasets: the
    # central ``level`` range an ideal interval procedure would have to match
    qa = 100 * np.array([(1 - args.level) / 2, (1 + args.level) / 2])
    e_lo, e_hi = np.percentile(est, qa, axis=0)
    true_spread = e_hi - e_lo
    print()
    print("coverage: fraction of datasets whose interval contains the truth (+- binomial se); "
          "below/above: truth under/over the interval; med.width: median interval width; "
          "spread: central range of the point estimates over the datasets (the width an exact "
          "interval would need); ratio = med.width / spread")
    print(f"{'quantity':<18}{'truth':>9}{'coverage':>10}{'+-se':>7}{'below':>7}{'above':>7}"
          f"{'med.width':>11}{'spread':>10}{'ratio':>7}{'med.est-truth':>15}")
    for j, nm in enumerate(names):
        flag = "" if 0.85 <= cov[j] <= 0.95 else "  <- off target"
        print(f"{nm:<18}{truth[j]:>9.4g}{cov[j]:>10.3f}{se[j]:>7.3f}{below[:, j].mean():>7.3f}"
              f"{above[:, j].mean():>7.3f}{width[j]:>11.4g}{true_spread[j]:>10.4g}"
              f"{width[j] / true_spread[j]:>7.2f}{bias[j]:>15.3g}{flag}")
    mean_cov = cov.mean()
    all_in = bool(np.all((cov >= 0.85) & (cov <= 0.95)))
    print()
    print(f"overall: mean coverage {mean_cov:.3f} over {len(names)} quantities x {n} datasets "
          f"(nominal {args.level:.2f}; target 0.85-0.95: "
          f"{'all within' if all_in else 'NOT all within'}); min {cov.min():.3f}, "
          f"max {cov.max():.3f}")
    n_stat = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"fit statuses: {n_stat}; bootstrap draws kept: min {kept.min()}, "
          f"median {int(np.median(kept))} of {args.draws}")
    print(f"total run time: {time.perf_counter() - t_start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
