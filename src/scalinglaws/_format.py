"""Text rendering: numbers rounded by their uncertainty, the fit summary, strict-JSON records."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .fit import FitResult


def json_ready(o: Any) -> Any:
    """A copy of ``o`` that strict JSON can hold: NaN becomes ``None``, ±infinity the strings
    ``"inf"``/``"-inf"``, numpy scalars and arrays plain Python values, keys text.

    Parameters
    ----------
    o : object
        Nested dicts, lists, tuples, arrays and numbers.

    Returns
    -------
    object
        The same structure, ready for ``json.dumps(..., allow_nan=False)``.
    """
    if isinstance(o, dict):
        return {str(k): json_ready(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [json_ready(v) for v in o]
    if isinstance(o, np.ndarray):
        return json_ready(o.tolist())
    if isinstance(o, (np.floating, float)):
        f = float(o)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    return o


def round_by_uncertainty(value: float, err: float, digits: int = 2) -> tuple[str, str]:
    """Format ``value`` and ``err`` with ``err`` to ``digits`` significant figures.

    The value is rounded to the same decimal place, as is customary (``0.348 ± 0.015``).
    Very large or small magnitudes switch to a shared power of ten.

    Parameters
    ----------
    value, err : float
    digits : int

    Returns
    -------
    (str, str)
        Formatted value and uncertainty.
    """
    if not (math.isfinite(value) and math.isfinite(err)) or err <= 0:
        return fmt_num(value), fmt_num(err)
    place = math.floor(math.log10(err)) - (digits - 1)
    big = max(abs(value), err)
    exp10 = math.floor(math.log10(big)) if big > 0 else 0
    if exp10 >= 6 or exp10 <= -4:
        scale = 10.0 ** exp10
        v, e = value / scale, err / scale
        dec = max(0, -(place - exp10))
        return f"{v:.{dec}f}e{exp10:+03d}", f"{e:.{dec}f}e{exp10:+03d}"
    if place > 0:
        return f"{round(value, -place):.0f}", f"{round(err, -place):.0f}"
    dec = -place
    return f"{round(value, dec):.{dec}f}", f"{round(err, dec):.{dec}f}"


def fmt_num(x: float, sig: int = 5) -> str:
    """Compact general format with ``sig`` significant figures; ``-`` for a value that is
    undefined (None or NaN, which JSON records write as null).

    Parameters
    ----------
    x : float or None
        The number (an int is formatted alike).
    sig : int, default 5
        Significant figures.

    Returns
    -------
    str
        ``format(x, f".{sig}g")``; ``"inf"`` or ``"-inf"`` for an infinite float.
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.{sig}g}"


def fit_summary(res: FitResult) -> str:
    """Readable multi-line summary of a fit."""
    lines = []
    law = res.law
    name = "" if law.name == law.formula else f"{law.name}: "  # a formula law is named by it
    lines.append(f"law        {name}{law.formula}")
    lines.append("inputs     " + ", ".join(f"{k} <- {v}" for k, v in res.inputs.items())
                 + f"; target {res.target}")
    fs = res.provenance.get("fitter", {})
    loss = fs.get("loss", "?")
    delta = f" (delta {fs.get('delta', '?')})" if loss == "huber" else ""
    lines.append(f"objective  {loss}{delta} on {res.space}-space residuals, summed: "
                 f"{res.objective:.6g}")
    m = res.metrics
    lines.append(f"n {res.n}   RMSE {fmt_num(m.get('rmse'), 4)}   R² {fmt_num(m.get('r2'), 5)}"
                 f"   RMSE(log) {fmt_num(m.get('rmse_log'), 4)}")
    has_ci = res.draws is not None and len(res.draws) > 0
    ci = res.ci() if has_ci else None
    pct = f"{100 * res.level:g}%"
    blocks = [(None, res.params, ci)] if res.groups is None else [
        (g, res.params[g], ci[g] if ci else None) for g in res.groups]
    shown = blocks if len(blocks) <= 20 else blocks[:20]
    if res.groups is not None and res.shared:
        lines.append(f"shared     {', '.join(res.shared)} (one value for all "
                     f"{len(res.groups)} groups)")
    for g, params, c in shown:
        lines.append("")
        head = f"group {g}" if g is not None else "parameters"
        lines.append(head + (f" ({pct} bootstrap interval, {len(res.draws)} draws)"
                             if has_ci else ""))
        width = max(len(n) for n in params)
        for name, v in params.items():
            if c is not None:
                lo, hi = c[name]
                up, down = max(hi - v, 0.0), max(v - lo, 0.0)
                pos = [x for x in (up, down) if x > 0]
                ref = min(pos) if pos else (abs(v) * 1e-6 or 1e-12)
                # a side of zero width (a parameter at its bound, or never moved) shows 0
                ups = round_by_uncertainty(v, up)[1] if up > 0 else "0"
                downs = round_by_uncertainty(v, down)[1] if down > 0 else "0"
                vs = round_by_uncertainty(v, ref)[0] if pos else fmt_num(v, 6)
                lines.append(f"  {name:<{width}} = {vs:>10}  +{ups:<9} -{downs:<9} "
                             f"[{fmt_num(lo, 4)}, {fmt_num(hi, 4)}]")
            else:
                lines.append(f"  {name:<{width}} = {fmt_num(v, 6):>12}")
    if len(blocks) > len(shown):
        lines.append(f"  ... and {len(blocks) - len(shown)} more groups (see --format json)")
    lines.append("")
    lines.append(f"status     {res.status}")
    for w in res.warnings:
        lines.append(f"warning    {w}")
    d = res.diagnostics
    cond = d.get("condition_number")
    if cond is not None:
        lines.append(f"condition  {cond:.3g}")
    infl = [x for x in d.get("influence", []) if x.get("high")]
    if infl:
        lines.append("influence  " + ", ".join(
            f"row {x['row']} (Cook's D {x['cooks_distance']:.2g})" for x in infl[:5]))
    prov = res.provenance
    lines.append(f"data       {prov.get('data_hash', '?')[:23]}…  scalinglaws "
                 f"{prov.get('version', '?')}  seed {prov.get('seed')}")
    return "\n".join(lines)
