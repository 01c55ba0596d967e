"""discover: the grammar, the validation folds, the search and its guarantees, the CLI, Ray."""

from __future__ import annotations

import json
import math
import shlex
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws.data import make_dataset
from scalinglaws.discover import (
    DiscoverSettings,
    Form,
    Term,
    analyse_inputs,
    discover,
    latex,
    load_for_discovery,
    render,
    validation_folds,
)
from scalinglaws.discover._inputs import InputInfo, repeat_pairs
from scalinglaws.laws import FormulaLaw

from conftest import run_cli, shared_dataset_path

TRUE = {"E": 1.8, "A": 400.0, "B": 2000.0, "alpha": 0.34, "beta": 0.37}
SMALL = dict(max_rounds=1, beam=2, promote=2, n_starts=128, report=3)


def chinchilla_frame(seed: int = 1, noise: float = 0.003) -> pd.DataFrame:
    """Runs simulated from the Chinchilla law (Besiroglu et al. 2024 values), the largest model
    size held out as the test split."""
    df = sl.simulate(sl.get_law("chinchilla"), TRUE, {"N": (1e7, 3e9, 7), "D": (1e9, 3e11, 7)},
                     noise=noise, seed=seed)
    df = df.rename(columns={"N": "params", "D": "tokens"})
    df["split"] = np.where(df["params"] >= df["params"].max(), "test", "train")
    return df


def chinchilla_data(df: pd.DataFrame | None = None):
    df = chinchilla_frame() if df is None else df
    return make_dataset(df, {"params": "params", "tokens": "tokens"}, "loss", split="split",
                        name="sim")


@pytest.fixture(scope="module")
def sim_discovery():
    return discover(chinchilla_data(), DiscoverSettings(catalogue=False, **SMALL))


# ---------------------------------------------------------------------------------------------
# grammar


def _infos():
    return (InputInfo("N", "scale", 1e7, 1e10, -0.9, 6), InputInfo("D", "scale", 1e9, 1e12, -0.9, 6),
            InputInfo("U", "scale", 1e8, 1e12, -0.8, 6), InputInfo("lr", "positive", 1e-4, 1e-2, 0.1, 6),
            InputInfo("r", "fraction", 0.0, 1.0, -0.5, 6))


def _values(n=40, seed=3):
    rng = np.random.default_rng(seed)
    U = 10 ** rng.uniform(8, 11, n)
    return {"N": 10 ** rng.uniform(7, 10, n), "D": U * 10 ** rng.uniform(0, 2, n), "U": U,
            "lr": 10 ** rng.uniform(-4, -2, n), "r": rng.uniform(0, 1, n)}


@pytest.mark.parametrize("form", [
    Form((Term("pow", ("N",)), Term("pow", ("D",)))),
    Form((Term("sat", ("N",)), Term("logistic", ("D",)), Term("richards", ("U",)))),
    Form((Term("bpow", ("N",)), Term("inter", ("D", "N")), Term("log", ("U",))), offset=False),
    Form((Term("fpow", ("r",)), Term("flog", ("r",)), Term("flin", ("r",))), link=("r",)),
    Form((Term("pow", ("N",)), Term("bowl", ("lr",), ("D", "N")), Term("bowl", ("U",)),
          Term("cross", ("U", "lr"))), bowls_multiply=True),
    Form((Term("pow", ("N",)), Term("pow", ("D",)), Term("bowl", ("lr",), ("N",))),
         effective=(("D", "U"),), sharing="exponents"),
    Form((Term("pmean", ("D", "N")), Term("abowl", ("lr",), ("D", "N")), Term("nbowl", ("U",)),
          Term("cross", ("U", "lr")))),
    Form((Term("pmean", ("D", "U")), Term("abowl", ("lr",), ("N",))), bowls_multiply=True),
])
def test_rendered_formula_equals_readable_form(form):
    """The fitted (expanded) formula and the readable (factored, with definitions) one are the
    same function, and every amplitude and the offset are linear parameters."""
    infos = _infos()
    r = render(form, infos)
    names = [i.name for i in infos]
    fitted = sl.formula_law(r.formula, names, bounds=r.bounds)
    readable = FormulaLaw(name="readable", formula=r.readable,
                          inputs=tuple(n for n in fitted.inputs), params=fitted.params,
                          definitions=tuple(r.definitions))
    rng = np.random.default_rng(0)
    theta = {}
    for p in fitted.params:
        lo, hi = p.typical_range()
        theta[p.name] = float(rng.uniform(lo, hi)) if p.scale == "linear" else \
            float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    X = _values()
    a = fitted.predict({k: X[k] for k in fitted.inputs}, theta)
    b = readable.predict({k: X[k] for k in fitted.inputs}, theta)
    np.testing.assert_allclose(a, b, rtol=1e-10)
    amplitudes = [p for p in r.params if p == "E" or p.startswith("A")]
    if not form.bowls_multiply:
        amplitudes += [p for p in r.params if p.startswith("C")]
    assert set(amplitudes) <= set(fitted.linear_params)
    assert set(r.shared) <= set(fitted.param_names)
    if form.sharing == "exponents":
        assert r.shared and all(p.startswith(("a", "b", "g", "t")) for p in r.shared)


def test_latex_of_a_formula():
    assert latex("E + A1/params**a1", ["params"]) == r"E + \frac{A_{1}}{\mathrm{params}^{a_{1}}}"
    assert latex("C2*(log(lr) - m2)**2", ["lr"]) == \
        r"C_{2}\,\left(\log\left(\mathrm{lr}\right) - m_{2}\right)^{2}"
    assert latex("A1*(1 + x/s1)**(-alpha)", ["x"]) == \
        r"A_{1}\,\left(1 + \frac{\mathrm{x}}{s_{1}}\right)^{-\alpha}"


# ---------------------------------------------------------------------------------------------
# inputs and folds


def test_input_kinds_from_train_rows():
    rng = np.random.default_rng(0)
    n = 300
    N = 10 ** rng.uniform(7, 9, n)
    lr = 10 ** rng.uniform(-4, -2, n)
    r = rng.uniform(0, 1, n)
    r[:20] = 0.0
    y = 2 + 50 / N ** 0.3 + 0.05 * (np.log(lr) + 6.5) ** 2 - 0.1 * r
    kinds = {i.name: i.kind for i in analyse_inputs({"N": N, "lr": lr, "r": r}, y,
                                                    np.zeros(n, int))}
    assert kinds == {"N": "scale", "lr": "positive", "r": "fraction"}
    forced = analyse_inputs({"N": N, "lr": lr}, y, np.zeros(n, int), scales=("lr",))
    assert [i.kind for i in forced] == ["positive", "scale"]


