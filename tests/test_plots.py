"""Static figures: structural checks of every plot, and the ``plot`` verb.

The checks read the matplotlib artists back: which axes are log-scaled, how many points each
scatter holds and where they are, whether the bands exist exactly when the fit has draws, and
that the lines are the law's own numbers (the compute-optimal line against the closed form
written out here, the IsoFLOP vertex against a noise-free valley with a known minimum).
"""

from __future__ import annotations

import json
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PathCollection, PolyCollection  # noqa: E402

import scalinglaws as sl  # noqa: E402
from scalinglaws.cli._common import dumps  # noqa: E402
from scalinglaws.report import (  # noqa: E402
    compute_optimal,
    isoflop_profiles,
    make_figure,
    plot_bench,
    plot_extrapolation,
    plot_fit,
    plot_frontier,
    plot_isoflop,
    plot_residuals,
    save_figure,
)

from conftest import run_cli, shared_dataset_path  # noqa: E402

TARGET = {"N": 7e10, "D": 1.4e12}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _ax():
    return plt.figure(figsize=(6, 4)).add_subplot()


def _scatters(ax, gid: str) -> list[PathCollection]:
    return [c for c in ax.collections if isinstance(c, PathCollection) and c.get_gid() == gid]


def _points(ax, gid: str) -> np.ndarray:
    cols = _scatters(ax, gid)
    return np.concatenate([c.get_offsets() for c in cols]) if cols else np.empty((0, 2))


def _bands(ax, gid: str) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_gid() == gid]


def _same_points(a: np.ndarray, b: np.ndarray) -> bool:
    key = lambda p: np.lexsort((p[:, 1], p[:, 0]))  # noqa: E731
    return a.shape == b.shape and np.allclose(a[key(a)], b[key(b)], rtol=1e-12)


@pytest.fixture(scope="module")
def grouped_fit():
    """Chinchilla law per IsoFLOP sweep (three groups, shared exponents), 50 bootstrap draws."""
    law = sl.get_law("chinchilla")
    data = sl.load_dataset(shared_dataset_path("isoflops_chinchilla_misfitting"),
                           law_inputs=law.inputs, positive=[*law.inputs, "y"],
                           law_name="chinchilla")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        return sl.Fitter(shared=("alpha", "beta"), bootstrap=50, seed=0).fit(law, data.train())


