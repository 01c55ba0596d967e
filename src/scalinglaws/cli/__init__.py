"""Command-line interface: thin wrappers that parse options, call the library and render.

Exit codes: 0 success, 1 failure (a fit that cannot be done), 2 usage error (bad option, data,
law or formula). Results go to stdout, messages and progress to stderr.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import warnings
from typing import Any

import click
import numpy as np

from .. import __version__
from .._checks import FAR_ABOVE
from .._errors import DataWarning, FitError, InputError, ScalingLawsError, ScalingLawsWarning
from ._common import (
    Progress,
    check_outputs,
    fit_provenance,
    emit as _emit,
    read_fit as _read_fit,
    dumps,
    is_law_file,
    parse_bounds,
    parse_float,
    parse_pairs,
    read_law_file,
    resolve_law,
    write_atomic,
)

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="scalinglaws")
def cli() -> None:
    """Fit, check and use neural scaling laws.

    \b
    Typical session:
      scalinglaws laws                                  # the catalogue
      scalinglaws fit runs.csv --law chinchilla --input N=params --input D=tokens \\
          --target loss --bootstrap 1000 -o fit.json    # fit with intervals
      scalinglaws predict fit.json --at N=7e10,D=1.4e12 # predict at scale
    """


def _register_commands() -> None:
    """Import the modules that add verbs to :func:`cli` (each decorates with ``@cli.command``)."""
    import importlib

    for name in ("_bench", "_plan", "_report", "_discover"):
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # verb not built yet
            if exc.name != f"{__name__}.{name}":
                raise


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``scalinglaws`` console script.

    Parameters
    ----------
    argv : list of str, optional
        The command-line arguments, without the program name; None reads ``sys.argv``.

    Notes
    -----
    Errors are printed as one line on stderr and end the process: exit status 2 for an
    :class:`InputError` or another :class:`ScalingLawsError` (except a :class:`FitError`),
    1 for a failed fit, an interruption or an unexpected error (re-raised with its traceback
    when ``SCALINGLAWS_DEBUG`` is set), and click's own status for usage errors.
    """
    try:
        with warnings.catch_warnings():
            # fit warnings are part of the command's own output; data warnings (rows dropped
            # by --nan-policy, inputs picked by position) go to stderr as one line each
            warnings.simplefilter("ignore", ScalingLawsWarning)
            warnings.simplefilter("always", DataWarning)
            warnings.showwarning = _show_warning
            _register_commands()
            cli.main(args=argv, prog_name="scalinglaws", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except FitError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except (InputError, ScalingLawsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, no traceback
        if os.environ.get("SCALINGLAWS_DEBUG"):
            raise
        click.echo(f"internal error: {type(exc).__name__}: {exc} (set SCALINGLAWS_DEBUG=1 for a "
                   "traceback and please report it)", err=True)
        sys.exit(1)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"warning: {message}", err=True)


# ---------------------------------------------------------------------------------------------
# laws


@cli.group("laws", invoke_without_command=True, context_settings=CONTEXT)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def laws_cmd(ctx: click.Context, fmt: str) -> None:
    """List the catalogue of laws (``laws show NAME`` for one)."""
    ctx.obj = {"fmt": fmt}
    if ctx.invoked_subcommand is not None:
        return
    from ..laws import catalogue_names, get_law

    rows = [get_law(n) for n in catalogue_names()]
    if fmt == "json":
        click.echo(dumps([{"name": l.name, "inputs": list(l.inputs), "params": list(l.param_names),
                           "formula": l.formula, "reference": l.reference} for l in rows]), nl=False)
        return
    width = max(len(l.name) for l in rows)
    for l in rows:
        click.echo(f"{l.name:<{width}}  {', '.join(l.inputs):<16} {l.formula}")
    click.echo("\n'scalinglaws laws show NAME' for parameters, bounds and the reference; or write "
               "your own law as a formula: --law 'E + A/N**alpha'.")


@laws_cmd.command("show", context_settings=CONTEXT)
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default=None,
              help="Output format.")
