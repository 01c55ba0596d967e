"""Tests of the fitter and its results: the published Chinchilla refit (Besiroglu et al. 2024),
bootstrap intervals, formula laws, groups, options, soft and hard failures, persistence."""

from __future__ import annotations

import json
import platform
import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import DataError, FitResult, Fitter, InputError

# Epoch AI's refit of Chinchilla Approach 3 on the 240 runs of chinchilla_epoch_svg (Huber
# delta 1e-3 on log-loss): Besiroglu et al. 2024, arXiv:2404.10102, Table 1 / repository
# epoch-research/analyzing-chinchilla. Our optimum (the lead's reference run) to 5 digits.
CHINCHILLA_PARAMS = {"E": 1.81722, "A": 477.82, "B": 2143.4, "alpha": 0.34731, "beta": 0.36717}
CHINCHILLA_OBJECTIVE_MAX = 1.0185e-3
# 95% percentile bootstrap intervals, 1000 resamples (seed 0)
CHINCHILLA_CI = {"E": (1.771, 1.869), "alpha": (0.3172, 0.3725), "beta": (0.3324, 0.4143)}


def quiet_fit(fitter: Fitter, law, data):
    """Fit without the soft FitWarnings (outlier flags) that are not under test."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        return fitter.fit(law, data)


def simulated(law_name="power_offset", *, params=None, seed=3, noise=0.002):
    law = sl.get_law(law_name)
    frame = sl.simulate(law, params, seed=seed, noise=noise)
    return law, sl.make_dataset(frame, {k: k for k in law.inputs}, "loss")


# ---------------------------------------------------------------------------------------------
# The headline: Chinchilla


def test_chinchilla_reference_fit(chinchilla_fit, chinchilla_data):
    res = chinchilla_fit
    assert chinchilla_data.n == 240
    assert res.n == 240
    assert res.status == "converged"
    assert res.law.param_names == ("E", "A", "B", "alpha", "beta")
    p = res.params
    assert p["E"] == pytest.approx(1.817, abs=2e-3)
    assert p["A"] == pytest.approx(478, rel=5e-3)
    assert p["B"] == pytest.approx(2143, rel=5e-3)
    assert p["alpha"] == pytest.approx(0.347, abs=1e-3)
    assert p["beta"] == pytest.approx(0.367, abs=1e-3)
    for name, value in CHINCHILLA_PARAMS.items():  # the reference optimum itself
        assert p[name] == pytest.approx(value, rel=1e-4), name
    assert res.objective <= CHINCHILLA_OBJECTIVE_MAX
    assert res.inputs == {"N": "params", "D": "tokens"}
    assert res.target == "loss"
    # the published headline: compute-optimal prediction for Chinchilla itself
    pred = res.predict({"N": 70e9, "D": 1.4e12})["prediction"]
    assert pred.shape == (1,)
    expected = p["E"] + p["A"] / 70e9 ** p["alpha"] + p["B"] / 1.4e12 ** p["beta"]
    assert pred[0] == pytest.approx(expected, rel=1e-12)
    assert pred[0] == pytest.approx(1.9734, abs=1e-3)


def test_chinchilla_bootstrap_intervals(chinchilla_bootstrap, chinchilla_fit):
    res = chinchilla_bootstrap
    assert res.draws.shape == (1000, 1, 5)
    assert res.params == chinchilla_fit.params  # the point estimate does not depend on draws
    ci = res.ci()
    assert set(ci) == {"E", "A", "B", "alpha", "beta"}
    for name, (lo, hi) in CHINCHILLA_CI.items():
        assert ci[name][0] == pytest.approx(lo, abs=0.01), name
        assert ci[name][1] == pytest.approx(hi, abs=0.01), name
    assert 0.31 < ci["alpha"][0] < ci["alpha"][1] < 0.38
    assert 0.32 < ci["beta"][0] < ci["beta"][1] < 0.42
    assert 1.76 < ci["E"][0] < ci["E"][1] < 1.88
    for name, value in res.params.items():  # the estimate lies inside its interval
        assert ci[name][0] < value < ci[name][1], name
    # a lower level gives a nested, narrower interval
    ci80 = res.ci(0.8)
    for name in ci:
        assert ci[name][0] <= ci80[name][0] < ci80[name][1] <= ci[name][1]


def test_bootstrap_is_deterministic(chinchilla_law, chinchilla_data):
    a = quiet_fit(Fitter(bootstrap=30, seed=7), chinchilla_law, chinchilla_data)
    b = quiet_fit(Fitter(bootstrap=30, seed=7), chinchilla_law, chinchilla_data)
    c = quiet_fit(Fitter(bootstrap=30, seed=8), chinchilla_law, chinchilla_data)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.to_json() == b.to_json()
    assert not np.array_equal(a.draws, c.draws)


def test_formula_law_matches_catalogue_chinchilla(chinchilla_fit, chinchilla_data):
    law = sl.formula_law("E + A/N**alpha + B/D**beta", ["N", "D"])
    res = quiet_fit(Fitter(), law, chinchilla_data)
    assert res.status == "converged"
    for name, value in chinchilla_fit.params.items():
        assert res.params[name] == pytest.approx(value, rel=1e-4), name
    assert res.objective == pytest.approx(chinchilla_fit.objective, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# Results: persistence and prediction


def _assert_same_result(a: FitResult, b: FitResult, X):
    assert b.params == a.params
    assert b.law.name == a.law.name and b.law.formula == a.law.formula
    assert b.status == a.status and b.n == a.n and b.objective == a.objective
    if a.draws is not None:
        assert b.ci() == a.ci()
    pa, pb = a.predict(X), b.predict(X)
    assert pa.keys() == pb.keys()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k])


def test_json_round_trip_catalogue_law(chinchilla_law, chinchilla_data):
    res = quiet_fit(Fitter(bootstrap=40, seed=1), chinchilla_law, chinchilla_data)
    back = FitResult.from_dict(json.loads(json.dumps(res.to_dict())))
    _assert_same_result(res, back, {"N": [1e9, 7e10], "D": [2e10, 1.4e12]})
    assert back.to_json() == res.to_json()
    assert FitResult.from_dict(json.loads(res.to_json())).to_json() == res.to_json()


def test_json_round_trip_formula_law_with_bounds():
    _, data = simulated()
    law = sl.formula_law("E + A * x**(-alpha)", ["x"], bounds={"alpha": (0.0, 2.0)})
    res = quiet_fit(Fitter(bootstrap=20), law, data)
    back = FitResult.from_dict(json.loads(res.to_json()))
    assert back.law.param("alpha").upper == 2.0
    _assert_same_result(res, back, {"x": [1e9, 1e10]})


def test_from_dict_refuses_what_is_not_a_fit():
    with pytest.raises(InputError, match="not a saved fit"):
        FitResult.from_dict({"law": "chinchilla"})


def test_predict_without_draws_has_only_the_prediction(chinchilla_fit):
    out = chinchilla_fit.predict({"N": [1e9, 7e10], "D": [2e10, 1.4e12]})
    assert set(out) == {"prediction"}
    assert out["prediction"].shape == (2,)
    with pytest.raises(InputError, match="--bootstrap"):
        chinchilla_fit.ci()
    with pytest.raises(InputError, match="missing input 'D'"):
        chinchilla_fit.predict({"N": [1e9]})


def test_predict_with_draws_gives_nested_intervals(chinchilla_bootstrap):
    X = {"N": [4e8, 7e10, 1e12], "D": [8e9, 1.4e12, 2e13]}
    out = chinchilla_bootstrap.predict(X)
    assert set(out) == {"prediction", "ci_low", "ci_high", "pi_low", "pi_high"}
    assert np.all(out["ci_low"] <= out["prediction"])
    assert np.all(out["prediction"] <= out["ci_high"])
    assert np.all(out["pi_low"] < out["ci_low"])  # a new run is less certain than the mean
    assert np.all(out["pi_high"] > out["ci_high"])
    assert np.all(out["pi_high"] - out["pi_low"] > out["ci_high"] - out["ci_low"])
    # intervals widen with extrapolation
    width = out["ci_high"] - out["ci_low"]
    assert width[2] > width[1]
    # a lower level narrows them; the same seed gives the same prediction interval
    out80 = chinchilla_bootstrap.predict(X, level=0.8)
    assert np.all(out80["ci_high"] - out80["ci_low"] < width)
    again = chinchilla_bootstrap.predict(X)
    np.testing.assert_array_equal(again["pi_low"], out["pi_low"])


# ---------------------------------------------------------------------------------------------
# Groups


GROUP_TRUTH = {"a": {"E": 1.5, "A": 40.0, "alpha": 0.35}, "b": {"E": 2.5, "A": 120.0, "alpha": 0.35}}


@pytest.fixture(scope="module")
def grouped_data():
    law = sl.get_law("power_offset")
    frames = []
    for i, (g, p) in enumerate(GROUP_TRUTH.items()):
        frame = sl.simulate(law, p, seed=10 + i, noise=0.002)
        frame["g"] = g
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    return law, sl.make_dataset(frame, {"x": "x"}, "loss", group="g")


def test_groups_fit_per_group(grouped_data):
    law, data = grouped_data
    res = quiet_fit(Fitter(), law, data)
    assert res.status == "converged"
    assert res.groups == ["a", "b"]
    assert set(res.params) == {"a", "b"}
    for g, truth in GROUP_TRUTH.items():
        for name, value in truth.items():
            assert res.params[g][name] == pytest.approx(value, rel=0.03), (g, name)
    # per-group fits: the two alphas are estimated separately
    assert res.params["a"]["alpha"] != res.params["b"]["alpha"]
    # prediction needs the group
    with pytest.raises(InputError, match="name the group"):
        res.predict({"x": [1e9]})
    pa = res.predict({"x": [1e9]}, group="a")["prediction"][0]
    pa_true = 1.5 + 40.0 * 1e9 ** -0.35
    assert pa == pytest.approx(pa_true, rel=5e-3)
    with pytest.raises(InputError, match="unknown group"):
        res.predict({"x": [1e9]}, group="c")


def test_groups_with_shared_exponent(grouped_data):
    law, data = grouped_data
    res = quiet_fit(Fitter(shared=("alpha",), bootstrap=30), law, data)
    assert res.status == "converged"
    assert res.shared == ("alpha",)
    alphas = {res.params[g]["alpha"] for g in ("a", "b")}
    assert len(alphas) == 1  # a single value, shared
    assert alphas.pop() == pytest.approx(0.35, rel=0.01)
    for g, truth in GROUP_TRUTH.items():
        assert res.params[g]["E"] == pytest.approx(truth["E"], rel=0.01), g
        assert res.params[g]["A"] == pytest.approx(truth["A"], rel=0.03), g
    ci = res.ci()
    assert ci["a"]["alpha"] == ci["b"]["alpha"]  # shared in every bootstrap draw too
    assert ci["a"]["alpha"][0] < 0.35 < ci["a"]["alpha"][1]
    np.testing.assert_array_equal(res.draws[:, 0, 2], res.draws[:, 1, 2])
    back = FitResult.from_dict(json.loads(res.to_json()))
    assert back.params == res.params and back.shared == ("alpha",)


def test_block_wise_normal_equations_and_arrow_solve_match_the_dense_ones():
    """Many groups with a shared exponent: the gradient and Gauss-Newton matrix built block by
    block, and the step solved through the groups' blocks (Schur complement), equal the dense
    construction and a dense solve."""
    from scalinglaws.fit import _solver
    law = sl.get_law("power_offset")
    rng = np.random.default_rng(0)
    G, n = 12, 8
    x = np.tile(np.geomspace(1e6, 1e9, n), G)
    codes = np.repeat(np.arange(G), n)
    y = 1.5 + rng.uniform(20, 60, G)[codes] * x ** -0.3 * np.exp(0.01 * rng.standard_normal(G * n))
    pb = _solver.make_problem(law, {"x": x}, y, groups=codes, shared=("alpha",))
    assert pb.K == 2 * G + 1 and len(pb.blocks()) == G
    shared, private = pb.arrow()
    assert shared.size == 1 and private.shape == (G, 2)
    B = 3
    U = np.clip(pb.internal(np.where(pb.is_log, 30.0, 0.3))[None, :] +
                0.1 * rng.standard_normal((B, pb.K)), pb.lower, pb.upper)
    W = rng.uniform(0.5, 2.0, (B, n * G))
    pred, g, H = pb.normal_equations(U, W)
    # dense reference: the Jacobian spread over all K slots
    pred_d, J = pb.model(U, jac=True)
    r = _solver.residuals(pred_d, y, pb.space)
    J = J / pred_d[:, :, None]
    om = W * _solver.irls_weight(r, pb.loss, pb.delta)
    np.testing.assert_allclose(g, np.einsum("bn,bn,bnk->bk", om, r, J), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(H, np.einsum("bnk,bn,bnl->bkl", J, om, J), rtol=1e-10,
                               atol=1e-14)
    Hd = H + 1e-3 * np.einsum("bkk->bk", H)[:, :, None] * np.eye(pb.K)
    np.testing.assert_allclose(pb.solve(Hd, g), np.linalg.solve(Hd, g[..., None])[..., 0],
                               rtol=1e-8, atol=1e-12)
    # without groups there is no arrow: a plain dense solve
    single = _solver.make_problem(law, {"x": x[:n]}, y[:n])
    assert single.arrow() is None


def test_shared_must_name_a_parameter(grouped_data):
    law, data = grouped_data
    with pytest.raises(sl.LawError, match="gamma"):
        Fitter(shared=("gamma",)).fit(law, data)


# ---------------------------------------------------------------------------------------------
# Options


@pytest.mark.parametrize(
    "options", [{"loss": "l2"}, {"space": "raw"}, {"loss": "l2", "space": "raw"},
                {"delta": 0.1}, {"n_starts": 16, "n_polish": 2}])
def test_fitter_options_recover_ground_truth(options):
    law, data = simulated()
    truth = sl.laws.catalogue_entry("power_offset").example.params
    res = quiet_fit(Fitter(**options), law, data)
    assert res.status == "converged"
    for name, value in truth.items():
        assert res.params[name] == pytest.approx(value, rel=0.05), name
    assert res.provenance["fitter"] == Fitter(**options).settings()


def test_a_small_linear_column_beside_a_huge_one_is_not_erased():
    # with alpha in (5, 6) and N up to 1e8 the column N**alpha is ~1e40 times the constant's:
    # a ridge relative to the normal equations' trace used to set E to ~1e-39 (objective 0.37)
    law = sl.formula_law("E + A*N**alpha", ["N"], bounds={"alpha": (5, 6)})
    frame = sl.simulate(sl.get_law("power_offset"), seed=0)
    data = sl.make_dataset(frame, {"N": "x"}, "loss")
    res = quiet_fit(Fitter(n_starts=64), law, data)
    flat = Fitter().at(law, data, {"E": float(np.median(data.y)), "A": 0.0, "alpha": 5.5})
    assert res.objective <= flat.objective * 1.001
    assert res.params["E"] == pytest.approx(np.median(data.y), rel=0.05)


@pytest.mark.parametrize(
    ("options", "what"),
    [
        ({"loss": "l1"}, "loss"),
        ({"space": "log10"}, "space"),
        ({"delta": 0.0}, "delta"),
        ({"delta": float("nan")}, "delta"),
        ({"n_starts": 0}, "n_starts"),
        ({"bootstrap": -1}, "bootstrap"),
        ({"bootstrap_unit": "rows"}, "bootstrap_unit"),
        ({"level": 1.0}, "level"),
        ({"level": 95}, "level"),
    ],
)
def test_invalid_fitter_option_raises_input_error(options, what):
    with pytest.raises(InputError, match=what):
        Fitter(**options)


def test_fit_function_forwards_options():
    law, data = simulated()
    a = quiet_fit(Fitter(loss="l2", seed=4), law, data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        b = sl.fit(law, data, loss="l2", seed=4)
    assert a.to_json() == b.to_json()


def test_fitter_holds_configuration_only():
    law, data = simulated()
    fitter = Fitter(bootstrap=10)
    before = fitter.settings()
    quiet_fit(fitter, law, data)
    assert fitter.settings() == before
    with pytest.raises(AttributeError):
        fitter.seed = 3  # frozen


# ---------------------------------------------------------------------------------------------
# Soft and hard failures


def test_parameter_at_bound_gives_status_and_warning():
    _, data = simulated()  # alpha = 0.35
    law = sl.formula_law("E + A * x**(-alpha)", ["x"], bounds={"alpha": (0.0, 0.2)})
    with pytest.warns(sl.FitWarning, match="alpha is at its upper bound 0.2"):
        res = Fitter().fit(law, data)
    assert res.status == "at_bound"
    assert res.params["alpha"] == pytest.approx(0.2, abs=1e-9)
    assert res.diagnostics["at_bound"] == [
        {"param": "alpha", "side": "upper", "bound": 0.2, "group": None}]
    assert any("--bound" in w for w in res.warnings)
    assert "at_bound" in res.summary()


def test_a_tiny_scale_parameter_is_at_a_tiny_bound_only_when_it_touches_it():
    """A scale parameter of 1e-8 is 22 orders of magnitude above a lower bound of 1e-30: not at
    it (the test is relative); pinned by a bound 1% above the truth, it is."""
    x = np.geomspace(1, 1e4, 12)
    y = 1e-8 * x ** -0.5 * (1 + 0.001 * np.random.default_rng(0).standard_normal(12))
    data = sl.make_dataset(pd.DataFrame({"x": x, "y": y}), {"x": "x"}, "y")
    far = sl.formula_law("A*x**(-a)", ["x"], bounds={"A": (1e-30, 1.0), "a": (0, 2)})
    res = Fitter(n_starts=32).fit(far, data)
    assert res.params["A"] == pytest.approx(1e-8, rel=0.01)
    assert res.status == "converged" and res.diagnostics["at_bound"] == []
    near = sl.formula_law("A*x**(-a)", ["x"], bounds={"A": (1.01e-8, 1.0), "a": (0, 2)})
    with pytest.warns(sl.FitWarning, match="A is at its lower bound 1.01e-08"):
        res = Fitter(n_starts=32).fit(near, data)
    assert res.status == "at_bound"


@pytest.mark.filterwarnings("ignore:.*outlying run")
@pytest.mark.filterwarnings("ignore:parameter E is at its lower bound")
def test_a_scale_parameter_at_the_fitters_floor_says_so():
    """With a lower bound of 0, a scale parameter stops at a floor 25 e-folds below the size the
    data suggests; the warning gives that floor, not the bound 0."""
    x = np.geomspace(1e-297, 1e-293, 12)  # the truth: A = 5e-89
    frame = pd.DataFrame({"x": x, "y": 2 + 50 * (x * 1e300) ** -0.3})
    data = sl.make_dataset(frame, {"x": "x"}, "y")
    with pytest.warns(sl.FitWarning, match=r"A is at [0-9.e+-]+, the smallest value the fitter "
                                           r"tries for it .* set --bound A=LO:HI"):
        res = Fitter(n_starts=32).fit(sl.get_law("power_offset"), data)
    (floor,) = [b for b in res.diagnostics["at_bound"] if b["param"] == "A"]
    assert floor["floor"] > 0 and res.params["A"] <= floor["floor"] * np.e


def _scaled(data, s):
    frame = pd.DataFrame({"x": data.X["x"], "y": data.y * s})
    if data.group is not None:
        frame["g"] = data.group
    return sl.make_dataset(frame, {"x": "x"}, "y", group="g" if data.group is not None else None)


@pytest.mark.parametrize("s", [1e-20, 1e-9, 1e-4, 1e6, 1e15])
@pytest.mark.parametrize("options", [{}, {"space": "raw", "loss": "l2"}])
def test_the_fit_does_not_depend_on_the_unit_of_the_target(s, options):
    """The same runs with the target in another unit give the same fit, with the linear
    parameters in that unit: the same R², exponent, status and warnings. (At 1e-20 the amplitude
    used to stop at the fitter's floor of 1.4e-13, R² -3076; at 1e-9 the offset E = 1.7e-9 was
    said to sit at its lower bound 0.)"""
    law, data = simulated()
    ref = quiet_fit(Fitter(**options), law, data)
    res = quiet_fit(Fitter(**options), law, _scaled(data, s))
    assert res.status == ref.status == "converged"
    assert res.warnings == ref.warnings and res.diagnostics["at_bound"] == []
    assert res.metrics["r2"] == pytest.approx(ref.metrics["r2"], abs=1e-9)
    assert res.params["alpha"] == pytest.approx(ref.params["alpha"], rel=1e-5)
    for name in ("E", "A"):
        assert res.params[name] == pytest.approx(ref.params[name] * s, rel=1e-5), name
    unit = s * s if options else 1.0  # raw-space objectives are in the target's unit squared
    assert res.objective == pytest.approx(ref.objective * unit, rel=1e-6)


def test_a_shared_fit_with_bootstrap_does_not_depend_on_the_unit_of_the_target(grouped_data):
    law, data = grouped_data
    fitter = Fitter(shared=("alpha",), bootstrap=20)
    ref = quiet_fit(fitter, law, data)
    res = quiet_fit(fitter, law, _scaled(data, 1e-12))
    assert res.status == ref.status == "converged"
    for g in ("a", "b"):
        assert res.params[g]["alpha"] == pytest.approx(ref.params[g]["alpha"], rel=1e-5)
        assert res.params[g]["A"] == pytest.approx(ref.params[g]["A"] * 1e-12, rel=1e-5)
        lo, hi = res.ci()[g]["E"]
        ref_lo, ref_hi = ref.ci()[g]["E"]
        assert (lo, hi) == pytest.approx((ref_lo * 1e-12, ref_hi * 1e-12), rel=1e-4)


def test_the_target_unit_applies_only_to_laws_linear_in_their_amplitudes():
    from scalinglaws.fit._solver import target_scale

    y = np.array([2e-9, 3e-9, 5e-9])
    assert target_scale(sl.get_law("power_offset"), y) == 1e-9
    assert target_scale(sl.get_law("power_offset"), y * 1e9) == 1.0
    assert target_scale(sl.get_law("power_offset"), y * 1e7) == 1.0  # within two decades of 1
    assert target_scale(sl.get_law("m4"), y) == 1.0  # not linear in an amplitude
    assert target_scale(sl.formula_law("1 + A*x**(-a)", ["x"]), y) == 1.0  # a constant term


def test_fewer_scales_than_parameters_raises_data_error():
    law = sl.get_law("power_offset")
    frame = sl.simulate(law, grid={"x": [1e3, 1e4]}, seed=0)
    frame = pd.concat([frame, frame], ignore_index=True)  # 4 rows, 2 distinct scales
    data = sl.make_dataset(frame, {"x": "x"}, "loss")
    with pytest.raises(DataError, match="only 2 distinct scales .* 3 parameters"):
        Fitter().fit(law, data)


def test_nonpositive_target_in_log_space_raises_input_error():
    law = sl.get_law("power_offset")
    frame = sl.simulate(law, seed=0)
    frame.loc[3, "loss"] = -1.0
    data = sl.make_dataset(frame, {"x": "x"}, "loss")
    with pytest.raises(InputError, match="row 4.*--space raw"):
        Fitter().fit(law, data)


# ---------------------------------------------------------------------------------------------
# Determinism and self-description


def test_same_seed_gives_byte_identical_json():
    law, data = simulated("chinchilla", noise=0.005)
    a = quiet_fit(Fitter(seed=11, bootstrap=20), law, data)
    b = quiet_fit(Fitter(seed=11, bootstrap=20), law, data)
    assert a.to_json() == b.to_json()


def test_result_describes_itself(chinchilla_bootstrap):
    res = chinchilla_bootstrap
    d = res.to_dict()
    for key in ("law", "law_spec", "formula", "inputs", "target", "params", "level", "objective",
                "n", "status", "warnings", "metrics", "diagnostics", "provenance", "ci",
                "draws", "residuals", "fitted", "data"):
        assert key in d, key
    prov = d["provenance"]
    assert prov["version"] == sl.__version__
    assert prov["data_hash"].startswith("sha256:")
    assert prov["seed"] == 0 and prov["fitter"]["bootstrap"] == 1000
    # the numerical environment, which rounding-level choices depend on
    assert prov["environment"]["numpy"] == np.__version__
    assert set(prov["environment"]) == {"python", "numpy", "scipy", "blas", "blas_core", "simd",
                                        "cpu", "machine"}
    # the processor and the kernels chosen for it are read, not left unknown, on Linux x86-64
    # and arm64 with numpy's own OpenBLAS (what CI installs)
    if platform.system() == "Linux" and "openblas" in prov["environment"]["blas"]:
        assert prov["environment"]["blas_core"].startswith("openblas ")
        assert prov["environment"]["blas_core"] != "openblas ?"
        assert prov["environment"]["simd"] not in ("unknown", "")
        assert prov["environment"]["cpu"] != "unknown"
    assert d["n_draws"] == 1000
    assert len(d["residuals"]) == len(d["fitted"]) == 240
    np.testing.assert_allclose(res.residuals, np.log(res.fitted) - np.log(res.data["y"]))
    text = res.summary()
    for name in res.law.param_names:
        assert name in text
    assert "1000 draws" in text and "converged" in text
    assert repr(res).startswith("<FitResult chinchilla: status=converged, n=240")


def test_cpu_is_read_from_x86_and_arm_cpuinfo():
    from scalinglaws._env import cpu_from_cpuinfo

    x86 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9R14\n"
    arm = "processor\t: 0\nBogoMIPS\t: 243.75\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n"
    assert cpu_from_cpuinfo(x86) == "AMD EPYC 9R14"
    assert cpu_from_cpuinfo(arm) == "arm implementer 0x41 part 0xd0c"
    assert cpu_from_cpuinfo("processor\t: 0\n") == ""


def test_group_bootstrap_without_shared_parameters_is_not_degenerate(grouped_data):
    """Resampling whole groups while every parameter is per-group leaves each group's data
    unchanged up to a constant weight, so every draw equals the point estimate. That must not
    be reported as a (zero-width) interval: refuse it, or give intervals that mean something."""
    law, data = grouped_data
    try:
        res = quiet_fit(Fitter(bootstrap=40, bootstrap_unit="groups"), law, data)
    except InputError as err:
        assert "--share" in str(err) or "runs" in str(err)
        return
    ci = res.ci()
    for g in res.groups:
        lo, hi = ci[g]["alpha"]
        assert hi - lo > 1e-4, (g, lo, hi)


def test_data_without_a_law_input_raises_input_error():
    _, data = simulated("power_offset")  # has input x only
    with pytest.raises(InputError, match="'N'"):
        Fitter().fit(sl.get_law("chinchilla"), data)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_interval_level_is_validated(chinchilla_bootstrap, level):
    with pytest.raises(InputError, match="level"):
        chinchilla_bootstrap.ci(level)
    with pytest.raises(InputError, match="level"):
        chinchilla_bootstrap.predict({"N": 7e10, "D": 1.4e12}, level=level)


def test_group_bootstrap_marks_left_out_groups_missing():
    """Resampling whole groups: a group left out of a draw has no estimate for its own
    parameters in that draw (NaN), instead of a copy of the point estimate."""
    law = sl.get_law("power_offset")
    frames = []
    for i in range(4):
        frame = sl.simulate(law, {"E": 1.0 + 0.3 * i, "A": 40.0, "alpha": 0.35}, seed=20 + i,
                            noise=0.003)
        frame["g"] = f"g{i}"
        frames.append(frame)
    data = sl.make_dataset(pd.concat(frames, ignore_index=True), {"x": "x"}, "loss", group="g")
    res = quiet_fit(Fitter(shared=("alpha",), bootstrap=60, bootstrap_unit="groups", seed=3),
                    law, data)
    E, alpha = law.param_names.index("E"), law.param_names.index("alpha")
    assert np.all(np.isfinite(res.draws[:, :, alpha]))  # shared: always estimated
    missing = np.isnan(res.draws[:, :, E])
    assert missing.any() and not missing.all()
    # P(a group is left out of a resample of 4 groups) = (3/4)^4 ~ 0.32
    assert 0.15 < missing.mean() < 0.5
    ci = res.ci()
    for g in res.groups:
        lo, hi = ci[g]["E"]
        assert np.isfinite(lo) and np.isfinite(hi) and lo < hi
    back = FitResult.from_dict(json.loads(res.to_json()))
    assert np.isnan(back.draws[:, :, E]).sum() == missing.sum()
