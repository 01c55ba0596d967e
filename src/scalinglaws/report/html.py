"""One self-contained HTML page for a fit: interactive charts, tables, diagnostics, provenance.

The page embeds plotly.js from the installed ``plotly`` package and all of its data, so it
opens without a network connection (nothing is fetched from a CDN). The runs behind the
charts are written once and shared by every chart; bootstrap draws are summarised as bands,
never embedded one by one, so a fit with 1000 draws stays small.
"""

from __future__ import annotations

import html
import json
import math
import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .. import __version__
from .._errors import InputError
from .._format import fmt_num, round_by_uncertainty
from . import _compute as cp

#: significant digits of the numbers written into the page
_SIG = 6

# colour scales shared by points and curves (plotly's Viridis and Plasma anchors)
_VIRIDIS = ["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
            "#6ece58", "#b5de2b", "#fde725"]
_PLASMA = ["#0d0887", "#46039f", "#7201a8", "#9c179e", "#bd3786", "#d8576b", "#ed7953",
           "#fb9f3a", "#fdca26", "#f0f921"]
_CYCLE = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
          "#8c8c8c", "#ccb974", "#64b5cd"]
_C = {"runs": "#4c72b0", "law": "#c44e52", "band": "221,132,82", "outlier": "#d62728",
      "influence": "#222222", "N": "#4c72b0", "D": "#55a868", "target": "#8172b3"}


# ---------------------------------------------------------------------------------------------
# small helpers