@click.pass_context
def laws_show(ctx: click.Context, name: str, fmt: str | None) -> None:
    """Show one law: formula, inputs, parameters with bounds and typical ranges, reference."""
    from ..laws import get_law

    from ..laws import catalogue_names

    fmt = fmt or (ctx.obj or {}).get("fmt", "text")
    if name not in catalogue_names():
        raise InputError(f"unknown law {name!r}; 'laws show' takes a catalogue name: "
                         f"{', '.join(catalogue_names())}")
    d = get_law(name).describe()
    if fmt == "json":
        click.echo(dumps(d), nl=False)
        return
    click.echo(f"{d['name']}: {d['description']}")
    click.echo(f"  formula    {d['formula']}")
    click.echo(f"  LaTeX      {d['latex']}")
    click.echo(f"  inputs     {', '.join(d['inputs'])}")
    click.echo("  parameters")
    w = max(len(p["name"]) for p in d["params"])
    for p in d["params"]:
        typ = p["typical"]
        typ_s = typ if isinstance(typ, str) else (f"{typ[0]:g} .. {typ[1]:g}" if typ else "-")
        lin = ", solved exactly" if p["linear"] else ""
        click.echo(f"    {p['name']:<{w}}  bounds [{p['lower']}, {p['upper']}]  typical {typ_s} "
                   f"({p['scale']} scale{lin})  {p['description']}")
    click.echo(f"  reference  {d['reference']}")


# ---------------------------------------------------------------------------------------------
# fit


def _load_for_law(data_path, law_text, inputs, target, group, bounds, nan_policy, space, rows,
                  split=None):
    """Read the table, resolve the law and the column mapping, and validate the data."""
    from ..data import make_dataset, read_table, resolve_input_mapping

    frame, spec = read_table(data_path)
    user = parse_pairs(inputs, "--input")
    columns = [c for c in frame.columns if not str(c).startswith("__")]
    spec_inputs = list(spec.inputs) if spec else None
    n_inputs = len(user) or (len(spec_inputs) if spec_inputs else None)
    candidates = list(user) + [c for c in columns if c not in user]
    law = resolve_law(law_text, input_names=candidates, n_inputs=n_inputs,
                      bounds=parse_bounds(bounds))
    # formula laws name their inputs after columns unless --input says otherwise
    spec_for_map = spec_inputs
    if law.reference == "user-defined" and not user:
        spec_for_map = None
    mapping = resolve_input_mapping(law.inputs, user=user, spec_inputs=spec_for_map,
                                    columns=columns, law_name=law.name)
    if target is None:
        if spec is None:
            raise InputError("pass --target COLUMN (the column to fit)")
        if len(spec.targets) > 1:
            raise InputError(f"this dataset has several targets ({', '.join(spec.targets)}); "
                             "pass --target to choose one")
        target = spec.targets[0]
    same = [k for k, col in mapping.items() if col == target]
    if same:
        raise InputError(f"--target {target}: this column is also the law's input {same[0]}; "
                         "a column cannot be both")
    positive = [k for k, d in law.domains.items() if d == "positive"]
    nonneg = [k for k, d in law.domains.items() if d == "nonnegative"]
    if space == "log":
        positive.append(target)
    data = make_dataset(frame, mapping, target, spec=spec, group=group, split=split,
                        nan_policy=nan_policy, positive=positive, nonnegative=nonneg,
                        name=spec.name if spec else os.path.basename(str(data_path)),
                        source=str(data_path))
    if rows in ("train", "test") and data.split is None:
        raise InputError(f"--rows {rows}: this data has no split column; name one with --split "
                         "COLUMN (its values train, test or excluded)")
    if rows in (None, "train") and data.split is not None:
        data, rows = data.train(), "train"
    elif rows == "test":
        data = data.test()
    elif data.split is not None:  # --rows all: the test rows are fitted by choice
        data = dataclasses.replace(data, split=None)
    return law, data, rows or "all"


@cli.command("fit", context_settings=CONTEXT)
@click.argument("data", metavar="DATA")
@click.option("--law", "law_text", required=True,
              help="Catalogue name (see 'scalinglaws laws'), a formula such as "
                   "'E + A/N**alpha + B/D**beta', or a law saved in a JSON file (law.json from "
                   "'discover --save-law', or a fit.json, whose columns, shared parameters, "
                   "target, group, split, rows and space become the defaults of --input, "
                   "--share, --target, --group, --split, --rows and --space).")
@click.option("--input", "inputs", multiple=True, metavar="NAME=COLUMN",
              help="Map a law input to a table column (repeatable, or comma-separated).")
@click.option("--target", default=None, metavar="COLUMN", help="Column to fit (default: the "
              "dataset.toml target).")
@click.option("--group", default=None, metavar="COLUMN",
              help="Fit parameters per value of this column (default: the dataset.toml group).")
