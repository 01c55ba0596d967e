"""Planning verbs: ``plan``, ``flops``, ``isoflop``, ``hparams``, ``next-runs``.

Thin wrappers: parse options, call :mod:`scalinglaws.plan`, render its ``summary()`` or
``to_dict()``.
"""

from __future__ import annotations

import math

import click
import numpy as np

from .. import __version__
from .._errors import FitError, InputError
from . import CONTEXT, cli
from ._common import emit as _emit, read_fit as _read_fit
from ._common import check_outputs, dumps, fit_provenance, parse_float, parse_pairs

_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                       show_default=True, help="Output format.")
_OUTPUT = click.option("-o", "--output", default=None, metavar="FILE",
                       help="Write the result here instead of stdout.")
_FORCE = click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
_NAN_POLICY = click.option("--nan-policy", type=click.Choice(["raise", "drop"]), default="raise",
                           show_default=True,
                           help="What to do with missing or infinite values in the columns read.")
_LEVEL = click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                      default=None, help="Interval level (default: the fit's, or 0.95).")


def _positive_float(text: str, option: str) -> float:
    v = parse_float(text, option, option.lstrip("-"))
    if not (np.isfinite(v) and v > 0):
        raise InputError(f"{option} {text}: must be a positive number")
    return v


def _floats(pairs, option: str) -> dict[str, float]:
    return {k: parse_float(v, option, k) for k, v in parse_pairs(pairs, option).items()}


def _record(d: dict) -> dict:
    d = dict(d)
    d["scalinglaws_version"] = __version__
    return d


# ---------------------------------------------------------------------------------------------
# flops


@cli.command("flops", context_settings=CONTEXT)
@click.option("-N", "--params", "n_params", default=None, metavar="N",
              help="Parameter count (with --tokens: C = 6 N D).")
@click.option("-D", "--tokens", default=None, metavar="D", help="Training tokens.")
@click.option("--layers", type=click.IntRange(1), default=None, help="Transformer blocks.")
@click.option("--d-model", type=click.IntRange(1), default=None, help="Residual width.")
@click.option("--heads", type=click.IntRange(1), default=None, help="Attention heads.")
@click.option("--kv-size", type=click.IntRange(1), default=None,
              help="Width of one head (default d_model / heads).")
@click.option("--d-ff", type=click.IntRange(1), default=None,
              help="Feed-forward width (default 4 d_model).")
@click.option("--vocab", type=click.IntRange(0), default=None,
              help="Vocabulary size (default 0: no embedding terms).")
@click.option("--seq-len", type=click.IntRange(1), default=None,
              help="Training context length (default 2048).")
@click.option("--flops-per-param-token", "k", default="6", show_default=True,
              help="k in C = k N D.")
@_FORMAT
@_OUTPUT
@_FORCE
def flops_cmd(n_params, tokens, layers, d_model, heads, kv_size, d_ff, vocab, seq_len, k, fmt,
              output, force):
    """Training FLOPs from N and D (C = 6ND), or parameter and FLOP counts of an architecture.

    \b
    Examples:
      scalinglaws flops -N 70e9 -D 1.4e12
      scalinglaws flops --layers 80 --d-model 8192 --heads 64 --kv-size 128 --vocab 32000 \\
          --tokens 1.4e12
    """
    from ..plan import Transformer, training_flops

    arch = [layers, d_model, heads]
    if any(a is not None for a in arch):
        if any(a is None for a in arch):
            raise InputError("an architecture needs --layers, --d-model and --heads")
        if n_params is not None:
            raise InputError("-N/--params and an architecture both give the parameter count: "
                             "drop -N (the architecture's counts are printed)")
        if k != "6":
            raise InputError("--flops-per-param-token applies to C = k N D, not to an "
                             "architecture's counted FLOPs")
        if kv_size is None and d_model % heads:
            raise InputError(f"--d-model {d_model} is not a multiple of --heads {heads}: give "
                             "--kv-size (the width of one head)")
        t = Transformer(n_layers=layers, d_model=d_model, n_heads=heads, kv_size=kv_size,
                        d_ff=d_ff, vocab=vocab or 0, n_ctx=seq_len or 2048)
        D = _positive_float(tokens, "--tokens") if tokens is not None else None
        d = t.describe(D)
        if fmt == "json":
            _emit(dumps(_record(d)), output, force)
            return
        _emit(_arch_text(t, d), output, force)
        return
    if n_params is None or tokens is None:
        raise InputError("give -N/--params and -D/--tokens, or an architecture (--layers, "
                         "--d-model, --heads, ...)")
    shape = [o for o, v in (("--kv-size", kv_size), ("--d-ff", d_ff), ("--vocab", vocab),
                            ("--seq-len", seq_len)) if v is not None]
    if shape:
        verb = "describes" if len(shape) == 1 else "describe"
        raise InputError(f"{', '.join(shape)} {verb} an architecture (with --layers, "
                         "--d-model and --heads); C = k N D from -N and -D does not use them")
    N = _positive_float(n_params, "--params")
    D = _positive_float(tokens, "--tokens")
    kk = _positive_float(k, "--flops-per-param-token")
    C = training_flops(N, D, flops_per_param_token=kk)
    if not math.isfinite(C):
        raise InputError(f"C = {kk:g} x {N:g} x {D:g} overflows a float; check -N and -D")
    if fmt == "json":
        _emit(dumps(_record({"params": N, "tokens": D, "flops_per_param_token": kk,
                             "flops": C})), output, force)
        return
    _emit(f"C = {kk:g} N D = {kk:g} x {N:.4g} x {D:.4g} = {C:.4g} FLOPs "
          f"({D / N:.3g} tokens per parameter)\n", output, force)


