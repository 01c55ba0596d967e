"""The ``plot`` and ``report`` verbs: static figures and the self-contained HTML report."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import click

from .._errors import InputError
from . import CONTEXT, cli
from ._common import read_fit as _read_fit
from ._common import Progress, check_output, check_outputs, parse_float, parse_pairs, write_atomic

_EXTENSIONS = ("png", "svg", "pdf")
_KINDS = ("fit", "extrapolation", "residuals", "isoflop", "frontier", "bench")


def _read_json(path: str, what: str, producer: str) -> dict:
    """A JSON object from ``path``, with one-line errors."""
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except FileNotFoundError:
        raise InputError(f"{what} file {path} not found; create it with '{producer}'") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {what} file {path} as JSON ({exc}); create it with "
                         f"'{producer}'") from None
    if not isinstance(d, dict):
        raise InputError(f"{path} is not a {what} record (expected a JSON object)")
    return d


#: Which kinds of figure use each option of ``plot`` (``--group`` is checked with the fit).
_USED_BY = {"--at": ("extrapolation",), "--input": ("fit", "extrapolation"),
            "--plan": ("frontier",), "--dataset": ("bench",)}


def _read_plan(path: str, fit: Any = None, fit_file: str | None = None) -> dict:
    """A plan record written by ``scalinglaws plan ... --format json -o PLAN.json``; with
    ``fit``, it must have been made from that fit's model."""
    d = _read_json(path, "plan", "scalinglaws plan ... --format json -o PLAN.json")
    if isinstance(d.get("plans"), list):
        raise InputError(f"{path} holds {len(d['plans'])} plans (one per --budget); a figure or "
                         "report shows one: make it with a single --budget")
    if "N_opt" not in d or "D_opt" not in d:
        raise InputError(f"{path} is not a plan record (it has no N_opt and D_opt); create one "
                         "with 'scalinglaws plan FIT.json --budget C --format json -o PLAN.json'")
    if fit is not None:
        _check_plan_model(d, fit, path, fit_file or "FIT.json")
    return d


def _check_plan_model(plan: dict, fit: Any, path: str, fit_file: str) -> None:
    """Refuse a plan made from another law, other parameters or other data than ``fit``: the
    page would show two different predicted losses for the same point."""
    model = plan.get("model")
    if not isinstance(model, dict):
        return
    problems = []
    formula = model.get("formula")
    if formula is not None and formula != fit.law.formula:
        problems.append(f"its law is {formula}, the fit's {fit.law.formula}")
    params = model.get("params")
    group = model.get("group")
    mine = fit.params if fit.groups is None else fit.params.get(group) if group else None
    if not problems and isinstance(params, dict) and isinstance(mine, dict):
        differ = [k for k, v in params.items()
                  if k not in mine or not isinstance(v, (int, float))
                  or not math.isclose(float(v), float(mine[k]), rel_tol=1e-9, abs_tol=1e-300)]
        if differ:
            problems.append(f"its parameters differ from the fit's ({', '.join(differ)})")
    hashes = (model.get("provenance") or {}).get("data_hash"), fit.provenance.get("data_hash")
    if not problems and all(hashes) and hashes[0] != hashes[1]:
        problems.append("it was fitted on other data")
    if problems:
        raise InputError(f"{path} was not made from {fit_file}: {'; '.join(problems)}; make the "
                         f"plan from this fit with 'scalinglaws plan {fit_file} --budget C "
                         "--format json -o PLAN.json'")


def _parse_at(at: str | None) -> dict[str, float] | None:
    if not at:
        return None
    return {k: parse_float(v, "--at", k) for k, v in parse_pairs([at], "--at").items()}


@cli.command("plot", context_settings=CONTEXT)
@click.argument("fit_file", metavar="FIT.json")
@click.option("--kind", "kind", default=None, metavar="KIND",
              help=f"What to draw: {', '.join(_KINDS)} (bench reads a BENCH.json instead of a "
                   "fit).")
@click.option("-o", "--output", default=None, metavar="FIG.png|svg|pdf",
              help="Figure file; the format follows the extension.")
@click.option("--at", "at", default=None, metavar="N=7e10,D=1.4e12",
              help="Extrapolation target (default: ten times the largest run).")
@click.option("--input", "x", default=None, metavar="NAME",
              help="Law input on the horizontal axis (fit, extrapolation).")