@click.option("--share", default="", metavar="P1,P2",
              help="With groups: parameters shared by every group, e.g. alpha,beta.")
@click.option("--split", default=None, metavar="COLUMN",
              help="Column of train/test/excluded labels (default: the dataset.toml split).")
@click.option("--rows", type=click.Choice(["train", "all", "test"]), default=None,
              help="Which rows to fit: the train rows (the default when the data has a split), "
                   "all of them (the default otherwise), or the test rows.")
@click.option("--bound", "bounds", multiple=True, metavar="NAME=LO:HI",
              help="Bounds for a parameter, e.g. alpha=0:2 (also sets its start range).")
@click.option("--loss", type=click.Choice(["huber", "l2"]), default="huber", show_default=True,
              help="Huber (robust) or plain least squares.")
@click.option("--delta", type=float, default=None, help="Huber threshold (default 0.001).")
@click.option("--space", type=click.Choice(["log", "raw"]), default="log", show_default=True,
              help="Residuals of log-predictions or of raw predictions.")
@click.option("--starts", type=click.IntRange(1), default=1024, show_default=True,
              help="Size of the grid of starting points.")
@click.option("--max-iter", type=click.IntRange(1), default=300, show_default=True,
              help="Iteration limit of the solver (a fit that stops at it says so).")
@click.option("--bootstrap", type=click.IntRange(0), default=0, show_default=True, metavar="K",
              help="Number of bootstrap refits for intervals (0 for none, else at least 10; 1000 "
                   "is typical).")
@click.option("--bootstrap-unit", type=click.Choice(["runs", "groups"]), default="runs",
              show_default=True, help="Resample runs (within groups) or whole groups.")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True, help="Confidence level of the intervals.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Random seed.")
@click.option("--nan-policy", type=click.Choice(["raise", "drop"]), default="raise",
              show_default=True, help="What to do with missing or infinite values.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="What to print on stdout.")
@click.option("-o", "--output", default=None, metavar="FIT.json",
              help="Also save the fit (JSON) here, for predict/plan/report.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def fit_cmd(data, law_text, inputs, target, group, share, split, rows, bounds, loss, delta, space,
            starts, max_iter, bootstrap, bootstrap_unit, level, seed, nan_policy, fmt, output,
            force, quiet):
    """Fit a law to the runs in DATA (CSV, Parquet, JSON, a dataset.toml folder, or - for stdin)."""
    from ..fit import Fitter

    check_outputs({"-o": output}, force=force)
    shared_from_file: tuple[str, ...] = ()
    if is_law_file(law_text):
        saved = read_law_file(law_text)
        if not inputs:
            inputs = tuple(f"{k}={v}" for k, v in saved.columns.items())
        if not share:
            shared_from_file = saved.shared
        # the file says how its data was read: those are the defaults of the options not given
        ctx = click.get_current_context()
        given = {"target": target, "group": group, "split": split, "rows": rows,
                 "space": None if ctx.get_parameter_source("space").name == "DEFAULT" else space}
        used = {k: v for k, v in saved.defaults.items() if given[k] is None}
        target, group = used.get("target", target), used.get("group", group)
        split, space = used.get("split", split), used.get("space", space)
        rows = used.get("rows", rows)
        if used and not quiet:
            click.echo(f"from {law_text.strip().removeprefix('@')}: "
                       + " ".join(f"--{k} {v}" for k, v in used.items()), err=True)
    law, ds, rows = _load_for_law(data, law_text, inputs, target, group, bounds, nan_policy,
                                  space, rows, split)
    shared = tuple(dict.fromkeys(s.strip() for s in share.split(",") if s.strip()))
    if shared and ds.group is None:
        raise InputError("--share needs groups: pass --group COLUMN")
    if ds.group is not None:
        shared = shared or shared_from_file
    if delta is not None and loss != "huber":
        raise InputError("--delta is the Huber threshold: it applies with --loss huber")
    fitter = Fitter(loss=loss, delta=1e-3 if delta is None else delta, space=space,
                    n_starts=starts, max_iter=max_iter, seed=seed,
                    shared=shared, bootstrap=bootstrap, bootstrap_unit=bootstrap_unit, level=level)
    res = fitter.fit(law, ds, progress=Progress("bootstrap", quiet=quiet))
    d = res.to_dict()
    d["provenance"]["rows"] = rows  # which rows of the split were fitted: train, test or all
    record = dumps(d)
    if output:
        write_atomic(output, record, force=force)
        click.echo(f"saved fit to {output}", err=True)
    if fmt == "json":
        click.echo(record, nl=False)
    else:
        click.echo(res.summary())


# ---------------------------------------------------------------------------------------------
# predict


@cli.command("predict", context_settings=CONTEXT)
@click.argument("fit_file", metavar="FIT.json")
@click.option("--at", "at", multiple=True, metavar="N=7e10,D=1.4e12",
              help="A point to predict at (repeatable).")
@click.option("--points", default=None, metavar="FILE.csv",
              help="Table of points (columns named after the law's inputs or the fitted columns).")
@click.option("--group", default=None, help="Group whose parameters to use (grouped fits).")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None,
              help="Interval level (default: the fit's).")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the residual noise in prediction intervals.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True)
