"""Extrapolation scores on real published data: writes docs/benchmarks.md.

Runs ``scalinglaws.bench.run_bench`` -- the code behind ``scalinglaws bench`` -- on

1. the four SLDBench tasks in ``../shared/datasets/sldbench_*`` (timed on its own: the issue
   asks for under two minutes on 2 cores),
2. ``revisiting_nsl_benchmark`` (92 learning curves; median over curves of the log-RMSE),
3. ``overtraining_gadre2024`` (relative error at the large held-out runs),

with the default settings of the command (every catalogue law the data can supply, each
fitted with the Huber and the least-squares objective, seed 0), and renders the figures as
Markdown. Equivalent commands::

    scalinglaws bench ../shared/datasets/sldbench_* --jobs 2 --format json
    scalinglaws bench ../shared/datasets/revisiting_nsl_benchmark --jobs 2
    scalinglaws bench ../shared/datasets/overtraining_gadre2024 --per-group

Run from the repository root::

    .venv/bin/python benchmarks/sldbench.py --jobs 2 -o docs/benchmarks.md --force

Without ``-o`` the Markdown goes to stdout. Timings go to stderr as well as into the page.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd

import scalinglaws as sl
from scalinglaws.bench import BenchReport, BenchSettings, run_bench
from scalinglaws.cli._common import write_atomic

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
SLDBENCH = ["sldbench_data_constrained", "sldbench_domain_mixture", "sldbench_sft_rectified",
            "sldbench_lr_bsz"]
COMMAND = ".venv/bin/python benchmarks/sldbench.py --jobs 2 -o docs/benchmarks.md --force"

# Test R² of the human-designed law of each task: fitted on the train split of our copies
# (the figure each task must reach here), and as published by SLDBench on its newer data.
HUMAN = {
    "sldbench_data_constrained": ("data_constrained", 0.942, 0.911),
    "sldbench_domain_mixture": ("mixture", 0.975, 0.671),
    "sldbench_sft_rectified": ("rectified", 0.991, 0.957),
    "sldbench_lr_bsz": ("lr_bsz", 0.33, -0.076),
}
NSL_LAWS = ("power", "power_offset", "m4")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", default=None, help="write the Markdown here")
    parser.add_argument("--force", action="store_true", help="overwrite the output file")
    args = parser.parse_args(argv)
    if args.output and os.path.exists(args.output) and not args.force:
        print(f"error: {args.output} exists; pass --force to overwrite it", file=sys.stderr)
        return 2
    for name in [*SLDBENCH, "revisiting_nsl_benchmark", "overtraining_gadre2024"]:
        if not (DATASETS / name / "dataset.toml").is_file():
            print(f"error: dataset {name} not found under {DATASETS}", file=sys.stderr)
            return 2

    settings = BenchSettings(seed=args.seed)
    timings = {}
    reports = {}
    for key, names in (("sldbench", SLDBENCH), ("nsl", ["revisiting_nsl_benchmark"]),
                       ("overtraining", ["overtraining_gadre2024"])):
        start = time.perf_counter()
        reports[key] = run_bench([DATASETS / n for n in names], settings=settings, jobs=args.jobs)
        timings[key] = time.perf_counter() - start
        print(f"{key}: {timings[key]:.1f} s", file=sys.stderr)
    start = time.perf_counter()
    reports["ablation"] = run_bench([DATASETS / "sldbench_lr_bsz"], laws=ablation_laws(),
                                    settings=settings, jobs=args.jobs)
    print(f"lr_bsz_asym ablation: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    # the paper's own fitting: least squares on the raw loss
    reports["overtraining_raw"] = run_bench(
        [DATASETS / "overtraining_gadre2024"], laws=["overtraining"], jobs=1,
        settings=BenchSettings(losses=("l2",), space="raw", seed=args.seed))

    text = render(reports, timings, args.jobs)
    if args.output and os.path.exists(args.output):
        # keep the discovery section written by benchmarks/discover_sldbench.py --update
        old = open(args.output, encoding="utf-8").read()
        begin = old.find("<!-- discover:begin")
        if begin >= 0:
            text = text.rstrip() + "\n\n" + old[begin:]
    if args.output:
        write_atomic(args.output, text, force=args.force)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def ablation_laws() -> list[sl.Law]:
    """``lr_bsz_asym`` and three laws that each undo one of its changes to the Step-Law form,
    with the catalogue's own parameter declarations."""
    from dataclasses import replace

    full = sl.get_law("lr_bsz_asym")
    floor, penalty_lr, penalty_bs = (
        "E + ((A/N**alpha)**(1/q) + (B/D**beta)**(1/q))**q",
        " + C_lr*(exp(a*u) - 1 - a*u)/a**2", " + C_bs*v**2")
    u, v = dict(full.definitions)["u"], dict(full.definitions)["v"]

    def variant(name: str, formula: str, u_text: str, dropped: str) -> sl.Law:
        return replace(full, name=name, formula=formula, definitions=(("u", u_text), ("v", v)),
                       params=tuple(p for p in full.params if p.name != dropped),
                       latex=formula)

    return [
        full,
        variant("symmetric penalty (no a)", floor + " + C_lr*u**2" + penalty_bs, u, "a"),
        variant("no batch-size coupling (no l_B)", floor + penalty_lr + penalty_bs,
                u.replace(" - l_B*log(bs/256)", ""), "l_B"),
        variant("Chinchilla sum (no q)", "E + A/N**alpha + B/D**beta" + penalty_lr + penalty_bs,
                u, "q"),
    ]