@click.option("--group", default=None, help="Group whose parameters to use (grouped fits).")
@click.option("--plan", "plan_file", default=None, metavar="PLAN.json",
              help="A plan to mark on the frontier.")
@click.option("--dataset", default=None,
              help="With --kind bench: the dataset whose test predictions to plot.")
@click.option("--dpi", type=click.IntRange(30, 1200), default=150, show_default=True,
              help="Resolution of PNG figures.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def plot_cmd(fit_file, kind, output, at, x, group, plan_file, dataset, dpi, force):
    """Draw a static figure of a saved fit (or of a bench record with --kind bench)."""
    if kind is None:
        raise InputError(f"give the figure with --kind ({', '.join(_KINDS)})")
    if kind not in _KINDS:
        raise InputError(f"--kind {kind!r}: choose one of {', '.join(_KINDS)}")
    ext = Path(output).suffix.lower().lstrip(".") if output else ""
    if output and ext not in _EXTENSIONS:
        raise InputError(f"-o {output}: the extension must be one of "
                         f"{', '.join('.' + e for e in _EXTENSIONS)}")
    if not output:
        raise InputError("give the output file with -o FILE")
    path = check_output(output, force=force)
    given = {"--at": at, "--input": x, "--plan": plan_file, "--dataset": dataset}
    for option, value in given.items():
        if value is not None and kind not in _USED_BY[option]:
            raise InputError(f"{option} applies to --kind {' and '.join(_USED_BY[option])}, "
                             f"not {kind}")
    if kind == "bench":
        obj = _read_json(fit_file, "bench", "scalinglaws bench ... --format json -o BENCH.json")
    else:
        obj = _read_fit(fit_file)
    plan = _read_plan(plan_file, obj, fit_file) if plan_file else None
    if group is not None:
        if kind not in ("extrapolation", "frontier"):
            raise InputError(f"--group applies to --kind extrapolation and frontier, not {kind} "
                             "(which shows every group)")
        if obj.groups is None:
            raise InputError(f"--group {group}: this fit has no groups")
        if group not in obj.groups:
            raise InputError(f"--group {group}: unknown group; the fit's groups are "
                             f"{', '.join(map(str, obj.groups))}")

    import matplotlib

    matplotlib.use("Agg", force=False)
    from ..report.plots import make_figure, save_figure

    fig = make_figure(obj, kind, at=_parse_at(at), x=x, group=group, plan=plan, dataset=dataset)
    buf = io.BytesIO()
    save_figure(fig, buf, fmt=ext, dpi=dpi)
    write_atomic(path, buf.getvalue(), force=force)
    click.echo(f"wrote {path}", err=True)


@cli.command("report", context_settings=CONTEXT)
@click.argument("fit_file", metavar="FIT.json")
@click.option("--bench", "bench_file", default=None, metavar="BENCH.json",
              help="Add a bench comparison (from 'scalinglaws bench ... --format json -o "
                   "BENCH.json').")
@click.option("--plan", "plan_file", default=None, metavar="PLAN.json",
              help="Add a plan (from 'scalinglaws plan ... --format json -o PLAN.json').")
@click.option("--at", "at", default=None, metavar="N=7e10,D=1.4e12",
              help="Extrapolation target (default: the plan's allocation, else ten times the "
                   "largest run).")
@click.option("--title", default=None, help="Page title.")
@click.option("-o", "--output", default=None, metavar="report.html",
              help="The HTML file (default: stdout).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def report_cmd(fit_file, bench_file, plan_file, at, title, output, force, quiet):
    """Write one self-contained HTML page for a saved fit: interactive charts (no network
    needed), parameters, diagnostics, provenance, and a plan and a bench when given."""
    check_outputs({"-o": output}, force=force, stdout=["-o"])
    res = _read_fit(fit_file)
    bench = (_read_json(bench_file, "bench", "scalinglaws bench ... --format json -o BENCH.json")
             if bench_file else None)
    plan = _read_plan(plan_file, res, fit_file) if plan_file else None
    from ..report.html import build_report

    page = build_report(res, bench=bench, plan=plan, at=_parse_at(at), title=title,
                        progress=Progress("report", quiet=quiet))
    if output and output != "-":
        write_atomic(output, page, force=force)
        size = len(page.encode("utf-8"))
        click.echo(f"wrote {output} ({size / 1e6:.2f} MB); open it in a browser (no network "
                   "needed)", err=True)
    else:
        click.echo(page, nl=False)