@click.option("-o", "--output", default=None, help="Write the predictions here.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def predict_cmd(fit_file, at, points, group, level, seed, fmt, output, force):
    """Predict with a saved fit, with confidence and prediction intervals when it has draws."""
    import pandas as pd

    res = _read_fit(fit_file)
    law = res.law
    inv = {col: name for name, col in res.inputs.items()}
    if group is not None and res.groups is None:
        raise InputError(f"--group {group}: this fit has no groups")
    if not at and not points:
        raise InputError("give points with --at NAME=VALUE,... or --points FILE.csv")
    cols: dict[str, list[float]] = {k: [] for k in law.inputs}
    for spec in at:
        vals = parse_pairs([spec], "--at")
        named = {}
        for k, v in vals.items():
            key = k if k in law.inputs else inv.get(k)
            if key is None:
                cols = ", ".join(f"{i} (column {c})" if c != i else i
                                 for i, c in res.inputs.items())
                raise InputError(f"--at {k}: not an input of this fit, whose inputs are {cols}; "
                                 "a law need not use every column (discover leaves out inputs "
                                 "that are constant in its train rows), so give only these")
            named[key] = parse_float(v, "--at", k)
        missing = [k for k in law.inputs if k not in named]
        if missing:
            raise InputError(f"--at {spec!r}: missing {', '.join(missing)}")
        for k in law.inputs:
            cols[k].append(named[k])
    groups = None
    if points:
        from ..data import read_table

        frame, _ = read_table(points)
        for k in law.inputs:
            col = k if k in frame.columns else res.inputs.get(k)
            if k in frame.columns and res.inputs.get(k, k) != k and res.inputs[k] in frame.columns:
                raise InputError(f"--points {points}: columns {k!r} and {res.inputs[k]!r} both "
                                 f"give input {k}; keep one")
            if col not in frame.columns:
                raise InputError(f"--points {points}: no column for input {k!r} (expected {k!r} "
                                 f"or {res.inputs.get(k)!r})")
            try:
                vals = pd.to_numeric(frame[col], errors="raise").astype(float).tolist()
            except (TypeError, ValueError):
                raise InputError(f"--points {points}: column {col!r} has non-numeric values") from None
            cols[k].extend(vals)
        gcol = next((c for c in (res.data.get("group_column"), "group")
                     if c and c in frame.columns), None)
        if res.groups is not None and gcol is not None:
            if group is not None:
                raise InputError(f"--group {group} and the column {gcol!r} of --points {points} "
                                 "both say which group to predict for: drop one")
            # the --at points (before the file's) have no group: predict's error says so
            groups = [None] * len(at) + frame[gcol].astype(str).tolist()
    X = {k: np.asarray(v, float) for k, v in cols.items()}
    if not len(X[law.inputs[0]]):
        raise InputError(f"--points {points}: no rows to predict at")
    from ..laws import catalogue_names

    catalogued = law.name in catalogue_names()  # a formula law's domains are only defaults
    for k, v in X.items():
        dom = law.domains.get(k, "real") if catalogued else "real"
        bad = ~np.isfinite(v) | ((v <= 0) if dom == "positive" else
                                 (v < 0) if dom == "nonnegative" else False)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            need = {"positive": " and > 0", "nonnegative": " and >= 0"}.get(dom, "")
            raise InputError(f"input {k} at point {i + 1}: {v[i]:g} must be finite{need} for "
                             f"the law {law.name}")
    if groups is not None and None in groups:
        raise InputError("--at points on a grouped fit need --group NAME, which --points with a "
                         "group column excludes: predict them in two runs")
    if res.groups is not None and groups is None:
        groups = [group] * len(X[law.inputs[0]]) if group is not None else None
    with np.errstate(all="ignore"):
        out = res.predict(X, group=groups if groups is not None else group, level=level,
                          seed=seed)
    bad = np.flatnonzero(~np.isfinite(out["prediction"]))
    if bad.size:
        i = int(bad[0])
        where = ", ".join(f"{k}={X[k][i]:g}" for k in law.inputs)
        raise InputError(f"the law gives no finite prediction at point {i + 1} ({where}); is "
                         "it outside the law's domain?")
    _note_far_beyond(res, X)
    lvl = level if level is not None else res.level
    records = []
    for i in range(len(out["prediction"])):
        r: dict[str, Any] = {k: float(X[k][i]) for k in law.inputs}
        if groups is not None:  # a grouped fit: say which group each point was predicted for
            r["group"] = groups[i]
        r["prediction"] = float(out["prediction"][i])
        if "ci_low" in out:
            r["ci"] = [float(out["ci_low"][i]), float(out["ci_high"][i])]
            r["pi"] = [float(out["pi_low"][i]), float(out["pi_high"][i])]
        records.append(r)
    if fmt == "json":
        text = dumps({"law": law.name, "formula": law.formula, "target": res.target,
                      "level": lvl, "seed": seed, "predictions": records,
                      "provenance": {"version": __version__,
                                     "fit": fit_provenance(res, fit_file)}})
    elif fmt == "csv":
        flat = []
        for r in records:
            row = {k: r[k] for k in (*law.inputs, "group") if k in r}
            row["prediction"] = r["prediction"]
            if "ci" in r:
                row.update(ci_low=r["ci"][0], ci_high=r["ci"][1], pi_low=r["pi"][0],
                           pi_high=r["pi"][1])
            flat.append(row)
        text = pd.DataFrame(flat).to_csv(index=False)
    else:
        lines = [f"{res.target} predicted by {law.name}"
                 + (f" ({100 * lvl:g}% intervals: CI = mean, PI = a new run)" if "ci_low" in out
                    else " (no intervals: fit with --bootstrap K to get them)")]
        for r in records:
            where = ", ".join(f"{k}={r[k]:.4g}" for k in law.inputs)
            if "group" in r:
                where = f"group {r['group']}, {where}"
            s = f"  {where}: {r['prediction']:.5g}"
            if "ci" in r:
                s += (f"   CI [{r['ci'][0]:.5g}, {r['ci'][1]:.5g}]   PI [{r['pi'][0]:.5g}, "
                      f"{r['pi'][1]:.5g}]")
            lines.append(s)
        text = "\n".join(lines) + "\n"
    _emit(text, output, force)


def _note_far_beyond(res, X: dict[str, np.ndarray]) -> None:
    """A note on stderr for the first point whose input is more than ``FAR_ABOVE`` times the
    largest run's (as ``plan`` notes for a plan)."""
    seen = res.data.get("X") or {}
    for k, v in X.items():
        runs = np.asarray(seen.get(k, []), float)
        if not runs.size or not np.all(runs > 0):
            continue
        top = float(runs.max())
        far = np.flatnonzero(v > top * FAR_ABOVE)
        if far.size:
            i = int(far[0])
            click.echo(f"note: point {i + 1} has {k}={v[i]:.3g}, {v[i] / top:.2g} times the "
                       f"largest run's {top:.3g}: nothing in the data says the law still holds "
                       "there", err=True)
            return


# ---------------------------------------------------------------------------------------------
# simulate


def _parse_grid(values) -> dict:
    grid = {}
    for k, v in parse_pairs(values, "--grid", split_commas=False).items():
        if ":" in v:
            parts = v.split(":")
            if len(parts) != 3:
                raise InputError(f"--grid {k}={v}: expected LO:HI:COUNT, or values separated "
                                 "by ';'")
            lo, hi = parse_float(parts[0], "--grid", k), parse_float(parts[1], "--grid", k)
            try:
                cnt = int(parts[2])
            except ValueError:
                raise InputError(f"--grid {k}={v}: COUNT must be an integer") from None
            if cnt < 1:
                raise InputError(f"--grid {k}={v}: COUNT must be at least 1")
            grid[k] = (lo, hi, cnt)
        else:
            grid[k] = [parse_float(x, "--grid", k) for x in v.split(";") if x.strip()]
    counts = [g[2] if isinstance(g, tuple) else len(g) for g in grid.values()]
    rows = math.prod(counts)
    if rows > MAX_GRID_ROWS:
        shown = " x ".join(map(str, counts))
        raise InputError(f"--grid: {shown} = {rows:,} runs, more than {MAX_GRID_ROWS:,}; "
                         "lower the COUNTs")
    return grid


#: Most runs ``simulate`` writes (the product of the grid's counts).
MAX_GRID_ROWS = 10_000_000


@cli.command("simulate", context_settings=CONTEXT)
@click.option("--law", "law_text", required=True, help="Catalogue name or formula.")
@click.option("--input", "inputs", multiple=True, metavar="NAME",
              help="For a formula law: which names are inputs (repeatable).")
@click.option("--params", "params", multiple=True, metavar="E=1.8,A=400",
              help="True parameter values (default: the catalogue example).")
@click.option("--grid", "grid", multiple=True, metavar="N=1e8:1e10:5",
              help="Input grid: LO:HI:COUNT log-spaced (evenly spaced when LO or HI is not "
                   "positive), or values separated by ';' (repeatable; "
                   "default: the catalogue example grid).")
@click.option("--noise", type=float, default=None,
              help="Noise standard deviation (of log y for lognormal; default: the example's).")
@click.option("--noise-kind", type=click.Choice(["lognormal", "normal"]), default="lognormal",
              show_default=True)
@click.option("--n-inputs", type=click.IntRange(1), default=None,
              help="Number of inputs for variadic laws (mixture).")
@click.option("--target", default="loss", show_default=True, help="Name of the output column.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("-o", "--output", default=None, metavar="runs.csv", help="Output CSV (default "
              "stdout).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
def simulate_cmd(law_text, inputs, params, grid, noise, noise_kind, n_inputs, target, seed,
                 output, force):
    """Generate synthetic runs from a known law (ground truth for tests and studies)."""
    from ..simulate import simulate

    g = _parse_grid(grid) if grid else None
    names = list(inputs) or (list(g) if g else [])
    law = resolve_law(law_text, input_names=names, n_inputs=n_inputs or (len(g) if g else None),
                      bounds={})
    unknown = [k for k in (g or {}) if k not in law.inputs]
    if unknown:
        raise InputError(f"--grid {unknown[0]}: not an input of {law.name} (its inputs: "
                         f"{', '.join(law.inputs)})")
    if n_inputs is not None:
        from ..laws import catalogue_entry, catalogue_names

        if law.name not in catalogue_names() or not catalogue_entry(law.name).variadic:
            raise InputError(f"--n-inputs applies to laws with a variable number of inputs "
                             f"(mixture); {law.name} has {len(law.inputs)}")
    p = None
    if params:
        raw = parse_pairs(params, "--params")
        p = {k: parse_float(v, "--params", k) for k, v in raw.items()}
        for k in p:
            law.param(k)
        missing = [k for k in law.param_names if k not in p]
        if missing:
            raise InputError(f"--params: missing {', '.join(missing)} (the law's parameters are "
                             f"{', '.join(law.param_names)})")
        outside = [(k, law.param(k)) for k in law.param_names
                   if not law.param(k).lower <= p[k] <= law.param(k).upper]
        for k, prm in outside:  # allowed (a study may want it), but a fit could not get there
            click.echo(f"warning: --params {k}={p[k]:g} is outside the law's bounds "
                       f"[{prm.lower:g}, {prm.upper:g}]: a fit of these runs cannot recover "
                       "it", err=True)
    df = simulate(law, p, g, noise=noise, noise_kind=noise_kind, seed=seed, target=target)
    _emit(df.to_csv(index=False, float_format="%.10g"), output, force)


# ---------------------------------------------------------------------------------------------
# demo: the main job on the built-in example


def example_path() -> str:
    """Folder of the built-in example (``dataset.toml`` + ``data.csv``)."""
    from importlib.resources import files

    return str(files("scalinglaws") / "examples" / "chinchilla")


def _shown_path(path) -> str:
    """A path as the demo prints it: ``./relative`` under the working folder, else absolute."""
    full = os.path.abspath(path)
    here = os.getcwd()
    try:
        inside = os.path.commonpath([full, here]) == here
    except ValueError:  # another drive
        inside = False
    return "./" + os.path.relpath(full, here).replace(os.sep, "/") if inside else full


@cli.command("demo", context_settings=CONTEXT)
@click.option("--bootstrap", type=click.IntRange(0), default=1000, show_default=True, metavar="K",
              help="Bootstrap refits for the intervals.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--at", "at", default="N=7e10,D=1.4e12", show_default=True,
              help="Where to predict (a larger scale than any run).")
@click.option("-o", "--output", default=None, metavar="FIT.json", help="Save the fit here.")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.option("--report", "report_path", default="scalinglaws-report.html", show_default=True,
              metavar="PATH", help="Write the HTML report of the fit here ('' to skip it).")
@click.option("--path", "show_path", is_flag=True, help="Only print the example's folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def demo_cmd(bootstrap, seed, at, output, force, report_path, show_path, quiet):
    """Fit the built-in example (simulated Chinchilla runs) and predict at a larger scale."""
    from ..data import load_dataset
    from ..fit import Fitter
    from ..laws import catalogue_entry, get_law

    path = example_path()
    if show_path:
        click.echo(path)
        return
    kept = None  # the default report of an earlier run is kept, not an error: say so at the end
    if (report_path and not force and os.path.exists(report_path)
            and click.get_current_context().get_parameter_source("report_path").name == "DEFAULT"):
        kept, report_path = report_path, ""
    check_outputs({"-o": output, "--report": report_path}, force=force)
    if 0 < bootstrap < 10:
        raise InputError(f"--bootstrap {bootstrap}: give 0 (no intervals) or at least 10 refits")
    point = {k: parse_float(v, "--at", k) for k, v in parse_pairs([at], "--at").items()}
    law = get_law("chinchilla")
    if sorted(point) != sorted(law.inputs) or not all(v > 0 for v in point.values()):
        raise InputError(f"--at {at}: give N and D, both > 0 (e.g. --at N=7e10,D=1.4e12)")
    data = load_dataset(path, law_inputs=law.inputs, positive=[*law.inputs, "y"],
                        law_name=law.name)
    inside = [k for k in law.inputs if point[k] <= float(np.max(data.X[k]))]
    if inside:  # the demo is about extrapolation: say when the point is not beyond the runs
        largest = ", ".join(f"{k} {float(np.max(data.X[k])):.3g}" for k in inside)
        click.echo(f"note: --at is not beyond the runs in {', '.join(inside)} (largest: "
                   f"{largest}); this prediction is not an extrapolation", err=True)
    shown = _shown_path(path)
    click.echo(f"Built-in example: {data.n} simulated runs in {shown}")
    click.echo(f"(regenerate with: scalinglaws simulate --law chinchilla --seed 0 --noise 0.01 "
               f"--target loss -o {shown}/data.csv --force)\n")
    res = Fitter(bootstrap=bootstrap, seed=seed).fit(law, data,
                                                     progress=Progress("bootstrap", quiet=quiet))
    click.echo(res.summary())
    pred = res.predict(point, seed=seed)
    truth = law.predict({k: np.array([v]) for k, v in point.items()},
                        dict(catalogue_entry("chinchilla").example.params))[0]
    where = ", ".join(f"{k}={v:.3g}" for k, v in point.items())
    click.echo(f"\nprediction at {where}: loss {pred['prediction'][0]:.4f}")
    if "ci_low" in pred:
        lvl = f"{100 * res.level:g}%"
        click.echo(f"  {lvl} confidence interval (the mean)  [{pred['ci_low'][0]:.4f}, "
                   f"{pred['ci_high'][0]:.4f}]")
        click.echo(f"  {lvl} prediction interval (a new run) [{pred['pi_low'][0]:.4f}, "
                   f"{pred['pi_high'][0]:.4f}]")
    click.echo(f"  true value of the simulating law: {truth:.4f}")
    if output:
        write_atomic(output, dumps(res.to_dict()), force=force)
        click.echo(f"\nsaved the fit to {output}; try: scalinglaws predict {output} --at {at}")
    if report_path:
        from ..report import build_report

        page = build_report(res, at=point, title="scalinglaws demo: the built-in example",
                            progress=Progress("report", quiet=quiet))
        write_atomic(report_path, page, force=force)
        click.echo(f"\nreport: {_shown_path(report_path)} (one self-contained HTML file; "
                   "open it in a browser, no network needed)")
    if kept:
        click.echo(f"\nreport: not written, {_shown_path(kept)} exists (from an earlier run); "
                   "pass --force to replace it, or --report FILE")