def _arch_text(t, d) -> str:
    from ..plan import _text

    s = d["shape"]
    lines = [f"transformer: {s['n_layers']} layers, d_model {s['d_model']}, {s['n_heads']} heads "
             f"(d_attn {s['d_attn']:g}), d_ff {s['d_ff']:g}, vocab {s['vocab']}, context "
             f"{s['n_ctx']}", "",
             f"{'parameters':<44} {'non-embedding':>14} {'embedding':>12} {'total':>12}"]
    names = {"kaplan": "Kaplan et al. 2020 (Table 1)",
             "chinchilla": "Hoffmann et al. 2022 (Gopher/Chinchilla)"}
    for c, p in d["params"].items():
        lines.append(f"  {names[c]:<42} {_text.count(p['non_embedding'], 4):>14} "
                     f"{_text.count(p['embedding'], 4):>12} {_text.count(p['total'], 4):>12}")
    lines += ["", f"{'training FLOPs per token (3 x forward)':<44} {'full':>12} "
              f"{'no embed.':>12} {'no attn.':>12} {'neither':>12}"]
    labels = {"6N_kaplan": "6N, N as Kaplan counts it",
              "6N_chinchilla": "6N, N as Chinchilla counts it",
              "kaplan": "Kaplan 2020 Table 1 (+ attention)",
              "chinchilla": "Hoffmann 2022 Appendix F (every op)"}
    for key, v in d["training_flops_per_token"].items():
        cells = [v.get("full"), v.get("no_embedding"), v.get("no_attention"),
                 v.get("no_embedding_no_attention")]
        lines.append(f"  {labels[key][:42]:<42} " + " ".join(
            f"{_text.sci(c, 4) if c is not None else '-':>12}" for c in cells))
    if "training_flops" in d:
        lines += ["", f"training FLOPs for D = {d['tokens']:.4g} tokens:"]
        for key, v in d["training_flops"].items():
            lines.append(f"  {labels[key][:42]:<42} {_text.sci(v, 4):>12}")
    lines.append("\n(6N without embeddings = Kaplan's C ~ 6N; 'no attn.' drops the "
                 "context-dependent attention terms)")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# plan


@cli.command("plan", context_settings=CONTEXT)
@click.argument("fit_file", metavar="[FIT.json]", required=False)
@click.option("--budget", "budgets", multiple=True, metavar="FLOPS",
              help="Training budget in FLOPs (repeatable).")
@click.option("--target-loss", default=None, metavar="L",
              help="Inverse: the least compute that reaches this loss.")
@click.option("--inference-tokens", default=None, metavar="T",
              help="Also plan for serving T tokens (Sardana et al. 2024): the cheapest model "
                   "over its life with the loss of the compute-optimal one.")
@click.option("--lifetime-budget", default=None, metavar="FLOPS",
              help="With --inference-tokens: the best loss for this many FLOPs of training "
                   "plus inference.")