def test_a_scale_hidden_by_another_input_is_found_with_the_others_held_fixed():
    # model size swept at every samples-seen value, whose effect is ten times larger: over all
    # rows size barely moves the target, but at a fixed samples-seen it always lowers it
    N, S = np.meshgrid(np.array([1, 2, 4, 8, 16]) * 1e7, np.geomspace(1e8, 3.2e9, 6))
    N, S = N.ravel(), S.ravel()
    y = 2 + 0.5 * (N / 1e7) ** -0.3 + 20 * (S / 1e8) ** -0.5
    infos = {i.name: i for i in analyse_inputs({"N": N, "S": S}, y, np.zeros(N.size, int))}
    assert abs(infos["N"].correlation) < 0.4          # the marginal view alone would miss it
    assert infos["N"].series_correlation == pytest.approx(-1.0)
    assert infos["N"].kind == "scale" and infos["S"].kind == "scale"
    # a bowl stays a hyperparameter: a learning rate swept around its optimum at each size
    lr = np.tile(np.geomspace(1e-4, 1e-2, 6), 5)
    M = np.repeat(np.array([1, 2, 4, 8, 16]) * 1e7, 6)
    y2 = 2 + 50 / M ** 0.3 + 0.05 * (np.log(lr) + 6.9) ** 2
    kinds = {i.name: i.kind for i in analyse_inputs({"N": M, "lr": lr}, y2, np.zeros(30, int))}
    assert kinds == {"N": "scale", "lr": "positive"}


def test_repeat_pairs_need_single_epoch_rows():
    infos = (InputInfo("D", "scale", 1, 1, -0.9, 5), InputInfo("U", "scale", 1, 1, -0.9, 5))
    U = np.array([1e8, 1e8, 1e9, 1e9, 1e10])
    assert repeat_pairs(infos, {"D": U * np.array([1, 8, 1, 40, 2]), "U": U}) == [("D", "U")]
    # always at least 5 tokens per parameter: not a repetition of the other input
    assert repeat_pairs(infos, {"D": U * np.array([5, 8, 6, 40, 9]), "U": U}) == []


def test_folds_hold_out_the_largest_scales_and_the_frontier():
    N, D = np.meshgrid([1e7, 1e8, 1e9, 1e10], [1e9, 1e10, 1e11, 1e12], indexing="ij")
    X = {"N": N.ravel(), "D": D.ravel()}
    infos = (InputInfo("N", "scale", 1e7, 1e10, -0.9, 4), InputInfo("D", "scale", 1e9, 1e12, -0.9, 4))
    codes = np.zeros(16, int)
    folds = {f.name: f.held_out for f in validation_folds(X, codes, infos)}
    assert set(folds) == {"largest N", "largest D", "frontier (N, D)"}
    np.testing.assert_array_equal(folds["largest N"], X["N"] == 1e10)
    np.testing.assert_array_equal(folds["largest D"], X["D"] == 1e12)
    np.testing.assert_array_equal(folds["frontier (N, D)"], (X["N"] == 1e10) & (X["D"] == 1e12))
    series = {f.name: f.held_out for f in validation_folds(X, codes, infos, scheme="series")}
    np.testing.assert_array_equal(series["last D of each series"], X["D"] == 1e12)
    # both: the union, each distinct fold once; auto: series only with a hyperparameter input
    both = validation_folds(X, codes, infos, scheme="both")
    assert {f.name for f in both} == {"largest N", "largest D", "frontier (N, D)"}
    assert len(both) == 3  # on a full grid the series folds equal the largest ones
    assert [f.name for f in validation_folds(X, codes, infos, scheme="auto")] == \
        [f.name for f in validation_folds(X, codes, infos, scheme="largest")]
    lr = np.tile([1e-3, 3e-3], 8)
    Xh = {"N": np.repeat(X["N"], 1), "D": X["D"], "lr": lr}
    hyper = infos + (InputInfo("lr", "positive", 1e-3, 3e-3, 0.1, 2),)
    assert [f.name for f in validation_folds(Xh, codes, hyper, scheme="auto")] == \
        [f.name for f in validation_folds(Xh, codes, hyper, scheme="series")]
    assert any(f.name.startswith("last") for f in validation_folds(Xh, codes, hyper,
                                                                    scheme="auto"))
    # without scales: a K-fold that covers every row exactly once
    mix = (InputInfo("r1", "fraction", 0, 1, 0, 9), InputInfo("r2", "fraction", 0, 1, 0, 9))
    w = np.linspace(0, 1, 10)
    kf = validation_folds({"r1": w, "r2": 1 - w}, np.zeros(10, int), mix, kfold=5, seed=0)
    assert len(kf) == 5
    np.testing.assert_array_equal(np.sum([f.held_out for f in kf], axis=0), np.ones(10))


# ---------------------------------------------------------------------------------------------
# the search


def test_recovers_the_simulating_law(sim_discovery):
    """On runs simulated from E + A/N**alpha + B/D**beta, the search (without the catalogue)
    selects exactly that form and extrapolates to the held-out largest model size."""
    sel = sim_discovery.selected
    assert sel.key == "E + pow(params) + pow(tokens)"
    assert sel.n_params == 5
    assert sim_discovery.extrapolates
    assert sel.validation_score > 0.999
    assert sel.test_r2 > 0.999
    p = sel.params
    assert p["a1"] == pytest.approx(TRUE["alpha"], abs=0.03)
    assert p["a2"] == pytest.approx(TRUE["beta"], abs=0.03)
    assert p["E"] == pytest.approx(TRUE["E"], abs=0.05)


def test_test_split_values_cannot_change_the_selection(sim_discovery):
    """Replacing every test-split target by garbage changes the test scores only: the same forms
    are evaluated, with the same validation scores, in the same order."""
    df = chinchilla_frame()
    rng = np.random.default_rng(7)
    test = df["split"] == "test"
    df.loc[test, "loss"] = df.loc[test, "loss"] * rng.uniform(0.5, 3.0, int(test.sum()))
    other = discover(chinchilla_data(df), DiscoverSettings(catalogue=False, **SMALL))
    a, b = sim_discovery.to_dict(), other.to_dict()
    assert [c["formula"] for c in a["candidates"]] == [c["formula"] for c in b["candidates"]]
    assert [c["validation"] for c in a["candidates"]] == [c["validation"] for c in b["candidates"]]
    assert a["selected"]["formula"] == b["selected"]["formula"]
    assert a["selected"]["params"] == b["selected"]["params"]
    assert a["selected"]["test_r2"] > 0.999 > b["selected"]["test_r2"]


