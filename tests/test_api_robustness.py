"""Library calls with wrong arguments: the package's own errors, naming what is wrong, and no
silent change of values or of a result."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import plan
from scalinglaws.data import make_dataset

TRUE = {"E": 1.7, "A": 400.0, "alpha": 0.34, "B": 410.0, "beta": 0.28}


@pytest.fixture(scope="module")
def law():
    return sl.get_law("chinchilla")


@pytest.fixture(scope="module")
def frame(law):
    return sl.simulate(law, TRUE, {"N": (1e6, 1e9, 4), "D": (1e8, 1e11, 4)}, noise=0.01)


@pytest.fixture(scope="module")
def fitted(law, frame):
    data = make_dataset(frame, {"N": "N", "D": "D"}, "loss")
    return sl.Fitter(n_starts=64).fit(law, data), data


def test_a_result_cannot_be_changed_through_its_record_or_arrays(fitted):
    res, _ = fitted
    y0 = res.data["y"][0]
    d = res.to_dict()
    d["data"]["y"][0] = 123.0
    d["diagnostics"]["condition_number"] = -1
    assert res.data["y"][0] == y0 and res.diagnostics["condition_number"] != -1
    for a in (res.theta, res.residuals, res.fitted):
        with pytest.raises(ValueError):
            a[0] = 0.0


def test_predict_refuses_what_it_used_to_ignore(fitted):
    res, _ = fitted
    ok = res.predict({"N": [1e9, 2e9], "D": 1e10})["prediction"]
    assert ok.shape == (2,) and np.all(np.isfinite(ok))
    cases = [
        (dict(X={"N": [1e9, 2e9, 3e9], "D": [1e10, 2e10]}), "different lengths"),
        (dict(X={"N": 1e9, "D": 1e10, "Q": 5}), "unknown input 'Q'"),
        (dict(X={"N": 1e9, "D": 1e10}, group="zzz"), "no groups"),
        (dict(X={"N": 1e9, "D": 1e10}, level=2), "level must be between 0 and 1"),
        (dict(X={"N": "abc", "D": 1e10}), "must be numbers"),
        (dict(X={"N": [[1e9]], "D": 1e10}), "1-D"),
        (dict(X=None), "mapping"),
    ]
    for kwargs, message in cases:
        X = kwargs.pop("X")
        with pytest.raises(sl.InputError, match=message):
            res.predict(X, **kwargs)


def test_fitter_at_refuses_parameters_outside_their_bounds(law, fitted):
    _, data = fitted
    with pytest.raises(sl.InputError, match=r"parameter A = -1e\+06 is outside its bounds"):
        sl.Fitter().at(law, data, {**TRUE, "A": -1e6})
    at = sl.Fitter().at(law, data, TRUE)
    assert at.params == pytest.approx(TRUE)


def test_fitter_settings_are_checked_when_made(law, fitted):
    for kwargs, message in [({"n_starts": 2.5}, "n_starts must be an integer"),
                            ({"delta": None}, "delta must be a number"),
                            ({"seed": "1"}, "seed must be an integer"),
                            ({"shared": "alpha"}, "not a string")]:
        with pytest.raises(sl.InputError, match=message):
            sl.Fitter(**kwargs)
    assert sl.Fitter(shared=None).shared == ()


def test_a_hand_built_dataset_with_an_infinite_value_is_refused(law, fitted):
    _, data = fitted
    X = {k: np.array(v) for k, v in data.X.items()}
    X["N"][2] = np.inf
    bad = sl.Dataset(X=X, y=np.array(data.y), target="loss", columns={"N": "N", "D": "D"})
    with pytest.raises(sl.InputError, match="input 'N' row 3: inf is not a finite number"):
        sl.Fitter(n_starts=16).fit(law, bad)


def test_make_dataset_refuses_ambiguous_columns(frame):
    with pytest.raises(sl.DataError, match="also the column of input N"):
        make_dataset(frame.assign(L=frame["loss"]), {"N": "N", "D": "D"}, "N")
    with pytest.raises(sl.DataError, match="mapped to several inputs"):
        make_dataset(frame, {"N": "N", "D": "N"}, "loss")
    with pytest.raises(sl.DataError, match="row 1: True is not a number"):
        make_dataset(frame.assign(N=frame["N"] > 0), {"N": "N", "D": "D"}, "loss")
    dates = frame.assign(D=pd.Timestamp("2024-01-01"))
    with pytest.raises(sl.DataError, match="column 'D' row 1"):
        make_dataset(dates, {"N": "N", "D": "D"}, "loss")
    with pytest.raises(sl.DataError, match="nan_policy"):
        make_dataset(frame, {"N": "N", "D": "D"}, "loss", nan_policy="skip")
    with pytest.raises(sl.DataError, match="not a string"):
        make_dataset(frame, {"N": "N", "D": "D"}, "loss", positive="loss")


def test_planners_check_their_options(chinchilla_bootstrap):
    with pytest.raises(sl.InputError, match="noise_sd must be a positive number"):
        plan.suggest_runs(chinchilla_bootstrap, max_flops=1e21, budget=5.76e23, noise_sd=-1)
    for kwargs, message in [({"n_grid": 2.5}, "n_grid must be an integer"),
                            ({"ratio_range": 20}, "ratio_range must be a pair")]:
        with pytest.raises(sl.InputError, match=message):
            plan.suggest_runs(chinchilla_bootstrap, max_flops=1e21, budget=5.76e23, **kwargs)
    with pytest.raises(sl.InputError, match="overflows"):
        plan.training_flops(1e200, 1e200)
    N = np.repeat([1e7, 2e7, 4e7, 8e7, 1.6e8], 3)
    C = np.tile([1e17, 1e18, 1e19], 5)
    D = C / (6 * N)
    y = 1.7 + 400 / N ** 0.34 + 410 / D ** 0.28
    for kwargs, message in [({"budget_tolerance": math.nan}, "budget_tolerance"),
                            ({"at": -1.0}, "reporting budget"),
                            ({"flops_per_param_token": 0}, "flops_per_param_token"),
                            ({"group": ["a"]}, "one label per row"),
                            ({"bootstrap": None}, "bootstrap must be a whole number"),
                            ({"bootstrap": 10.9}, "bootstrap must be a whole number"),
                            ({"approaches": (2.7,)}, r"approaches\[0\] must be a whole"),
                            ({"level": "x"}, "level must be a number")]:
        with pytest.raises(sl.InputError, match=message):
            plan.isoflop(N, D, y, **kwargs)


def test_simulate_grids_and_noise_are_checked(law):
    with pytest.raises(sl.InputError, match="whole count >= 1, got 3.5"):
        sl.simulate(law, TRUE, {"N": (1e6, 1e9, 3.5), "D": (1e8, 1e11, 3)})
    with pytest.raises(sl.InputError, match="seed must be a non-negative integer"):
        sl.simulate(law, TRUE, {"N": (1e6, 1e9, 3), "D": (1e8, 1e11, 3)}, seed=1.5)
    with pytest.raises(sl.InputError, match="finite number >= 0"):
        sl.simulate(law, TRUE, {"N": (1e6, 1e9, 3), "D": (1e8, 1e11, 3)}, noise=math.inf)
    explicit = sl.simulate(law, TRUE, {"N": [1e6, 1e9, 3e9], "D": (1e8, 1e11, 3)}, noise=0)
    assert sorted(explicit["N"].unique()) == [1e6, 1e9, 3e9]


@pytest.mark.filterwarnings("ignore:.*outlying run")
def test_simulated_mixture_proportions_sum_to_one_and_fit_back():
    law = sl.get_law("mixture", n_inputs=3)
    frame = sl.simulate(law, seed=0)
    share = frame[["r1", "r2", "r3"]].to_numpy()
    assert len(frame) == 36  # the 10-step simplex: comb(9, 2) points, no proportion zero
    assert np.allclose(share.sum(axis=1), 1.0) and share.min() == pytest.approx(0.1)
    data = sl.make_dataset(frame, {r: r for r in ("r1", "r2", "r3")}, "loss")
    # proportions summing to 1 determine the t's only up to a common shift (absorbed by k),
    # which the fit reports
    with pytest.warns(sl.FitWarning, match="ill-conditioned"):
        res = sl.Fitter(n_starts=64).fit(law, data)
    t = np.array([res.params[n] for n in ("t1", "t2", "t3")])
    truth = np.array([-1.0, 0.5, -0.3])
    assert np.allclose(t - t.mean(), truth - truth.mean(), atol=0.05)
    with pytest.raises(sl.InputError, match="at least 3 steps"):
        from scalinglaws.simulate import simplex_points
        simplex_points(["a", "b", "c"], 2)


def test_settings_that_were_read_letter_by_letter_or_too_small_are_refused():
    from scalinglaws.discover import DiscoverSettings

    with pytest.raises(sl.InputError, match="not a string"):
        DiscoverSettings(scales="params")
    with pytest.raises(sl.InputError, match="kfold must be at least 2"):
        DiscoverSettings(kfold=1)
    with pytest.raises(sl.LawError, match="whole number >= 1, got 2.5"):
        sl.get_law("mixture", n_inputs=2.5)
    assert sl.get_law("mixture", n_inputs=np.int64(3)).inputs == ("r1", "r2", "r3")
    with pytest.raises(sl.InputError, match="level must be between 0 and 1"):
        plan.fit_hyperparameters([1e-3] * 4, [1e6] * 4, [1e9] * 4, [1e10] * 4, [3.0] * 4,
                                 level=1.5)


@pytest.mark.parametrize("formula, part", [
    ("E + A/N**alpha + 1/0", "(1 / 0)"),
    ("E + A*N**(10**400)", "(10 ** 400)"),
    ("2**2**2**2**2*N*a", "(2 ** (2 ** (2 ** (2 ** 2))))"),
    ("log(0) + A*N", "log(0)"),
])
def test_formula_with_an_infinite_constant_part_is_refused(formula, part):
    """These used to be accepted, predict inf everywhere, and fail the fit with a message
    about bounds."""
    with pytest.raises(sl.LawError, match=f"constant part '{part}' is not a finite number"
                       .replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        sl.formula_law(formula, ["N"])
    law = sl.formula_law("E + A/N**alpha*(2 - 2) + 10**3", ["N"])  # finite constants are fine
    assert law.predict({"N": np.array([10.0])}, np.array([[1.0, 2.0, 0.5]]))[0, 0] == 1001.0


@pytest.mark.parametrize("inputs, bounds, message", [
    ("N", None, "inputs must be a list of names"),
    (None, None, "inputs must be a list of names"),
    (["N", 3], None, "inputs must be a list of names"),
    (["N", "N"], None, "input.s. N named more than once"),
    (["N"], {"A": (1, 2, 3)}, r"bound on A: give two numbers \(lower, upper\), got \(1, 2, 3\)"),
    (["N"], {"A": 1}, "bound on A: give two numbers"),
    (["N"], {"A": ("a", "b")}, "bound on A: give two numbers"),
    (["N"], {"A": (2, 1)}, r"bound on A: the lower bound must be below the upper one, got \(2, 1\)"),
    (["N"], {"A": (0, math.nan)}, "bound on A: the lower bound must be below"),
])
def test_formula_law_checks_inputs_and_bounds(inputs, bounds, message):
    with pytest.raises(sl.LawError, match=message):
        sl.formula_law("E + A/N**alpha", inputs, bounds=bounds)
    law = sl.formula_law("E + A/N**alpha", ("N", "D"), bounds={"A": (0, math.inf)})
    assert law.inputs == ("N",)  # names the formula does not use are left out, as documented
    assert (law.params[1].lower, law.params[1].upper) == (0.0, math.inf)


# ---------------------------------------------------------------------------------------------
# the second library sweep: grouped fits, bench, discover, report and plan


@pytest.fixture(scope="module")
def grouped(law):
    """Three groups (labels 1, 2, 10 read from a numeric column) that differ in E."""
    parts = []
    for i, (g, E) in enumerate([(1, 1.7), (2, 2.0), (10, 2.3)]):
        d = sl.simulate(law, {**TRUE, "E": E}, {"N": (1e6, 1e9, 4), "D": (1e8, 1e11, 4)},
                        noise=0.01, seed=i)
        d["grp"] = g
        parts.append(d)
    return make_dataset(pd.concat(parts, ignore_index=True), {"N": "N", "D": "D"}, "loss",
                        group="grp")


@pytest.mark.filterwarnings("ignore::scalinglaws.ScalingLawsWarning")
def test_grouped_fits_say_what_they_share_and_take_numeric_labels(law, grouped):
    res = sl.Fitter(n_starts=32, bootstrap=10, level=0.5, shared=("alpha",)).fit(law, grouped)
    text = res.summary()
    assert "shared     alpha (one value for all 3 groups)" in text
    assert "group 1 (50% bootstrap interval, 10 draws)" in text
    # a label given as the number it was read from is the same group everywhere
    assert plan.compute_optimal(res, 1e21, group=1).N_opt == pytest.approx(
        plan.compute_optimal(res, 1e21, group="1").N_opt)
    at = sl.Fitter(n_starts=8).at(law, grouped, {g: dict(res.params[str(g)]) for g in (1, 2, 10)})
    assert at.params["10"]["E"] == pytest.approx(res.params["10"]["E"])
    with pytest.raises(sl.InputError, match=r"one label, or one per point \(3\), not 2"):
        res.predict({"N": [1e9, 1e10, 1e10], "D": [1e10, 1e11, 1e11]}, group=["1", "2"])


def test_settings_that_a_fit_without_groups_cannot_apply_are_refused(law, fitted):
    _, data = fitted
    with pytest.raises(sl.InputError, match="this data has none"):
        sl.Fitter(n_starts=8, shared=("alpha",)).fit(law, data)
    with pytest.raises(sl.InputError, match="needs two or more"):
        sl.Fitter(n_starts=8, bootstrap=10, bootstrap_unit="groups").fit(law, data)


def test_bench_keeps_laws_of_one_name_apart_and_checks_its_arguments(shared_dataset):
    from scalinglaws import bench as B

    settings = B.BenchSettings(losses=("huber",), n_starts=16)
    one = sl.formula_law("E + A/params**alpha", ["params"], name="mylaw")
    two = sl.formula_law("E + A/params**alpha + B/tokens**beta", ["params", "tokens"],
                         name="mylaw")
    report = B.run_bench([shared_dataset("overtraining_gadre2024")], laws=[one, two],
                         settings=settings)
    assert [r.law for r in report.results] == ["mylaw", "mylaw (2)"]
    assert [s.n_targets for s in report.scores()] == [1, 1]
    assert report.scores()[0].r2 == pytest.approx(report.results[0].r2)
    for call, message in (
            (lambda: B.run_bench("folder", laws=["power"]), "a list of dataset folders"),
            (lambda: B.run_bench(["x"], laws="power"), "laws must be a list"),
            (lambda: B.BenchSettings(share="alpha"), "share must be a list of names"),
            (lambda: B.run_bench(["x"], split="x>=1"), "split must be a rule"),
            (lambda: B.run_bench(["x"], nan_policy="x"), "nan_policy must be"),
            (lambda: B.Largest("x", -3), "whole number >= 1"),
            (lambda: B.Threshold("x", "!=", 5.0), "use one of"),
            (lambda: B.parse_threshold(5), "expected text")):
        with pytest.raises(sl.InputError, match=message):
            call()
    # the recorded rule reproduces the split it made
    assert str(B.parse_threshold("N>=100000001")) == "--holdout 'N>=100000001.0'"
    assert str(B.parse_threshold("N>=5e9")) == "--holdout 'N>=5e+09'"


def test_isoflop_analysis_reports_every_interval_at_its_own_level():
    C = np.repeat([1e17, 1e18, 1e19], 7)
    N = np.concatenate([np.geomspace(c ** 0.5 / 30, c ** 0.5 / 3, 7) for c in (1e17, 1e18, 1e19)])
    D = C / (6 * N)
    L = (1.7 + 400 / N ** 0.34 + 410 / D ** 0.28) * np.exp(
        0.01 * np.random.default_rng(0).standard_normal(len(N)))
    fitter = sl.Fitter(n_starts=32, bootstrap=20, level=0.5)
    wide = plan.isoflop(N, D, L, budget=C, bootstrap=20, level=0.95, fitter=fitter,
                        approaches=(3,))[0].approaches[0].intervals["exponent_N"]
    narrow = plan.isoflop(N, D, L, budget=C, bootstrap=20, level=0.5, fitter=fitter,
                          approaches=(3,))[0].approaches[0].intervals["exponent_N"]
    assert wide[1] - wide[0] > narrow[1] - narrow[0]


def test_hyperparameter_laws_refuse_a_variable_the_sweep_holds_fixed():
    rows = []
    for D in [1e9, 4e9, 1.6e10, 6.4e10]:
        lr_opt, b_opt = 0.5 * 1e8 ** -0.3 * D ** 0.1, 0.1 * D ** 0.5
        for a in np.geomspace(0.25, 4, 5):
            for b in np.geomspace(0.25, 4, 5):
                rows.append((lr_opt * a, b_opt * b, 1e8, D,
                             2 + 0.05 * np.log(a) ** 2 + 0.03 * np.log(b) ** 2))
    lr, bs, N, D, L = map(np.array, zip(*rows))
    with pytest.raises(sl.InputError, match=r"every cell of the sweep has N = 1e\+08"):
        plan.fit_hyperparameters(lr, bs, N, D, L, bootstrap=0)
    fit = plan.fit_hyperparameters(lr, bs, N, D, L, bootstrap=0, lr_inputs=("D",))
    assert fit.lr_law.exponents == {"D": pytest.approx(0.1)}


def test_isoflop_profiles_check_their_arguments():
    from scalinglaws import report as R

    N = np.geomspace(1e6, 1e9, 6)
    for call, message in ((lambda: R.isoflop_profiles(N, np.ones(5), np.ones(6)), "same length"),
                          (lambda: R.isoflop_profiles(N, 1e20 / (6 * N), np.ones(6),
                                                      per_decade=0), "per_decade"),
                          (lambda: R.isoflop_profiles(N, 1e20 / (6 * N), np.ones(6),
                                                      budget=[1, 1, 1] + [np.nan] * 3),
                           "finite budget"),
                          (lambda: R.isoflop_profiles(["a"], [1.0], [1.0]), "numbers")):
        with pytest.raises(sl.InputError, match=message):
            call()


def test_discover_names_the_group_column_and_refuses_string_lists(tmp_path, law):
    from scalinglaws import discover as dv

    parts = []
    for i, (g, E) in enumerate([("a", 1.7), ("b", 2.0)]):
        d = sl.simulate(law, {**TRUE, "E": E}, {"N": (1e6, 1e9, 4), "D": (1e8, 1e11, 4)},
                        noise=0.003, seed=i)
        d["grp"] = g
        parts.append(d)
    data = make_dataset(pd.concat(parts, ignore_index=True), {"N": "N", "D": "D"}, "loss",
                        group="grp")
    found = dv.discover(data, dv.DiscoverSettings(max_screened=8, max_rounds=0, n_starts=16,
                                                  catalogue=False))
    assert "--group grp" in found.fit_command()
    with pytest.raises(sl.InputError, match="non-empty list of column names"):
        dv.load_for_discovery(tmp_path, targets="loss")
    with pytest.raises(sl.InputError, match="non-empty list of column names"):
        dv.load_for_discovery(tmp_path, targets=[])


def test_transformer_without_a_vocabulary_counts_no_embedding_flops():
    t = plan.Transformer(n_layers=2, d_model=64, n_heads=4)
    terms = t.forward_flops_per_token("kaplan")
    assert "embedding" not in terms and "de_embedding" not in terms
    assert t.params()["embedding"] == 0


def test_figures_transformers_and_discover_settings_check_their_types(fitted, tmp_path):
    import io

    from scalinglaws.discover import DiscoverSettings
    from scalinglaws.report import make_figure, save_figure

    fig = make_figure(fitted[0], "residuals")
    for call, message in (
            (lambda: save_figure(fig, tmp_path / "x.jpg"), "use png, svg or pdf"),
            (lambda: save_figure(fig, io.BytesIO()), "give fmt"),
            (lambda: save_figure(fig, tmp_path / "x.png", dpi=0), "dpi must be a positive"),
            (lambda: plan.Transformer(2.5, 64, 4), "n_layers must be a whole number"),
            (lambda: plan.Transformer(2, 4, 64), "n_heads 64 exceeds d_model 4"),
            (lambda: DiscoverSettings(n_starts="x"), "n-starts must be a whole number"),
            (lambda: DiscoverSettings(max_params=1.5), "max-params must be a whole number")):
        with pytest.raises(sl.InputError, match=message):
            call()
    buffer = io.BytesIO()
    save_figure(fig, buffer, fmt="png")
    assert buffer.getvalue()[:4] == b"\x89PNG"



def test_to_json_is_strict_json_that_reads_back(frame):
    """``FitResult.to_json`` writes what the CLI writes: no NaN or Infinity tokens (other JSON
    readers refuse them), infinite bounds as "inf", and ``from_dict`` reads it back."""
    import json

    from scalinglaws._format import json_ready

    law = sl.formula_law("E + A/N**a", ["N"], bounds={"E": (-math.inf, math.inf),
                                                      "A": (0, math.inf)})
    # a target below zero leaves the log-space metrics undefined (NaN)
    shifted = frame.assign(loss=frame.loss - 2.5)
    res = sl.Fitter(n_starts=8, space="raw").fit(law, make_dataset(shifted, {"N": "N"}, "loss"))
    assert any(isinstance(v, float) and math.isnan(v) for v in res.metrics.values())

    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    record = json.loads(res.to_json(), parse_constant=refuse)
    assert "inf" in json.dumps(record["law_spec"])
    back = sl.FitResult.from_dict(record)
    assert back.params == pytest.approx(res.params, rel=1e-12)
    assert [p.upper for p in back.law.params] == [p.upper for p in res.law.params]
    assert math.isinf(res.law.params[0].upper)
    assert json_ready({"a": float("nan"), "b": np.float32(-np.inf), 3: np.arange(2)}) == {
        "a": None, "b": "-inf", "3": [0, 1]}


def test_wrong_kinds_of_argument_are_named(law, frame, fitted):
    from scalinglaws.report import build_report

    res, data = fitted
    cases = [
        (lambda: sl.fit(law, frame), "data must be a Dataset"),
        (lambda: sl.fit("chinchilla", data), "law must be a Law"),
        (lambda: sl.simulate("chinchilla"), "law must be a Law"),
        (lambda: make_dataset(frame, ["N", "D"], "loss"), "mapping must be a mapping"),
        (lambda: sl.read_table(frame), "pass it to make_dataset"),
        (lambda: sl.Fitter().at(law, data, [1.7, 400, 410, 0.34, 0.28]), "params must be a"),
        (lambda: sl.Fitter().at(law, data, {**TRUE, "gamma": 1.0}),
         "gamma: not a parameter of law 'chinchilla'"),
        (lambda: sl.Fitter(shared=[1]), "parameter names"),
        (lambda: res.predict({"N": [], "D": []}), "no points to predict"),
        (lambda: res.predict({"N": 1e9, "D": 1e10}, seed=True), "seed must be"),
        (lambda: build_report(res.to_dict()), "FitResult.from_dict"),
    ]
    for call, message in cases:
        with pytest.raises(sl.ScalingLawsError, match=message):
            call()


def test_numpy_integer_settings_give_a_json_record(law, fitted):
    import json

    _, data = fitted
    res = sl.Fitter(n_starts=np.int64(16), seed=np.int64(3)).fit(law, data)
    assert json.loads(json.dumps(res.to_dict()))["provenance"]["seed"] == 3


def test_a_report_takes_a_plan_object(fitted):
    res, _ = fitted
    from scalinglaws.report import build_report

    allocation = plan.compute_optimal(res, 1e20)
    page = build_report(res, plan=allocation)
    assert f"{allocation.to_dict()['N_opt']:.3g}".split("e")[0] in page


def test_a_formula_exponent_written_x_to_the_a_may_be_negative():
    # ground truth: y = 1.5 + 40 x^-0.35; the formula writes the exponent without a sign
    x = np.geomspace(1e3, 1e7, 12)
    frame = pd.DataFrame({"x": x, "loss": 1.5 + 40 * x ** -0.35})
    data = make_dataset(frame, {"N": "x"}, "loss")
    res = sl.fit(sl.formula_law("E + A*N**alpha", ["N"]), data, n_starts=64)
    assert res.status == "converged"
    assert res.params["alpha"] == pytest.approx(-0.35, rel=1e-4)
    assert res.params["E"] == pytest.approx(1.5, rel=1e-4)


def test_a_fit_stopped_by_its_iteration_limit_says_so(law, fitted):
    _, data = fitted
    res = sl.Fitter(n_starts=4, max_iter=1).fit(law, data)
    assert res.status == "iteration_limit"
    assert any("iteration limit" in w for w in res.warnings)


def test_fitting_data_with_test_rows_warns():
    frame = pd.DataFrame({"x": np.geomspace(1e3, 1e7, 8), "split": ["train"] * 6 + ["test"] * 2})
    frame["loss"] = 1.5 + 40 * frame["x"] ** -0.35
    data = make_dataset(frame, {"x": "x"}, "loss", split="split")
    with pytest.warns(sl.FitWarning, match="the data has 2 test row"):
        assert sl.fit(sl.get_law("power_offset"), data, n_starts=16).n == 8
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", sl.FitWarning)
        assert sl.fit(sl.get_law("power_offset"), data.train(), n_starts=16).n == 6


def test_settings_and_numbers_are_checked_where_given(law, fitted):
    from scalinglaws.discover import DiscoverSettings

    res, _ = fitted
    cases = [
        (lambda: plan.compute_optimal(res, "abc"), "budget must be a positive number"),
        (lambda: plan.compute_optimal(res, 1e20, params={**TRUE, "E": "x"}),
         "parameter E must be a number, got 'x'"),
        (lambda: plan.compute_optimal(res, 1e20, level="x"), "level must be a number"),
        (lambda: plan.isoflop([], [], []), "no runs"),
        (lambda: plan.suggest_runs(law, max_flops=1e21, budget=1e23), "not a law"),
        (lambda: sl.simulate(law, TRUE, {"N": "abc", "D": (1e8, 1e9, 2)}), "grid N"),
        (lambda: sl.simulate(law, TRUE, noise=[0.1]), "noise must be a number"),
        (lambda: DiscoverSettings(catalogue="no"), "catalogue must be True or False"),
        (lambda: DiscoverSettings(seed=1.5), "seed must be a non-negative whole number"),
        (lambda: DiscoverSettings(backend="dask"), "backend must be 'local' or 'ray'"),
        (lambda: DiscoverSettings(budget_seconds="20"), "budget-seconds must be a number"),
    ]
    for call, message in cases:
        with pytest.raises(sl.ScalingLawsError, match=message):
            call()
