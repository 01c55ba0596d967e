"""How a validation score moves with the seed when fits stop at the solver's iteration limit.

On the learning-rate x batch-size task (``sldbench_lr_bsz``) ``discover`` validates, in its
second round, the 11-parameter law

    (E + A1/N**a1 + A2/D**a2)*(1 + C3*(log(B) - m3 - g3*log(D/2e10))**2
                                 + C4*(log(lr) - m4 - g4*log(B/200))**2)

(N non-embedding parameters, D tokens, B batch size). Its fits end in a flat valley, where
the objective changes in its sixth or seventh digit while the offset E and the predictions at
the held-out rows still move. This script fits it on the search's three validation
folds (the ``auto`` folds of the train split) with the default fitter and seeds 0 to 4, once
with the default iteration limit (300) and once with 1000, and prints each fold's objective,
its status, the fitted E of the first fold and the pooled validation R².

With 300 iterations the fits of some seeds stop at the limit at different points of the
valley, and the validation R² differs between seeds; with 1000 every seed converges to the
same optimum and the same score. Which law the search keeps, and so its whole path, can
depend on this (``docs/discovery.md``, section 6). About a minute on 2 cores. Run from the
repository root::

    .venv/bin/python benchmarks/iteration_limit.py
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from scalinglaws.bench import score  # noqa: E402
from scalinglaws.discover import DiscoverSettings, load_for_discovery  # noqa: E402
from scalinglaws.discover._evaluate import fit_quietly, law_data, predict_rows  # noqa: E402
from scalinglaws.discover._grammar import Form, Term  # noqa: E402
from scalinglaws.discover._search import _form_candidate, _Search  # noqa: E402
from scalinglaws.fit import Fitter  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "sldbench_lr_bsz"


def round2_law():
    """The search's state on the lr x batch-size train split, the round-2 law, and its rows.

    Returns ``(search, candidate, train)``, or None (after printing why) when the shared
    dataset is missing. ``valley_convergence.py`` uses it too.
    """
    if not DATA.is_dir():
        print(f"error: the shared dataset is not at {DATA}", file=sys.stderr)
        return None
    (data,) = load_for_discovery(DATA)
    search = _Search(data, DiscoverSettings(jobs=1), None)
    N, D, lr, bs = "non_embedding_params", "tokens", "lr", "batch_size"
    form = Form((Term("pow", (N,)), Term("pow", (D,)), Term("bowl", (bs,), (D,)),
                 Term("bowl", (lr,), (bs,))), offset=True, bowls_multiply=True)
    cand = _form_candidate(form, search.infos, False)
    return search, cand, law_data(search.train, cand.mapping)


def main() -> int:
    setup = round2_law()
    if setup is None:
        return 1
    search, cand, train = setup
    print(f"law: {cand.readable} ({cand.n_params} parameters)")
    print(f"folds: {', '.join(f.name for f in search.folds)}\n")
    print("| max_iter | seed | fold objectives | statuses | E (fold 1) | validation R² |")
    print("|---:|---:|---|---|---:|---:|")
    for max_iter in (300, 1000):
        scores = set()
        for seed in range(5):
            fitter = Fitter(seed=seed, space=search.space, max_iter=max_iter)
            objectives, statuses, preds, first_E = [], [], [], None
            for fold in search.folds:
                res = fit_quietly(cand.law, fitter, train.subset(fold.fit_mask))
                objectives.append(res.objective)
                statuses.append(res.status)
                preds.append(predict_rows(res, train.subset(fold.held_out)))
                if first_E is None:
                    params = res.params  # one group, the whole series: {group: {name: value}}
                first_E = (next(iter(params.values())) if res.groups is not None else params)["E"]
            r2 = score(search.y_held, np.concatenate(preds))["r2"]
            scores.add(round(r2, 6))
            print(f"| {max_iter} | {seed} | {' '.join(f'{o:.9f}' for o in objectives)} | "
                  f"{', '.join(statuses)} | {first_E:.3f} | {r2:.6f} |", flush=True)
        print(f"| {max_iter} | | {len(scores)} distinct validation R² over 5 seeds | | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
