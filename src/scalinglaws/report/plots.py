"""Static figures on matplotlib: each function draws on an ``ax=`` and returns it.

matplotlib is imported when a function is called, never at import time. Every function takes
a :class:`~scalinglaws.fit.FitResult` (or, for :func:`plot_isoflop` and :func:`plot_bench`,
plain runs or a bench record) and draws what :mod:`scalinglaws.report._compute` computes, so
that the figures and the HTML report show the same numbers.

Examples
--------
>>> import matplotlib.pyplot as plt
>>> fig, ax = plt.subplots()
>>> plot_extrapolation(res, {"N": 7e10, "D": 1.4e12}, ax=ax)   # doctest: +SKIP
>>> fig.savefig("extrapolation.png")                           # doctest: +SKIP
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from .._errors import InputError
from . import _compute as cp

#: colours shared with the HTML report
COLOURS = {
    "runs": "#4c72b0",
    "law": "#c44e52",
    "ci": "#dd8452",
    "pi": "#dd8452",
    "outlier": "#d62728",
    "influence": "#222222",
    "N": "#4c72b0",
    "D": "#55a868",
    "target": "#8172b3",
    "extrapolation": "#eeeeee",
}
CMAP = "viridis"
#: figure kinds of :func:`make_figure` (and ``scalinglaws plot --kind``)
KINDS = ("fit", "extrapolation", "residuals", "isoflop", "frontier", "bench")


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.gca()
    return ax


def _log_axis(ax, which: str = "y") -> None:
    """Log-scale an axis; when it spans less than two decades, label ticks as plain numbers."""
    import matplotlib.ticker as mt

    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    lo, hi = (ax.get_ylim() if which == "y" else ax.get_xlim())
    if not lo > 0:
        return
    plain = mt.FuncFormatter(lambda v, _: f"{v:.3g}")
    if hi / lo < 10:
        # less than a decade: a handful of evenly spaced, plainly labelled ticks
        axis.set_major_locator(mt.MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        axis.set_minor_locator(mt.NullLocator())
        axis.set_major_formatter(plain)
    elif hi / lo < 100:
        axis.set_major_formatter(plain)
        axis.set_minor_formatter(mt.FuncFormatter(
            lambda v, _: f"{v:.3g}" if f"{v:.1e}"[0] in "25" else ""))


def _pct(level: float) -> str:
    return f"{100 * level:g}%"


def _mark_diagnostics(ax, x: np.ndarray, y: np.ndarray, runs: Mapping[str, Any]) -> None:
    """Ring the outlying runs and square the highly influential ones."""
    o = runs["outlier"]
    if o.any():
        ax.scatter(x[o], y[o], s=90, facecolors="none", edgecolors=COLOURS["outlier"],
                   linewidths=1.6, zorder=4, label="outlier (robust |z| > 3.5)", gid="outliers")
    h = runs["high_influence"]
    if h.any():
        ax.scatter(x[h], y[h], s=140, marker="s", facecolors="none",
                   edgecolors=COLOURS["influence"], linewidths=1.2, zorder=4,
                   label="high influence (Cook's D > 4/n)", gid="influence")


# ---------------------------------------------------------------------------------------------


def plot_fit(res, *, x: str | None = None, colour: str | None = None, colorbar: bool = True,
             ax=None):
    """The runs and the fitted law against one input, log-log where the data allow.

    Without groups, the runs are coloured by the input that varies most besides ``x`` and the
    law is drawn at a few values of it (same colours); further inputs are held at their
    median. With groups, colours are groups and each group has its own curve.

    Parameters
    ----------
    res : FitResult
    x : str, optional
        Law input on the horizontal axis (default: the first).
    colour : str, optional
        Input that colours the runs and picks the curves (default: chosen automatically).
    colorbar : bool
        Add a colour bar for the colour input.
    ax : matplotlib.axes.Axes, optional
        Where to draw (default: the current axes).

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If ``x`` or ``colour`` is not an input of the law.
    """
    import matplotlib as mpl

    ax = _ax(ax)
    fc = cp.fit_curves(res, x=x, colour=colour)
    runs = cp.runs_table(res)
    xv, y = runs["X"][fc["x"]], runs["y"]
    if fc["colour"] is not None:
        cv = runs["X"][fc["colour"]]
        norm = (mpl.colors.LogNorm(vmin=np.nanmin(cv), vmax=np.nanmax(cv)) if cp.is_positive(cv)
                else mpl.colors.Normalize(vmin=np.nanmin(cv), vmax=np.nanmax(cv)))
        cmap = mpl.colormaps[CMAP]
        sc = ax.scatter(xv, y, c=cv, cmap=cmap, norm=norm, s=22, alpha=0.9, edgecolors="white",
                        linewidths=0.4, zorder=3, label=f"runs ({len(y)})", gid="runs")
        for c in fc["curves"]:
            ax.plot(c["x"], c["y"], color=cmap(norm(c["value"])), lw=1.8, zorder=2,
                    label=f"law at {c['label']}", gid="law")
        if colorbar and ax.figure is not None:
            cb = ax.figure.colorbar(sc, ax=ax, pad=0.02)
            cb.set_label(cp.input_label(res, fc["colour"]))
    elif runs["group"] is not None and fc["curves"] and fc["curves"][0]["group"] is not None:
        cmap = mpl.colormaps["tab10" if len(fc["curves"]) <= 10 else "tab20"]
        for i, c in enumerate(fc["curves"]):
            m = runs["group"] == c["group"]
            col = cmap(i % cmap.N)
            lab = c["label"] if len(fc["curves"]) <= 12 else None
            ax.scatter(xv[m], y[m], s=22, color=col, edgecolors="white", linewidths=0.4,
                       zorder=3, label=lab, gid="runs")
            ax.plot(c["x"], c["y"], color=col, lw=1.6, zorder=2, gid="law")
    else:
        ax.scatter(xv, y, s=22, color=COLOURS["runs"], edgecolors="white", linewidths=0.4,
                   zorder=3, label=f"runs ({len(y)})", gid="runs")
        for c in fc["curves"]:
            ax.plot(c["x"], c["y"], color=COLOURS["law"], lw=1.8, zorder=2,
                    label=f"fitted {res.law.name}", gid="law")
    _mark_diagnostics(ax, xv, y, runs)
    if fc["log_x"]:
        ax.set_xscale("log")
    if fc["log_y"]:
        _log_axis(ax, "y")
    ax.set_xlabel(cp.input_label(res, fc["x"]))
    ax.set_ylabel(cp.target_label(res))
    held = ", ".join(f"{k} = {v:.3g}" for k, v in fc["fixed"].items())
    ax.set_title(f"{res.law.name} fitted to {res.n} runs" + (f" ({held})" if held else ""),
                 fontsize="medium")
    ax.legend(fontsize="small", frameon=False, loc="best")
    ax.grid(True, which="major", alpha=0.25)
    return ax


def plot_extrapolation(res, at: Mapping[str, float] | None = None, *, x: str | None = None,
                       group: str | None = None, level: float | None = None, ax=None):
    """The fitted law extrapolated to a target, with confidence and prediction bands.

    The law is drawn along the path of :func:`~scalinglaws.report._compute.extrapolation_path`
    (every multi-decade input scaled together, so their ratios are those of the target). The
    bands need bootstrap draws (``fit --bootstrap K``); without them only the curve is drawn.
    The region beyond the largest run is shaded.

    Parameters
    ----------
    res : FitResult
    at : mapping, optional
        Target inputs, e.g. ``{"N": 7e10, "D": 1.4e12}`` (default: ten times the largest run).
    x : str, optional
        Input on the horizontal axis.
    group : str, optional
        Group whose parameters to use (grouped fits).
    level : float, optional
        Band level (default: the fit's).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If the target is incomplete or below the runs.
    """
    ax = _ax(ax)
    ext = cp.extrapolation_path(res, at, x=x, group=group, level=level)
    runs = cp.runs_table(res)
    xname = ext["x"]
    xp = ext["path"][xname]
    with np.errstate(all="ignore"):
        drawable = np.all(np.isfinite(ext["prediction"])) and abs(xp[-1]) * 1.6 < 1e250 \
            and np.all(np.abs(np.log10(np.abs(ext["prediction"]) + 1e-300)) < 250)
    if not drawable:
        raise InputError(f"the law's prediction on the way to the target ({xname} = "
                         f"{xp[-1]:g}) is not a finite number that can be drawn; choose a "
                         "nearer --at (at= in Python)")
    pct = _pct(ext["level"])
    m = np.ones(len(runs["y"]), bool)
    if ext["group"] is not None and runs["group"] is not None:
        m = runs["group"] == ext["group"]
    log_x = cp.spans_decades(xp)
    pad = 0.06 * (xp[-1] - xp[0])
    x_lo, x_hi = (xp[0] / 1.2, xp[-1] * 1.6) if log_x else (xp[0] - pad, xp[-1] + pad)
    ax.axvspan(ext["data_max"], x_hi, color=COLOURS["extrapolation"], zorder=0,
               label="beyond the largest run", gid="extrapolation_region")
    multi = len(res.law.inputs) > 1
    ax.scatter(runs["X"][xname][m], runs["y"][m], s=18, color=COLOURS["runs"], alpha=0.55,
               edgecolors="none", zorder=3,
               label=f"runs ({int(m.sum())}" + (", other inputs vary)" if multi else ")"),
               gid="runs")
    if "pi_low" in ext:
        ax.fill_between(xp, ext["pi_low"], ext["pi_high"], color=COLOURS["pi"], alpha=0.15,
                        lw=0, zorder=1, label=f"{pct} prediction band (a new run)", gid="pi_band")
        ax.fill_between(xp, ext["ci_low"], ext["ci_high"], color=COLOURS["ci"], alpha=0.4,
                        lw=0, zorder=2, label=f"{pct} confidence band (the mean)", gid="ci_band")
    desc = cp.path_description(res, ext)
    ax.plot(xp, ext["prediction"], color=COLOURS["law"], lw=2, zorder=4,
            label=f"fitted {res.law.name}" + (f" ({desc})" if desc else ""), gid="law")
    t = ext["target"]
    tx = t["inputs"][xname]
    if "pi_low" in t:
        ax.errorbar([tx], [t["prediction"]],
                    yerr=[[t["prediction"] - t["pi_low"]], [t["pi_high"] - t["prediction"]]],
                    fmt="none", ecolor=COLOURS["target"], elinewidth=1.2, capsize=4, zorder=5)
    where = ", ".join(f"{k}={v:.3g}" for k, v in t["inputs"].items())
    text = f"target: {res.target} {t['prediction']:.4g}"
    if "ci_low" in t:
        text += (f"\n  CI [{t['ci_low']:.4g}, {t['ci_high']:.4g}]"
                 f"  PI [{t['pi_low']:.4g}, {t['pi_high']:.4g}]")
    ax.scatter([tx], [t["prediction"]], marker="*", s=220, color=COLOURS["target"],
               edgecolors="white", linewidths=0.8, zorder=6, label=text, gid="target")
    if log_x:
        ax.set_xscale("log")
    ys = np.concatenate([runs["y"][m], ext.get("pi_low", ext["prediction"]), ext["prediction"]])
    if cp.is_positive(ys):
        _log_axis(ax, "y")
    ax.set_xlim(x_lo, x_hi)
    ax.set_xlabel(cp.input_label(res, xname))
    ax.set_ylabel(cp.target_label(res))
    title = f"extrapolation of {res.law.name} to {where}"
    if ext["group"] is not None:
        title += f" (group {ext['group']})"
    if "pi_low" not in ext:
        title += "\n(no bands: fit with --bootstrap K for intervals)"
    ax.set_title(title, fontsize="medium")
    ax.legend(fontsize="small", frameon=True, framealpha=0.9, edgecolor="#dddddd", loc="best")
    ax.grid(True, which="major", alpha=0.25)
    return ax


def plot_residuals(res, *, inputs: Sequence[str] | str | None = None, ax=None):
    """Residuals (in the fit's space) against each input, outliers and influential runs marked.

    Parameters
    ----------
    res : FitResult
    inputs : str or sequence of str, optional
        Inputs to plot against (default: all of the law's inputs).
    ax : Axes or sequence of Axes, optional
        One axes per input. Default: a new figure with one panel per input.

    Returns
    -------
    matplotlib.axes.Axes or list of Axes
        What was passed as ``ax`` (or created): a single Axes for one input.

    Raises
    ------
    InputError
        If an input is unknown or the number of axes does not match the inputs.
    """
    names = [inputs] if isinstance(inputs, str) else list(inputs or res.law.inputs)
    for k in names:
        if k not in res.law.inputs:
            raise InputError(f"--input {k} (inputs=): not an input of law {res.law.name!r} "
                             f"(its inputs are {', '.join(res.law.inputs)})")
    single = ax is not None and not isinstance(ax, (list, tuple, np.ndarray))
    if ax is None:
        if len(names) == 1:
            axes = [_ax(None)]
            single = True
        else:
            import matplotlib.pyplot as plt

            _, arr = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), sharey=True,
                                  squeeze=False)
            axes = list(arr[0])
    else:
        axes = [ax] if single else list(np.ravel(ax))
    if len(axes) != len(names):
        raise InputError(f"plot_residuals: {len(axes)} axes for {len(names)} inputs "
                         f"({', '.join(names)}); pass one Axes per input or choose inputs=")
    runs = cp.runs_table(res)
    r = runs["residual"]
    ok = np.isfinite(r)
    s = 1.4826 * np.median(np.abs(r[ok] - np.median(r[ok]))) if ok.sum() >= 5 else np.nan
    for a, k in zip(axes, names):
        xv = runs["X"][k]
        a.axhline(0, color="#888888", lw=1, zorder=1)
        if np.isfinite(s) and s > 0:
            a.axhspan(-2 * s, 2 * s, color="#e8eef7", zorder=0, label="±2 robust σ")
        a.scatter(xv, r, s=18, color=COLOURS["runs"], alpha=0.8, edgecolors="none", zorder=3,
                  label=f"runs ({len(r)})", gid="runs")
        _mark_diagnostics(a, xv, r, runs)
        if cp.spans_decades(xv):
            a.set_xscale("log")
        a.set_xlabel(cp.input_label(res, k))
        a.grid(True, which="major", alpha=0.25)
    axes[0].set_ylabel(cp.residual_label(res))
    axes[0].legend(fontsize="small", frameon=False)
    axes[0].set_title(f"residuals of {res.law.name}", fontsize="medium", loc="left")
    return axes[0] if single else axes


def plot_isoflop(res=None, *, N: Sequence[float] | None = None, D: Sequence[float] | None = None,
                 loss: Sequence[float] | None = None, flops: Sequence[float] | None = None,
                 budget: Sequence[float] | None = None, per_decade: int = 4,
                 min_points: int = 5, ax=None):
    """IsoFLOP profiles: loss against N for runs of equal compute, with their minima.

    Runs are grouped by ``budget`` (when given) or by the nearest of ``per_decade`` log-spaced
    compute values a decade (compute = ``flops`` or ``6 N D``). Each group with enough runs
    gets a parabola in log N whose vertex (◇) is its empirical optimum (Hoffmann et al. 2022,
    Approach 2). With a fit of a law of N and D, the law's own IsoFLOP profile at each group's
    compute is drawn too, with its minimum (★).

    Parameters
    ----------
    res : FitResult, optional
        A fit of a law of N and D; its runs are used unless ``N``/``loss`` are given.
    N, D, loss, flops, budget : array_like, optional
        The runs, when not taken from ``res``.
    per_decade : int
        Compute bins per decade.
    min_points : int
        Smallest group that gets a parabola.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If neither a fit nor runs are given, or the law is not a law of N and D.
    """
    import matplotlib as mpl

    ax = _ax(ax)
    if N is None or loss is None:
        if res is None:
            raise InputError("plot_isoflop: pass a fit or the runs (N, D or flops, loss)")
        n_name, d_name = cp.nd_inputs(res)
        runs = cp.runs_table(res)
        N, D, loss = runs["X"][n_name], runs["X"][d_name], runs["y"]
        xlabel, ylabel = cp.input_label(res, n_name), cp.target_label(res)
    else:
        xlabel, ylabel = "N (parameters)", "loss"
    groups = cp.isoflop_profiles(N, D, loss, flops=flops, budget=budget, per_decade=per_decade,
                                 min_points=min_points)
    if not groups:
        raise InputError("plot_isoflop: no run has a positive compute and a finite loss")
    Cs = np.array([g["C"] for g in groups])
    norm = mpl.colors.LogNorm(vmin=Cs.min(), vmax=Cs.max() * 1.0001)
    cmap = mpl.colormaps["plasma"]

    def col(C):
        return cmap(0.85 * norm(C))

    law_curves = cp.law_isoflop_curves(res, Cs) if res is not None else []
    n_total = 0
    for i, g in enumerate(groups):
        c = col(g["C"])
        ax.scatter(g["N"], g["loss"], s=20, color=c, edgecolors="white", linewidths=0.4,
                   zorder=3, gid="runs")
        n_total += len(g["N"])
        p = g["parabola"]
        if p is not None:
            lg = np.linspace(*p["logN_range"], 60)
            ax.plot(10 ** lg, np.polyval(p["coef"], lg), color=c, lw=1, ls=":", zorder=2)
            ax.scatter([p["N_opt"]], [p["loss_opt"]], marker="D", s=46, facecolors="white",
                       edgecolors=c, linewidths=1.6, zorder=5, gid="parabola_min")
        if law_curves and len(g["N"]) >= 3:
            lc = law_curves[i]
            ends = [np.min(g["N"]), np.max(g["N"])]
            if np.isfinite(lc["N_opt"]):
                ends.append(lc["N_opt"])
            lo, hi = min(ends) / 1.5, max(ends) * 1.5
            sel = (lc["N"] >= lo) & (lc["N"] <= hi)
            ax.plot(lc["N"][sel], lc["loss"][sel], color=c, lw=1.6, zorder=2, gid="law")
            if np.isfinite(lc["N_opt"]):
                ax.scatter([lc["N_opt"]], [lc["loss_opt"]], marker="*", s=120, color=c,
                           edgecolors="black", linewidths=0.5, zorder=6, gid="law_min")
    # legend keys for the kinds of marks; the colour bar says which budget is which
    ax.scatter([], [], s=20, color="#777777", label=f"runs ({n_total}), coloured by compute")
    ax.scatter([], [], marker="D", s=46, facecolors="white", edgecolors="#555555",
               label="parabola minimum (Approach 2)")
    if law_curves:
        ax.plot([], [], color="#555555", lw=1.6, label=f"fitted {res.law.name}")
        ax.scatter([], [], marker="*", s=120, color="#555555", edgecolors="black",
                   linewidths=0.5, label="law minimum")
    if ax.figure is not None:
        sm = mpl.cm.ScalarMappable(norm=norm, cmap=mpl.colors.ListedColormap(
            cmap(np.linspace(0, 0.85, 256))))
        cb = ax.figure.colorbar(sm, ax=ax, pad=0.02)
        cb.set_label("compute C (FLOPs)")
    ax.set_xscale("log")
    if cp.is_positive(np.concatenate([np.asarray(g["loss"]) for g in groups])):
        _log_axis(ax, "y")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(f"IsoFLOP profiles: {n_total} runs in {len(groups)} compute groups",
                 fontsize="medium")
    ax.legend(fontsize="small", frameon=False, loc="best")
    ax.grid(True, which="major", alpha=0.25)
    return ax


def plot_frontier(res, *, C: Sequence[float] | None = None, group: str | None = None,
                  level: float | None = None, plan: Mapping[str, Any] | None = None,
                  isoflop_minima: bool = True, ax=None):
    """The compute-optimal allocation N*(C) and D*(C) of a fitted law of N and D, with bands.

    Bands come from the bootstrap draws (the optimum of every refit); without draws only the
    lines are drawn. The empirical minima of the runs' IsoFLOP parabolas are shown as a
    cross-check, and a plan's ``N_opt``/``D_opt`` at its ``budget`` when given.

    Parameters
    ----------
    res : FitResult
    C : array_like, optional
        Budgets (FLOPs); default from the smallest run to 100× the largest.
    group : str, optional
    level : float, optional
    plan : mapping, optional
        A plan record (``budget``, ``N_opt``, ``D_opt``).
    isoflop_minima : bool
        Show the Approach-2 minima of the runs.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If the law is not a law of N and D.
    """
    ax = _ax(ax)
    group = cp.plan_group(res, plan, group)
    pb = cp.as_float((plan or {}).get("budget"))
    if C is None:
        C = cp.frontier_budgets(res, extra=[pb] if math.isfinite(pb) else [])
    fr = cp.compute_optimal(res, C, group=group, level=level)
    pct = _pct(fr["level"])
    for key, name in (("N", fr["n"]), ("D", fr["d"])):
        colr = COLOURS[key]
        if f"{key}_low" in fr:
            ax.fill_between(fr["C"], fr[f"{key}_low"], fr[f"{key}_high"], color=colr, alpha=0.2,
                            lw=0, label=f"{pct} band of {name}*", gid=f"{key}_band")
        ax.plot(fr["C"], fr[f"{key}_opt"], color=colr, lw=2,
                label=f"{name}*" + (f" ({res.inputs.get(name)})" if res.inputs.get(name, name) != name
                                         else "") + ", compute-optimal", gid=f"{key}_opt")
    if isoflop_minima:
        mins = [g for g in cp.fit_isoflops(res) if g["parabola"] is not None]
        if mins:
            gc = np.array([g["C"] for g in mins])
            gn = np.array([g["parabola"]["N_opt"] for g in mins])
            ax.scatter(gc, gn, marker="D", s=36, facecolors="white", edgecolors=COLOURS["N"],
                       linewidths=1.4, zorder=5, label="IsoFLOP parabola minima (runs)",
                       gid="isoflop_minima")
            ax.scatter(gc, gc / (cp.FLOPS_PER_PARAM_TOKEN * gn), marker="D", s=36,
                       facecolors="white", edgecolors=COLOURS["D"], linewidths=1.4, zorder=5,
                       gid="isoflop_minima")
    if plan:
        pn, pd_ = cp.as_float(plan.get("N_opt")), cp.as_float(plan.get("D_opt"))
        if math.isfinite(pb) and math.isfinite(pn):
            ax.scatter([pb], [pn], marker="*", s=200, color=COLOURS["target"], zorder=6,
                       edgecolors="white", label="plan", gid="plan")
            if math.isfinite(pd_):
                ax.scatter([pb], [pd_], marker="*", s=200, color=COLOURS["target"], zorder=6,
                           edgecolors="white", gid="plan")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("training compute C = 6 N D (FLOPs)")
    ax.set_ylabel("parameters N*, tokens D*")
    ratio = fr["D_opt"][-1] / fr["N_opt"][-1]
    where = f", group {fr['group']}" if fr["group"] is not None else ""
    ax.set_title(f"compute-optimal allocation of {res.law.name} ({fr['method']}{where}); "
                 f"D*/N* = {ratio:.3g} at C = {fr['C'][-1]:.2g}", fontsize="medium")
    ax.legend(fontsize="small", frameon=False)
    ax.grid(True, which="major", alpha=0.25)
    return ax


def plot_bench(bench: Mapping[str, Any], *, metric: str = "r2", dataset: str | None = None,
               ax=None):
    """A bench comparison: predicted against actual test values per law, or a metric per law.

    When the bench results carry their test predictions (``predictions`` or ``test_points``:
    ``[{"y", "prediction", "group", "row"}]``), every law's predictions on one dataset's test
    split are plotted against the actual values with the line ``y = x``; otherwise ``metric``
    is drawn as bars, per dataset and law. Laws fitted with several objectives are told apart
    (``law (huber)``, ``law (l2)``).

    Parameters
    ----------
    bench : mapping
        A bench record: ``{"results": [{"dataset", "law", "target", "status", "r2", ...}]}``.
    metric : str
        Metric for the bar chart (``r2``, ``nmse``, ``nmae``, ``are``, ``log_rmse``).
    dataset : str, optional
        Dataset whose test predictions to plot (default: the first that has them).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    InputError
        If the record has no results, or ``dataset`` has no test predictions.
    """
    import matplotlib as mpl

    ax = _ax(ax)
    rows = cp.bench_rows(bench)
    if not rows:
        raise InputError("the bench record has no results to plot")
    cmap = mpl.colormaps["tab10"]
    labels = [cp.bench_label(r, rows) for r in rows]
    laws = list(dict.fromkeys(labels))
    pts = [(r, lab, cp.bench_points(r)) for r, lab in zip(rows, labels)]
    pts = [(r, lab, p) for r, lab, p in pts if p is not None]
    if dataset is not None:
        known = list(dict.fromkeys(str(r.get("dataset")) for r in rows))
        if dataset not in known:
            raise InputError(f"dataset {dataset!r} is not in the bench record (its datasets: "
                             f"{', '.join(known)})")
        pts = [(r, lab, p) for r, lab, p in pts if str(r.get("dataset")) == dataset]
        if not pts:
            raise InputError(f"dataset {dataset!r}: the bench record has no test predictions; "
                             "rerun bench with --predictions --format json "
                             "(to_dict(predictions=True) in Python)")
    elif pts:
        dataset = str(pts[0][0].get("dataset"))
        pts = [(r, lab, p) for r, lab, p in pts if str(r.get("dataset")) == dataset]
    if pts:
        allv = []
        several_targets = len({str(r.get("target")) for r, _, _ in pts}) > 1
        for r, lab, p in pts:
            name = lab + (f" · {r.get('target')}" if several_targets else "")
            r2 = cp.as_float(r.get("r2"))
            if math.isfinite(r2):
                name += f" (R² {r2:.3f})"
            ax.scatter(p["y"], p["prediction"], s=22, color=cmap(laws.index(lab) % 10),
                       alpha=0.8, edgecolors="white", linewidths=0.4, label=name, zorder=3,
                       gid="test_points")
            allv.append(np.concatenate([p["y"], p["prediction"]]))
        v = np.concatenate(allv)
        v = v[np.isfinite(v)]
        lo, hi = float(v.min()), float(v.max())
        log = lo > 0 and hi / lo > 3
        pad = (hi / lo) ** 0.05 if log else 0.05 * (hi - lo or 1)
        lim = (lo / pad, hi * pad) if log else (lo - pad, hi + pad)
        ax.plot(lim, lim, color="#888888", lw=1, ls="--", zorder=1, label="y = x")
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        if log:
            _log_axis(ax, "x")
            _log_axis(ax, "y")
        ax.set_xlabel("actual (test split)")
        ax.set_ylabel("predicted")
        ax.set_title(f"bench: predicted against actual on {dataset}", fontsize="medium")
    else:
        datasets = list(dict.fromkeys(str(r.get("dataset")) for r in rows))
        width = 0.8 / max(1, len(laws))
        for i, law in enumerate(laws):
            xs, vs = [], []
            for j, ds in enumerate(datasets):
                for r, lab in zip(rows, labels):
                    if lab == law and str(r.get("dataset")) == ds:
                        val = cp.as_float(r.get(metric))
                        if math.isfinite(val):
                            xs.append(j + (i - (len(laws) - 1) / 2) * width)
                            vs.append(max(val, -1.0) if metric == "r2" else val)
            ax.bar(xs, vs, width=width, color=cmap(i % 10), label=law, gid="bars")
        ax.set_xticks(range(len(datasets)))
        ax.set_xticklabels(datasets, rotation=20, ha="right", fontsize="small")
        ax.set_ylabel(metric + (" (clipped at −1)" if metric == "r2" else ""))
        ax.axhline(0, color="#888888", lw=0.8)
        ax.set_title(f"bench: {metric} on the test split", fontsize="medium")
    ax.legend(fontsize="small", frameon=False)
    ax.grid(True, which="major", alpha=0.25)
    return ax


# ---------------------------------------------------------------------------------------------


def make_figure(obj, kind: str, *, at: Mapping[str, float] | None = None, x: str | None = None,
                group: str | None = None, plan: Mapping[str, Any] | None = None,
                dataset: str | None = None):
    """A whole figure of one kind, sized for saving (what ``scalinglaws plot`` writes).

    Uses :class:`matplotlib.figure.Figure` directly (no pyplot, no global state).

    Parameters
    ----------
    obj : FitResult or mapping
        The fit; a bench record for ``kind="bench"``.
    kind : {"fit", "extrapolation", "residuals", "isoflop", "frontier", "bench"}
    at, x, group, plan, dataset
        Passed to the plot function that takes them.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    InputError
        For an unknown kind, or a kind that does not apply to this fit.
    """
    from matplotlib.figure import Figure

    if kind not in KINDS:
        raise InputError(f"--kind {kind!r} (kind=): choose one of {', '.join(KINDS)}")
    if kind == "bench":
        if not isinstance(obj, Mapping):
            raise InputError("--kind bench needs a bench record (BENCH.json from "
                             "'scalinglaws bench ... -o BENCH.json'), not a fit")
    elif isinstance(obj, Mapping):
        raise InputError(f"--kind {kind} needs a fit (FIT.json from 'scalinglaws fit ... -o "
                         "FIT.json')")
    if kind == "residuals":
        k = len(obj.law.inputs)
        fig = Figure(figsize=(max(5.0, 4.2 * k), 3.8), layout="constrained")
        axes = fig.subplots(1, k, sharey=True, squeeze=False)[0]
        plot_residuals(obj, ax=list(axes))
        return fig
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    ax = fig.add_subplot()
    if kind == "fit":
        plot_fit(obj, x=x, ax=ax)
    elif kind == "extrapolation":
        plot_extrapolation(obj, at, x=x, group=group, ax=ax)
    elif kind == "isoflop":
        plot_isoflop(obj, ax=ax)
    elif kind == "frontier":
        plot_frontier(obj, group=group, plan=plan, ax=ax)
    else:
        plot_bench(obj, dataset=dataset, ax=ax)
    return fig


def save_figure(fig, path, *, fmt: str | None = None, dpi: int = 150) -> None:
    """Save a figure without timestamps or version strings, so reruns give identical files.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str, path or binary file object
    fmt : {"png", "svg", "pdf"}, optional
        Format (default: from the extension of ``path``).
    dpi : int
        Resolution of raster output.

    Raises
    ------
    InputError
        For a format other than png, svg or pdf (or none to be found in ``path``), or a
        resolution that is not a positive number.
    """
    import os

    import matplotlib as mpl

    if fmt is None and not isinstance(path, (str, os.PathLike)):
        raise InputError("save_figure: give fmt ('png', 'svg' or 'pdf') to write to a file "
                         "object")
    name = os.fspath(path) if isinstance(path, (str, os.PathLike)) else ""
    ext = (fmt or (name.rsplit(".", 1)[-1] if "." in os.path.basename(name) else "")).lower()
    if ext not in ("png", "svg", "pdf"):
        raise InputError(f"save_figure: format {ext or 'none'!r} for {name or 'the file'}: "
                         "use png, svg or pdf")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise InputError(f"save_figure: dpi must be a positive number, got {dpi!r}")
    meta = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None},
            "pdf": {"CreationDate": None, "Creator": None, "Producer": None}}.get(ext, {})
    with mpl.rc_context({"svg.hashsalt": "scalinglaws"}):
        fig.savefig(path, dpi=dpi, format=ext, metadata=meta)
