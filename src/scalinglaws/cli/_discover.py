"""The ``discover`` verb: search for the law form that extrapolates best."""

from __future__ import annotations

import os

import click

from .._errors import FitError, InputError
from . import CONTEXT, cli
from ._common import check_outputs, dumps, write_atomic


def _default_jobs(backend: str) -> int:
    """Workers when --jobs is not given: the CPUs this process may use; with Ray, as many
    tasks in flight as the cluster will schedule."""
    if backend == "ray":
        return 1024
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _split_list(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise InputError(f"{option} {text!r}: give column names separated by commas, e.g. "
                         f"{option} params,tokens, or leave {option} out")
    return items


@cli.command("discover", context_settings=CONTEXT)
@click.argument("data", metavar="DATA")
@click.option("--target", "targets", multiple=True, metavar="COLUMN",
              help="Target to find a law for (repeatable; default: every dataset.toml target, "
                   "one law each).")
@click.option("--inputs", default=None, metavar="COL1,COL2",
              help="Input columns (default: the dataset.toml inputs).")
@click.option("--group", default=None, metavar="COLUMN",
              help="Parameters per value of this column (default: the dataset.toml group).")
@click.option("--split", default=None, metavar="COLUMN",
              help="Column of train/test labels (default: the dataset.toml split). Only train "
                   "rows are searched; test rows are scored at the end.")
@click.option("--max-params", type=click.IntRange(1), default=16, show_default=True,
              metavar="K", help="Largest number of parameters of a law (a stack averages "
                                "laws within this limit, so it may have more).")
@click.option("--budget-seconds", type=click.FloatRange(0, min_open=True), default=540.0,
              show_default=True, metavar="S",
              help="Time budget of the whole search, shared by the targets (a safety net; a "
                   "search it stops may depend on the machine's speed). The first round of "
                   "forms and the final refits always run, so a budget of a few seconds is "
                   "exceeded.")
@click.option("--max-screened", type=click.IntRange(1), default=600, show_default=True,
              metavar="N", help="Most forms screened: the deterministic limit on the work, "
                                "shared equally by the targets.")
@click.option("--max-rounds", type=click.IntRange(0), default=8, show_default=True,
              help="Most rounds of expansion.")
@click.option("--beam", type=click.IntRange(1), default=4, show_default=True,
              help="Forms expanded per round.")
@click.option("--complexity", type=click.FloatRange(0, 1, max_open=True), default=0.02,
              show_default=True,
              help="Penalty per parameter: each must cut the validation error by this share.")
@click.option("--metric", type=click.Choice(["r2", "nmse", "nmae", "are", "log_rmse"]),
              default="r2", show_default=True, help="Validation metric.")
@click.option("--max-error", type=click.FloatRange(0, min_open=True), default=None,
              help="Validation error (1 - R² for r2) above which no law is said to extrapolate "
                   "well (default: 0.2 for r2, 0.05 for log_rmse, ...).")
@click.option("--max-spread", type=click.FloatRange(0, min_open=True), default=0.1,
              show_default=True,
              help="Largest disagreement of the 3 best laws at twice the largest scales for a "
                   "verdict of 'found'.")
@click.option("--folds", type=click.Choice(["auto", "largest", "series", "both", "kfold"]),
              default="auto",
              show_default=True, help="Validation folds inside the train split.")
@click.option("--scale", "scales", default=None, metavar="COL1,COL2",
              help="Inputs to extrapolate along in validation (default: detected).")
@click.option("--no-catalogue", is_flag=True, help="Do not seed the search with catalogue laws.")
@click.option("--no-stack", is_flag=True,
              help="Never select a weighted average of the best laws (a stack); select the "
                   "best single law.")
@click.option("--stack-group-level", type=click.FloatRange(0, 1, min_open=True), default=0.05,
              show_default=True, metavar="P",
              help="With groups, a stack must beat the best single law for more groups than "
                   "it loses, by a one-sided sign test below this level; 1 drops the test (with "
                   "4 groups or fewer no stack passes at 0.05).")
@click.option("--share-max-groups", type=click.IntRange(1), default=16, show_default=True,
              metavar="N",
              help="Try laws with parameters shared across groups only up to N groups (each is "
                   "a joint fit over all groups; 1 never tries them).")
@click.option("--starts", type=click.IntRange(1), default=1024, show_default=True,
              help="Starts of every fit.")
@click.option("--max-iter", type=click.IntRange(1), default=300, show_default=True,
              help="Iteration limit of the solver in every validation fit (a law whose fits "
                   "stop at it is flagged; a larger limit costs time).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Random seed.")
@click.option("--jobs", type=click.IntRange(1), default=None,
              help="Parallel workers (default: the CPUs available).")
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local",
              show_default=True, help="Where candidate fits run.")
@click.option("--ray-address", default=None, metavar="ADDRESS",
              help="Ray cluster to use with --backend ray (default: RAY_ADDRESS, else a local "
                   "Ray instance).")
@click.option("--top", type=click.IntRange(1), default=10, show_default=True,
              help="Best single laws listed, scored on the test split and considered for a "
                   "stack (a selected stack is listed above them).")