@click.option("--tokens-per-param", default=None, metavar="R",
              help="Plan at this fixed ratio D/N instead of the optimum (over-training); with "
                   "--budget or --target-loss, not with --inference-tokens.")
@click.option("--max-tokens", default=None, metavar="D",
              help="Hard limit on training tokens (unique data without repetition); every "
                   "plan honours it, the inference-aware one and its reference included.")
@click.option("--fix", "fix", multiple=True, metavar="NAME=VALUE",
              help="Hold another input of the law fixed, e.g. U=1e11 for data_constrained.")
@click.option("--law", "law_text", default=None,
              help="Plan with given coefficients instead of a fit: a catalogue name or formula.")
@click.option("--params", "params", multiple=True, metavar="E=1.69,A=406.4,...",
              help="Parameter values (with --law, or to override a fit's estimate).")
@click.option("--spread-from", default=None, metavar="FIT.json",
              help="With --params: borrow this fit's bootstrap spread, re-centred on the given "
                   "values, for intervals.")
@click.option("--n-input", default=None, help="The law input that is the parameter count.")
@click.option("--d-input", default=None, help="The law input that is the token count.")
@click.option("--group", default=None, help="Group whose parameters to use (grouped fits).")
@click.option("--method", type=click.Choice(["auto", "closed", "numerical"]), default="auto",
              show_default=True, help="Closed form (Chinchilla law) or numerical minimisation.")
@click.option("--flops-per-param-token", "k", default="6", show_default=True,
              help="k in C = k N D.")
