"""The bias of Approach 2 (IsoFLOP parabolas) on noise-free synthetic data, and Approach 3.

For a Chinchilla law ``L = E + A/N^alpha + B/D^beta`` (true allocation exponent
``a = beta / (alpha + beta)``) the script builds noise-free IsoFLOP data at the nine Chinchilla
budgets (6e18 ... 3e21 FLOPs): at each budget ``--sizes`` model sizes, log-spaced over
``+-w`` decades around a centre, with ``D = C / (6 N)`` and the exact loss. Two placements of
the window:

* ``optimum``: centred on the true compute-optimal ``N*(C)`` at every budget;
* ``20 tok/param``: centred on the rule of thumb ``D = 20 N``, i.e. ``N = sqrt(C / 120)``, as
  when the grid is laid out before the optimum is known. The true optimum drifts relative to
  this centre from budget to budget whenever ``a != 0.5``.

For each law, placement and width it runs Approach 2 (``scalinglaws.plan.approach2_exponent``:
a least-squares parabola in ``log N`` per budget, vertices of budgets whose minimum is
bracketed, then a line through ``log N_opt`` against ``log C``) and Approach 3 (``Fitter()`` on
all the points, exponent from ``scalinglaws.plan.compute_optimal``), and prints the exponent,
its error, ``N_opt`` at 3e21 over the truth, and how many budgets were not bracketed.

Run from the repository root::

    .venv/bin/python benchmarks/isoflop_bias.py
    .venv/bin/python benchmarks/isoflop_bias.py --widths 0.25,0.5,1,1.5,2 --sizes 9
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws import plan  # noqa: E402
from scalinglaws.data import Dataset  # noqa: E402

BUDGETS = np.array([6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21])
LAWS = {
    # Besiroglu et al. 2024 refit of the Chinchilla data (nearly symmetric: alpha ~ beta)
    "Besiroglu 2024": dict(E=1.82, A=482.0, B=2085.0, alpha=0.348, beta=0.366),
    # Hoffmann et al. 2022 published Approach 3 coefficients
    "Hoffmann 2022": dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28),
}


def _calibrated(E: float, A: float, alpha: float, beta: float, ratio: float = 20.0,
                C: float = 1e20) -> dict:
    """A law whose optimum has ``ratio`` tokens per parameter at ``C`` (B solved for)."""
    a = beta / (alpha + beta)
    G = math.sqrt(C / (6.0 * ratio)) / (C / 6.0) ** a
    return dict(E=E, A=A, B=alpha * A / (beta * G ** (alpha + beta)), alpha=alpha, beta=beta)


# a strongly skewed valley (alpha - beta = 0.15), optimum at 20 tokens/param at 1e20 FLOPs
LAWS["skewed alpha=.40 beta=.25"] = _calibrated(1.8, 400.0, 0.40, 0.25)


def truth(p: dict, C: np.ndarray) -> tuple[np.ndarray, float]:
    """True N*(C) and exponent a for the Chinchilla law."""
    al, be = p["alpha"], p["beta"]
    G = (al * p["A"] / (be * p["B"])) ** (1 / (al + be))
    a = be / (al + be)
    return G * (C / 6.0) ** a, a


def design(p: dict, centre: str, width: float, sizes: int) -> tuple[np.ndarray, ...]:
    """Noise-free IsoFLOP points (N, D, C, loss)."""
    Nstar, _ = truth(p, BUDGETS)
    rows = []
    for C, Ns in zip(BUDGETS, Nstar):
        c = Ns if centre == "optimum" else math.sqrt(C / 120.0)
        N = c * 10.0 ** np.linspace(-width, width, sizes)
        D = C / (6.0 * N)
        L = p["E"] + p["A"] / N ** p["alpha"] + p["B"] / D ** p["beta"]
        rows.append(np.stack([N, D, np.full(sizes, C), L], 1))
    a = np.vstack(rows)
    return a[:, 0], a[:, 1], a[:, 2], a[:, 3]


def unbracketed(N, C, L) -> int:
    """Budgets whose parabola vertex falls outside the sampled N range (or that open down)."""
    count = 0
    for c in np.unique(C):
        m = C == c
        x = np.log(N[m])
        c2, c1, _ = np.polyfit(x - x.mean(), L[m], 2)
        v = -c1 / (2 * c2) + x.mean() if c2 > 0 else math.nan
        if not (c2 > 0 and x.min() < v < x.max()):
            count += 1
    return count


def approach3(N, D, L) -> tuple[float, float]:
    law = sl.get_law("chinchilla")
    data = Dataset(X={"N": N, "D": D}, y=L, target="loss", columns={"N": "N", "D": "D"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        res = sl.Fitter().fit(law, data)
    alloc = plan.compute_optimal(res, BUDGETS[-1])
    return alloc.exponent_N, alloc.N_opt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--widths", default="0.25,0.5,0.75,1.0,1.25,1.5",
                    help="half-widths of the sampling window, in decades of N")
    ap.add_argument("--sizes", type=int, default=9, help="model sizes per budget")
    args = ap.parse_args()
    widths = [float(w) for w in args.widths.split(",")]
    t0 = time.perf_counter()
    print(f"noise-free IsoFLOP data: {len(BUDGETS)} budgets {BUDGETS[0]:.0e}..{BUDGETS[-1]:.0e} "
          f"FLOPs, {args.sizes} model sizes per budget over +-w decades of N")
    print("A2 = Approach 2 (parabola per budget), A3 = Approach 3 (direct fit); "
          "N*(3e21) ratio = estimate / truth\n")
    head = (f"{'law':<25} {'window centre':<13} {'w':>5} {'true a':>7} {'A2 a':>8} "
            f"{'A2 bias':>9} {'A2 N* ratio':>11} {'unbrkt':>6} {'A3 a':>8} {'A3 error':>9} "
            f"{'A3 N* ratio':>11}")
    print(head)
    print("-" * len(head))
    summary = []
    for name, p in LAWS.items():
        Nstar, a_true = truth(p, BUDGETS)
        for centre in ("optimum", "20 tok/param"):
            biases = []
            for w in widths:
                N, D, C, L = design(p, centre, w, args.sizes)
                a2, k2 = plan.approach2_exponent(N, C, L)
                n_un = unbracketed(N, C, L)
                a3, N3 = approach3(N, D, L)
                r2 = k2 * BUDGETS[-1] ** a2 / Nstar[-1] if math.isfinite(a2) else math.nan
                print(f"{name:<25} {centre:<13} {w:>5.2f} {a_true:>7.4f} {a2:>8.4f} "
                      f"{a2 - a_true:>+9.4f} {r2:>11.3f} {n_un:>6d} {a3:>8.4f} "
                      f"{a3 - a_true:>+9.1e} {N3 / Nstar[-1]:>11.4f}")
                biases.append((w, a2 - a_true, r2))
            summary.append((name, centre, biases))
        print()
    print("summary: |A2 exponent bias| and N* ratio from the narrowest to the widest window")
    for name, centre, b in summary:
        ok = [x for x in b if math.isfinite(x[1])]
        if not ok:
            continue
        mono = all(abs(ok[i + 1][1]) > abs(ok[i][1]) for i in range(len(ok) - 1))
        zero = max(abs(x[1]) for x in ok) < 1e-6
        trend = "zero at every w" if zero else ("grows with w" if mono else "not monotone in w")
        print(f"  {name:<25} {centre:<13} |bias| {abs(ok[0][1]):.4f} -> {abs(ok[-1][1]):.4f} "
              f"({trend}); N* ratio {ok[0][2]:.3f} -> {ok[-1][2]:.3f}")
    print(f"\ntotal run time: {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