@pytest.fixture(scope="module")
def power_fit():
    """A one-input law on simulated runs (no N and D: no IsoFLOP or frontier)."""
    law = sl.get_law("power_offset")
    df = sl.simulate(law, {"E": 1.5, "A": 20.0, "alpha": 0.3},
                     {"x": np.geomspace(1e3, 1e6, 12)}, noise=0.005, seed=3)
    data = sl.make_dataset(df, {"x": "x"}, "loss", positive=["x", "loss"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        return sl.Fitter(seed=0).fit(law, data)


# ---------------------------------------------------------------------------------------------
# the runs and the law


def test_fit_plot_is_log_log_with_one_point_per_run(chinchilla_bootstrap):
    res = chinchilla_bootstrap
    ax = plot_fit(res, ax=_ax())
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    pts = _points(ax, "runs")
    assert len(pts) == res.n == 240
    assert _same_points(pts, np.column_stack([res.data["X"]["N"], res.data["y"]]))
    # the law at five values of D, coloured like the runs: each line is the law itself
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == "law"]
    assert len(lines) == 5
    for ln in lines:
        D = float(ln.get_label().split("D = ")[1])
        x, y = ln.get_data()
        np.testing.assert_allclose(y, res.law.predict({"N": x, "D": np.full(len(x), D)},
                                                      res.theta[0]), rtol=1e-12)
    # rings and squares on the flagged runs
    assert len(_points(ax, "outliers")) == len(res.diagnostics["outliers"]) == 6
    high = [o for o in res.diagnostics["influence"] if o["high"]]
    assert len(_points(ax, "influence")) == len(high) > 0


def test_fit_plot_colours_groups(grouped_fit):
    res = grouped_fit
    ax = plot_fit(res, ax=_ax())
    runs = _scatters(ax, "runs")
    assert len(runs) == len(res.groups) == 3
    assert sum(len(c.get_offsets()) for c in runs) == res.n
    assert len([ln for ln in ax.get_lines() if ln.get_gid() == "law"]) == 3


def test_fit_plot_rejects_unknown_input(chinchilla_fit):
    with pytest.raises(sl.InputError, match="not an input"):
        plot_fit(chinchilla_fit, x="tokens", ax=_ax())


# ---------------------------------------------------------------------------------------------
# extrapolation


def test_extrapolation_has_both_bands_with_draws(chinchilla_bootstrap):
    res = chinchilla_bootstrap
    ax = plot_extrapolation(res, TARGET, ax=_ax())
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(_points(ax, "runs")) == res.n
    ci, pi = _bands(ax, "ci_band"), _bands(ax, "pi_band")
    assert len(ci) == 1 and len(pi) == 1
    # the target star sits at the prediction of the fit itself
    star = _points(ax, "target")
    pred = res.predict(TARGET)
    np.testing.assert_allclose(star, [[7e10, pred["prediction"][0]]], rtol=1e-9)
    # the prediction band is wider than the confidence band, which holds the curve
    law = [ln for ln in ax.get_lines() if ln.get_gid() == "law"][0]
    x, y = law.get_data()
    ci_v = ci[0].get_paths()[0].vertices
    pi_v = pi[0].get_paths()[0].vertices
    assert np.ptp(pi_v[:, 1]) > np.ptp(ci_v[:, 1])
    assert ci_v[:, 1].min() <= y.min() and ci_v[:, 1].max() >= y.max()
    # the path keeps the target's tokens per parameter: D/N = 20 all along
    assert "D/N = 20" in law.get_label()
    assert np.isclose(x[-1], 7e10) and np.isclose(x[0], min(res.data["X"]["N"]))


def test_extrapolation_has_no_bands_without_draws(chinchilla_fit):
    ax = plot_extrapolation(chinchilla_fit, TARGET, ax=_ax())
    assert not _bands(ax, "ci_band") and not _bands(ax, "pi_band")
    assert len(_points(ax, "runs")) == chinchilla_fit.n
    assert "no bands" in ax.get_title()


def test_extrapolation_target_below_the_runs_is_refused(chinchilla_fit):
    with pytest.raises(sl.InputError, match="above the smallest run"):
        plot_extrapolation(chinchilla_fit, {"N": 1e6, "D": 1e9}, ax=_ax())
    with pytest.raises(sl.InputError, match="give a value for D"):
        plot_extrapolation(chinchilla_fit, {"N": 1e11}, ax=_ax())


# ---------------------------------------------------------------------------------------------
# residuals


def test_residuals_one_panel_per_input(chinchilla_bootstrap):
    res = chinchilla_bootstrap
    fig = plt.figure()
    axes = fig.subplots(1, 2)
    out = plot_residuals(res, ax=axes)
    assert len(out) == 2
    for a, k in zip(out, ("N", "D")):
        assert a.get_xscale() == "log" and a.get_yscale() == "linear"
        pts = _points(a, "runs")
        assert _same_points(pts, np.column_stack([res.data["X"][k], res.residuals]))
        assert len(_points(a, "outliers")) == len(res.diagnostics["outliers"])
    # outlier rings sit exactly on the residuals the diagnostics name
    rows = np.asarray(res.data["rows"])
    want = sorted(float(res.residuals[rows == o["row"]][0]) for o in res.diagnostics["outliers"])
    assert np.allclose(sorted(_points(out[0], "outliers")[:, 1]), want)


def test_residuals_axes_must_match_inputs(chinchilla_fit):
    with pytest.raises(sl.InputError, match="one Axes per input"):
        plot_residuals(chinchilla_fit, ax=_ax())
    ax = plot_residuals(chinchilla_fit, inputs="D", ax=_ax())
    assert ax.get_xlabel().startswith("D")


# ---------------------------------------------------------------------------------------------
# IsoFLOPs


def test_isoflop_vertex_is_the_minimum_of_a_symmetric_valley():
    """With alpha = beta the IsoFLOP valley is a cosh in log N, symmetric about its minimum
    N* = G (C/6)^(1/2): a parabola through points placed symmetrically finds N* exactly."""
    E, A, B, a = 1.7, 400.0, 1600.0, 0.3
    G = (A / B) ** (1 / (2 * a))
    rows = []
    for C in (1e19, 1e20, 1e21):
        n_opt = G * (C / 6) ** 0.5
        N = n_opt * np.geomspace(0.1, 10, 9)
        D = C / (6 * N)
        rows.append((N, D, E + A / N ** a + B / D ** a, np.full(9, C), n_opt))
    N, D, L, budget = (np.concatenate([r[i] for r in rows]) for i in range(4))
    groups = isoflop_profiles(N, D, L, budget=budget)
    assert [g["C"] for g in groups] == [1e19, 1e20, 1e21]
    for g, r in zip(groups, rows):
        assert g["parabola"] is not None
        assert g["parabola"]["N_opt"] == pytest.approx(r[4], rel=1e-9)
    ax = plot_isoflop(N=N, D=D, loss=L, budget=budget, ax=_ax())
    assert ax.get_xscale() == "log"
    assert len(_points(ax, "runs")) == 27
    assert len(_points(ax, "parabola_min")) == 3


def test_isoflop_of_a_fit_shows_every_run(chinchilla_bootstrap):
    res = chinchilla_bootstrap
    ax = plot_isoflop(res, ax=_ax())
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    pts = _points(ax, "runs")
    assert _same_points(pts, np.column_stack([res.data["X"]["N"], res.data["y"]]))
    groups = isoflop_profiles(res.data["X"]["N"], res.data["X"]["D"], res.data["y"])
    assert len(_points(ax, "parabola_min")) == sum(g["parabola"] is not None for g in groups)
    # the law's minima lie on its own compute-optimal frontier
    mins = _points(ax, "law_min")
    assert len(mins) > 5
    fr = compute_optimal(res, [g["C"] for g in groups if len(g["index"]) >= 3], bands=False)
    np.testing.assert_allclose(np.sort(mins[:, 0]), np.sort(fr["N_opt"]), rtol=1e-9)


def test_isoflop_and_frontier_need_a_law_of_n_and_d(power_fit):
    with pytest.raises(sl.InputError, match="law of the parameter count N"):
        plot_isoflop(power_fit, ax=_ax())
    with pytest.raises(sl.InputError, match="law of the parameter count N"):
        plot_frontier(power_fit, ax=_ax())


# ---------------------------------------------------------------------------------------------
# compute-optimal frontier


def test_frontier_is_the_closed_form_with_bands(chinchilla_bootstrap):
    res = chinchilla_bootstrap
    C = np.geomspace(1e19, 1e25, 13)
    ax = plot_frontier(res, C=C, ax=_ax())
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    p = res.params
    a, b = p["alpha"], p["beta"]
    G = (a * p["A"] / (b * p["B"])) ** (1 / (a + b))  # Hoffmann et al. 2022, appendix D.2
    n_star = G * (C / 6) ** (b / (a + b))
    (n_line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "N_opt"]
    (d_line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "D_opt"]
    np.testing.assert_allclose(n_line.get_ydata(), n_star, rtol=1e-9)
    np.testing.assert_allclose(d_line.get_ydata(), C / (6 * n_star), rtol=1e-9)
    # bands from the refits' own optima, holding the estimate
    assert len(_bands(ax, "N_band")) == 1 and len(_bands(ax, "D_band")) == 1
    fr = compute_optimal(res, C)
    assert np.all(fr["N_low"] < fr["N_opt"]) and np.all(fr["N_opt"] < fr["N_high"])
    draws_n = []
    for th in res.draws[:, 0, :]:
        q = dict(zip(res.law.param_names, th))
        g = (q["alpha"] * q["A"] / (q["beta"] * q["B"])) ** (1 / (q["alpha"] + q["beta"]))
        draws_n.append(g * (C[-1] / 6) ** (q["beta"] / (q["alpha"] + q["beta"])))
    lo, hi = np.percentile(draws_n, [2.5, 97.5])
    assert fr["N_low"][-1] == pytest.approx(lo, rel=1e-6)
    assert fr["N_high"][-1] == pytest.approx(hi, rel=1e-6)


def test_frontier_without_draws_has_no_bands(chinchilla_fit):
    ax = plot_frontier(chinchilla_fit, ax=_ax())
    assert not _bands(ax, "N_band") and not _bands(ax, "D_band")
    assert len(_points(ax, "isoflop_minima")) > 0


@pytest.mark.filterwarnings("ignore:.*outlying run")
def test_frontier_finds_n_and_d_by_the_words_the_planners_use():
    """A law over columns named ``size`` and ``data`` is planned by ``plan``; its frontier is
    drawn, and agrees with the same law over N and D."""
    law = sl.formula_law("E + A/size**alpha + B/data**beta", ["size", "data"],
                         bounds={"alpha": (0, 2), "beta": (0, 2)})
    rng = np.random.default_rng(0)
    size = np.repeat(np.geomspace(1e7, 1e9, 6), 6)
    data = np.tile(np.geomspace(1e9, 1e11, 6), 6)
    loss = (1.7 + 400 / size ** 0.34 + 410 / data ** 0.28) * np.exp(0.003 * rng.standard_normal(36))
    runs = sl.make_dataset(pd.DataFrame({"size": size, "data": data, "loss": loss}),
                           {"size": "size", "data": "data"}, "loss")
    res = sl.Fitter(n_starts=64).fit(law, runs)
    C = np.geomspace(1e19, 1e23, 5)
    fr = compute_optimal(res, C, method="numerical")
    p = res.params
    a, b = p["alpha"], p["beta"]
    G = (a * p["A"] / (b * p["B"])) ** (1 / (a + b))
    np.testing.assert_allclose(fr["N_opt"], G * (C / 6) ** (b / (a + b)), rtol=1e-3)
    assert make_figure(res, "frontier") is not None


def test_numerical_frontier_agrees_with_the_closed_form(chinchilla_fit):
    C = np.geomspace(1e18, 1e26, 9)
    closed = compute_optimal(chinchilla_fit, C, method="closed")
    numeric = compute_optimal(chinchilla_fit, C, method="numerical")
    np.testing.assert_allclose(numeric["N_opt"], closed["N_opt"], rtol=1e-4)


def test_frontier_marks_a_plan(chinchilla_fit):
    plan = {"budget": 5.76e23, "N_opt": 6.3e10, "D_opt": 1.5e12}
    ax = plot_frontier(chinchilla_fit, plan=plan, ax=_ax())
    assert _same_points(_points(ax, "plan"), np.array([[5.76e23, 6.3e10], [5.76e23, 1.5e12]]))


# ---------------------------------------------------------------------------------------------
# bench


BENCH = {
    "results": [
        {"dataset": "d1", "law": "chinchilla", "target": "loss", "status": "ok", "r2": 0.97,
         "nmse": 0.03, "test_points": [{"y": 2.0, "prediction": 2.1, "group": "a"},
                                       {"y": 2.5, "prediction": 2.4, "group": "a"},
                                       {"y": 3.0, "prediction": 3.05, "group": "b"}]},
        {"dataset": "d1", "law": "kaplan", "target": "loss", "status": "ok", "r2": -2.5,
         "extra_key": [1, 2], "predictions": [{"row": 7, "group": None, "y": 2.0,
                                               "prediction": 2.6},
                                              {"row": 9, "group": None, "y": 2.5,
                                               "prediction": 2.9}]},
        {"dataset": "d2", "law": "kaplan", "target": "loss", "status": "failed",
         "reason": "did not converge", "r2": None},
    ],
    "best": {"d1": "chinchilla"},
}


def test_bench_plots_predicted_against_actual():
    ax = plot_bench(BENCH, ax=_ax())
    cols = _scatters(ax, "test_points")
    assert [len(c.get_offsets()) for c in cols] == [3, 2]
    assert _same_points(cols[0].get_offsets(), np.array([[2.0, 2.1], [2.5, 2.4], [3.0, 3.05]]))
    assert _same_points(cols[1].get_offsets(), np.array([[2.0, 2.6], [2.5, 2.9]]))
    assert "d1" in ax.get_title()
    with pytest.raises(sl.InputError, match="no test predictions; rerun bench with "
                                            "--predictions"):
        plot_bench(BENCH, dataset="d2", ax=_ax())
    with pytest.raises(sl.InputError, match=r"'d3' is not in the bench record \(its datasets: "
                                            r"d1, d2\)"):
        plot_bench(BENCH, dataset="d3", ax=_ax())


def test_bench_tells_objectives_apart():
    rows = [{"dataset": "d", "law": "chinchilla", "loss": loss, "target": "y", "status": "ok",
             "r2": r2, "predictions": [{"y": 1.0, "prediction": p}, {"y": 2.0, "prediction": 2.0}]}
            for loss, r2, p in (("huber", 0.9, 1.1), ("l2", 0.8, 1.3))]
    ax = plot_bench({"results": rows}, ax=_ax())
    labels = [c.get_label() for c in _scatters(ax, "test_points")]
    assert labels == ["chinchilla (huber) (R² 0.900)", "chinchilla (l2) (R² 0.800)"]


def test_bench_without_points_draws_metric_bars():
    bench = {"results": [{k: v for k, v in r.items() if k not in ("test_points", "predictions")}
                         for r in BENCH["results"]]}
    ax = plot_bench(bench, ax=_ax())
    heights = sorted(p.get_height() for p in ax.patches)
    assert heights == [-1.0, 0.97]  # R² of -2.5 clipped at -1; the failed run has none
    with pytest.raises(sl.InputError, match="results"):
        plot_bench({"rows": []}, ax=_ax())


# ---------------------------------------------------------------------------------------------
# whole figures and the plot verb


@pytest.mark.parametrize("kind", ["fit", "extrapolation", "residuals", "isoflop", "frontier"])
def test_make_figure_every_kind(chinchilla_bootstrap, kind):
    fig = make_figure(chinchilla_bootstrap, kind, at=TARGET)
    assert fig.axes and all(a.has_data() for a in fig.axes if a.get_label() != "<colorbar>")


def test_make_figure_refuses_wrong_kinds(chinchilla_fit):
    with pytest.raises(sl.InputError, match="choose one of"):
        make_figure(chinchilla_fit, "histogram")
    with pytest.raises(sl.InputError, match="needs a bench record"):
        make_figure(chinchilla_fit, "bench")


def test_saved_figures_are_reproducible(chinchilla_fit, tmp_path):
    for ext in ("png", "svg", "pdf"):
        out = []
        for i in range(2):
            p = tmp_path / f"f{i}.{ext}"
            save_figure(make_figure(chinchilla_fit, "residuals"), str(p))
            out.append(p.read_bytes())
        assert out[0] == out[1], ext


@pytest.fixture(scope="module")
def fit_file(chinchilla_bootstrap, tmp_path_factory):
    path = tmp_path_factory.mktemp("fit") / "fit.json"
    path.write_text(dumps(chinchilla_bootstrap.to_dict()))
    return path


def test_plot_verb_writes_each_format(fit_file, tmp_path):
    for kind, ext, at in (("extrapolation", "png", ["--at", "N=7e10,D=1.4e12"]),
                          ("frontier", "pdf", [])):
        out = tmp_path / f"fig.{ext}"
        r = run_cli("plot", fit_file, "--kind", kind, "-o", out, *at)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes()[:8].startswith({"png": b"\x89PNG", "pdf": b"%PDF"}[ext])


def test_plot_verb_errors_are_one_line(fit_file, tmp_path):
    out = tmp_path / "fig.png"
    r = run_cli("plot", fit_file, "--kind", "fit", "-o", out)
    assert r.returncode == 0, r.stderr
    before = out.read_bytes()
    cases = [
        (("--kind", "fit", "-o", out), "exists; pass --force"),
        (("--kind", "violin", "-o", tmp_path / "a.png"), "--kind 'violin': choose one of"),
        (("--kind", "fit", "-o", tmp_path / "a.jpg"), "extension must be one of .png, .svg, .pdf"),
        # an option the kind does not use is refused, not ignored
        (("--kind", "residuals", "--at", "N=1e12,D=1e13", "-o", tmp_path / "a.png"),
         "--at applies to --kind extrapolation, not residuals"),
        (("--kind", "isoflop", "--input", "D", "-o", tmp_path / "a.png"),
         "--input applies to --kind fit and extrapolation, not isoflop"),
        (("--kind", "fit", "--plan", tmp_path / "p.json", "-o", tmp_path / "a.png"),
         "--plan applies to --kind frontier, not fit"),
        (("--kind", "fit", "--dataset", "x", "-o", tmp_path / "a.png"),
         "--dataset applies to --kind bench, not fit"),
    ]
    for args, msg in cases:
        r = run_cli("plot", fit_file, *args)
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and msg in r.stderr, (args, r.stderr)
    assert out.read_bytes() == before  # not overwritten
    r = run_cli("plot", fit_file, "--kind", "residuals", "-o", out, "--force")
    assert r.returncode == 0 and out.read_bytes() != before


def test_plot_verb_bench_kind(tmp_path):
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(BENCH))
    r = run_cli("plot", bench, "--kind", "bench", "-o", tmp_path / "bench.png")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "bench.png").stat().st_size > 10_000
