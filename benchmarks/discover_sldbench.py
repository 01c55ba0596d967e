"""``discover`` on the SLDBench tasks, the NSL learning curves and unseen datasets.

Produces the discovery section of ``docs/benchmarks.md`` (about 30 minutes on 2 cores)::

    .venv/bin/python benchmarks/discover_sldbench.py --jobs 2 --update docs/benchmarks.md

(``--update`` replaces the text between the ``discover`` markers of that file, or appends the
section; without it the Markdown goes to stdout.)

For each of the four SLDBench tasks of ``../shared/datasets`` it runs ``discover`` with its
defaults (seed 0, budget 540 s per task; the time budget of a multi-target task is shared by its
targets), which sees only the train split, then prints the selected law(s), their validation
score, their test R² (the SLDBench metric, pooled over groups, mean over targets) and the wall
time, beside the human law fitted by ``bench`` with this package's fitter and the published
reference figures. On the 92 learning curves of ``revisiting_nsl_benchmark`` it runs
``discover --metric log_rmse`` and scores the selected law per curve with ``bench`` (median of
the curves' test log-RMSE) beside the catalogue laws, each fitted with both objectives (Huber
and least squares, in log space). It reruns one task to check that the
result is identical (determinism), and reports the verdict on datasets the search was not
designed on. Timings depend on the machine and its load; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import scalinglaws as sl
from scalinglaws._env import environment
from scalinglaws.bench import BenchSettings, run_bench
from scalinglaws.discover import DiscoverSettings, discover_path

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

# task, catalogue (human) law, human law test R² with its authors' fitter on our copy,
# SLDAgent's best stored law on our copy (figures from issue 6), target of the issue
TASKS = [
    ("sldbench_data_constrained", "data_constrained", 0.942, 0.960, 0.965),
    ("sldbench_domain_mixture", "mixture", 0.975, 0.990, 0.992),
    ("sldbench_sft_rectified", "rectified", 0.991, 0.998, 0.9992),
    ("sldbench_lr_bsz", "lr_bsz", 0.33, 0.854, 0.90),
]
NSL = "revisiting_nsl_benchmark"
NSL_CATALOGUE = ("power", "power_offset", "m4", "bnsl")
UNSEEN = ("bnsl_4digit_addition", "overtraining_gadre2024", "chinchilla_epoch_svg",
          "laion_clip_mammut_ade20k_segmentation", "steplaw_moe_lr_bsz")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_discover(name: str, settings: DiscoverSettings):
    start = time.perf_counter()
    report = discover_path(DATASETS / name, settings=settings,
                           log=lambda m: log(f"  [{name}] {m}"))
    return report, time.perf_counter() - start


def catalogue_r2(name: str, law: str, jobs: int) -> float | None:
    """Test R² of a catalogue law fitted by ``bench`` (Huber, mean over targets)."""
    rep = run_bench([DATASETS / name], laws=[law], settings=BenchSettings(losses=("huber",)),
                    jobs=jobs)
    scores = rep.scores()
    return scores[0].r2 if scores else None


def per_curve(result) -> tuple[float, float]:
    """Median over groups of the test log-RMSE of a discovery's selected fit, and the log-RMSE
    of all test rows pooled (the ``bench`` figures, for a law ``bench`` cannot refit: a stack)."""
    import numpy as np

    from scalinglaws.discover import load_for_discovery
    from scalinglaws.discover._evaluate import law_data, predict_rows

    (data,) = load_for_discovery(DATASETS / NSL)
    test = data.test()
    pred = predict_rows(result.fit, law_data(test, dict(result.selected.inputs)))
    err = np.log(pred) - np.log(np.asarray(test.y, float))
    groups = np.asarray(test.group).astype(str)
    per = [float(np.sqrt(np.mean(err[groups == g] ** 2))) for g in np.unique(groups)]
    return float(np.median(per)), float(np.sqrt(np.mean(err ** 2)))


def fmt(x: float | None, digits: int = 4) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers (default 2)")
    ap.add_argument("--budget-seconds", type=float, default=540.0,
                    help="time budget of each task's search (default 540, the discover default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-iter", type=int, default=300,
                    help="solver's iteration limit in every full fit (default 300, the "
                         "discover default)")
    ap.add_argument("--tasks", nargs="*", default=[t[0] for t in TASKS],
                    help="SLDBench tasks to run (default: all four)")
    ap.add_argument("--skip-nsl", action="store_true", help="do not run the NSL curves")
    ap.add_argument("--skip-unseen", action="store_true", help="do not run the unseen datasets")
    ap.add_argument("--determinism", default="sldbench_data_constrained",
                    help="task rerun to check determinism ('' to skip)")
    ap.add_argument("--out", default=None, help="also write every result here (JSON)")
    ap.add_argument("--update", default=None, metavar="FILE.md",
                    help="write the Markdown section into this file between the discover markers")
    args = ap.parse_args(argv)
    if args.update and (args.seed, args.max_iter, args.budget_seconds) != (0, 300, 540.0):
        ap.error("--update writes the table of the discover defaults into the docs: run it "
                 "without --seed, --max-iter and --budget-seconds")
    lines: list[str] = []

    def emit(text: str = "") -> None:
        lines.append(text)
        if args.update:
            log(text)

    warnings.simplefilter("ignore", sl.ScalingLawsWarning)
    settings = DiscoverSettings(seed=args.seed, jobs=args.jobs, max_iter=args.max_iter,
                                budget_seconds=args.budget_seconds)
    record: dict = {"settings": settings.to_dict(), "jobs": args.jobs,
                    "environment": environment(), "tasks": []}

    rows = []
    first_runs = {}
    for name, human, human_r2, agent_r2, target in TASKS:
        if name not in args.tasks:
            continue
        log(f"{name}: discover")
        report, seconds = run_discover(name, settings)
        first_runs[name] = report
        test_r2 = report.test_r2
        cat = catalogue_r2(name, human, args.jobs)
        for r in report.results:
            s = r.selected
            single = next((c for c in r.candidates if c.rank >= 1 and c.origin != "stack"), None)
            rows.append((name, r.target, s.readable if s else "none", s.n_params if s else 0,
                         s.validation_score if s else None, s.test_r2 if s else None,
                         single.test_r2 if single is not None else None))
        record["tasks"].append({"dataset": name, "seconds": seconds, "test_r2": test_r2,
                                "target_r2": target, "human_r2_own_fitter": human_r2,
                                "human_r2_bench": cat, "sldagent_r2": agent_r2,
                                "discovery": report.to_dict(10)})
        log(f"{name}: test R² {fmt(test_r2)} in {seconds:.0f} s (target {target}); catalogue "
            f"law {human} via bench: {fmt(cat)}")

    env = environment()
    emit(f"Environment of this run: Python {env['python']}, numpy {env['numpy']} (SIMD "
         f"{env['simd']}), scipy {env['scipy']}, {env['blas']} (kernels "
         f"{env['blas_core']}), {env['cpu']}, {env['machine']}. The same seed gives the same "
         "result in the same environment; where candidates differ by little more than "
         "rounding, another environment can choose differently, including the same library "
         "versions on another processor (`docs/discovery.md`, section 6).\n")
    emit("### discover on the SLDBench tasks\n")
    emit("| task | test R² discovered | target | human law (authors' fitter) | human law "
          "(bench, this fitter) | SLDAgent best stored | search time (s) |")
    emit("|---|---|---|---|---|---|---|")
    for t in record["tasks"]:
        emit(f"| {t['dataset']} | {fmt(t['test_r2'])} | {t['target_r2']} | "
              f"{t['human_r2_own_fitter']} | {fmt(t['human_r2_bench'])} | {t['sldagent_r2']} | "
              f"{t['seconds']:.0f} |")
    emit("\nA selected law that is a weighted average of the best laws (a *stack*, see "
         "`docs/discovery.md`) is followed by the test R² of the best single law, which the "
         "search selects with `--no-stack`.\n")
    emit("| task | target | selected law | params | validation R² | test R² | test R², best "
         "single law |")
    emit("|---|---|---|---|---|---|---|")
    for name, tgt, formula, k, v, te, single in rows:
        emit(f"| {name} | {tgt} | `{formula}` | {k} | {fmt(v, 5)} | {fmt(te, 5)} | "
             f"{fmt(single, 5)} |")

    if not args.skip_nsl:
        log(f"{NSL}: discover --metric log_rmse")
        nsl_settings = DiscoverSettings(seed=args.seed, jobs=args.jobs, max_iter=args.max_iter,
                                        budget_seconds=args.budget_seconds, metric="log_rmse")
        report, seconds = run_discover(NSL, nsl_settings)
        res = report.results[0]
        laws: list = list(NSL_CATALOGUE)
        label = {}
        stack_row = None
        single = res.selected
        if res.selected is not None and res.selected.origin == "stack":
            stack_row = per_curve(res)
            single = next((c for c in res.candidates if c.rank > 1), None)
        if single is not None:
            s = single
            if s.catalogue is None:
                law = sl.formula_law(s.formula, list(s.inputs), bounds=s.bounds,
                                     name="discovered")
                laws.append(law)
                label["discovered"] = s.readable
        # every law with both objectives: the target is the best catalogue law whichever
        # objective fits it best (the search itself fits with Huber, its default)
        bench = run_bench([DATASETS / NSL], laws=laws,
                          settings=BenchSettings(losses=("huber", "l2")), jobs=args.jobs)
        emit(f"\n### discover on the {NSL} curves (per-curve parameters)\n")
        emit("| law | loss | median over curves of the test log-RMSE | log-RMSE of all test "
             "rows pooled | status |")
        emit("|---|---|---|---|---|")
        nsl_rows = []
        for b in bench.results:
            name = label.get(b.law, b.law)
            nsl_rows.append({"law": b.law, "formula": name, "loss": b.loss,
                             "median_log_rmse": b.group_log_rmse_median,
                             "log_rmse": b.log_rmse, "status": b.status})
            shown = b.law
            if b.law in label:
                shown = f"discovered `{name}`" if stack_row is None else \
                    f"best single discovered law (`--no-stack`) `{name}`"
            status = b.status if b.ok else f"{b.status}: {b.reason}"
            emit(f"| {shown} | {b.loss} | {fmt(b.group_log_rmse_median, 5)} | "
                 f"{fmt(b.log_rmse, 5)} | {status} |")
        if stack_row is not None:
            med, pooled = stack_row
            nsl_rows.append({"law": "discovered_stack", "formula": res.selected.readable,
                             "median_log_rmse": med, "log_rmse": pooled, "status": "ok"})
            emit(f"| discovered stack `{res.selected.readable}` (its laws fitted per curve by "
                 f"`discover`) | huber | {fmt(med, 5)} | {fmt(pooled, 5)} | ok |")
        emit(f"\nsearch time {seconds:.0f} s; selected by validation log-RMSE "
              f"{fmt(res.selected.validation_score if res.selected else None, 5)}")
        record["nsl"] = {"seconds": seconds, "bench": nsl_rows, "discovery": res.to_dict(10)}

    if args.determinism:
        name = args.determinism
        log(f"{name}: rerun for determinism")
        again, seconds = run_discover(name, settings)
        before = first_runs.get(name)
        if before is None:
            before, _ = run_discover(name, settings)
        same = json.dumps(before.to_dict(), sort_keys=True) == \
            json.dumps(again.to_dict(), sort_keys=True)
        emit(f"\ndeterminism: a second run of {name} with seed {args.seed} gives "
              f"{'an identical' if same else 'a DIFFERENT'} result (formulas, validation and "
              f"test scores of every candidate).")
        record["determinism"] = {"dataset": name, "identical": same}

    if not args.skip_unseen:
        emit("\n### unseen datasets (defaults, no option changed)\n")
        emit("| dataset | verdict | selected law | validation R² | test R² | time (s) |")
        emit("|---|---|---|---|---|---|")
        record["unseen"] = []
        for name in UNSEEN:
            log(f"{name}: discover")
            report, seconds = run_discover(name, settings)
            for r in report.results:
                s = r.selected
                verdict = r.verdict.split(":")[0]
                emit(f"| {name} | {verdict} | `{s.readable if s else 'none'}` | "
                      f"{fmt(s.validation_score if s else None)} | "
                      f"{fmt(s.test_r2 if s else None)} | {seconds:.0f} |")
                record["unseen"].append({"dataset": name, "verdict": r.verdict,
                                         "seconds": seconds, "discovery": r.to_dict(5)})
    if args.out:
        Path(args.out).write_text(json.dumps(record, indent=2, default=str) + "\n")
        log(f"wrote {args.out}")
    section = "\n".join(lines).rstrip() + "\n"
    if args.update:
        update_section(Path(args.update), section)
        log(f"updated {args.update}")
    else:
        sys.stdout.write(section)
    return 0


BEGIN = "<!-- discover:begin (benchmarks/discover_sldbench.py --update) -->"
END = "<!-- discover:end -->"


def update_section(path: Path, section: str) -> None:
    """Replace the text between :data:`BEGIN` and :data:`END` in ``path`` (append it if the
    markers are missing), atomically."""
    from scalinglaws.cli._common import write_atomic

    text = path.read_text() if path.exists() else ""
    block = f"{BEGIN}\n{COMMAND_NOTE}\n\n{section}{END}\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip() + "\n\n" + block
    write_atomic(str(path), text, force=True)


COMMAND_NOTE = ("## Discovery\n\nProduced by `.venv/bin/python benchmarks/discover_sldbench.py "
                "--jobs 2 --update docs/benchmarks.md` (seed 0, the `discover` defaults; the "
                "search sees only each task's train split).")


if __name__ == "__main__":
    sys.exit(main())