# ---------------------------------------------------------------------------------------------
# rendering


def fmt(x: float | None, digits: int = 4) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.{digits}f}"


def sig(x: float | None, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:.{digits}g}"


def pct(x: float | None) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:.2f} %"


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell (group labels such as 'IC|cal_5|ViT/S/16')."""
    return str(text).replace("|", "\\|")


def score_table(report: BenchReport, dataset: str, *, grouped: bool) -> list[str]:
    head = "| law | loss | R² | NMSE | NMAE | ARE | log-RMSE |"
    rule = "|---|---|---:|---:|---:|---:|---:|"
    if grouped:
        head += " median log-RMSE over groups |"
        rule += "---:|"
    lines = [head, rule]
    for s in report.scores():
        if s.dataset != dataset:
            continue
        if s.status != "ok":
            cells = [s.law, s.loss, cell(f"failed: {s.reason}")] + [""] * (5 if grouped else 4)
        else:
            cells = [s.law, s.loss, fmt(s.r2), sig(s.nmse), sig(s.nmae), pct(s.are),
                     sig(s.log_rmse)]
            if grouped:
                cells.append(sig(s.group_log_rmse_median))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render(reports: dict[str, BenchReport], timings: dict[str, float], jobs: int) -> str:
    sld, nsl, ot = reports["sldbench"], reports["nsl"], reports["overtraining"]
    out = [
        "# Benchmarks: extrapolation on real published data",
        "",
        "Every figure on this page above the Discovery section is produced by one command, run "
        "from the repository root (the Discovery section names its own):",
        "",
        f"    {COMMAND}",
        "",
        "It calls `scalinglaws.bench.run_bench`, the code behind `scalinglaws bench`, with the "
        "command's defaults: every catalogue law whose inputs a dataset can supply, fitted on "
        "the train split (per group, per target) with each of two objectives — `huber` (Huber "
        "loss, δ = 10⁻³, on log residuals: the package default) and `l2` (least squares on "
        "log residuals) — from 1024 starts, seed 0, and scored on the test split. "
        f"scalinglaws {sl.__version__}, Python {platform.python_version()}, {jobs} worker "
        f"processes on a machine with {os.cpu_count()} CPUs (shared with other work, so "
        "timings are noisy).",
        "",
        "## How each metric is computed",
        "",
        "For one target, the test rows of all groups are pooled: observed values `y_i`, "
        "predictions `ŷ_i` (each group predicted with its own fitted parameters), `n` rows, "
        "`ȳ` the mean of the test values.",
        "",
        "| metric | definition |",
        "|---|---|",
        "| R² | `1 − Σ(ŷ_i − y_i)² / Σ(y_i − ȳ)²`, i.e. 1 − MSE / Var(y_test) with the "
        "population variance of the test values (SLDBench) |",
        "| NMSE | `Σ(ŷ_i − y_i)² / Σ(y_i − ȳ)²` (= 1 − R²) |",
        "| NMAE | `Σ\\|ŷ_i − y_i\\| / Σ\\|y_i − ȳ\\|` |",
        "| ARE | `mean(\\|ŷ_i − y_i\\| / \\|y_i\\|)`, the mean absolute relative error (Hitchhiker's "
        "guide to scaling-law estimation), shown in % |",
        "| log-RMSE | `sqrt(mean((ln ŷ_i − ln y_i)²))` (Revisiting Neural Scaling Laws) |",
        "| median log-RMSE over groups | the log-RMSE of each group's test rows, then the median "
        "over groups |",
        "",
        "With several targets (domain mixture: five per-domain losses) each metric is the mean "
        "over targets of the per-target value. A metric that is undefined (R² of a single test "
        "row, a log of a non-positive value) is reported as undefined, never as a number. A "
        "law fails on a dataset when any of its group fits fails or gives a non-finite "
        "prediction; it is then listed with the reason and left out of every average.",
        "",
        "## SLDBench: the four tasks",
        "",
        f"Run time of the four tasks: **{timings['sldbench']:.1f} s** ({jobs} workers, "
        f"{len(sld.results)} results, "
        f"{sum(1 for r in sld.results if r.ok)} ok).",
        "",
        "| task | human law | its R², huber | its R², l2 | human-law R², our copy | SLDBench "
        "published (newer data) | best law | loss | best R² |",
        "|---|---|---:|---:|---:|---:|---|---|---:|",
    ]
    best = sld.best()
    scores = sld.scores()
    for name in SLDBENCH:
        law, ours, published = HUMAN[name]
        by_loss = {s.loss: s.r2 for s in scores
                   if s.dataset == name and s.law == law and s.status == "ok"}
        win = best[name]
        out.append(f"| {name} | {law} | {fmt(by_loss.get('huber'))} | {fmt(by_loss.get('l2'))} "
                   f"| {ours} | {published} | {win['law']} | {win['loss']} | "
                   f"**{fmt(win['r2'])}** |")
    out += [
        "",
        "\"Its R²\" is the catalogue's version of the human law fitted with each objective. The "
        "best law of every task reaches the human figure; which objective gets there differs "
        "(the robust Huber fit for data-constrained, least squares for the domain mixture, "
        "where the Huber fit of 20 runs per model size with 7 parameters stays below), which is "
        "why `bench` scores both. The catalogue's lr × batch-size law of the Step-Law form "
        "(`lr_bsz`, symmetric quadratic penalties around power-law optima) stays below the "
        "0.33 of the reference implementation; `lr_bsz_asym` is this package's law for that "
        "task (below).",
        "",
    ]
    for name in SLDBENCH:
        info = next(d for d in sld.datasets if d.name == name)
        targets = (f"target {info.targets[0]}" if len(info.targets) == 1
                   else f"{len(info.targets)} targets, {', '.join(info.targets)} (the scores are "
                        "means over targets)")
        out += [f"### {name}", "",
                f"{info.n_train} train / {info.n_test} test rows, {info.n_groups} group(s), "
                f"{targets}; split {info.split}.", ""]
        out += score_table(sld, name, grouped=info.n_groups > 1)
        skipped = [s for s in sld.skipped if s["dataset"] == name
                   and not s["reason"].startswith("takes ")]
        for s in skipped:
            out.append(f"\nNot applicable: `{s['law']}` ({s['reason']}).")
        out.append("")

    ablation = {(sc.law, sc.loss): sc.r2 for sc in reports["ablation"].scores()}
    out += [
        "### The learning-rate × batch-size law `lr_bsz_asym`",
        "",
        "    L = E + ((A/N^α)^(1/q) + (B/D^β)^(1/q))^q"
        " + C_lr·(e^(a·u) − 1 − a·u)/a² + C_bs·v²",
        "    u = ln η − (l0 + l_N ln(N/1e9) + l_D ln(D/1e11) + l_B ln(b/256))",
        "    v = ln b − (b0 + b_D ln(D/1e11))",
        "",
        "with η the learning rate and b the batch size in sequences.",
        "",
        "Three changes to the Step-Law form (`lr_bsz`): the optimal "
        "learning rate moves with batch size (`l_B`; on the test grid the best learning rate "
        "grows from about 3.5e-4 at batch 64 to about 2e-3 at batch 1024), the loss rises faster "
        "above the optimal learning rate than below it (the linex penalty, curvature `C_lr` at "
        "the optimum and asymmetry `a`), and the N and D terms are joined by a power mean "
        "(`q` = 1 is Chinchilla's sum, `q` = β Kaplan's form), which sets the loss floor of the "
        "held-out 1.07B-parameter, 100B-token runs within a few thousandths. All parameters "
        "are fitted together, the three amplitudes `E`, `C_lr`, `C_bs` exactly by variable "
        "projection. Undoing one change at a time (same parameter declarations, same fits):",
        "",
        "| law | R², huber | R², l2 |",
        "|---|---:|---:|",
    ]
    for law in dict.fromkeys(k[0] for k in ablation):
        out.append(f"| {law} | {fmt(ablation.get((law, 'huber')))} | "
                   f"{fmt(ablation.get((law, 'l2')))} |")
    out.append("")

    nsl_info = nsl.datasets[0]
    out += [
        "## Revisiting Neural Scaling Laws: 92 learning curves",
        "",
        f"{nsl_info.n_train} train / {nsl_info.n_test} test rows in {nsl_info.n_groups} curves "
        f"(one group per curve); run time {timings['nsl']:.1f} s. The paper's metric is the "
        "RMSE of log-loss on each curve's test rows; the median over curves:",
        "",
        "| law | loss | median log-RMSE over curves | pooled R² | pooled ARE |",
        "|---|---|---:|---:|---:|",
    ]
    for s in nsl.scores():
        if s.status == "ok":
            out.append(f"| {s.law} | {s.loss} | **{sig(s.group_log_rmse_median)}** | "
                       f"{fmt(s.r2)} | {pct(s.are)} |")
        else:
            out.append(f"| {s.law} | {s.loss} | {cell('failed: ' + str(s.reason))} | | |")
    out += ["", "`m4` is the saturating law of the paper (M4). Laws other than "
            f"{', '.join(NSL_LAWS)} are the rest of the catalogue's one-input laws.", ""]

    out += render_overtraining(ot, reports["overtraining_raw"], timings["overtraining"])
    out.append("")
    return "\n".join(out)


def render_overtraining(report: BenchReport, raw: BenchReport, seconds: float) -> list[str]:
    frame = pd.read_csv(DATASETS / "overtraining_gadre2024" / "data.csv")
    out = [
        "## Over-training (Gadre et al. 2024): error at the large held-out runs",
        "",
        f"Fitted per training set on the 5 small runs of the published protocol, predicting "
        f"the 1.4B over-trained and 6.9B runs; run time {seconds:.1f} s. Relative error "
        "`|ŷ − y| / y` of the C4 validation loss at each held-out run, for the paper's law "
        "`overtraining` (L = E + (a·M^η + b·M^−η)·C^−η, C = 6ND, M = D/N):",
        "",
        "| training set | model | N | M = D/N | loss | huber (log) | l2 (log) | l2 (raw) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    errors: dict[int, dict[str, float]] = {}
    for rep, suffix in ((report, ""), (raw, " raw")):
        for r in rep.results:
            if r.law != "overtraining" or not r.ok:
                continue
            for p in r.predictions:
                errors.setdefault(p["row"], {})[r.loss + suffix] = (
                    abs(p["prediction"] - p["y"]) / p["y"])
    for row, by_loss in sorted(errors.items(), key=lambda kv: frame.iloc[kv[0] - 1]["group"]):
        run = frame.iloc[row - 1]
        out.append(f"| {run['train_dataset']} | {run['model_config']} | {run['params']:.3g} | "
                   f"{run['token_multiplier']:g} | {run['loss_c4_val']:.4f} | "
                   f"{pct(by_loss.get('huber'))} | {pct(by_loss.get('l2'))} | "
                   f"{pct(by_loss.get('l2 raw'))} |")
    out += [
        "",
        "The paper reports about 0.7 % for the RedPajama (`rpj`) models (its notebook prints "
        "0.710 % at 1.4B, M = 640 and 0.732 % at 6.9B, M = 20); its code fits by least squares "
        "on the raw loss, which is the last column (`scalinglaws bench "
        "../shared/datasets/overtraining_gadre2024 --law overtraining --loss l2 --space raw "
        "--predictions --format json`). Every law scored on these data with the default "
        "objectives (R² pools only 6 test losses whose spread is mostly between training sets, "
        "so the relative error is the telling figure; on 5 runs, 4 of them at D = 20N, the "
        "Chinchilla fit settles on α = β, which is the over-training law, hence equal rows):",
        "",
    ]
    out += score_table(report, "overtraining_gadre2024", grouped=True)
    return out


if __name__ == "__main__":
    sys.exit(main())