def _sample(scale: Sequence[str], t: float) -> str:
    """Colour at ``t`` in [0, 1] of a scale given by evenly spaced hex anchors."""
    t = min(1.0, max(0.0, float(t))) if math.isfinite(t) else 0.0
    pos = t * (len(scale) - 1)
    i = min(int(pos), len(scale) - 2)
    f = pos - i
    a = [int(scale[i][k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(scale[i + 1][k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b))


def _colorscale(scale: Sequence[str], top: float = 1.0) -> list:
    return [[i / 9, _sample(scale, top * i / 9)] for i in range(10)]


def _r(v: Any) -> Any:
    """JSON-ready copy with floats rounded to ``_SIG`` significant digits and NaN as null."""
    if isinstance(v, np.ndarray):
        return [_r(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [_r(x) for x in v]
    if isinstance(v, dict):
        return {k: _r(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            return None
        return float(f"{f:.{_SIG}g}")
    return v


def _ref(column: str, where: str | None = None, idx: Sequence[int] | None = None) -> dict:
    """A reference to a column of the shared runs table (resolved by the page's script).

    ``where`` names a mask of the table (outliers, a group); ``idx`` lists run positions.
    """
    d: dict[str, Any] = {"$runs": column}
    if where:
        d["where"] = where
    if idx is not None:
        d["idx"] = [int(i) for i in idx]
    return d


def _c(v: Any, sig: int = 5) -> Any:
    """A curve's coordinates: five significant digits are plenty to draw and to hover."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        return [_c(x, sig) for x in v]
    if v is None or not math.isfinite(v):
        return None
    return float(f"{v:.{sig}g}")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    vals = list(range(a, b + 1))
    return [float(v) for v in vals], [f"1e{v}" for v in vals]


def _axis(title: str, log: bool = False, values: Any = None, **kw) -> dict:
    """An axis; a log axis over two decades or more of ``values`` labels only powers of ten."""
    d = {"title": {"text": title}, "zeroline": False, "gridcolor": "#eceff4",
         "linecolor": "#9aa3ad", "showline": True, "mirror": True, "ticks": "outside"}
    if log:
        d.update(type="log", exponentformat="power")
        if values is not None:
            v = np.asarray(values, dtype=float)
            v = v[np.isfinite(v) & (v > 0)]
            if v.size and v.max() / v.min() >= 100:
                d["dtick"] = 1
    d.update(kw)
    return d


def _layout(title: str, xaxis: dict, yaxis: dict, **kw) -> dict:
    d = {"title": {"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 15}},
         "xaxis": xaxis, "yaxis": yaxis, "hovermode": "closest", "height": 560,
         "margin": {"l": 70, "r": 20, "t": 50, "b": 40}, "plot_bgcolor": "white",
         "paper_bgcolor": "white",
         "font": {"family": "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif",
                  "size": 12},
         "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": -0.2,
                    "yanchor": "top", "font": {"size": 11.5}},
         "hoverlabel": {"bgcolor": "white", "font": {"size": 12}}}
    d.update(kw)
    return d


# ---------------------------------------------------------------------------------------------
# the runs, written once


def _runs_payload(res) -> tuple[dict, str]:
    """The shared runs table and the hover template that shows a run from its customdata."""
    runs = cp.runs_table(res)
    inputs = list(res.law.inputs)
    cols: dict[str, Any] = {"row": runs["row"], "y": runs["y"], "fitted": runs["fitted"],
                            "residual": runs["residual"]}
    for k in inputs:
        cols[f"x:{k}"] = runs["X"][k]
        if cp.is_positive(runs["X"][k]):
            cols[f"log10:{k}"] = np.log10(runs["X"][k])
    custom = ["row", *[f"x:{k}" for k in inputs], "y", "fitted", "residual"]
    lines = ["<b>run: row %{customdata[0]}</b>"]
    for i, k in enumerate(inputs, start=1):
        lines.append(f"{_e(cp.input_label(res, k))} = %{{customdata[{i}]:.6~g}}")
    j = len(inputs) + 1
    lines.append(f"{_e(cp.target_label(res))} = %{{customdata[{j}]:.6~g}}")
    lines.append(f"fitted = %{{customdata[{j + 1}]:.6~g}}")
    lines.append(f"residual = %{{customdata[{j + 2}]:+.3~g}}")
    if runs["group"] is not None:
        cols["group"] = [str(g) for g in runs["group"]]
        custom.append("group")
        lines.append(f"group = %{{customdata[{j + 3}]}}")
    masks = {"outlier": runs["outlier"], "influence": runs["high_influence"]}
    if runs["group"] is not None and res.groups:
        for g in res.groups:
            masks[f"group:{g}"] = runs["group"] == g
    payload = {"columns": _r(cols), "custom": custom,
               "masks": {k: [int(i) for i in np.flatnonzero(m)] for k, m in masks.items()}}
    return payload, "<br>".join(lines) + "<extra></extra>"


def _marks(res, x_col: str, y_col: str, hover: str, xaxis: str = "x", yaxis: str = "y",
           legend: bool = True) -> list[dict]:
    """Rings for outliers and squares for influential runs, as toggleable traces."""
    runs = cp.runs_table(res)
    out = []
    if runs["outlier"].any():
        out.append({"type": "scatter", "mode": "markers", "name": "outlier (robust |z| > 3.5)",
                    "x": _ref(x_col, "outlier"), "y": _ref(y_col, "outlier"),
                    "customdata": _ref("$custom", "outlier"), "hovertemplate": hover,
                    "marker": {"symbol": "circle-open", "size": 14, "color": _C["outlier"],
                               "line": {"width": 2}},
                    "legendgroup": "outlier", "showlegend": legend, "xaxis": xaxis,
                    "yaxis": yaxis})
    if runs["high_influence"].any():
        out.append({"type": "scatter", "mode": "markers",
                    "name": "high influence (Cook's D > 4/n)", "x": _ref(x_col, "influence"),
                    "y": _ref(y_col, "influence"), "customdata": _ref("$custom", "influence"),
                    "hovertemplate": hover,
                    "marker": {"symbol": "square-open", "size": 17, "color": _C["influence"],
                               "line": {"width": 1.5}},
                    "legendgroup": "influence", "showlegend": legend, "xaxis": xaxis,
                    "yaxis": yaxis})
    return out


# ---------------------------------------------------------------------------------------------
# the charts


def _fig_fit(res, hover: str) -> dict:
    fc = cp.fit_curves(res)
    runs = cp.runs_table(res)
    x = fc["x"]
    data: list[dict] = []
    if fc["colour"] is not None:
        ck = fc["colour"]
        cv = runs["X"][ck]
        logc = cp.is_positive(cv)
        lo = float(np.nanmin(np.log10(cv) if logc else cv))
        hi = float(np.nanmax(np.log10(cv) if logc else cv))
        span = (hi - lo) or 1.0
        colorbar = {"title": {"text": _e(cp.input_label(res, ck)), "side": "right"},
                    "thickness": 14, "len": 0.9}
        if logc:
            tv, tt = _log_ticks(10 ** lo, 10 ** hi)
            colorbar.update(tickvals=tv, ticktext=tt)
        data.append({"type": "scatter", "mode": "markers", "name": f"runs ({res.n})",
                     "x": _ref(f"x:{x}"), "y": _ref("y"), "customdata": _ref("$custom"),
                     "hovertemplate": hover,
                     "marker": {"color": _ref(f"log10:{ck}" if logc else f"x:{ck}"),
                                "colorscale": _colorscale(_VIRIDIS), "cmin": lo, "cmax": hi,
                                "size": 8, "opacity": 0.9, "colorbar": colorbar,
                                "line": {"color": "white", "width": 0.6}}})
        for c in fc["curves"]:
            v = math.log10(c["value"]) if logc else c["value"]
            data.append({"type": "scatter", "mode": "lines", "name": f"law at {c['label']}",
                         "x": _c(c["x"]), "y": _c(c["y"]),
                         "line": {"color": _sample(_VIRIDIS, (v - lo) / span), "width": 2.2},
                         "hovertemplate": f"law at {_e(c['label'])}<br>{_e(x)} = %{{x:.4~g}}"
                                          f"<br>{_e(res.target)} = %{{y:.4~g}}<extra></extra>"})
    elif fc["curves"] and fc["curves"][0]["group"] is not None:
        for i, c in enumerate(fc["curves"]):
            colr = _CYCLE[i % len(_CYCLE)]
            g = c["group"]
            data.append({"type": "scatter", "mode": "markers", "name": str(g),
                         "legendgroup": f"g{i}", "x": _ref(f"x:{x}", f"group:{g}"),
                         "y": _ref("y", f"group:{g}"),
                         "customdata": _ref("$custom", f"group:{g}"), "hovertemplate": hover,
                         "marker": {"color": colr, "size": 7,
                                    "line": {"color": "white", "width": 0.5}}})
            data.append({"type": "scatter", "mode": "lines", "name": f"law, {g}",
                         "legendgroup": f"g{i}", "showlegend": False, "x": _c(c["x"]),
                         "y": _c(c["y"]), "line": {"color": colr, "width": 1.8},
                         "hovertemplate": f"law, group {_e(g)}<br>{_e(x)} = %{{x:.4~g}}<br>"
                                          f"{_e(res.target)} = %{{y:.4~g}}<extra></extra>"})
    else:
        data.append({"type": "scatter", "mode": "markers", "name": f"runs ({res.n})",
                     "x": _ref(f"x:{x}"), "y": _ref("y"), "customdata": _ref("$custom"),
                     "hovertemplate": hover,
                     "marker": {"color": _C["runs"], "size": 8,
                                "line": {"color": "white", "width": 0.6}}})
        for c in fc["curves"]:
            data.append({"type": "scatter", "mode": "lines", "name": f"fitted {res.law.name}",
                         "x": _c(c["x"]), "y": _c(c["y"]),
                         "line": {"color": _C["law"], "width": 2.2},
                         "hovertemplate": f"{_e(x)} = %{{x:.4~g}}<br>{_e(res.target)} = "
                                          f"%{{y:.4~g}}<extra>law</extra>"})
    data += _marks(res, f"x:{x}", "y", hover)
    held = ", ".join(f"{k} = {v:.3g}" for k, v in fc["fixed"].items())
    return {"id": "fig-fit", "title": "Runs and the fitted law",
            "caption": ("Each point is a run (hover for its row and values); lines are the "
                        "fitted law" + (f" at fixed {_e(fc['colour'])}, coloured like the runs"
                                        if fc["colour"] else "") +
                        (f", other inputs at their median ({_e(held)})" if held else "") +
                        ". Red rings: outlying runs; black squares: highly influential runs."),
            "data": data,
            "layout": _layout(f"{_e(res.law.name)} fitted to {res.n} runs",
                              _axis(_e(cp.input_label(res, x)), fc["log_x"], runs["X"][x]),
                              _axis(_e(cp.target_label(res)), fc["log_y"], runs["y"]),
                              height=600)}


def _fig_extrapolation(res, hover: str, ext: Mapping[str, Any]) -> dict:
    runs = cp.runs_table(res)
    x = ext["x"]
    xp = ext["path"][x]
    pct = f"{100 * ext['level']:g}%"
    band = _C["band"]
    where = None if ext["group"] is None else f"group:{ext['group']}"
    data: list[dict] = [
        {"type": "scatter", "mode": "markers",
         "name": f"runs ({res.n}{', other inputs vary' if len(res.law.inputs) > 1 else ''})",
         "x": _ref(f"x:{x}", where), "y": _ref("y", where), "customdata": _ref("$custom", where),
         "hovertemplate": hover,
         "marker": {"color": _C["runs"], "size": 7, "opacity": 0.55}}]
    has_bands = "pi_low" in ext
    if has_bands:
        for lo, hi, name, alpha, grp in (
                ("pi_low", "pi_high", f"{pct} prediction band (a new run)", 0.16, "pi"),
                ("ci_low", "ci_high", f"{pct} confidence band (the mean)", 0.42, "ci")):
            data.append({"type": "scatter", "mode": "lines", "x": _c(xp), "y": _c(ext[lo]),
                         "line": {"width": 0, "color": f"rgba({band},0)"}, "showlegend": False,
                         "hoverinfo": "skip", "legendgroup": grp, "name": name})
            data.append({"type": "scatter", "mode": "lines", "x": _c(xp), "y": _c(ext[hi]),
                         "fill": "tonexty", "fillcolor": f"rgba({band},{alpha})",
                         "line": {"width": 0, "color": f"rgba({band},0)"}, "name": name,
                         "hoverinfo": "skip", "legendgroup": grp})
    desc = cp.path_description(res, ext)
    law_tr: dict[str, Any] = {
        "type": "scatter", "mode": "lines", "x": _c(xp), "y": _c(ext["prediction"]),
        "name": f"fitted {res.law.name}" + (f" ({desc})" if desc else ""),
        "line": {"color": _C["law"], "width": 2.6}}
    if has_bands:
        law_tr["customdata"] = _c(np.column_stack([ext["ci_low"], ext["ci_high"],
                                                   ext["pi_low"], ext["pi_high"]]), 4)
        law_tr["hovertemplate"] = (f"{_e(x)} = %{{x:.4~g}}<br>{_e(res.target)} = %{{y:.4~g}}"
                                   f"<br>{pct} CI [%{{customdata[0]:.4~g}}, "
                                   "%{customdata[1]:.4~g}]<br>"
                                   f"{pct} PI [%{{customdata[2]:.4~g}}, "
                                   "%{customdata[3]:.4~g}]<extra>law</extra>")
    else:
        law_tr["hovertemplate"] = (f"{_e(x)} = %{{x:.4~g}}<br>{_e(res.target)} = "
                                   "%{y:.4~g}<extra>law</extra>")
    data.append(law_tr)
    t = ext["target"]
    tgt = {"type": "scatter", "mode": "markers", "name": "target", "x": [_r(t["inputs"][x])],
           "y": [_r(t["prediction"])],
           "marker": {"symbol": "star", "size": 18, "color": _C["target"],
                      "line": {"color": "white", "width": 1}}}
    where_txt = ", ".join(f"{_e(k)} = {v:.4g}" for k, v in t["inputs"].items())
    hov = f"<b>target</b><br>{where_txt}<br>{_e(res.target)} = {t['prediction']:.4g}"
    if "pi_low" in t:
        tgt["error_y"] = {"type": "data", "symmetric": False,
                          "array": [_r(t["pi_high"] - t["prediction"])],
                          "arrayminus": [_r(t["prediction"] - t["pi_low"])],
                          "color": _C["target"], "thickness": 1.5, "width": 6}
        hov += (f"<br>{pct} CI [{t['ci_low']:.4g}, {t['ci_high']:.4g}]"
                f"<br>{pct} PI [{t['pi_low']:.4g}, {t['pi_high']:.4g}]")
    tgt["hovertemplate"] = hov + "<extra></extra>"
    data.append(tgt)
    log_x = cp.spans_decades(xp)
    ys = np.concatenate([runs["y"], ext.get("pi_low", ext["prediction"])])
    log_y = cp.is_positive(ys)
    x_end = float(xp[-1]) * 1.6 if log_x else float(xp[-1] + 0.06 * (xp[-1] - xp[0]))
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": _r(ext["data_max"]),
               "x1": _r(x_end), "y0": 0, "y1": 1, "fillcolor": "#eef0f3", "line": {"width": 0},
               "layer": "below"}]
    ann = [{"xref": "paper", "yref": "paper", "x": 1, "y": 1, "yanchor": "bottom",
            "xanchor": "right", "showarrow": False,
            "text": "shaded: beyond the largest run", "font": {"size": 11, "color": "#667"}}]
    tx = t["inputs"][x]
    note = f"{_e(res.target)} {t['prediction']:.4g}"
    if "ci_low" in t:
        note += (f"<br>CI [{t['ci_low']:.4g}, {t['ci_high']:.4g}]"
                 f"<br>PI [{t['pi_low']:.4g}, {t['pi_high']:.4g}]")
    ann.append({"xref": "x", "yref": "y", "x": _r(math.log10(tx) if log_x else tx),
                "y": _r(math.log10(t["prediction"]) if log_y else t["prediction"]),
                "text": note, "showarrow": True, "arrowhead": 0, "ax": -70, "ay": -60,
                "align": "left", "bgcolor": "rgba(255,255,255,0.9)", "bordercolor": "#bbb",
                "borderpad": 4, "font": {"size": 11}})
    x0 = float(xp[0]) / 1.2 if log_x else float(xp[0] - 0.06 * (xp[-1] - xp[0]))
    xr = [math.log10(x0), math.log10(x_end)] if log_x else [x0, x_end]
    title = f"extrapolation of {_e(res.law.name)} to {where_txt}"
    if ext["group"] is not None:
        title += f" (group {_e(ext['group'])})"
    return {"id": "fig-extrapolation", "title": "Extrapolation to the target",
            "caption": ("The fitted law along a path from the runs to the target"
                        + (f" ({_e(desc)} along the path)" if desc else "") + ". "
                        + (f"Dark band: {pct} confidence interval of the mean (parameter "
                           f"uncertainty from {len(res.draws)} bootstrap refits); light band: "
                           f"{pct} prediction interval of a new run (adds the runs' scatter). "
                           if has_bands else
                           "No bands: this fit has no bootstrap draws (fit with --bootstrap K). ")
                        + "The shaded region lies beyond the largest run."),
            "data": data,
            "layout": _layout(title, _axis(_e(cp.input_label(res, x)), log_x, xp, range=xr),
                              _axis(_e(cp.target_label(res)), log_y, ys), shapes=shapes,
                              annotations=ann)}


def _fig_residuals(res, hover: str) -> dict:
    runs = cp.runs_table(res)
    names = list(res.law.inputs)
    k = len(names)
    gap = 0.04
    w = (1 - gap * (k - 1)) / k
    r = runs["residual"]
    ok = np.isfinite(r)
    s = 1.4826 * float(np.median(np.abs(r[ok] - np.median(r[ok])))) if ok.sum() >= 5 else 0.0
    data: list[dict] = []
    layout_axes: dict[str, Any] = {}
    for i, name in enumerate(names):
        xa, ya = ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")
        data.append({"type": "scatter", "mode": "markers", "name": f"runs ({res.n})",
                     "legendgroup": "runs", "showlegend": i == 0, "x": _ref(f"x:{name}"),
                     "y": _ref("residual"), "customdata": _ref("$custom"),
                     "hovertemplate": hover, "xaxis": xa, "yaxis": ya,
                     "marker": {"color": _C["runs"], "size": 7, "opacity": 0.8}})
        data += _marks(res, f"x:{name}", "residual", hover, xaxis=xa, yaxis=ya, legend=i == 0)
        key = "xaxis" if i == 0 else f"xaxis{i + 1}"
        layout_axes[key] = _axis(_e(cp.input_label(res, name)), cp.spans_decades(runs["X"][name]),
                                 runs["X"][name], domain=[i * (w + gap), i * (w + gap) + w],
                                 anchor=ya)
        if i > 0:
            layout_axes[f"yaxis{i + 1}"] = _axis("", anchor=xa, matches="y", showticklabels=False)
    shapes = [{"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
               "line": {"color": "#888", "width": 1}}]
    if s > 0:
        shapes.append({"type": "rect", "xref": "paper", "yref": "y", "x0": 0, "x1": 1,
                       "y0": _r(-2 * s), "y1": _r(2 * s), "fillcolor": "rgba(76,114,176,0.08)",
                       "line": {"width": 0}, "layer": "below"})
    layout = _layout(f"residuals of {_e(res.law.name)}", layout_axes.pop("xaxis"),
                     _axis(_e(cp.residual_label(res))), shapes=shapes, height=470)
    layout.update(layout_axes)
    return {"id": "fig-residuals", "title": "Residuals against each input",
            "caption": ("Residuals in the fit's space (" + _e(cp.residual_label(res)) + "): a "
                        "good fit scatters evenly about zero with no trend against any input. "
                        + (f"Shaded: ±2 robust σ (σ = {s:.3g}). " if s > 0 else "")
                        + "Red rings: outliers (robust |z| > 3.5); black squares: runs with "
                          "Cook's distance above 4/n."),
            "data": data, "layout": layout}


def _fig_parity(res, hover: str) -> dict:
    runs = cp.runs_table(res)
    v = np.concatenate([runs["y"], runs["fitted"]])
    v = v[np.isfinite(v)]
    log = cp.is_positive(v)
    lo, hi = float(v.min()), float(v.max())
    pad = (hi / lo) ** 0.04 if log else 0.04 * (hi - lo or 1)
    lim = [lo / pad, hi * pad] if log else [lo - pad, hi + pad]
    data = [{"type": "scatter", "mode": "lines", "x": _r(lim), "y": _r(lim), "name": "y = fitted",
             "line": {"color": "#999", "dash": "dash", "width": 1}, "hoverinfo": "skip"},
            {"type": "scatter", "mode": "markers", "name": f"runs ({res.n})", "x": _ref("y"),
             "y": _ref("fitted"), "customdata": _ref("$custom"), "hovertemplate": hover,
             "marker": {"color": _C["runs"], "size": 7, "opacity": 0.8}}]
    data += _marks(res, "y", "fitted", hover)
    m = res.metrics or {}
    title = (f"fitted against observed: R² {fmt_num(m.get('r2'), 5)}, RMSE "
             f"{fmt_num(m.get('rmse'), 4)}")
    rng = [math.log10(lim[0]), math.log10(lim[1])] if log else lim
    return {"id": "fig-parity", "title": "Fitted against observed",
            "caption": "Each run's fitted value against its observed value; the dashed line is "
                       "a perfect fit.",
            "data": data,
            "layout": _layout(title, _axis(f"observed {_e(res.target)}", log, range=rng),
                              _axis(f"fitted {_e(res.target)}", log, range=rng), height=460)}


def _fig_isoflop(res, hover: str) -> dict:
    n_name, _ = cp.nd_inputs(res)
    groups = cp.fit_isoflops(res)
    Cs = np.array([g["C"] for g in groups])
    lc_all = cp.law_isoflop_curves(res, Cs)
    llo, lhi = math.log10(Cs.min()), math.log10(Cs.max())
    span = (lhi - llo) or 1.0
    runs = cp.runs_table(res)
    data: list[dict] = []
    pmins: list[tuple[float, float, float]] = []
    lmins: list[tuple[float, float, float]] = []
    for i, g in enumerate(groups):
        colr = _sample(_PLASMA, 0.85 * (math.log10(g["C"]) - llo) / span)
        lg = f"C{i}"
        idx = g["index"]
        data.append({"type": "scatter", "mode": "markers", "legendgroup": lg,
                     "name": f"{g['C']:.2g} · {len(idx)} run{'s' if len(idx) > 1 else ''}",
                     "x": _ref(f"x:{n_name}", idx=idx), "y": _ref("y", idx=idx),
                     "customdata": _ref("$custom", idx=idx), "hovertemplate": hover,
                     "marker": {"color": colr, "size": 8, "line": {"color": "white", "width": 0.6}}})
        p = g["parabola"]
        if p is not None:
            pmins.append((p["N_opt"], p["loss_opt"], g["C"]))
        if len(idx) >= 3:
            lc = lc_all[i]
            ends = [np.min(g["N"]), np.max(g["N"])]
            if np.isfinite(lc["N_opt"]):
                ends.append(lc["N_opt"])
                lmins.append((lc["N_opt"], lc["loss_opt"], g["C"]))
            sel = (lc["N"] >= min(ends) / 1.5) & (lc["N"] <= max(ends) * 1.5)
            data.append({"type": "scatter", "mode": "lines", "legendgroup": lg, "showlegend": False,
                         "name": f"law at C ≈ {g['C']:.2g}", "x": _c(lc["N"][sel]),
                         "y": _c(lc["loss"][sel]), "line": {"color": colr, "width": 1.8},
                         "hovertemplate": f"law at C ≈ {g['C']:.3g}<br>{_e(n_name)} = "
                                          f"%{{x:.4~g}}<br>{_e(res.target)} = %{{y:.4~g}}"
                                          "<extra></extra>"})
    if pmins:
        a = np.array(pmins)
        data.append({"type": "scatter", "mode": "markers", "name": "parabola minimum (Approach 2)",
                     "x": _r(a[:, 0]), "y": _r(a[:, 1]), "customdata": _r(a[:, 2:3]),
                     "marker": {"symbol": "diamond-open", "size": 11, "color": "#333",
                                "line": {"width": 2}},
                     "hovertemplate": f"parabola minimum at C ≈ %{{customdata[0]:.3~g}}<br>"
                                      f"{_e(n_name)} = %{{x:.4~g}}<br>{_e(res.target)} = "
                                      "%{y:.4~g}<extra></extra>"})
    if lmins:
        a = np.array(lmins)
        data.append({"type": "scatter", "mode": "markers", "name": "law minimum",
                     "x": _r(a[:, 0]), "y": _r(a[:, 1]), "customdata": _r(a[:, 2:3]),
                     "marker": {"symbol": "star", "size": 13, "color": "#333",
                                "line": {"color": "white", "width": 0.8}},
                     "hovertemplate": f"law minimum at C ≈ %{{customdata[0]:.3~g}}<br>"
                                      f"{_e(n_name)} = %{{x:.4~g}}<br>{_e(res.target)} = "
                                      "%{y:.4~g}<extra></extra>"})
    return {"id": "fig-isoflop", "title": "IsoFLOP profiles",
            "caption": ("Runs grouped by training compute C = 6ND (nearest of four budgets a "
                        "decade); lines are the fitted law along each group's C; ◇ the vertex of "
                        "a parabola in log N through a group's runs (Hoffmann et al. 2022, "
                        "Approach 2), ★ the law's own minimum. Click a budget in the legend to "
                        "hide it."),
            "data": data,
            "layout": _layout(f"IsoFLOP profiles: {res.n} runs in {len(groups)} compute groups",
                              _axis(_e(cp.input_label(res, n_name)), True, runs["X"][n_name]),
                              _axis(_e(cp.target_label(res)), cp.is_positive(runs["y"]),
                                    runs["y"]),
                              height=580,
                              legend={"title": {"text": "compute C (FLOPs)"}, "font": {"size": 11},
                                      "orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"},
                              margin={"l": 70, "r": 10, "t": 50, "b": 60})}


def _fig_frontier(res, plan: Mapping[str, Any] | None, group: str | None = None) -> dict:
    pb = cp.as_float((plan or {}).get("budget"))
    C = cp.frontier_budgets(res, extra=[pb] if math.isfinite(pb) else [])
    fr = cp.compute_optimal(res, C, group=group)
    pct = f"{100 * fr['level']:g}%"
    data: list[dict] = []
    for key, name, rgb in (("N", fr["n"], "76,114,176"), ("D", fr["d"], "85,168,104")):
        col = res.inputs.get(name, name)
        label = f"{name}*" + (f" ({col})" if col != name else "")
        if f"{key}_low" in fr:
            data.append({"type": "scatter", "mode": "lines", "x": _c(C), "y": _c(fr[f"{key}_low"]),
                         "line": {"width": 0, "color": f"rgba({rgb},0)"}, "showlegend": False,
                         "hoverinfo": "skip", "legendgroup": key, "name": f"{pct} band"})
            data.append({"type": "scatter", "mode": "lines", "x": _c(C),
                         "y": _c(fr[f"{key}_high"]), "fill": "tonexty",
                         "fillcolor": f"rgba({rgb},0.2)", "line": {"width": 0,
                                                                   "color": f"rgba({rgb},0)"},
                         "name": f"{pct} band of {name}*", "hoverinfo": "skip",
                         "legendgroup": key})
        tr = {"type": "scatter", "mode": "lines", "x": _c(C), "y": _c(fr[f"{key}_opt"]),
              "name": f"{label}, compute-optimal", "legendgroup": key,
              "line": {"color": f"rgb({rgb})", "width": 2.6}}
        if f"{key}_low" in fr:
            tr["customdata"] = _c(np.column_stack([fr[f"{key}_low"], fr[f"{key}_high"],
                                                   fr["D_opt"] / fr["N_opt"]]), 4)
            tr["hovertemplate"] = (f"C = %{{x:.3~g}} FLOPs<br>{_e(name)}* = %{{y:.4~g}}<br>"
                                   f"{pct} [%{{customdata[0]:.3~g}}, %{{customdata[1]:.3~g}}]"
                                   f"<br>tokens per parameter %{{customdata[2]:.3~g}}"
                                   "<extra></extra>")
        else:
            tr["hovertemplate"] = (f"C = %{{x:.3~g}} FLOPs<br>{_e(name)}* = %{{y:.4~g}}"
                                   "<extra></extra>")
        data.append(tr)
    mins = [g for g in cp.fit_isoflops(res) if g["parabola"] is not None]
    if mins:
        gc = np.array([g["C"] for g in mins])
        gn = np.array([g["parabola"]["N_opt"] for g in mins])
        for key, vals in (("N", gn), ("D", gc / (cp.FLOPS_PER_PARAM_TOKEN * gn))):
            data.append({"type": "scatter", "mode": "markers", "x": _r(gc), "y": _r(vals),
                         "name": "IsoFLOP parabola minima of the runs", "legendgroup": "iso",
                         "showlegend": key == "N",
                         "marker": {"symbol": "diamond-open", "size": 10, "color": _C[key],
                                    "line": {"width": 2}},
                         "hovertemplate": f"runs' IsoFLOP minimum<br>C = %{{x:.3~g}}<br>"
                                          f"{key} = %{{y:.4~g}}<extra></extra>"})
    if plan:
        pn, pd_ = cp.as_float(plan.get("N_opt")), cp.as_float(plan.get("D_opt"))
        if math.isfinite(pb) and math.isfinite(pn):
            ys = [pn] + ([pd_] if math.isfinite(pd_) else [])
            data.append({"type": "scatter", "mode": "markers", "name": "plan",
                         "x": [_r(pb)] * len(ys), "y": _r(ys),
                         "marker": {"symbol": "star", "size": 18, "color": _C["target"],
                                    "line": {"color": "white", "width": 1}},
                         "hovertemplate": "plan<br>C = %{x:.3~g}<br>%{y:.4~g}<extra></extra>"})
    ratio = fr["D_opt"][-1] / fr["N_opt"][-1]
    return {"id": "fig-frontier", "title": "Compute-optimal allocation",
            "caption": (f"N*(C) and D*(C) = C/(6N*) minimise the fitted law at each compute C "
                        f"({fr['method']}"
                        + (", Hoffmann et al. 2022 appendix D.2" if fr["method"] == "closed form"
                           else ", minimised along C = 6ND") + "). "
                        + (f"Bands: {pct} of the optimum over the bootstrap refits. "
                           if "N_low" in fr else "No bands: the fit has no bootstrap draws. ")
                        + "◇: minima of the runs' IsoFLOP parabolas, a cross-check."),
            "data": data,
            "layout": _layout(f"compute-optimal allocation of {_e(res.law.name)}"
                              + (f" (group {_e(fr['group'])})" if fr["group"] is not None
                                 else "")
                              + f": D*/N* = {ratio:.3g} at C = {C[-1]:.2g}",
                              _axis("training compute C = 6 N D (FLOPs)", True, C),
                              _axis("parameters N*, tokens D*", True,
                                    np.concatenate([fr["N_opt"], fr["D_opt"]])))}


def _figs_bench(bench: Mapping[str, Any]) -> list[dict]:
    rows = cp.bench_rows(bench)
    if not rows:
        return []
    labels = [cp.bench_label(r, rows) for r in rows]
    laws = list(dict.fromkeys(labels))
    several_targets = len({str(q.get("target")) for q in rows}) > 1
    figs = []
    data = []
    clipped = False
    for i, law in enumerate(laws):
        xs, ys, cd = [], [], []
        for r, lab in zip(rows, labels):
            if lab != law:
                continue
            v = cp.as_float(r.get("r2"))
            if not math.isfinite(v):
                continue
            clipped |= v < -1
            xs.append(str(r.get("dataset")) + (f" · {r.get('target')}" if several_targets else ""))
            ys.append(max(v, -1.0))
            cd.append([_r(v), _r(cp.as_float(r.get("nmse"))), _r(cp.as_float(r.get("are"))),
                       str(r.get("status", ""))])
        if xs:
            data.append({"type": "bar", "name": law, "x": xs, "y": _r(ys), "customdata": cd,
                         "marker": {"color": _CYCLE[i % len(_CYCLE)]},
                         "hovertemplate": f"<b>{_e(law)}</b> on %{{x}}<br>R² %{{customdata[0]:.4~g}}"
                                          "<br>NMSE %{customdata[1]:.3~g}<br>ARE "
                                          "%{customdata[2]:.3~g}<br>%{customdata[3]}"
                                          "<extra></extra>"})
    if data:
        figs.append({"id": "fig-bench-r2", "title": "Bench: R² on the test split",
                     "caption": ("R² = 1 − MSE/Var(test targets), pooled over groups (SLDBench); "
                                 "1 is perfect; laws that failed have no bar (see the table)."
                                 + (" Bars are clipped at −1; hover for the value."
                                    if clipped else "")),
                     "data": data,
                     "layout": _layout("bench: R² per dataset and law", _axis("dataset"),
                                       _axis("R² (test)", **({"range": [-1.05, 1.02]}
                                                              if clipped else {})),
                                       barmode="group", bargap=0.35, height=440)})
    # predicted against actual: one view per dataset (their scales differ), chosen from a menu
    by_ds: dict[str, list[dict]] = {}
    ranges: dict[str, list[float]] = {}
    for r, lab in zip(rows, labels):
        p = cp.bench_points(r)
        if p is None:
            continue
        ds = str(r.get("dataset"))
        colr = _CYCLE[laws.index(lab) % len(_CYCLE)]
        n = len(p["y"])
        cd = [["" if p["group"] is None else f" · group {p['group'][j]}",
               "" if p["row"] is None else f"row {p['row'][j]}: "] for j in range(n)]
        by_ds.setdefault(ds, []).append({
            "type": "scatter", "mode": "markers",
            "name": lab + (f" · {r.get('target')}" if several_targets else ""),
            "x": _r(p["y"]), "y": _r(p["prediction"]), "customdata": cd,
            "marker": {"color": colr, "size": 7, "opacity": 0.85},
            "hovertemplate": f"<b>{_e(lab)}</b> on {_e(ds)}%{{customdata[0]}}<br>"
                             "%{customdata[1]}actual %{x:.4~g}, predicted %{y:.4~g}"
                             "<extra></extra>"})
        v = np.concatenate([p["y"], p["prediction"]])
        ranges.setdefault(ds, []).extend(v[np.isfinite(v)].tolist())
    if by_ds:
        traces: list[dict] = []
        owner: list[str] = []
        types = {}
        for k, (ds, trs) in enumerate(by_ds.items()):
            v = np.asarray(ranges[ds])
            lo, hi = float(v.min()), float(v.max())
            types[ds] = "log" if lo > 0 and hi / lo > 3 else "linear"
            for t in [{"type": "scatter", "mode": "lines", "x": [lo, hi], "y": [lo, hi],
                       "name": "y = x", "hoverinfo": "skip",
                       "line": {"color": "#999", "dash": "dash", "width": 1}}, *trs]:
                t["visible"] = k == 0
                traces.append(t)
                owner.append(ds)
        names = list(by_ds)
        layout = _layout(f"bench: predicted against actual on {_e(names[0])} (test split)",
                         _axis("actual", types[names[0]] == "log"),
                         _axis("predicted", types[names[0]] == "log"))
        if len(names) > 1:
            layout["updatemenus"] = [{
                "type": "dropdown", "x": 1, "xanchor": "right", "y": 1.12, "yanchor": "top",
                "showactive": True, "active": 0,
                "buttons": [{"label": ds, "method": "update",
                             "args": [{"visible": [o == ds for o in owner]},
                                      {"title.text": f"bench: predicted against actual on "
                                                     f"{_e(ds)} (test split)",
                                       "xaxis.type": types[ds], "yaxis.type": types[ds],
                                       "xaxis.autorange": True, "yaxis.autorange": True}]}
                            for ds in names]}]
        figs.append({"id": "fig-bench-points", "title": "Bench: predicted against actual",
                     "caption": "Each law's predictions on the held-out test runs against the "
                                "measured values; the dashed line is a perfect prediction. Click "
                                "a law in the legend to hide it"
                                + ("; choose the dataset in the menu." if len(names) > 1 else "."),
                     "data": traces, "layout": layout})
    return figs


# ---------------------------------------------------------------------------------------------
# tables


def _table(head: Sequence[str], rows: Sequence[Sequence[Any]], cls: str = "") -> str:
    h = "".join(f"<th>{_e(x)}</th>" for x in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return (f'<div class="scroll"><table class="{cls}"><thead><tr>{h}</tr></thead>'
            f'<tbody>{body}</tbody></table></div>')


def _params_html(res) -> str:
    has_ci = res.draws is not None and len(res.draws) > 0
    ci = res.ci() if has_ci else None
    pct = f"{100 * res.level:g}%"
    bounds = {(b["param"], b.get("group")) for b in (res.diagnostics or {}).get("at_bound", [])}
    names = res.law.param_names
    desc = {p.name: p.description for p in res.law.params}

    def cells(name, v, c, group):
        flag = ' <span class="tag warn">at bound</span>' if (name, group) in bounds else ""
        if c is None:
            return [f"<code>{_e(name)}</code>{flag}", _e(fmt_num(v, 6)), "", "", _e(desc[name])]
        lo, hi = c
        up, down = max(hi - v, 0.0), max(v - lo, 0.0)
        pos = [x for x in (up, down) if x > 0]
        ref = min(pos) if pos else (abs(v) * 1e-6 or 1e-12)
        vs, _ = round_by_uncertainty(v, ref)
        _, us = round_by_uncertainty(v, up if up > 0 else ref)
        _, ds = round_by_uncertainty(v, down if down > 0 else ref)
        return [f"<code>{_e(name)}</code>{flag}", f"<b>{_e(vs)}</b>",
                f'<span class="pm">+{_e(us)} −{_e(ds)}</span>',
                f"[{_e(fmt_num(lo, 4))}, {_e(fmt_num(hi, 4))}]", _e(desc[name])]

    head = ["parameter", "value", "uncertainty", f"{pct} interval" if has_ci else "", "meaning"]
    if res.groups is None:
        rows = [cells(n, res.params[n], ci[n] if ci else None, None) for n in names]
        out = _table(head, rows, "params")
    else:
        parts = []
        shown = res.groups[:30]
        for g in shown:
            rows = [cells(n, res.params[g][n], ci[g][n] if ci else None, g) for n in names]
            parts.append(f"<h4>group {_e(g)}</h4>" + _table(head, rows, "params"))
        if len(res.groups) > len(shown):
            parts.append(f"<p class='note'>… and {len(res.groups) - len(shown)} more groups "
                         "(see the fit's JSON).</p>")
        out = "".join(parts)
    if has_ci:
        out += (f"<p class='note'>Intervals: {pct} percentile bootstrap over {len(res.draws)} "
                f"refits (resampling {_e(res.provenance.get('fitter', {}).get('bootstrap_unit', 'runs'))})."
                "</p>")
    else:
        out += "<p class='note'>No intervals: fit with <code>--bootstrap K</code> to get them.</p>"
    return out


def _prediction_html(res, ext: Mapping[str, Any], source: str) -> str:
    t = ext["target"]
    pct = f"{100 * ext['level']:g}%"
    where = ", ".join(f"{_e(k)} = {v:.4g}" for k, v in t["inputs"].items())
    rows = [["point", where + f" <span class='note'>({_e(source)})</span>"],
            [f"predicted {_e(res.target)}", f"<b>{t['prediction']:.5g}</b>"]]
    if "ci_low" in t:
        rows.append([f"{pct} confidence interval (the mean)",
                     f"[{t['ci_low']:.5g}, {t['ci_high']:.5g}]"])
        rows.append([f"{pct} prediction interval (a new run)",
                     f"[{t['pi_low']:.5g}, {t['pi_high']:.5g}]"])
    if ext["group"] is not None:
        rows.append(["group", _e(ext["group"])])
    return _table(["", ""], rows, "kv")


def _diagnostics_html(res) -> str:
    d = res.diagnostics or {}
    runs = cp.runs_table(res)
    pos = {int(r): i for i, r in enumerate(runs["row"])}
    parts = []
    cond = d.get("condition_number")
    kv = [["status", f'<span class="tag {_status_class(res.status)}">{_e(res.status)}</span>'],
          ["condition number", _e(f"{cond:.3g}") if isinstance(cond, (int, float)) else "—"]]
    for b in d.get("at_bound", []) or []:
        g = f" (group {_e(b['group'])})" if b.get("group") is not None else ""
        kv.append(["at bound", f"<code>{_e(b['param'])}</code>{g} at its {_e(b['side'])} bound "
                               f"{_e(fmt_num(b['bound']))}"])
    parts.append(_table(["", ""], kv, "kv"))
    inputs = list(res.law.inputs)

    def run_cells(row):
        i = pos.get(int(row))
        if i is None:
            return [""] * (len(inputs) + 2)
        return ([_e(fmt_num(runs["X"][k][i], 4)) for k in inputs]
                + [_e(fmt_num(runs["y"][i], 5)), _e(fmt_num(runs["fitted"][i], 5))])

    out = d.get("outliers", []) or []
    if out:
        rows = [[_e(o["row"]), *run_cells(o["row"]), _e(f"{o['residual']:+.3g}"),
                 _e(f"{o['z']:+.2f}")] for o in out]
        parts.append("<h4>Outlying runs</h4>" + _table(
            ["row", *[cp.input_label(res, k) for k in inputs], res.target, "fitted",
             "residual", "robust z"], rows))
    else:
        parts.append("<p class='note'>No outlying runs (robust |z| > 3.5).</p>")
    inf = d.get("influence", []) or []
    if inf:
        rows = [[_e(o["row"]), *run_cells(o["row"]), _e(f"{o['leverage']:.3f}"),
                 _e(f"{o['cooks_distance']:.3g}"),
                 '<span class="tag warn">high</span>' if o.get("high") else ""] for o in inf]
        parts.append("<h4>Most influential runs</h4>" + _table(
            ["row", *[cp.input_label(res, k) for k in inputs], res.target, "fitted", "leverage",
             "Cook's D", f"> 4/n = {4 / max(res.n, 1):.3g}"], rows))
    return "".join(parts)


def _status_class(status: str) -> str:
    return {"converged": "ok", "failed": "bad"}.get(status, "warn")


def _provenance_html(res) -> str:
    p = dict(res.provenance or {})
    rows = [["package", _e(f"{p.get('package', 'scalinglaws')} {p.get('version', '?')}")],
            ["data hash", f"<code>{_e(p.get('data_hash', '?'))}</code>"],
            ["data source", _e(p.get("data_source") or "—")],
            ["rows", _e(f"{res.n} fitted; {p.get('rows_dropped', 0)} dropped (missing values); "
                        f"{p.get('rows_excluded', 0)} excluded by the dataset")],
            ["law", f"<code>{_e(res.law.name)}</code>: <code>{_e(res.law.formula)}</code>"],
            ["reference", _e(getattr(res.law, "reference", "") or "—")],
            ["inputs", _e(", ".join(f"{k} ← {v}" for k, v in (res.inputs or {}).items())
                          + f"; target {res.target}")],
            ["seed", _e(p.get("seed"))]]
    if res.groups is not None:
        rows.append(["groups", _e(f"{len(res.groups)} ({res.data.get('group_column') or 'group'})"
                                  + (f"; shared: {', '.join(res.shared)}" if res.shared else ""))])
    fitter = p.get("fitter") or {}
    if fitter:
        rows.append(["fitter", "<code>" + _e(", ".join(f"{k}={v}" for k, v in fitter.items()))
                     + "</code>"])
    rows.append(["objective", _e(f"{res.objective:.6g}")])
    return _table(["", ""], rows, "kv")


_PLAN_LABELS = {
    "budget": ("compute budget", "FLOPs"), "N_opt": ("parameters N", ""),
    "D_opt": ("tokens D", ""), "tokens_per_param": ("tokens per parameter", ""),
    "loss": ("predicted loss", ""), "exponent_N": ("allocation exponent of N", ""),
    "exponent_D": ("allocation exponent of D", ""),
}


def _interval_text(v: Any) -> str:
    if isinstance(v, Mapping):
        lo = cp.as_float(v.get("low", v.get("lo")))
        hi = cp.as_float(v.get("high", v.get("hi")))
    elif isinstance(v, (list, tuple)) and len(v) == 2:
        lo, hi = cp.as_float(v[0]), cp.as_float(v[1])
    else:
        return ""
    return f"[{fmt_num(lo, 4)}, {fmt_num(hi, 4)}]" if math.isfinite(lo) and math.isfinite(hi) else ""


def _plan_one(plan: Mapping[str, Any]) -> str:
    """One plan record: its known values first, then whatever else it carries."""
    intervals = plan.get("intervals") if isinstance(plan.get("intervals"), Mapping) else {}
    pct = f"{100 * cp.as_float(plan['level']):g}% " if "level" in plan else ""
    rows = []
    seen = {"intervals", "notes", "model"}
    for key, (label, unit) in _PLAN_LABELS.items():
        if key in plan:
            seen.add(key)
            v = plan[key]
            vs = v if isinstance(v, str) else fmt_num(cp.as_float(v), 5)
            rows.append([f"{_e(label)} <code>{_e(key)}</code>", f"<b>{_e(vs)}</b> {_e(unit)}",
                         _e(_interval_text(intervals.get(key)))])
    for key, v in plan.items():
        if key in seen or v is None:
            continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            rows.append([f"<code>{_e(key)}</code>", _e(fmt_num(float(v), 5)),
                         _e(_interval_text(intervals.get(key)))])
        elif isinstance(v, (str, bool)) and len(str(v)) < 300:
            rows.append([f"<code>{_e(key)}</code>", _e(v), ""])
        elif isinstance(v, (Mapping, list)) and len(json.dumps(_r(v), default=str)) < 300:
            rows.append([f"<code>{_e(key)}</code>",
                         "<code>" + _e(json.dumps(_r(v), default=str)) + "</code>", ""])
    for key, v in intervals.items():
        if key not in plan:
            rows.append([f"<code>{_e(key)}</code>", "", _e(_interval_text(v))])
    out = _table(["", "value", f"{pct}interval" if intervals else ""], rows, "kv")
    model = plan.get("model")
    if isinstance(model, Mapping):
        params = model.get("params")
        ptxt = (", ".join(f"{k} = {fmt_num(cp.as_float(v), 4)}" for k, v in params.items())
                if isinstance(params, Mapping) else "")
        out += ("<p class='note'>model: " + _e(model.get("law", "")) + (f" ({_e(ptxt)})" if ptxt
                                                                       else "")
                + (f"; {_e(model.get('origin'))}" if model.get("origin") else "") + "</p>")
    notes = plan.get("notes")
    if isinstance(notes, list) and notes:
        out += "<ul class='note'>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
    return out


def _plan_html(plan: Any) -> str:
    if isinstance(plan, list):
        return "".join(f"<h4>plan {i + 1}</h4>" + _plan_one(p) for i, p in enumerate(plan)
                       if isinstance(p, Mapping))
    return _plan_one(plan)


def _bench_html(bench: Mapping[str, Any]) -> str:
    rows = cp.bench_rows(bench)
    with_loss = any(isinstance(r.get("loss"), str) for r in rows)
    out = []
    for r in rows:
        is_best = cp.bench_best(bench, r, rows)
        st = str(r.get("status", ""))
        cells = [_e(r.get("dataset", "")), ("<b>" if is_best else "") + _e(r.get("law", ""))
                 + ("</b> ★" if is_best else "")]
        if with_loss:
            cells.append(_e(r.get("loss", "")))
        cells += [_e(r.get("target", "")),
                  f'<span class="tag {"ok" if st in ("ok", "converged") else "warn"}">'
                  f'{_e(st)}</span>']
        for k in ("r2", "nmse", "nmae", "are", "log_rmse"):
            v = cp.as_float(r.get(k))
            cells.append(_e(fmt_num(v, 4)) if math.isfinite(v) else "—")
        cells.append(f'<span class="note">{_e(r.get("reason") or "")}</span>')
        out.append(cells)
    head = ["dataset", "law", *(["objective"] if with_loss else []), "target", "status", "R²",
            "NMSE", "NMAE", "ARE", "log RMSE", "reason"]
    return (_table(head, out, "bench")
            + "<p class='note'>★: the dataset's best law (the bench record's choice, else the "
              "highest R²).</p>")


# ---------------------------------------------------------------------------------------------
# the page


_CSS = """
:root{--fg:#1f2933;--muted:#5f6b7a;--line:#e3e7ec;--bg:#f6f7f9;--card:#fff;--accent:#4c72b0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
color:var(--fg);background:var(--bg)}
header{background:#1f2933;color:#fff;padding:22px 32px 18px}
header h1{margin:0 0 4px;font-size:22px;font-weight:600}
header .formula{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;color:#cfd8e3}
.chips{margin-top:12px;display:flex;flex-wrap:wrap;gap:8px}
.chip{background:rgba(255,255,255,.1);border-radius:12px;padding:2px 10px;font-size:12.5px}
nav{position:sticky;top:0;z-index:10;background:#fff;border-bottom:1px solid var(--line);
padding:8px 32px;display:flex;gap:18px;flex-wrap:wrap}
nav a{color:var(--accent);text-decoration:none;font-weight:500}
main{max-width:1180px;margin:0 auto;padding:18px 24px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:16px 22px;margin:18px 0}
h2{font-size:18px;margin:2px 0 12px}h3{font-size:15px;margin:14px 0 6px}
h4{font-size:13.5px;margin:14px 0 6px;color:var(--muted)}
table{border-collapse:collapse;margin:6px 0;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:5px 12px 5px 0;text-align:left;
vertical-align:top}
th{color:var(--muted);font-weight:600}
table.kv td:first-child{color:var(--muted);white-space:nowrap;padding-right:24px}
table.params td:nth-child(2){text-align:right;font-variant-numeric:tabular-nums}
.pm{color:var(--muted);font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto;max-width:100%}
table.bench td:last-child{min-width:260px}
table.params td:nth-child(3),table.params td:nth-child(4){white-space:nowrap}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.note{color:var(--muted);font-size:12.5px}
.tag{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.tag.ok{background:#e3f4e8;color:#1e6b34}.tag.warn{background:#fdf0d5;color:#8a5a00}
.tag.bad{background:#fde2e1;color:#9b1c1c}
.warnings{background:#fff8e6;border:1px solid #f3d58a;border-radius:8px;padding:10px 16px;
margin:18px 0}
.warnings li{margin:3px 0}
.chart{border-top:1px solid var(--line);padding-top:10px;margin-top:14px}
.chart:first-of-type{border-top:0;margin-top:0}
.chart p{margin:2px 0 6px;color:var(--muted);font-size:12.5px;max-width:980px}
.plot{width:100%;min-height:420px}
.grid2{display:grid;grid-template-columns:1fr 1fr;gap:24px}
@media (max-width:900px){.grid2{grid-template-columns:1fr}}
footer{color:var(--muted);font-size:12px;text-align:center;padding:8px 0 30px}
"""

# resolves the {"$runs": column, "where": mask} references, then draws every chart
_JS = r"""
(function () {
  "use strict";
  var P = JSON.parse(document.getElementById("sl-data").textContent);
  var R = P.runs, cols = R.columns, n = cols.row.length;
  var custom = [];
  for (var i = 0; i < n; i++) {
    custom.push(R.custom.map(function (c) { return cols[c][i]; }));
  }
  function column(name, where, idx) {
    var v = name === "$custom" ? custom : cols[name];
    var pick = idx || (where ? R.masks[where] : null);
    if (!pick) return v;
    return pick.map(function (i) { return v[i]; });
  }
  function resolve(v) {
    if (Array.isArray(v)) return v.map(resolve);
    if (v && typeof v === "object") {
      if (Object.prototype.hasOwnProperty.call(v, "$runs")) return column(v["$runs"], v.where, v.idx);
      var o = {};
      for (var k in v) o[k] = resolve(v[k]);
      return o;
    }
    return v;
  }
  var config = {responsive: true, displaylogo: false, scrollZoom: false,
                modeBarButtonsToRemove: ["select2d", "lasso2d"],
                toImageButtonOptions: {format: "png", scale: 2}};
  P.figures.forEach(function (f) {
    Plotly.newPlot(f.id, resolve(f.data), f.layout, config);
  });
  window.SCALINGLAWS_REPORT = {figures: P.figures.map(function (f) { return f.id; }), runs: n};
})();
"""


def _section(id_: str, title: str, body: str) -> str:
    return f'<section id="{id_}"><h2>{_e(title)}</h2>{body}</section>'


def _chart(fig: Mapping[str, Any]) -> str:
    return (f'<div class="chart"><h3>{_e(fig["title"])}</h3><p>{fig["caption"]}</p>'
            f'<div class="plot" id="{fig["id"]}"></div></div>')


def _plotly_js() -> str:
    try:
        from plotly.offline import get_plotlyjs
    except ImportError as exc:  # pragma: no cover - plotly is a dependency
        raise InputError("the HTML report needs plotly (pip install plotly)") from exc
    return get_plotlyjs()


def _plan_records(plan: Any) -> Any:
    """Plan objects (anything with ``to_dict``) as records; a list element by element."""
    def one(p):
        if isinstance(p, Mapping):
            return p
        if callable(getattr(p, "to_dict", None)):
            return p.to_dict()
        raise InputError(f"plan must be a plan record (a mapping) or a plan object such as "
                         f"scalinglaws.plan.compute_optimal(...), not {type(p).__name__}")
    if plan is None:
        return None
    if isinstance(plan, (list, tuple)):
        return [one(p) for p in plan]
    return one(plan)


def _plan_target(res, plan: Mapping[str, Any] | None) -> dict[str, float] | None:
    if not plan:
        return None
    try:
        n_name, d_name = cp.nd_inputs(res)
    except InputError:
        return None
    N, D = cp.as_float(plan.get("N_opt")), cp.as_float(plan.get("D_opt"))
    if math.isfinite(N) and math.isfinite(D) and N > 0 and D > 0:
        return {n_name: N, d_name: D}
    return None


def build_report(res, *, bench: Mapping[str, Any] | None = None,
                 plan: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None, at: Mapping[str, float] | None = None,
                 title: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> str:
    """The HTML report of a fit, as one self-contained page.

    The page embeds plotly.js (from the installed ``plotly`` package) and its data, and loads
    nothing from the network. It holds interactive charts (hover a run to see its row and
    values; drag to zoom, double-click to reset; click a legend entry to hide a series): the
    runs with the fitted law, the extrapolation to a target with confidence and prediction
    bands, residuals against each input, fitted against observed and, for laws of N and D,
    IsoFLOP profiles and the compute-optimal allocation; then the parameter table, the
    prediction at the target, warnings and diagnostics, a plan and a bench comparison when
    given, and provenance. No timestamps: the same inputs give the same page.

    Parameters
    ----------
    res : FitResult
        The fit (``FitResult.from_dict(json.load(f))`` for a saved one).
    bench : mapping, optional
        A bench record (``{"results": [...], "best": ...}``).
    plan : mapping, plan object or list of them, optional
        A plan record (``budget``, ``N_opt``, ``D_opt``, ``tokens_per_param``, ``loss``,
        ``intervals``...; e.g. ``scalinglaws.plan.compute_optimal(...)`` or its
        ``to_dict()``), rendered
        as far as its keys are present; its (first) ``N_opt``, ``D_opt`` become the
        extrapolation target when ``at`` is not given.
    at : mapping, optional
        Target of the extrapolation (default: the plan's allocation, else ten times the
        largest run).
    title : str, optional
        Page title.
    progress : callable, optional
        Called as ``progress(done, total)`` as the sections are built.

    Returns
    -------
    str
        The HTML text.

    Raises
    ------
    InputError
        If ``res`` is not a fit, a plan is neither a mapping nor a plan object, the target is
        unusable or the bench record malformed.
    """
    from ..fit import FitResult

    if isinstance(res, Mapping):
        raise InputError("res must be a FitResult; for a saved fit record use "
                         "FitResult.from_dict(record)")
    if not isinstance(res, FitResult):
        raise InputError(f"res must be a FitResult, not {type(res).__name__}")
    plan = _plan_records(plan)
    steps = 8
    done = 0

    def tick():
        nonlocal done
        done += 1
        if progress:
            progress(done, steps)

    runs_payload, hover = _runs_payload(res)
    plan_main = plan if isinstance(plan, Mapping) else next(
        (p for p in (plan or []) if isinstance(p, Mapping)), None)
    source = "the requested point"
    # a plan made for one group of a grouped fit is drawn on that group's curves
    group = cp.plan_group(res, plan_main)
    if at is None:
        at = _plan_target(res, plan_main)
        source = "the plan's allocation" if at is not None else "ten times the largest run"
    try:
        ext = cp.extrapolation_path(res, at, group=group)
        no_ext = ""
    except InputError as exc:
        if source == "the requested point":
            raise
        # the default target does not suit every law (inputs that are proportions, with
        # zeros): say so on the page instead of failing the whole report
        ext, no_ext = None, f"{exc}; choose a target with --at"
    figures = [_fig_fit(res, hover)]
    tick()
    if ext is not None:
        figures.append(_fig_extrapolation(res, hover, ext))
    tick()
    figures.append(_fig_residuals(res, hover))
    figures.append(_fig_parity(res, hover))
    tick()
    skipped = ""
    try:
        cp.nd_inputs(res)
        nd = True
    except InputError as exc:
        nd = False
        skipped = str(exc)
    if nd:
        figures.append(_fig_isoflop(res, hover))
        tick()
        figures.append(_fig_frontier(res, plan_main, group))
    tick()
    bench_figs = _figs_bench(bench) if bench is not None else []
    tick()

    main_ids = {"fig-fit", "fig-extrapolation", "fig-residuals", "fig-parity"}
    charts = "".join(_chart(f) for f in figures if f["id"] in main_ids)
    compute = "".join(_chart(f) for f in figures if f["id"] in ("fig-isoflop", "fig-frontier"))
    if not nd:
        compute = f"<p class='note'>Not shown: {_e(skipped)}.</p>"
    m = res.metrics or {}
    src = (res.provenance or {}).get("data_source") or ""
    dataset = os.path.basename(str(src).rstrip("/")) or "data"
    page_title = title or f"{res.law.name} fit to {dataset}"
    n_draws = 0 if res.draws is None else len(res.draws)
    chips = [f"{res.n} runs", f"R² {fmt_num(m.get('r2'), 5)}", f"RMSE {fmt_num(m.get('rmse'), 4)}",
             f"RMSE(log) {fmt_num(m.get('rmse_log'), 4)}",
             f"{n_draws} bootstrap draws" if n_draws else "no bootstrap draws",
             f"status: {res.status}"]
    if res.groups is not None:
        chips.insert(1, f"{len(res.groups)} groups")
    nav = [("summary", "Summary"), ("charts", "Charts"), ("compute", "Compute"),
           ("diagnostics", "Diagnostics")]
    body = []
    warn = ""
    if res.warnings:
        warn = ('<div class="warnings"><b>Warnings</b><ul>'
                + "".join(f"<li>{_e(w)}</li>" for w in res.warnings) + "</ul></div>")
    body.append(warn)
    body.append(_section("summary", "Summary",
                         "<div class='grid2'><div><h3>Parameters</h3>" + _params_html(res)
                         + "</div><div><h3>Prediction at the target</h3>"
                         + (_prediction_html(res, ext, source) if ext is not None else
                            f"<p class='note'>No extrapolation: {_e(no_ext)}.</p>")
                         + "</div></div>"))
    body.append(_section("charts", "Charts", charts))
    body.append(_section("compute", "Compute: IsoFLOPs and the optimal allocation", compute))
    tick()
    body.append(_section("diagnostics", "Diagnostics", _diagnostics_html(res)))
    if plan is not None:
        nav.append(("plan", "Plan"))
        marked = nd and plan_main is not None and all(
            math.isfinite(cp.as_float(plan_main.get(k))) for k in ("N_opt", "D_opt"))
        note = ("<p class='note'>The plan's allocation is marked ★ on the compute-optimal "
                "chart.</p>" if marked else "")
        body.append(_section("plan", "Plan", _plan_html(plan) + note))
    if bench is not None:
        nav.append(("bench", "Bench"))
        bb = "".join(_chart(f) for f in bench_figs) + "<h3>Results</h3>" + _bench_html(bench)
        body.append(_section("bench", "Bench", bb))
        figures += bench_figs
    nav.append(("provenance", "Provenance"))
    body.append(_section("provenance", "Provenance", _provenance_html(res)))
    payload = {"runs": runs_payload,
               "figures": [{"id": f["id"], "data": f["data"], "layout": _r(f["layout"])}
                           for f in figures]}
    data_json = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    data_json = data_json.replace("</", "<\\/")
    js = _plotly_js().replace("</script", "<\\/script")
    tick()
    return "".join([
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>{_e(page_title)}</title><style>{_CSS}</style>",
        f"<script>{js}</script></head><body>",
        f"<header><h1>{_e(page_title)}</h1>",
        f"<div class='formula'>{_e(res.law.name)}: {_e(res.law.formula)}</div>",
        "<div class='chips'>" + "".join(f"<span class='chip'>{_e(c)}</span>" for c in chips)
        + "</div></header>",
        "<nav>" + "".join(f"<a href='#{a}'>{_e(b)}</a>" for a, b in nav) + "</nav>",
        "<main>", "".join(body), "</main>",
        f"<footer>scalinglaws {_e(__version__)} · charts: plotly.js (embedded; this page needs "
        "no network) · hover a point for its run, drag to zoom, double-click to reset, click a "
        "legend entry to hide it</footer>",
        f"<script type=\"application/json\" id=\"sl-data\">{data_json}</script>",
        f"<script>{_JS}</script></body></html>\n",
    ])
