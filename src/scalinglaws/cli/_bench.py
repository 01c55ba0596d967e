"""The ``bench`` verb: score laws by how well they extrapolate on dataset folders."""

from __future__ import annotations

import time

import click

from .._errors import FitError, InputError
from . import CONTEXT, cli
from ._common import Progress, check_outputs, dumps, is_law_file, read_law_file, write_atomic


@cli.command("bench", context_settings=CONTEXT)
@click.argument("datasets", nargs=-1, required=True, metavar="DATA...")
@click.option("--law", "laws", multiple=True, metavar="NAME",
              help="Law to score (repeatable): a catalogue name, a formula whose inputs are "
                   "column names, or a law saved in a JSON file (law.json from 'discover "
                   "--save-law', or a fit.json). Default: every catalogue law whose inputs the "
                   "dataset can supply.")
@click.option("--loss", "losses", multiple=True, type=click.Choice(["huber", "l2"]),
              help="Objective(s) to fit with, each scored separately (repeatable). Default: "
                   "both.")
@click.option("--delta", type=float, default=None, help="Huber threshold (default 0.001).")
@click.option("--space", type=click.Choice(["log", "raw"]), default="log", show_default=True,
              help="Residuals of log-predictions or of raw predictions.")
@click.option("--starts", type=click.IntRange(1), default=1024, show_default=True,
              help="Size of the grid of starting points of every fit.")
@click.option("--share", default="", metavar="P1,P2",
              help="Parameters shared by the groups of a dataset, in every law that has them.")
@click.option("--holdout", default=None, metavar="COLUMN>=VALUE",
              help="Split rule: hold out the rows where the comparison holds (>=, >, <=, <, ==). "
                   "Replaces a published split; needed for data without one.")
@click.option("--holdout-largest", default=None, metavar="COLUMN[:K]",
              help="Split rule: hold out the rows at the K (default 1) largest distinct values "
                   "of COLUMN, within each group.")
@click.option("--nan-policy", type=click.Choice(["raise", "drop"]), default="raise",
              show_default=True,
              help="Rows with missing or infinite values in a column a law uses: fail that law "
                   "with the row named, or drop the rows (counted in n_dropped).")
@click.option("--jobs", type=click.IntRange(1), default=1, show_default=True,
              help="Fits run in parallel in this many local processes.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=None,
              metavar="SECONDS", help="Time limit per fit; a fit over it is reported as failed.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Seed of every fit.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="What to print.")
@click.option("--per-group", is_flag=True,
              help="Text: also show each group's (and target's) test metrics.")
@click.option("--predictions", is_flag=True,
              help="JSON: include every test row's observed value and prediction.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the output here instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or timing on stderr.")
def bench_cmd(datasets, laws, losses, delta, space, starts, share, holdout, holdout_largest,
              nan_policy, jobs, timeout, seed, fmt, per_group, predictions, output, force, quiet):
    """Score laws by extrapolation: fit on each dataset's train rows, predict its test rows.

    DATA are dataset folders (a dataset.toml next to a data.csv), e.g.
    ../shared/datasets/sldbench_*. Each law is fitted per group and per target, with each
    objective given by --loss; the test rows of all groups are pooled and scored with R²
    (1 - MSE/Var of the test values), NMSE, NMAE, the mean absolute relative error and the RMSE
    of log-predictions. The best law per dataset is the one with the highest R² (mean over
    targets), or the lowest ARE where R² is undefined (a single test row). Fits that fail or
    time out are reported as failed, with the reason.
    """
    from ..bench import BenchSettings, parse_largest, parse_threshold, run_bench

    check_outputs({"-o": output}, force=force, stdout=["-o"])
    if delta is not None and losses and "huber" not in losses:
        raise InputError("--delta is the Huber threshold: it applies with --loss huber")
    if per_group and fmt != "text":
        raise InputError("--per-group adds each group's metrics to the text output (the JSON "
                         "output always has them)")
    if predictions and fmt != "json":
        raise InputError("--predictions adds the test rows to the JSON output: add --format json")
    if holdout is not None and holdout_largest is not None:
        raise InputError("give one split rule: --holdout or --holdout-largest, not both")
    rule = (parse_threshold(holdout) if holdout is not None
            else parse_largest(holdout_largest) if holdout_largest is not None else None)
    settings = BenchSettings(
        losses=tuple(dict.fromkeys(losses)) or BenchSettings().losses,
        delta=BenchSettings().delta if delta is None else delta, space=space,
        n_starts=starts, share=tuple(s.strip() for s in share.split(",") if s.strip()),
        seed=seed)
    start = time.perf_counter()
    # a saved law keeps its own name in the report
    laws = [_saved_law(t) if is_law_file(t) else t for t in dict.fromkeys(laws)]
    report = run_bench(list(datasets), laws=list(laws) or None, settings=settings, split=rule,
                       nan_policy=nan_policy, jobs=jobs, timeout=timeout,
                       progress=Progress("bench", quiet=quiet))
    elapsed = time.perf_counter() - start
    if fmt == "json":
        text = dumps(report.to_dict(predictions=predictions))
    elif fmt == "csv":
        text = report.to_csv()
    else:
        text = report.to_text(per_group=per_group)
    if output and output != "-":
        write_atomic(output, text, force=force)
    else:
        click.echo(text, nl=False)
    if not quiet:
        n_ok = sum(r.ok for r in report.results)
        where = f"; wrote {output}" if output and output != "-" else ""
        click.echo(f"bench: {len(report.datasets)} dataset(s), {len(report.results)} results "
                   f"({n_ok} ok, {len(report.results) - n_ok} failed) in {elapsed:.1f} s with "
                   f"{jobs} job(s){where}", err=True)
    if report.results and not any(r.applicable for r in report.results):
        first = report.results[0]
        raise InputError(f"no law named by --law applies to the data; the first reason: "
                         f"{first.law} on {first.dataset}: {first.reason}")
    if report.results and not any(r.ok for r in report.results):
        first = report.results[0]
        raise FitError(f"no law could be fitted and scored; the first reason: {first.law} on "
                       f"{first.dataset}: {first.reason}")


def _saved_law(text: str):
    """A law saved in a JSON file, named after the file in the report."""
    from pathlib import Path

    from ..laws import FormulaLaw, formula_law

    saved = read_law_file(text)
    law = saved.law
    if isinstance(law, FormulaLaw):
        law = formula_law(law.formula, list(law.inputs), name=Path(text.lstrip("@")).name,
                          bounds={p.name: (p.lower, p.upper) for p in law.params})
    return (law, saved.columns) if saved.columns else law