@click.option("--nan-policy", type=click.Choice(["raise", "drop"]), default="raise",
              show_default=True, help="What to do with missing or infinite values.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="What to print on stdout.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the output here instead of stdout.")
@click.option("--save-law", default=None, metavar="LAW.json",
              help="Save the selected law (formula, bounds, shared parameters).")
@click.option("--save-fit", default=None, metavar="FIT.json",
              help="Save the selected law fitted on the train rows, for predict, plan and "
                   "report.")
@click.option("--force", is_flag=True, help="Overwrite output files that exist.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def discover_cmd(data, targets, inputs, group, split, max_params, budget_seconds, max_screened,
                 max_rounds,
                 beam, complexity, metric, max_error, max_spread, folds, scales, no_catalogue,
                 no_stack, stack_group_level, share_max_groups, starts, max_iter, seed, jobs,
                 backend, ray_address, top, nan_policy, fmt, output, save_law, save_fit, force,
                 quiet):
    """Search law forms for the one that extrapolates best, validated inside the train split.

    \b
    The search never looks at the test split: candidates are scored by fitting on the train
    rows without their largest scales and predicting those; the test rows are scored only at
    the end, for the report. Examples:
      scalinglaws discover ../shared/datasets/sldbench_sft_rectified
      scalinglaws discover runs.csv --inputs params,tokens --target loss --save-fit fit.json
    """
    from ..discover import DiscoverSettings, discover_path

    check_outputs({"-o": output, "--save-law": save_law, "--save-fit": save_fit}, force=force,
                  stdout=["-o"])
    targets = tuple(dict.fromkeys(targets))  # a target named twice is searched once
    if (save_law or save_fit) and len(targets) > 1:
        raise InputError("--save-law and --save-fit save one law: give one --target")
    if (save_law or save_fit) and not targets and os.path.isdir(data):
        from ..data import read_task_spec

        spec = read_task_spec(data)  # checked before the search, which may take minutes
        if len(spec.targets) > 1:
            raise InputError(f"this dataset has {len(spec.targets)} targets "
                             f"({', '.join(spec.targets)}): choose one with --target to save "
                             "its law or fit")
    if ray_address and backend != "ray":
        raise InputError("--ray-address needs --backend ray")
    backend_name = backend
    if backend == "ray":
        backend_name = f"ray:{ray_address}" if ray_address else "ray"
    scale_list = _split_list(scales, "--scale")
    input_list = _split_list(inputs, "--inputs")
    settings = DiscoverSettings(
        max_params=max_params, budget_seconds=budget_seconds, max_screened=max_screened,
        max_rounds=max_rounds, beam=beam,
        complexity=complexity, metric=metric, max_error=max_error, max_spread=max_spread,
        folds=folds,
        scales=tuple(scale_list) if scale_list else None, catalogue=not no_catalogue,
        stack=not no_stack, stack_group_level=stack_group_level,
        share_max_groups=share_max_groups, n_starts=starts, max_iter=max_iter, seed=seed,
        jobs=jobs or _default_jobs(backend), backend=backend_name, report=top)
    log = None if quiet else (lambda msg: click.echo(msg, err=True))
    report = discover_path(data, targets=list(targets) or None, inputs=input_list,
                           group=group, split=split, nan_policy=nan_policy, settings=settings,
                           log=log)
    if (save_law or save_fit) and len(report.results) > 1:
        raise InputError(f"this dataset has {len(report.results)} targets: choose one with "
                         "--target to save its law or fit")
    result = report.results[0]
    if (save_law or save_fit) and result.selected is not None and not result.extrapolates:
        click.echo(f"warning: {result.verdict.split(':')[0]}: the saved law is the best-ranked "
                   "one, not validated for extrapolation", err=True)
    # how ``fit --law FILE`` reads the data by default: as the search did
    options = dict(zip(result.read_options[::2], result.read_options[1::2]))
    read = {"target": result.target, "group": options.get("--group"),
            "split": options.get("--split"), "space": result.search.get("space")}
    if save_law and result.selected is not None:
        write_atomic(save_law, dumps({**result.selected.law_record(), "read": read}),
                     force=force)
        click.echo(f"saved the law to {save_law}", err=True)
    if save_fit and result.fit is not None:
        write_atomic(save_fit, dumps({**result.fit.to_dict(), "read": read}), force=force)
        click.echo(f"saved the fit to {save_fit}; try: scalinglaws predict {save_fit} --at ...",
                   err=True)
    text = dumps(report.to_dict(top)) if fmt == "json" else report.summary(top) + "\n"
    if output and output != "-":
        write_atomic(output, text, force=force)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
    failed = [r.target for r in report.results if r.selected is None]
    if failed:
        nothing = " and nothing was saved" if (save_law or save_fit) else ""
        where = f"in {output}" if output and output != "-" else "above"
        raise FitError(f"no law could be fitted for {', '.join(map(repr, failed))}{nothing}; "
                       f"the verdict {where} says why")
    if save_fit and result.fit is None:
        raise FitError("the selected law could not be refitted on the train rows, so no fit "
                       "was saved (its law can be saved with --save-law)")


__all__ = ["discover_cmd"]