def test_real_test_split_cannot_change_the_selection():
    """The same guarantee on real data (SLDBench fine-tuning, 6 of its 42 curves): the test
    losses shuffled across rows and scaled leave the search and its selection unchanged."""
    (data,) = load_for_discovery(shared_dataset_path("sldbench_sft_rectified"))
    groups = np.asarray(data.group).astype(str)
    data = data.subset(np.isin(groups, sorted(set(groups))[:6]))
    settings = DiscoverSettings(catalogue=False, max_rounds=1, beam=1, promote=1, n_starts=64,
                                report=2, max_screened=6)
    a = discover(data, settings).to_dict()
    test = np.asarray(data.split) == "test"
    y = np.asarray(data.y, float).copy()
    y[test] = np.random.default_rng(3).permutation(y[test]) * 1.5
    b = discover(replace(data, y=y), settings).to_dict()
    assert [c["formula"] for c in a["candidates"]] == [c["formula"] for c in b["candidates"]]
    assert [c["validation"] for c in a["candidates"]] == [c["validation"] for c in b["candidates"]]
    assert a["selected"]["params"] == b["selected"]["params"]
    assert a["selected"]["test_r2"] > 0.9 > b["selected"]["test_r2"]


def test_screening_limit_is_deterministic_and_reported():
    settings = DiscoverSettings(catalogue=False, max_rounds=3, beam=2, promote=1, n_starts=64,
                                report=2, max_screened=7)
    res = discover(chinchilla_data(), settings)
    assert res.search["screened"] == 7 and res.search["stopped_by_limit"]
    assert "stopped by the screening limit" in res.summary()
    assert discover(chinchilla_data(), settings).to_dict() == res.to_dict()


def test_the_ranking_defines_the_quantities_its_laws_use(sim_discovery):
    """An effective quantity used by a listed law (not only the selected one) is defined under
    the ranking; a catalogue law's inputs read from other columns are named."""
    first, second, *rest = [c for c in sim_discovery.candidates if c.rank > 0]
    second = replace(second, readable="E + A/params**a + B/D_eff**b",
                     definitions=(("D_eff", "tokens*2"),))
    third = replace(rest[0], catalogue="chinchilla", readable="E + A/N**alpha + B/D**beta",
                    inputs={"N": "params", "D": "tokens"})
    text = replace(sim_discovery, candidates=(first, second, third)).summary(top=3)
    assert "where D_eff = tokens*2" in text
    assert "[chinchilla] E + A/N**alpha + B/D**beta   (N = params, D = tokens)" in text


def test_deterministic_for_a_seed(sim_discovery):
    again = discover(chinchilla_data(), DiscoverSettings(catalogue=False, **SMALL))
    assert again.to_dict() == sim_discovery.to_dict()


def test_catalogue_seeds_and_json_record():
    res = discover(chinchilla_data(), DiscoverSettings(**SMALL))
    d = res.to_dict()
    for key in ("dataset", "selected", "candidates"):
        assert key in d
    for key in ("formula", "n_params", "validation_score", "test_r2"):
        assert key in d["selected"]
    assert any(c["origin"] == "catalogue" and c["key"] == "catalogue:chinchilla"
               for c in d["candidates"])
    json.dumps(d)  # JSON-ready


def test_validation_fits_stopped_at_the_iteration_limit_are_reported(sim_discovery):
    """Where a candidate's validation fits stop at the solver's iteration limit, its score may
    move with the seed: the record counts those fits and the text says so."""
    assert all(c.limited == 0 for c in sim_discovery.candidates)  # converged: nothing to say
    assert "iteration limit" not in sim_discovery.summary(5)
    # the full validation fits get 2 iterations (the screening fits keep their own 80)
    res = discover(chinchilla_data(), DiscoverSettings(catalogue=False, max_iter=2, **SMALL))
    assert res.settings["max_iter"] == 2
    n_folds = len(res.folds)
    limited = [c for c in res.candidates if c.rank and c.limited]
    assert limited and all(0 < c.limited <= n_folds or c.origin == "stack" for c in limited)
    record = res.to_dict()
    assert record["candidates"][0]["validation_fits_at_iteration_limit"] == \
        res.candidates[0].limited
    ranks = ", ".join(str(c.rank) for c in res.candidates[:res._shown(5)] if c.rank and c.limited)
    assert (f"note      the validation fits of law(s) {ranks} stopped at the solver's "
            "iteration limit in some folds: their scores may move with --seed (a larger "
            "--max-iter lets them converge)") in res.summary(5)
    assert "--max-iter 2" in res.fit_command()  # refitted as the search fitted it


def test_says_when_no_law_extrapolates():
    """A target that is noise around a constant: nothing extrapolates, and the verdict says so."""
    rng = np.random.default_rng(0)
    df = chinchilla_frame()
    df["loss"] = 3.0 * np.exp(0.05 * rng.standard_normal(len(df)))
    res = discover(chinchilla_data(df), DiscoverSettings(catalogue=False, **SMALL))
    assert not res.extrapolates
    assert res.verdict.startswith("NO LAW EXTRAPOLATES WELL")
    assert res.selected.validation_score < 0.8
    text = res.summary(5)
    assert "\nselected " not in text       # the best-ranked law is not called a selection
    assert f"\nbest      {res.selected.readable}\n" in text
    assert "not validated for extrapolation" in text
    record = res.to_dict()
    assert record["extrapolates"] is False and record["selected"]["extrapolates"] is False


def test_noise_around_group_levels_is_not_a_discovery():
    """Ten groups whose target is noise around a different level per group, unrelated to x:
    per-group parameters reproduce the levels and the pooled validation R² is high (0.99), but
    the law does no better than each group's mean, and the verdict says so. The same groups
    with a real trend in x are a discovery."""
    rng = np.random.default_rng(1)
    g = np.repeat(np.arange(10), 12)
    x = np.tile(np.geomspace(1e3, 1e8, 12), 10)
    level = 2.0 + g
    noise = make_dataset(pd.DataFrame({"x": x, "g": g, "y": level + rng.normal(0, 0.3, g.size)}),
                         {"x": "x"}, "y", group="g", name="noise")
    res = discover(noise, DiscoverSettings(catalogue=False, scales=("x",), **SMALL))
    assert res.selected.validation_score > 0.9  # the levels alone score this
    assert not res.extrapolates
    assert res.verdict.startswith("NO LAW EXTRAPOLATES WELL") and "group's mean" in res.verdict
    assert res.search["baseline"]["error_ratio"] > 0.5
    trend = make_dataset(pd.DataFrame({"x": x, "g": g, "y": level + 30 * x ** -0.3
                                       * np.exp(rng.normal(0, 0.003, g.size))}),
                         {"x": "x"}, "y", group="g", name="trend")
    res = discover(trend, DiscoverSettings(catalogue=False, scales=("x",), **SMALL))
    assert res.extrapolates and res.verdict.startswith("found")
    assert res.search["baseline"]["error_ratio"] < 0.1