@_LEVEL
@_FORMAT
@_OUTPUT
@_FORCE
def plan_cmd(fit_file, budgets, target_loss, inference_tokens, lifetime_budget, tokens_per_param,
             max_tokens, fix, law_text, params, spread_from, n_input, d_input, group, method, k,
             level, fmt, output, force):
    """Compute-optimal (and inference-aware) N, D and loss for a budget, from a fit.

    \b
    Examples:
      scalinglaws plan fit.json --budget 5.76e23
      scalinglaws plan fit.json --target-loss 2.0
      scalinglaws plan fit.json --budget 5.76e23 --inference-tokens 1e13
      scalinglaws plan --law chinchilla --params E=1.69,A=406.4,B=410.7,alpha=0.34,beta=0.28 \\
          --budget 5.76e23 --spread-from fit.json
    """
    from .. import plan as P
    from ._common import resolve_law

    kk = _positive_float(k, "--flops-per-param-token")
    given = _floats(params, "--params") if params else None
    draws = None
    if fit_file and law_text:
        raise InputError("give a fit file or --law, not both")
    if fit_file:
        source = _read_fit(fit_file)
        origin = f"fit {fit_file}"
        if given is not None:
            origin = f"given parameters (other values from {fit_file})"
            if getattr(source, "draws", None) is not None and not spread_from:
                click.echo(f"note: the given --params carry no bootstrap draws, so the plan has "
                           f"no intervals; --spread-from {fit_file} re-centres that fit's "
                           "spread on them", err=True)
    elif law_text:
        if given is None:
            raise InputError("--law needs --params NAME=VALUE,... (every parameter of the law)")
        names = [n for n in (n_input, d_input) if n] or ["N", "D"]
        source = resolve_law(law_text, input_names=[*names, *parse_pairs(fix, "--fix")],
                             n_inputs=None, bounds={})
        origin = "given parameters"
    else:
        raise InputError("give a fit file (scalinglaws fit ... -o FIT.json) or --law NAME "
                         "--params ...")
    if spread_from:
        if given is None:
            raise InputError("--spread-from needs --params (the values to centre the spread on)")
        spread_fit = _read_fit(spread_from)
        law = source.law if hasattr(source, "law") else source
        if spread_fit.law.name != law.name or spread_fit.law.param_names != law.param_names:
            raise InputError(f"--spread-from: that fit is of law {spread_fit.law.name!r}, not "
                             f"{law.name!r}")
        full = dict(zip(law.param_names, source.theta[0])) if hasattr(source, "theta") else {}
        full.update(given)
        draws = P.recentred_draws(spread_fit, full, group=group if spread_fit.groups else None)
        spread_record = fit_provenance(spread_fit, spread_from)
        origin += (f"; intervals: the bootstrap spread of {spread_from} re-centred on these "
                   "values (an approximation: the given values carry no draws of their own)")
    fixed = _floats(fix, "--fix") if fix else None
    fl = P.as_fitted_law(source, params=given, draws=draws, group=group, fixed=fixed,
                         n_input=n_input, d_input=d_input, level=level, origin=origin)
    if lifetime_budget is not None and inference_tokens is None:
        raise InputError("--lifetime-budget needs --inference-tokens")
    if not budgets and target_loss is None and lifetime_budget is None:
        raise InputError("give --budget FLOPS, --target-loss L, or --inference-tokens with "
                         "--lifetime-budget")
    if budgets and target_loss is not None:
        raise InputError("give --budget or --target-loss, not both")
    if tokens_per_param is not None and inference_tokens is not None:
        raise InputError("--tokens-per-param and --inference-tokens do not go together: the "
                         "inference-aware plan chooses the tokens per parameter itself (drop "
                         "one of them)")
    results: list[dict] = []
    texts: list[str] = []
    tpp = (_positive_float(tokens_per_param, "--tokens-per-param")
           if tokens_per_param is not None else None)
    cap = _positive_float(max_tokens, "--max-tokens") if max_tokens is not None else None
    common = {"flops_per_param_token": kk, "max_tokens": cap}
    Dinf = None
    if inference_tokens is not None:
        Dinf = parse_float(inference_tokens, "--inference-tokens", "inference-tokens")
        if not (np.isfinite(Dinf) and Dinf >= 0):
            raise InputError("--inference-tokens must be a number >= 0")
    if target_loss is not None:
        L = parse_float(target_loss, "--target-loss", "target-loss")
        a = P.least_compute(fl, L, tokens_per_param=tpp, method=method, **common)
        d, t = a.to_dict(), a.summary()
        if Dinf is not None:
            ip = P.inference_optimal(fl, Dinf, target_loss=L, **common)
            d["inference"] = ip.to_dict()
            t += "\n\n" + ip.summary()
        results.append(d)
        texts.append(t)
    for b in budgets:
        C = _positive_float(b, "--budget")
        a = P.compute_optimal(fl, C, tokens_per_param=tpp, method=method, **common)
        d, t = a.to_dict(), a.summary()
        if Dinf is not None:
            ip = P.inference_optimal(fl, Dinf, budget=C, **common)
            d["inference"] = ip.to_dict()
            t += "\n\n" + ip.summary()
        results.append(d)
        texts.append(t)
    if lifetime_budget is not None:
        Ct = _positive_float(lifetime_budget, "--lifetime-budget")
        ip = P.inference_optimal(fl, Dinf, lifetime_budget=Ct, **common)
        results.append({"inference": ip.to_dict()})
        texts.append(ip.summary())
    if fmt == "json":
        body = results[0] if len(results) == 1 else {"plans": results}
        if spread_from:  # where the intervals come from
            body = {**body, "spread_from": spread_record}
        _emit(dumps(_record(body)), output, force)
        return
    head = _model_line(fl)
    _emit(head + "\n\n" + "\n\n".join(texts) + "\n", output, force)


def _model_line(fl) -> str:
    p = ", ".join(f"{k}={v:.4g}" for k, v in fl.params.items())
    extra = f"; fixed {', '.join(f'{k}={v:g}' for k, v in fl.fixed.items())}" if fl.fixed else ""
    g = f" (group {fl.group})" if fl.group is not None else ""
    return (f"law {fl.law.name}{g}: {fl.law.formula}\n  parameters {p}{extra}\n  from: "
            f"{fl.origin}")


# ---------------------------------------------------------------------------------------------
# isoflop


def _frame_column(frame, ds, column: str, option: str) -> np.ndarray:
    """A numeric column of the table, aligned with the dataset's rows."""
    import pandas as pd

    from ..data import ROW_COLUMN

    if column not in frame.columns:
        cols = ", ".join(str(c) for c in frame.columns if not str(c).startswith("__"))
        raise InputError(f"{option} {column}: no such column (columns: {cols})")
    by_row = frame.set_index(ROW_COLUMN)[column]
    vals = by_row.loc[np.asarray(ds.rows)]
    return vals.to_numpy() if not pd.api.types.is_numeric_dtype(vals) else vals.to_numpy(float)


