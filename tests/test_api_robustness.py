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
                            ({"bootstrap": None}, "must be numbers")]:
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