def test_the_search_does_not_depend_on_the_unit_of_the_target():
    """The same runs with the target in units of 1e-12 select the same law with the same
    scores (the fits used to stop at the fitter's amplitude floor, and another law won). The
    searched forms are linear in their amplitudes; a catalogue law that is not (m4) is fitted
    in the target's own unit, so the catalogue is left out here."""
    rng = np.random.default_rng(2)
    x = np.geomspace(1e3, 1e8, 24)
    y = (1.7 + 50 * x ** -0.3) * np.exp(rng.normal(0, 0.003, x.size))
    results = []
    for s in (1.0, 1e-12):
        data = make_dataset(pd.DataFrame({"x": x, "y": s * y}), {"x": "x"}, "y", name="unit")
        results.append(discover(data, DiscoverSettings(scales=("x",), catalogue=False,
                                                       **SMALL)))
    ref, res = results
    assert res.selected.formula == ref.selected.formula
    for a, b in zip(res.candidates[:3], ref.candidates[:3]):
        assert a.formula == b.formula
        assert a.validation_score == pytest.approx(b.validation_score, abs=1e-7)


def test_unseen_dataset_with_few_runs_is_not_called_a_discovery():
    """bnsl_4digit_addition (an unseen dataset: 14 train runs along one scale, a sharp break
    after them): the validation holds out 4 points, too few to judge, and the verdict says so
    instead of presenting the best-validated law as a discovery."""
    (data,) = load_for_discovery(shared_dataset_path("bnsl_4digit_addition"))
    res = discover(data, DiscoverSettings(**SMALL))
    assert res.n_train == 14 and res.n_test == 3
    assert not res.extrapolates
    assert res.verdict.startswith("NOT ENOUGH DATA TO TELL")
    assert res.search["probe_spread"] > 0.5  # the best laws disagree beyond the data


def test_verdict_when_good_laws_disagree_beyond_the_data(sim_discovery):
    """Laws that validate well but disagree by more than max_spread at twice the largest scales
    are not a discovery; agreeing ones are."""
    from scalinglaws.discover._search import _verdict

    sel = sim_discovery.selected
    ok, text = _verdict(sel, [], "r2", 0.2, 20, 0.3, 0.1)
    assert not ok and text.startswith("NOT DETERMINED BY THE DATA") and "30%" in text
    ok, text = _verdict(sel, [], "r2", 0.2, 20, 0.01, 0.1)
    assert ok and text.startswith("found")


def test_a_law_that_predicts_a_plateau_within_its_noise_is_found():
    """An accuracy that saturates: the rows held out at the largest scales sit on the plateau
    and vary by little more than their noise, so every law's validation R² is near or below 0,
    the true law's too. The verdict judges the held-out error against the fit's own noise
    instead (it used to say NO LAW EXTRAPOLATES WELL). Noise around a constant stays refused."""
    rng = np.random.default_rng(0)
    x = np.geomspace(1e6, 1e10, 24)
    y = 0.25 + 0.7 / (1 + (x / 1e8) ** -2.0) + rng.normal(0, 0.005, x.size)
    data = make_dataset(pd.DataFrame({"x": x, "acc": y}), {"x": "x"}, "acc", name="plateau")
    wider = {**SMALL, "max_rounds": 2, "beam": 3, "promote": 3}  # SMALL's 3 best disagree
    res = discover(data, DiscoverSettings(catalogue=False, scales=("x",), **wider))
    noise = res.search["noise"]
    assert res.selected.validation_score < 0.8
    assert res.extrapolates and res.verdict.startswith("found, within the noise")
    assert noise["worst_ratio"] == max(noise["ratio"], noise["ratio_log"]) <= 2.0
    assert noise["fit_r2"] >= 0.99
    assert noise["fit_rmse"] == pytest.approx(0.005, rel=0.5)  # the simulated noise
    assert res.search["baseline"]["error_ratio"] < 0.01


def test_verdict_within_the_noise_needs_a_good_fit_and_a_small_ratio(sim_discovery):
    from scalinglaws.discover._search import _verdict

    sel = replace(sim_discovery.selected, validation_score=0.1)
    base = {"validation_score": -50.0, "error_ratio": 0.01}
    good = {"held_rmse": 0.006, "fit_rmse": 0.005, "fit_r2": 0.999, "ratio": 1.2,
            "held_rmse_log": 0.003, "fit_rmse_log": 0.005, "ratio_log": 0.6, "worst_ratio": 1.2}
    ok, text = _verdict(sel, [], "r2", 0.2, 20, 0.01, 0.1, base, False, good)
    assert ok and text.startswith("found, within the noise") and "1.20 times" in text
    # noise proportional to the level must not excuse large relative errors, nor the reverse
    for bad in ({**good, "ratio_log": 3.0, "worst_ratio": 3.0}, {**good, "fit_r2": 0.95}):
        ok, text = _verdict(sel, [], "r2", 0.2, 20, 0.01, 0.1, base, False, bad)
        assert not ok and text.startswith("NO LAW EXTRAPOLATES WELL")
    ok, _ = _verdict(sel, [], "r2", 0.2, 20, 0.01, 0.1, {**base, "error_ratio": 0.7}, False,
                     good)
    assert not ok
    ok, text = _verdict(sel, [], "r2", 0.2, 20, 0.3, 0.1, base, False, good)
    assert not ok


@pytest.mark.filterwarnings("ignore:the split labels no row 'test'")  # its 4 runs are train
def test_says_when_there_is_too_little_data_to_tell():
    """Four runs along one scale leave one point to validate on: not enough to judge."""
    df = chinchilla_frame().iloc[::7].iloc[:4].copy()  # four model sizes, one token count
    df["split"] = "train"
    res = discover(chinchilla_data(df), DiscoverSettings(catalogue=False, **SMALL))
    assert [f["held_out"] for f in res.folds] == [1]
    assert not res.extrapolates
    assert res.verdict.startswith("NOT ENOUGH DATA TO TELL")


def test_settings_are_checked():
    with pytest.raises(sl.InputError, match="metric"):
        DiscoverSettings(metric="mape")
    with pytest.raises(sl.InputError, match="validation scheme"):
        DiscoverSettings(folds="random")
    with pytest.raises(sl.InputError, match="max-iter must be at least 1"):
        DiscoverSettings(max_iter=0)
    with pytest.raises(sl.InputError, match="max-iter must be a whole number"):
        DiscoverSettings(max_iter=2.5)
    with pytest.raises(sl.InputError, match="too few"):
        discover(chinchilla_data().subset(np.arange(3)), DiscoverSettings(**SMALL))


# ---------------------------------------------------------------------------------------------
# CLI


@pytest.fixture(scope="module")
def sim_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim")
    chinchilla_frame().to_csv(folder / "data.csv", index=False)
    (folder / "dataset.toml").write_text(
        'name = "sim"\ndescription = "simulated Chinchilla runs"\n'
        'inputs = ["params", "tokens"]\ntarget = "loss"\nsplit = "split"\n')
    return folder