def _numeric(values, column: str, rows) -> np.ndarray:
    import pandas as pd

    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(v) & (v > 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(f"column {column!r} row {int(rows[i])}: {values[i]!r} is not a positive "
                         "number")
    return v


def _load_table(data, inputs, names, target, group, rows, extra_positive=(), nan_policy="raise"):
    """Read DATA and validate the mapped columns; returns (frame, spec, dataset, mapping)."""
    from ..data import make_dataset, read_table

    frame, spec = read_table(data)
    user = parse_pairs(inputs, "--input")
    unknown = [k for k in user if k not in names]
    if unknown:
        raise InputError(f"--input {unknown[0]}: expected one of {', '.join(names)}")
    mapping = {}
    for i, name in enumerate(names):
        if name in user:
            mapping[name] = user[name]
        elif spec is not None and i < len(spec.inputs):
            mapping[name] = spec.inputs[i]
        elif name in frame.columns:
            mapping[name] = name
        else:
            raise InputError(f"no column for {name}: pass --input {name}=COLUMN")
    if target is None:
        if spec is None:
            raise InputError("pass --target COLUMN (the loss column)")
        target = spec.targets[0]
    ds = make_dataset(frame, mapping, target, spec=spec, group=group,
                      positive=[*names, target, *extra_positive], nan_policy=nan_policy,
                      name=spec.name if spec else str(data), source=str(data))
    if rows in ("train", "test"):
        if ds.split is None:
            raise InputError(f"--rows {rows}: this dataset has no split column")
        ds = ds.train() if rows == "train" else ds.test()
        if ds.n == 0:
            why = (f" ({ds.n_excluded} rows were excluded by the dataset's rules, e.g. "
                   "drop_where_true)" if ds.n_excluded else "")
            raise InputError(f"--rows {rows}: no {rows} rows are left{why}; choose other rows")
    return frame, spec, ds, mapping


@cli.command("isoflop", context_settings=CONTEXT)
@click.argument("data", metavar="DATA")
@click.option("--input", "inputs", multiple=True, metavar="N=COLUMN",
              help="Columns of N (parameters) and D (tokens); default: the dataset.toml inputs "
                   "in order.")
@click.option("--target", default=None, metavar="COLUMN", help="The loss column.")
@click.option("--budget-column", default=None, metavar="COLUMN",
              help="IsoFLOP budget of each run (default: a column named 'budget' if present, "
                   "else C = 6ND grouped within 10%).")
@click.option("--group", default=None, metavar="COLUMN",
              help="Analyse each value separately (default: the dataset.toml group).")
@click.option("--curves", "run_column", default=None, metavar="RUN_COLUMN",
              help="Rows are checkpoints of training curves; this column names the run. "
                   "Enables Approach 1.")
@click.option("--at", default=None, metavar="FLOPS",
              help="Report N_opt at this budget (default: the largest budget).")
@click.option("--n-budgets", type=click.IntRange(2), default=None,
              help="With --curves: budgets at which isoFLOP points are interpolated "
                   "(default 12).")
@click.option("--rows", type=click.Choice(["all", "train", "test"]), default="all",
              show_default=True, help="Rows of a dataset with a split.")
@click.option("--bootstrap", type=click.IntRange(0), default=200, show_default=True,
              metavar="K", help="Resamples for the intervals.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True)
@click.option("--keep-unbracketed", is_flag=True,
              help="Use Approach 2 budgets whose minimum is not bracketed (not recommended).")
@_NAN_POLICY
@_FORMAT
@_OUTPUT
@_FORCE
def isoflop_cmd(data, inputs, target, budget_column, group, run_column, at, n_budgets, rows,
                bootstrap, seed, level, keep_unbracketed, nan_policy, fmt, output, force):
    """The compute-optimal frontier by Approaches 1-3 (Hoffmann 2022), with intervals.

    Approach 2 (a parabola per budget) is a biased approximation of the true valley shape:
    read the per-budget checks and the 'bias for this sampling design' line.
    """
    check_outputs({"-o": output}, force=force, stdout=["-o"])
    from .. import plan as P

    if at is not None:
        at = _positive_float(at, "--at")
    if n_budgets is not None and run_column is None:
        raise InputError("--n-budgets applies with --curves (budgets interpolated along training "
                         "curves); without it each run is one isoFLOP point")
    frame, spec, ds, mapping = _load_table(data, inputs, ["N", "D"], target, group, rows,
                                           nan_policy=nan_policy)
    budget = None
    if run_column is None:
        col = budget_column or ("budget" if "budget" in frame.columns else None)
        if col is not None:
            budget = _numeric(_frame_column(frame, ds, col, "--budget-column"), col, ds.rows)
    elif budget_column:
        raise InputError("--budget-column and --curves do not go together: with curves the "
                         "budgets are interpolated")
    run = _frame_column(frame, ds, run_column, "--curves") if run_column else None
    out = P.isoflop(ds.X["N"], ds.X["D"], ds.y, budget=budget, group=ds.group, run=run, at=at,
                    n_budgets=n_budgets or 12, bootstrap=bootstrap, seed=seed, level=level,
                    keep_unbracketed=keep_unbracketed)
    if fmt == "json":
        _emit(dumps(_record({"data": str(data), "data_hash": ds.hash(),
                             "columns": dict(mapping), "target": ds.target,
                             "budget_column": budget_column, "curves": run_column,
                             "bootstrap": bootstrap, "seed": seed,
                             "groups": [a.to_dict() for a in out]})), output, force)
        _fail_if_no_approach(out)
        return
    import textwrap

    note = ("Approach 2 fits a parabola in log N to a valley that is not one: at fixed C the loss "
            "E + A/N^alpha + B/D^beta is skewed in log N when alpha != beta, so the vertex misses "
            "the minimum by an amount that grows with the sampled range of N; N_opt is biased, "
            "and the exponent too when the sampled range sits differently around the optimum "
            "at different budgets (benchmarks/isoflop_bias.py, docs/planning.md). Approach 3 "
            "has no such approximation error but assumes the law's form.")
    text = "\n\n".join(a.summary() for a in out) + "\n\n" + textwrap.fill(note, width=96) + "\n"
    _emit(text, output, force)
    _fail_if_no_approach(out)


def _fail_if_no_approach(out) -> None:
    """Exit 1 (after the output, which says why) when no approach could be used at all."""
    if not any(ap.available for a in out for ap in a.approaches):
        raise FitError("none of Approaches 1-3 could be used on these runs (the output says "
                       "why for each)")


# ---------------------------------------------------------------------------------------------
# hparams


@cli.command("hparams", context_settings=CONTEXT)
@click.argument("data", metavar="[DATA]", required=False)
@click.option("--input", "inputs", multiple=True, metavar="lr=COLUMN",
              help="Columns of lr, batch, D and N (default: the dataset.toml inputs in that "
                   "order).")
@click.option("--target", default=None, metavar="COLUMN", help="The loss column.")
@click.option("--seq-len", type=click.IntRange(1), default=None,
              help="Tokens per sequence, when the batch column counts sequences.")
@click.option("--method", type=click.Choice(["quadratic", "best"]), default="quadratic",
              show_default=True, help="Optimum per (N, D) cell: local quadratic or best run.")
@click.option("--batch-law", type=click.Choice(["D", "ND"]), default="D", show_default=True,
              help="Variables of the fitted batch-size law.")
@click.option("--lr-law", type=click.Choice(["ND", "N", "D"]), default="ND", show_default=True,
              help="Variables of the fitted learning-rate law (one, when the sweep varies only "
                   "that one).")
@click.option("--compare", type=click.Choice(["step_law", "deepseek"]), default=None,
              help="Published prescription to compare the fitted sweep with (default step_law).")
@click.option("--at", "at", default=None, metavar="N=1e9,D=1e11",
              help="Prescriptions at this point (published, and fitted when DATA is given).")
@click.option("--rows", type=click.Choice(["all", "train", "test"]), default="all",
              show_default=True, help="Rows of a dataset with a split.")
@click.option("--bootstrap", type=click.IntRange(0), default=200, show_default=True,
              metavar="K", help="Resamples of the runs within cells, for intervals.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.95,
              show_default=True)
@_NAN_POLICY
@_FORMAT
@_OUTPUT
@_FORCE
def hparams_cmd(data, inputs, target, seq_len, method, batch_law, lr_law, compare, at, rows,
                bootstrap, seed, level, nan_policy, fmt, output, force):
    """Optimal learning rate and batch size: published laws, and a law fitted to your sweep.

    \b
    Examples:
      scalinglaws hparams --at N=1e9,D=1e11
      scalinglaws hparams ../shared/datasets/sldbench_lr_bsz --input batch=batch_size_tokens
    """
    check_outputs({"-o": output}, force=force, stdout=["-o"])
    from .. import plan as P

    point = None
    if at:
        point = _floats([at], "--at")
        bad = [k for k in point if k not in ("N", "D", "C")]
        if bad:
            raise InputError(f"--at {bad[0]}: expected N, D (and optionally C)")
        for k, v in point.items():
            if not v > 0:
                raise InputError(f"--at {k}: must be positive")
        if {"N", "D", "C"} <= set(point):
            ratio = point["C"] / (6 * point["N"] * point["D"])
            if not 0.1 <= ratio <= 10:
                raise InputError(f"--at C={point['C']:g} is {ratio:.2g} times 6ND = "
                                 f"{6 * point['N'] * point['D']:.3g}: C is the training compute "
                                 "in FLOPs (leave it out to use 6ND)")
    if data is None and point is None:
        raise InputError("give a sweep DATA to fit, or --at N=...,D=... for the published "
                         "prescriptions")
    if compare is not None and data is None:
        raise InputError("--compare picks the published law a fitted sweep is compared with: "
                         "give the sweep DATA (with --at alone every prescription is printed)")
    compare = compare or "step_law"
    record: dict = {}
    lines: list[str] = []
    fit = None
    if data is not None:
        frame, spec, ds, mapping = _load_table(data, inputs, ["lr", "batch", "D", "N"], target,
                                               None, rows, nan_policy=nan_policy)
        batch = np.asarray(ds.X["batch"], float) * (seq_len or 1)
        fit = P.fit_hyperparameters(ds.X["lr"], batch, ds.X["N"], ds.X["D"], ds.y,
                                    method=method, batch_inputs=tuple(batch_law),
                                    lr_inputs=tuple(lr_law),
                                    bootstrap=bootstrap, seed=seed, level=level)
        unit = (f"sequences x {seq_len}" if seq_len else "tokens")
        record.update({"data": str(data), "data_hash": ds.hash(), "columns": dict(mapping),
                       "target": ds.target, "batch_unit": unit, "seed": seed,
                       "fit": fit.to_dict(compare)})
        lines.append(f"sweep {data}: {ds.n} runs; lr <- {mapping['lr']}, batch <- "
                     f"{mapping['batch']} (read as {unit}), D <- {mapping['D']}, N <- "
                     f"{mapping['N']}")
        if not seq_len and "token" not in mapping["batch"].lower():
            lines.append("  note: batch sizes are taken as tokens; pass --seq-len if the column "
                         "counts sequences")
        lines.append(fit.summary(compare))
    if point is not None:
        pres, cannot = {}, {}
        for name in P.PRESCRIPTIONS:
            try:
                pres[name] = P.prescription(name)(**point)
            except InputError as exc:  # e.g. a law of N and D given only C
                cannot[name] = str(exc)
        if not pres:
            raise InputError("--at: no published prescription can be evaluated here ("
                             + "; ".join(cannot.values()) + ")")
        at_rec = {"at": point, "published": pres}
        lines.append("")
        where = ", ".join(f"{k}={v:.4g}" for k, v in point.items())
        lines.append(f"prescriptions at {where}:")
        for name, v in pres.items():
            lines.append(f"  {name:<10} lr {v['lr']:.4g}   batch {v['batch_tokens']:.4g} tokens"
                         f"   ({P.prescription(name).formula()})")
        for name, why in cannot.items():
            lines.append(f"  {name:<10} not evaluated: {why}")
        if cannot:
            at_rec["not_evaluated"] = cannot
        if "C" not in point and "deepseek" in pres:
            lines.append("  (deepseek uses C = 6ND here; its own C counts non-embedding FLOPs "
                         "per token including attention)")
        if fit is not None:
            if "N" not in point or "D" not in point:
                raise InputError("--at needs N and D to evaluate the fitted law")
            f = fit.predict(point["N"], point["D"])
            at_rec["fitted"] = f
            lines.append(f"  {'fitted':<10} lr {f['lr']:.4g}   batch {f['batch_tokens']:.4g} "
                         "tokens")
        record["prescriptions"] = at_rec
    if fmt == "json":
        _emit(dumps(_record(record)), output, force)
        return
    _emit("\n".join(lines).lstrip("\n") + "\n", output, force)


# ---------------------------------------------------------------------------------------------
# next-runs


@cli.command("next-runs", context_settings=CONTEXT)
@click.argument("fit_file", metavar="FIT.json")
@click.option("--max-flops", required=True, metavar="FLOPS", help="Compute limit of one run.")
@click.option("--count", type=click.IntRange(1, 50), default=3, show_default=True,
              help="How many runs to suggest.")
@click.option("--at", default=None, metavar="N=7e10,D=1.4e12",
              help="Where the prediction matters.")
@click.option("--budget", default=None, metavar="FLOPS",
              help="Instead of --at: the compute-optimal point of this budget.")
@click.option("--ratio-range", default=None, metavar="LO:HI",
              help="Allowed tokens per parameter of a suggested run (default: the data's range).")
@click.option("--min-flops", default=None, metavar="FLOPS",
              help="Smallest compute of a suggested run.")
@click.option("--allow-repeats", is_flag=True, help="Allow the same run to be suggested twice.")
@click.option("--noise-sd", default=None, metavar="S",
              help="Noise of one run in log loss (default: the fit's residual sd).")
@click.option("--fix", "fix", multiple=True, metavar="NAME=VALUE",
              help="Hold another input of the law fixed.")
@click.option("--n-input", default=None, help="The law input that is the parameter count.")
@click.option("--d-input", default=None, help="The law input that is the token count.")
@click.option("--group", default=None, help="Group whose parameters to use (grouped fits).")
@_FORMAT
@_OUTPUT
@_FORCE
def next_runs_cmd(fit_file, max_flops, count, at, budget, ratio_range, min_flops, allow_repeats,
                  noise_sd, fix, n_input, d_input, group, fmt, output, force):
    """Suggest the runs that most reduce the uncertainty of the prediction at a target scale.

    Greedy selection by the variance of the target's prediction that each run is expected to
    remove, computed from the fit's bootstrap draws (a linearised criterion; docs/planning.md).
    """
    check_outputs({"-o": output}, force=force, stdout=["-o"])
    from .. import plan as P

    res = _read_fit(fit_file)
    Cmax = _positive_float(max_flops, "--max-flops")
    target = None
    if at:
        target = _floats([at], "--at")
        inv = {col: name for name, col in res.inputs.items()}
        target = {inv.get(k, k): v for k, v in target.items()}
    b = _positive_float(budget, "--budget") if budget else None
    if target is not None and b is not None:
        raise InputError("give --at or --budget, not both (where the prediction matters)")
    if target is None and b is None:
        raise InputError("give --at N=...,D=... or --budget FLOPS (where the prediction matters)")
    rr = None
    if ratio_range:
        if ":" not in ratio_range:
            raise InputError("--ratio-range: expected LO:HI, e.g. 1:1000")
        lo_s, hi_s = ratio_range.split(":", 1)
        rr = (_positive_float(lo_s, "--ratio-range"), _positive_float(hi_s, "--ratio-range"))
        if rr[0] > rr[1]:
            raise InputError("--ratio-range: LO must not exceed HI")
    ns = _positive_float(noise_sd, "--noise-sd") if noise_sd else None
    fixed = _floats(fix, "--fix") if fix else None
    if target is not None:
        fl = P.as_fitted_law(res, group=group, fixed=fixed, n_input=n_input, d_input=d_input)
        extra = [k for k in target if k not in (fl.n_input, fl.d_input)]
        if extra:
            raise InputError(f"--at {', '.join(extra)}: not the law's N or D input (give "
                             f"{fl.n_input} and {fl.d_input}; hold other inputs with --fix)")
        target = {"N": target.get(fl.n_input), "D": target.get(fl.d_input)}
        if target["N"] is None or target["D"] is None:
            raise InputError(f"--at needs {fl.n_input} and {fl.d_input}")
    s = P.suggest_runs(res, max_flops=Cmax, n_runs=count, target=target, budget=b, group=group,
                       fixed=fixed, n_input=n_input, d_input=d_input, ratio_range=rr,
                       noise_sd=ns, allow_repeats=allow_repeats,
                       min_flops=_positive_float(min_flops, "--min-flops") if min_flops else None)
    if fmt == "json":
        _emit(dumps(_record(s.to_dict())), output, force)
        return
    _emit(s.summary() + "\n", output, force)