def test_cli_json_save_fit_and_predict(sim_folder, tmp_path):
    fit = tmp_path / "fit.json"
    law = tmp_path / "law.json"
    out = run_cli("discover", sim_folder, "--max-rounds", "1", "--beam", "2", "--starts", "128",
                  "--jobs", "1", "--no-catalogue", "--format", "json", "--save-fit", fit,
                  "--save-law", law, "-q")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["dataset"] == "sim" and d["extrapolates"] is True
    assert d["selected"]["formula"] == "E + A1/params**a1 + A2/tokens**a2"
    assert d["selected"]["test_r2"] > 0.999
    rec = json.loads(law.read_text())
    assert rec["kind"] == "formula" and rec["formula"] == d["selected"]["formula"]
    pred = run_cli("predict", fit, "--at", "params=3e9,tokens=3e11", "--format", "json")
    assert pred.returncode == 0, pred.stderr
    value = json.loads(pred.stdout)["predictions"][0]["prediction"]
    truth = TRUE["E"] + TRUE["A"] / 3e9 ** TRUE["alpha"] + TRUE["B"] / 3e11 ** TRUE["beta"]
    assert value == pytest.approx(truth, rel=0.01)
    # the printed fit command reproduces the saved fit, and so does fit --law law.json
    command = shlex.split(d["selected"]["fit_command"])
    assert command[:5] == ["scalinglaws", "fit", str(sim_folder), "--target", "loss"]
    saved = json.loads(fit.read_text())
    for args in (command[1:], ["fit", sim_folder, "--law", law, "--starts", "128"]):
        again = run_cli(*args, "--format", "json")
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["params"] == pytest.approx(saved["params"], rel=1e-6)
    # existing files are kept without --force
    keep = run_cli("discover", sim_folder, "--max-rounds", "0", "--save-fit", fit, "-q")
    assert keep.returncode == 2 and "exists" in keep.stderr and "Traceback" not in keep.stderr


def test_cli_fit_command_keeps_groups_split_and_space(tmp_path):
    """The printed ``fit`` command and ``fit --law law.json`` refit the saved fit of a search
    over a CSV read with --group and --split, with a negative target (raw space)."""
    rng = np.random.default_rng(2)
    x = np.tile(np.geomspace(1e3, 1e6, 10), 2)
    g = np.repeat(["a", "b"], 10)
    y = -(np.where(g == "a", 2.0, 3.0) + 50.0 * x ** -0.3) * (1 + 0.002 * rng.standard_normal(20))
    part = np.where(np.tile(np.arange(10), 2) >= 8, "test", "train")
    pd.DataFrame({"x": x, "g": g, "y": y, "part": part}).to_csv(tmp_path / "runs.csv",
                                                                 index=False)
    fit, law = tmp_path / "fit.json", tmp_path / "law.json"
    out = run_cli("discover", tmp_path / "runs.csv", "--inputs", "x", "--target", "y", "--group",
                  "g", "--split", "part", "--max-rounds", "0", "--no-catalogue", "--starts", "64",
                  "--max-iter", "500", "--jobs", "1", "--format", "json", "--save-fit", fit,
                  "--save-law", law, "-q")
    assert out.returncode == 0, out.stderr
    command = shlex.split(json.loads(out.stdout)["selected"]["fit_command"])
    for option in (["--group", "g"], ["--split", "part"], ["--space", "raw"],
                   ["--starts", "64"], ["--max-iter", "500"]):
        assert " ".join(option) in " ".join(command)
    saved = json.loads(fit.read_text())
    assert saved["provenance"]["fitter"]["max_iter"] == 500
    assert saved["n"] == 16 and set(saved["params"]) == {"a", "b"}
    for args in (command[1:], ["fit", tmp_path / "runs.csv", "--law", law, "--target", "y",
                               "--group", "g", "--split", "part", "--space", "raw", "--starts",
                               "64"],
                 # the saved files say how the search read the data: those are the defaults
                 ["fit", tmp_path / "runs.csv", "--law", law, "--starts", "64"],
                 ["fit", tmp_path / "runs.csv", "--law", fit, "--starts", "64"]):
        again = run_cli(*args, "--format", "json", "-q")
        assert again.returncode == 0, again.stderr
        record = json.loads(again.stdout)
        assert record["n"] == 16
        for group, params in saved["params"].items():
            assert record["params"][group] == pytest.approx(params, rel=1e-6)


def test_a_split_left_without_test_rows_is_said(tmp_path):
    """isoflops_chinchilla_misfitting: every row of its suggested test split is flagged as an
    outlier, so drop_where_true leaves no test row; the search says so instead of giving no
    test score without a word."""
    rng = np.random.default_rng(5)
    x = np.geomspace(1e3, 1e8, 20)
    y = (1.7 + 50 * x ** -0.3) * np.exp(rng.normal(0, 0.003, x.size))
    frame = pd.DataFrame({"x": x, "y": y, "split": ["train"] * 16 + ["test"] * 4,
                          "bad": [False] * 16 + [True] * 4})
    frame.to_csv(tmp_path / "data.csv", index=False)
    (tmp_path / "dataset.toml").write_text('name = "t"\ndescription = "t"\ninputs = ["x"]\n'
                                           'target = "y"\nsplit = "split"\n'
                                           'drop_where_true = "bad"\n')
    out = run_cli("discover", tmp_path, "--max-rounds", "0", "--no-catalogue", "--starts", "64",
                  "--jobs", "1", "--format", "json")
    assert out.returncode == 0, out.stderr
    assert "the split labels no row 'test' after 4 row(s) were excluded" in out.stderr
    assert json.loads(out.stdout)["n_test"] == 0


def test_formula_names_for_columns_that_cannot_be_names():
    from scalinglaws.discover import formula_names

    assert formula_names(["model size", "n-params", "log", "2x", "_a", "tokens", "tokens!"],
                         reserved=["loss"]) == {
        "model_size": "model size", "n_params": "n-params", "log_": "log", "x_2x": "2x",
        "x_a": "_a", "tokens": "tokens", "tokens_": "tokens!"}
    assert formula_names(["a b"], reserved=["a_b"]) == {"a_b_": "a b"}


def test_cli_columns_that_cannot_be_formula_names_are_mapped(tmp_path):
    """A folder whose input columns are named 'model size' and 'log' (refused before, "rename
    the column"): the formulas use model_size and log_, the record says which column each
    reads, --scale takes the column, and the printed fit command reads the same columns."""
    rng = np.random.default_rng(4)
    n = np.repeat(np.geomspace(1e7, 1e9, 5), 4)
    d = np.tile(np.geomspace(1e9, 1e11, 4), 5)
    loss = (1.8 + 400 * n ** -0.34 + 900 * d ** -0.28) * np.exp(rng.normal(0, 0.002, 20))
    pd.DataFrame({"model size": n, "log": d, "val loss": loss}).to_csv(tmp_path / "runs.csv",
                                                                        index=False)
    out = run_cli("discover", tmp_path / "runs.csv", "--inputs", "model size,log", "--target",
                  "val loss", "--scale", "model size,log", "--max-rounds", "0", "--no-catalogue",
                  "--starts", "64", "--jobs", "1", "--format", "json", "--save-fit",
                  tmp_path / "fit.json", "-q")
    assert out.returncode == 0, out.stderr
    rec = json.loads(out.stdout)
    assert [(i["name"], i["column"], i["kind"]) for i in rec["inputs"]] == [
        ("model_size", "model size", "scale"), ("log_", "log", "scale")]
    sel = rec["selected"]
    assert sel["law"]["columns"] == {"model_size": "model size", "log_": "log"}
    assert "model_size" in sel["formula"] and "log_" in sel["formula"]
    command = shlex.split(sel["fit_command"])
    assert "model_size=model size" in command and "log_=log" in command
    again = run_cli(*command[1:], "--format", "json", "-q")
    assert again.returncode == 0, again.stderr
    saved = json.loads((tmp_path / "fit.json").read_text())
    assert json.loads(again.stdout)["params"] == pytest.approx(saved["params"], rel=1e-6)
    bad = run_cli("discover", tmp_path / "runs.csv", "--inputs", "model size,log", "--target",
                  "val loss", "--scale", "model_size", "-q")
    assert bad.returncode == 2 and "--scale model_size: not an input column" in bad.stderr


def test_cli_saving_a_law_that_does_not_extrapolate_warns(tmp_path):
    rng = np.random.default_rng(0)
    df = chinchilla_frame()
    df["loss"] = 3.0 * np.exp(0.05 * rng.standard_normal(len(df)))
    df.to_csv(tmp_path / "noise.csv", index=False)
    out = run_cli("discover", tmp_path / "noise.csv", "--inputs", "params,tokens", "--target",
                  "loss", "--split", "split", "--max-rounds", "0", "--starts", "64", "--jobs",
                  "1", "--no-catalogue", "--save-law", tmp_path / "law.json", "-q")
    assert out.returncode == 0, out.stderr
    assert "NO LAW EXTRAPOLATES WELL" in out.stdout and "\nbest      " in out.stdout
    assert "warning: NO LAW EXTRAPOLATES WELL: the saved law is the best-ranked one, not " \
           "validated for extrapolation" in out.stderr
    assert (tmp_path / "law.json").is_file()


# ---------------------------------------------------------------------------------------------
# stacking


def test_stack_weights_recover_a_known_mixture():
    from scalinglaws.discover._stack import stack_weights
    x = np.linspace(1.0, 3.0, 40)
    P = np.vstack([x, x ** 2, np.sin(5 * x) + 4])
    w = stack_weights(P, 0.3 * P[0] + 0.7 * P[1])
    assert w == pytest.approx([0.3, 0.7, 0.0], abs=1e-6)
    # relative errors (scale = y) give the same exact mixture
    assert stack_weights(P, 0.3 * P[0] + 0.7 * P[1], scale=0.3 * P[0] + 0.7 * P[1]) == \
        pytest.approx([0.3, 0.7, 0.0], abs=1e-6)
    # weights stay convex when the best unconstrained mix is not
    y = 2.0 * P[0]
    w = stack_weights(P[:2], y)
    assert np.all(w >= 0) and w.sum() == pytest.approx(1.0)
    grid = np.linspace(0, 1, 100001)
    sse = [np.sum((t * P[0] + (1 - t) * P[1] - y) ** 2) for t in grid]
    assert w[0] == pytest.approx(grid[int(np.argmin(sse))], abs=1e-4)


def test_cross_validated_stack_predicts_each_fold_from_the_others():
    from scalinglaws.discover._stack import cross_validated, stack_weights
    rng = np.random.default_rng(0)
    P = rng.uniform(1, 2, size=(3, 30))
    y = P.mean(axis=0) + 0.05 * rng.standard_normal(30)
    fold = np.repeat([0, 1, 2], 10)
    cv = cross_validated(P, y, fold)
    for f in range(3):
        m = fold == f
        assert cv[m] == pytest.approx(stack_weights(P[:, ~m], y[~m]) @ P[:, m])


def test_rename_replaces_whole_parameter_names_only():
    from scalinglaws.discover._stack import rename
    text = "a + a1*x**(-a) + alpha*1e1 + exp(a*tokens_a)"
    assert rename(text, {"a": "a_2", "a1": "a1_2"}) == \
        "a_2 + a1_2*x**(-a_2) + alpha*1e1 + exp(a_2*tokens_a)"


def test_group_errors_and_sign_test():
    from scalinglaws.discover._stack import group_errors, sign_test
    y = np.array([1.0, 2.0, 4.0, 4.0, 1.0])
    pred = np.array([1.1, 2.0, 4.0, 5.0, 1.0])
    g = np.array([0, 0, 2, 2, 2])
    assert group_errors(pred, y, g) == pytest.approx([np.sqrt(0.01 / 2), np.sqrt(1 / 3)])
    assert group_errors(pred, y, g, scale=y) == pytest.approx([np.sqrt(0.01 / 2),
                                                               np.sqrt(1 / 48)])
    # 5 wins of 5: 1/32; 52 wins of 92 (ties ignored): the binomial tail, 0.1257
    assert sign_test(np.zeros(5), np.ones(5)) == (5, 0, pytest.approx(1 / 32))
    a = np.r_[np.zeros(52), np.ones(40), 0.5]
    b = np.r_[np.ones(52), np.zeros(40), 0.5]
    wins, losses, p = sign_test(a, b)
    assert (wins, losses) == (52, 40)
    assert p == pytest.approx(0.12566, abs=1e-5)
    assert sign_test(np.ones(3), np.ones(3))[2] == 1.0


def test_fitter_at_reproduces_a_fit():
    data = chinchilla_data().train()
    law = sl.formula_law("E + A/params**alpha + B/tokens**beta", ["params", "tokens"])
    fitter = sl.Fitter(n_starts=128)
    res = fitter.fit(law, data)
    again = fitter.at(law, data, res.params)
    assert again.objective == pytest.approx(res.objective, rel=1e-9)
    assert again.params == pytest.approx(res.params)
    X = {k: np.asarray(v, float) for k, v in data.X.items()}
    assert np.asarray(again.predict(X)["prediction"]) == \
        pytest.approx(np.asarray(res.predict(X)["prediction"]))
    with pytest.raises(sl.InputError, match="alpha"):
        fitter.at(law, data, {k: v for k, v in res.params.items() if k != "alpha"})


def test_a_stack_is_selected_only_when_it_validates_better():
    """On chinchilla_epoch_svg (real data), a small search selects a weighted average of its
    best laws: its leave-one-fold-out validation beats every single law, its formula is a formula
    law of the components with renamed parameters, and its predictions are a convex mixture of
    theirs. Without stacking the best single law is selected."""
    (data,) = load_for_discovery(shared_dataset_path("chinchilla_epoch_svg"))
    settings = DiscoverSettings(catalogue=False, max_rounds=1, beam=2, promote=2, n_starts=64,
                                report=5)
    res = discover(data, settings)
    sel = res.selected
    assert sel.origin == "stack" and sel.rank == 1
    singles = [c for c in res.candidates if c.rank > 1]
    assert sel.validation_score > max(c.validation_score for c in singles)
    ranks = [int(r) for r in sel.key.split("laws ")[1].split(", ")]
    assert len(ranks) >= 2
    law = sl.formula_law(sel.formula, list(sel.inputs))
    assert law.n_params == sel.n_params == sum(singles[r - 2].n_params for r in ranks)
    X = {k: np.asarray(v, float) for k, v in data.train().X.items()}
    p_stack = law.predict(X, sel.params)
    parts = []
    for r in ranks:
        c = singles[r - 2]
        assert c.rank == r
        assert {f"{k}_{r}" for k in c.params} <= set(sel.params)
        parts.append(sl.formula_law(c.formula, list(c.inputs)).predict(X, c.params))
    parts = np.vstack(parts)
    assert np.all(p_stack >= parts.min(axis=0) - 1e-9)
    assert np.all(p_stack <= parts.max(axis=0) + 1e-9)
    assert res.fit is not None and res.fit.law.formula == sel.formula
    assert res.stack["selected"] is True and res.stack["laws"] == ranks
    assert sum(res.stack["weights"]) == pytest.approx(1.0)
    assert res.stack["validation_score"] == pytest.approx(sel.validation_score)
    plain = discover(data, replace(settings, stack=False))
    assert plain.stack is None
    assert plain.selected.origin == "grammar"
    assert plain.selected.formula == singles[0].formula
    assert "weighted average of the laws" in res.summary()


def test_a_grouped_stack_needs_most_groups():
    """On sldbench_domain_mixture (4 groups of mixtures), a small search's stack validates
    better pooled, but 4 groups cannot pass the sign test: the single law is selected and the
    result says why the stack was not."""
    from scipy.stats import binom
    (data, *_) = load_for_discovery(shared_dataset_path("sldbench_domain_mixture"))
    settings = DiscoverSettings(catalogue=False, max_rounds=1, beam=2, promote=2, n_starts=64,
                                report=5, jobs=1)
    res = discover(data, settings)
    st = res.stack
    assert res.selected.origin == "grammar" and res.selected.rank == 1
    assert st is not None and st["selected"] is False
    assert st["validation_score"] > st["best_single_validation"] == \
        pytest.approx(res.selected.validation_score)
    g = st["groups"]
    assert 0 < g["better"] + g["worse"] <= 4
    assert g["p"] == pytest.approx(binom.sf(g["better"] - 1, g["better"] + g["worse"], 0.5))
    assert g["p"] >= 1 / 16 > g["level"]
    assert sum(st["weights"]) == pytest.approx(1.0) and len(st["laws"]) >= 2
    text = res.summary(5)
    assert "stack     not selected: the weighted average of the laws" in text
    assert "sign test" in text
    assert res.to_dict()["stack"]["groups"] == g
    # at level 1 the group test is dropped: the same stack, which validates better pooled, wins
    loose = discover(data, replace(settings, stack_group_level=1.0))
    assert loose.selected.origin == "stack" and loose.selected.rank == 1
    assert loose.stack["selected"] is True and loose.stack["groups"]["level"] == 1.0
    # the same laws (their final ranks move down by one below the stack), the same weights
    assert [r - 1 for r in loose.stack["laws"]] == st["laws"]
    assert loose.stack["weights"] == st["weights"]
    assert loose.selected.validation_score == pytest.approx(st["validation_score"])
    assert loose.settings["stack_group_level"] == 1.0
    with pytest.raises(sl.InputError, match="stack-group-level"):
        DiscoverSettings(stack_group_level=0.0)


def test_cli_saves_a_selected_stack_for_predict(tmp_path):
    folder = shared_dataset_path("chinchilla_epoch_svg")
    fit = tmp_path / "fit.json"
    out = run_cli("discover", folder, "--max-rounds", "1", "--beam", "2", "--starts", "64",
                  "--top", "5", "--no-catalogue", "--jobs", "1", "--format", "json",
                  "--save-fit", fit, "-q")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["candidates"][0]["origin"] == "stack"
    assert d["selected"]["formula"] == d["candidates"][0]["formula"]
    pred = run_cli("predict", fit, "--at", "params=7e10,tokens=1.4e12", "--format", "json")
    assert pred.returncode == 0, pred.stderr
    value = json.loads(pred.stdout)["predictions"][0]["prediction"]
    law = sl.formula_law(d["selected"]["formula"], ["params", "tokens"])
    assert value == pytest.approx(float(law.predict({"params": np.array([7e10]),
                                                     "tokens": np.array([1.4e12])},
                                                    d["selected"]["params"])[0]))
    assert 1.7 < value < 2.0


def test_cli_bad_input_is_one_line(sim_folder):
    out = run_cli("discover", sim_folder, "--scale", "flops", "-q")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "flops" in out.stderr
    out = run_cli("discover", sim_folder, "--ray-address", "auto")
    assert out.returncode == 2 and "--backend ray" in out.stderr


# ---------------------------------------------------------------------------------------------
# Ray


def test_small_search_on_a_local_ray_instance(sim_discovery):
    """The same search on a local Ray instance selects the same law with the same scores."""
    try:
        import ray
    except ImportError:
        pytest.fail("Ray is not installed: install the test extras with "
                    "pip install -e '.[test,ray]'")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = discover(chinchilla_data(), DiscoverSettings(catalogue=False, backend="ray",
                                                               jobs=2, **SMALL))
    finally:
        ray.shutdown()
    assert res.to_dict() == sim_discovery.to_dict()
    assert not math.isnan(res.selected.validation_score)


def test_constant_target_no_train_rows_and_test_only_groups_are_explained():
    """A constant target and a split with no train rows are refused before the search, saying
    what to do; test rows of a group the train split lacks are left unscored with a warning."""
    x = np.geomspace(1e3, 1e8, 30)
    flat = make_dataset(pd.DataFrame({"x": x, "y": 3.0 + 1e-12 * np.arange(30)}), {"x": "x"},
                        "y", name="flat")
    with pytest.raises(sl.InputError, match="constant .* nothing for a law to explain"):
        discover(flat, DiscoverSettings(**SMALL))
    frame = pd.DataFrame({"x": x, "y": 1.7 + 50 * x ** -0.3, "split": "test"})
    with pytest.raises(sl.InputError, match="no train rows.*label the rows"):
        discover(make_dataset(frame, {"x": "x"}, "y", split="split"), DiscoverSettings(**SMALL))
    frame = pd.DataFrame({"x": np.concatenate([x, x[:6]]), "g": ["a"] * 30 + ["b"] * 6})
    frame["y"] = 1.7 + 50 * frame.x ** -0.3
    frame["split"] = ["train"] * 30 + ["test"] * 6
    data = make_dataset(frame, {"x": "x"}, "y", group="g", split="split")
    with pytest.warns(sl.DataWarning, match=r"1 group\(s\) of the test split have no train rows"
                      r".*their 6 test row\(s\), so no test score is given"):
        res = discover(data, DiscoverSettings(catalogue=False, **SMALL))
    assert res.selected.test_r2 is None
    # with test rows of a group that has train rows too, those are scored
    frame.loc[25:29, "split"] = "test"
    data = make_dataset(frame, {"x": "x"}, "y", group="g", split="split")
    with pytest.warns(sl.DataWarning, match=r"the test score is of the other groups' 5 test"):
        res = discover(data, DiscoverSettings(catalogue=False, **SMALL))
    assert res.n_test == 5 and res.selected.test_r2 > 0.99
    # a group with too few train points to fit is refused before the search, by name
    frame["split"] = "train"
    frame.loc[32:, "split"] = "excluded"
    data = make_dataset(frame, {"x": "x"}, "y", group="g", split="split")
    with pytest.raises(sl.InputError, match=r"1 group\(s\) have fewer than 3 distinct train "
                       r"points \('b' \(2\); column 'g'\).*drop or merge those groups"):
        discover(data, DiscoverSettings(**SMALL))


def test_max_params_below_every_first_form_is_a_usage_error():
    with pytest.raises(sl.InputError, match=r"--max-params 2: the search starts from forms of "
                       r"at least 3 parameters here \(such as E \+ A1/params\*\*a1\)"):
        discover(chinchilla_data(), DiscoverSettings(catalogue=False, max_params=2, **SMALL))


def test_a_stack_that_cannot_be_refitted_as_one_law_says_so(sim_discovery):
    """``fit`` refits a stack as one law: with fewer distinct points than its parameters the
    result gives no command and says why."""
    stack_sel = replace(sim_discovery.selected, origin="stack", key="stack of laws 2, 3")
    ok = replace(sim_discovery, selected=stack_sel,
                 stack={"selected": True, "refit": {"possible": True, "params": 7,
                                                    "points": 40}})
    assert ok.fit_command().startswith("scalinglaws fit ")
    assert "(refits the average as one law, every parameter at once" in ok.summary()
    no = replace(ok, stack={"selected": True, "refit": {"possible": False, "params": 7,
                                                       "points": 5}})
    assert no.fit_command() is None and no.to_dict()["selected"]["fit_command"] is None
    assert ("fit it    not as one law: its 7 parameters are more than the 5 distinct points"
            in no.summary())


def test_an_unreachable_ray_address_fails_at_once():
    from scalinglaws.parallel import _check_reachable

    with pytest.raises(sl.InputError, match="cannot reach Ray at 127.0.0.1:1: .*RAY_ADDRESS"):
        _check_reachable("127.0.0.1:1", timeout=5)
    _check_reachable("auto")  # left to Ray


def test_fit_command_renames_a_parameter_named_like_the_target(sim_discovery):
    """``fit`` reads a name that is a column as an input: a parameter named like the target
    column gets another name in the printed command (formula, bounds and shared list)."""
    sel = replace(sim_discovery.selected, catalogue=None, formula="E + A1/params**a1",
                  inputs={"params": "params"}, bounds={"a1": (0.0, 3.0)}, shared=("a1",))
    cmd = shlex.split(sel.fit_command("d.csv", "a1"))
    assert cmd[cmd.index("--law") + 1] == "E + A1/params**a1_"
    assert "a1_=0:3" in cmd and cmd[cmd.index("--share") + 1] == "a1_"
    assert cmd[cmd.index("--target") + 1] == "a1"
    # a target that is not a parameter leaves the formula as it is
    cmd = shlex.split(sel.fit_command("d.csv", "loss"))
    assert cmd[cmd.index("--law") + 1] == "E + A1/params**a1"


def test_record_counts_the_rows_dropped():
    """Rows dropped for missing values are counted in the record, not only on stderr."""
    x = np.geomspace(1e3, 1e8, 30)
    frame = pd.DataFrame({"x": x, "y": 1.7 + 50 * x ** -0.3})
    frame.loc[[3, 7], "y"] = np.nan
    with pytest.warns(sl.DataWarning):
        data = make_dataset(frame, {"x": "x"}, "y", nan_policy="drop")
    res = discover(data, DiscoverSettings(catalogue=False, **SMALL))
    assert res.to_dict()["provenance"]["rows_dropped"] == 2
    assert res.to_dict()["provenance"]["environment"]["numpy"] == np.__version__
    assert res.n_train == 28


def test_too_few_distinct_points_is_said_plainly():
    """Thirty rows at two input values cannot be validated: the message counts distinct points,
    not rows."""
    x = np.repeat([1e3, 1e4], 15)
    data = make_dataset(pd.DataFrame({"x": x, "y": 2 + 5 * x ** -0.3 + 1e-3 * np.arange(30)}),
                        {"x": "x"}, "y")
    with pytest.raises(sl.InputError, match=r"30 train rows hold at most 2 distinct input "
                                            r"point\(s\), and a group needs at least 4"):
        discover(data, DiscoverSettings(**SMALL))


def test_share_max_groups_decides_whether_shared_laws_are_tried(tmp_path):
    """With more groups than --share-max-groups, no candidate shares parameters across groups,
    and the output says so (text line and ``search.sharing``); within the limit they are
    tried."""
    rng = np.random.default_rng(5)
    x = np.tile(np.geomspace(1e3, 1e6, 8), 3)
    g = np.repeat(["a", "b", "c"], 8)
    y = (np.select([g == "a", g == "b"], [2.0, 2.5], 3.0) + 40.0 * x ** -0.3) \
        * (1 + 0.002 * rng.standard_normal(24))
    pd.DataFrame({"x": x, "g": g, "y": y}).to_csv(tmp_path / "runs.csv", index=False)
    common = ("discover", tmp_path / "runs.csv", "--inputs", "x", "--target", "y", "--group",
              "g", "--max-rounds", "1", "--no-catalogue", "--no-stack", "--starts", "32",
              "--jobs", "1", "-q")
    records = {}
    for limit in ("2", "3"):
        out = run_cli(*common, "--share-max-groups", limit, "--format", "json", "--top", "50")
        assert out.returncode == 0, out.stderr
        records[limit] = json.loads(out.stdout)
    assert records["2"]["search"]["sharing"] == {"groups": 3, "max_groups": 2, "tried": False}
    assert records["3"]["search"]["sharing"] == {"groups": 3, "max_groups": 3, "tried": True}
    assert not any(c["shared"] for c in records["2"]["candidates"])
    assert any(c["shared"] for c in records["3"]["candidates"])
    text = run_cli(*common, "--share-max-groups", "2")
    assert text.returncode == 0, text.stderr
    assert ("sharing   laws with parameters shared across groups not tried: 3 groups, more "
            "than --share-max-groups 2") in text.stdout
    assert "sharing " not in run_cli(*common, "--share-max-groups", "3").stdout
    assert run_cli(*common, "--share-max-groups", "0").returncode == 2
