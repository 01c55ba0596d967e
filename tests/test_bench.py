"""Tests of ``bench``: the metrics, the split rules, the executor, and extrapolation scores on
the real SLDBench copies (the human-law figures each task must reach) and on data bench has
never seen."""

from __future__ import annotations

import io
import json
import math
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import scalinglaws as sl
from scalinglaws import DataError, InputError
from scalinglaws.bench import (
    BenchSettings,
    Largest,
    Threshold,
    are,
    candidate_laws,
    log_rmse,
    nmae,
    nmse,
    parse_largest,
    parse_threshold,
    prepare_dataset,
    r2,
    run_bench,
    score,
)
from scalinglaws.bench._split import SPLIT_COLUMN, apply_split
from scalinglaws.parallel import run_tasks

from conftest import run_cli, shared_dataset_path

# ---------------------------------------------------------------------------------------------
# metrics, against hand computations


def test_metrics_match_their_definitions():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    pred = np.array([1.5, 2.0, 2.0, 5.0])
    # residuals 0.5, 0, -1, 1; mean(y) = 2.5; deviations -1.5, -0.5, 0.5, 1.5
    assert nmse(y, pred) == pytest.approx((0.25 + 0 + 1 + 1) / (2.25 + 0.25 + 0.25 + 2.25))
    assert r2(y, pred) == pytest.approx(1 - 2.25 / 5.0)
    assert nmae(y, pred) == pytest.approx((0.5 + 0 + 1 + 1) / (1.5 + 0.5 + 0.5 + 1.5))
    assert are(y, pred) == pytest.approx((0.5 / 1 + 0 + 1 / 3 + 1 / 4) / 4)
    expected = math.sqrt(np.mean(np.log(pred / y) ** 2))
    assert log_rmse(y, pred) == pytest.approx(expected)
    assert score(y, y) == {"r2": 1.0, "nmse": 0.0, "nmae": 0.0, "are": 0.0, "log_rmse": 0.0}


def test_r2_is_one_minus_mse_over_the_variance_of_the_test_values():
    rng = np.random.default_rng(3)
    y = rng.normal(2.0, 0.1, 50)
    pred = y + rng.normal(0.01, 0.05, 50)
    assert r2(y, pred) == pytest.approx(1 - np.mean((pred - y) ** 2) / np.var(y), rel=1e-12)


def test_undefined_metrics_are_none_not_numbers():
    assert r2([2.0], [2.1]) is None  # one row: no variance
    assert nmse([2.0, 2.0], [2.1, 1.9]) is None  # constant values
    assert nmae([2.0, 2.0], [2.1, 1.9]) is None
    assert are([0.0, 1.0], [0.1, 1.0]) is None  # a zero value
    assert log_rmse([1.0, 2.0], [-0.1, 2.0]) is None  # a non-positive prediction
    assert log_rmse([], []) is None
    with pytest.raises(ValueError, match="2 values but pred has 3"):
        r2([1.0, 2.0], [1.0, 2.0, 3.0])


# ---------------------------------------------------------------------------------------------
# split rules


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("params>=1e10", Threshold("params", ">=", 1e10)),
        (" tokens > 5 ", Threshold("tokens", ">", 5.0)),
        ("N<=3", Threshold("N", "<=", 3.0)),
        ("flops<1.5e21", Threshold("flops", "<", 1.5e21)),
        ("size==7", Threshold("size", "==", 7.0)),
    ],
)
def test_parse_threshold(text, expected):
    assert parse_threshold(text) == expected


@pytest.mark.parametrize("text", ["params", "params=>1", ">=3", "params>=abc", "params>=inf", ""])
def test_parse_threshold_refuses_with_the_expected_form(text):
    with pytest.raises(InputError, match="--holdout"):
        parse_threshold(text)


def test_parse_largest():
    assert parse_largest("params") == Largest("params", 1)
    assert parse_largest("params:3") == Largest("params", 3)
    for bad in ("params:0", "params:x", ":2", ""):
        with pytest.raises(InputError, match="--holdout-largest"):
            parse_largest(bad)


def _frame():
    return pd.DataFrame({
        "x": [1, 2, 3, 4, 10, 20, 30, 40],
        "g": ["a", "a", "a", "a", "b", "b", "b", "b"],
        "split": ["train", "train", "excluded", "test", "train", "train", "train", "test"],
        "__row__": np.arange(1, 9),
    })


def test_largest_holds_out_the_largest_values_within_each_group():
    out = apply_split(_frame(), Largest("x", 1), published=None, group="g", source="t")
    assert out[SPLIT_COLUMN].tolist() == ["train", "train", "train", "test"] * 2
    out = apply_split(_frame(), Largest("x", 2), published="split", group="g", source="t")
    # the published 'excluded' label survives the rule, and excluded rows do not count among
    # the largest values: the first group holds out its two largest kept values
    assert out[SPLIT_COLUMN].tolist() == ["train", "test", "excluded", "test",
                                          "train", "train", "test", "test"]


def test_threshold_rule_and_its_errors():
    out = apply_split(_frame(), Threshold("x", ">=", 20), published=None, group=None, source="t")
    assert out[SPLIT_COLUMN].tolist() == ["train"] * 5 + ["test"] * 3
    with pytest.raises(DataError, match="leaves no test rows.*from 1 to 40"):
        apply_split(_frame(), Threshold("x", ">", 100), published=None, group=None, source="t")
    with pytest.raises(DataError, match="no column 'y'"):
        apply_split(_frame(), Threshold("y", ">", 1), published=None, group=None, source="t")
    frame = _frame().assign(x=["1", "2", "three", "4", "5", "6", "7", "8"])
    with pytest.raises(DataError, match="column 'x' row 3: 'three'"):
        apply_split(frame, Threshold("x", ">", 1), published=None, group=None, source="t")


# ---------------------------------------------------------------------------------------------
# the executor


def _square_or_fail(x):
    if x == 3:
        raise ValueError("three is not allowed")
    if x == 5:
        time.sleep(30)
    return x * x


def test_run_tasks_inline_keeps_order_and_reports_failures():
    seen = []
    out = run_tasks(_square_or_fail, [1, 2, 3, 4], jobs=1,
                    progress=lambda done, total: seen.append((done, total)))
    assert [o.index for o in out] == [0, 1, 2, 3]
    assert [o.value for o in out] == [1, 4, None, 16]
    assert [o.ok for o in out] == [True, True, False, True]
    assert out[2].reason == "ValueError: three is not allowed"
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_run_tasks_in_processes_times_out_one_task_and_goes_on():
    out = run_tasks(_square_or_fail, [2, 5, 3, 4], jobs=2, timeout=3.0)
    assert [o.ok for o in out] == [True, False, False, True]
    assert [o.value for o in out] == [4, None, None, 16]
    assert out[1].reason == "timed out after 3 s (the time limit per task)"
    assert out[2].reason == "ValueError: three is not allowed"


def test_run_tasks_refuses_bad_settings():
    with pytest.raises(InputError, match="unknown backend 'dask'.*local.*ray"):
        run_tasks(_square_or_fail, [1], backend="dask")
    with pytest.raises(InputError, match="takes no address"):
        run_tasks(_square_or_fail, [1], backend="local:host:1")
    with pytest.raises(InputError, match="at least 1"):
        run_tasks(_square_or_fail, [1], jobs=0)
    with pytest.raises(InputError, match="positive number of seconds"):
        run_tasks(_square_or_fail, [1], timeout=-1)


# ---------------------------------------------------------------------------------------------
# the SLDBench tasks: each must reach the human-designed law's figure on our copies

HUMAN_R2 = {  # the human laws fitted on the train split of these copies (issue 3)
    "sldbench_data_constrained": 0.942,
    "sldbench_domain_mixture": 0.975,
    "sldbench_sft_rectified": 0.991,
    "sldbench_lr_bsz": 0.33,
}


def _bench(names, **kwargs):
    return run_bench([shared_dataset_path(n) for n in names], **kwargs)


def test_data_constrained_and_mixture_reach_the_human_figures():
    report = _bench(["sldbench_data_constrained", "sldbench_domain_mixture"],
                    laws=["data_constrained", "mixture"])
    best = report.best()
    assert best["sldbench_data_constrained"]["law"] == "data_constrained"
    assert best["sldbench_data_constrained"]["r2"] >= HUMAN_R2["sldbench_data_constrained"]
    assert best["sldbench_domain_mixture"]["law"] == "mixture"
    assert best["sldbench_domain_mixture"]["r2"] >= HUMAN_R2["sldbench_domain_mixture"]
    # Muennighoff's law does not apply to the mixture data (proportions, 5 inputs): a failed
    # result with the reason, never a number
    wrong = [r for r in report.results
             if r.dataset == "sldbench_domain_mixture" and r.law == "data_constrained"]
    assert wrong and all(r.status == "failed" and r.r2 is None for r in wrong)
    assert wrong[0].reason.startswith("takes 3 input(s) (N, D, U); the dataset has 5")
    # five targets, scored one by one; the dataset's R² is their mean
    mixture = [r for r in report.results
               if r.dataset == "sldbench_domain_mixture" and r.law == "mixture" and r.loss == "l2"]
    assert [r.target for r in mixture] == [f"loss_domain_{i}" for i in range(1, 6)]
    assert best["sldbench_domain_mixture"]["r2"] == pytest.approx(np.mean([r.r2 for r in mixture]))
    assert all(r.n_groups == 4 and len(r.groups) == 4 for r in mixture)


def test_bench_score_equals_a_fit_scored_by_hand():
    report = _bench(["sldbench_data_constrained"], laws=["data_constrained"],
                    settings=BenchSettings(losses=("huber",)))
    (result,) = report.results
    law = sl.get_law("data_constrained")
    data = sl.load_dataset(shared_dataset_path("sldbench_data_constrained"),
                           law_inputs=law.inputs, positive=[*law.inputs, "y"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sl.FitWarning)
        fit = sl.Fitter().fit(law, data.train())
    test = data.test()
    pred = fit.predict(dict(test.X), group=test.group)["prediction"]
    assert result.n_train == 161 and result.n_test == 21
    assert result.r2 == pytest.approx(1 - np.mean((pred - test.y) ** 2) / np.var(test.y), rel=1e-9)
    assert result.params["all_data"] == pytest.approx(fit.params["all_data"], rel=1e-9)


def test_rectified_fine_tuning_reaches_the_human_figure():
    report = _bench(["sldbench_sft_rectified"], laws=["rectified"],
                    settings=BenchSettings(losses=("huber",)))
    (result,) = report.results
    assert result.status == "ok" and result.n_groups == 42
    assert result.n_train == 504 and result.n_test == 42  # data size 0 rows are excluded
    assert result.r2 >= HUMAN_R2["sldbench_sft_rectified"]
    assert len(result.params) == 42


def test_learning_rate_batch_size_needs_the_asymmetric_law():
    report = _bench(["sldbench_lr_bsz"], laws=["lr_bsz", "lr_bsz_asym"],
                    settings=BenchSettings(losses=("huber",)))
    r2s = {r.law: r.r2 for r in report.results}
    assert r2s["lr_bsz_asym"] >= 0.6  # the issue's bar for a better law
    assert r2s["lr_bsz_asym"] > r2s["lr_bsz"] + 0.3
    assert report.best()["sldbench_lr_bsz"]["law"] == "lr_bsz_asym"


def test_candidate_laws_follow_the_inputs_a_dataset_can_supply():
    mixture = prepare_dataset(shared_dataset_path("sldbench_domain_mixture"))
    chosen, skipped = candidate_laws(mixture)
    assert [c.law.name for c in chosen] == ["mixture"]
    assert chosen[0].mapping == {f"r{i}": f"proportion_domain_{i}" for i in range(1, 6)}
    lr = prepare_dataset(shared_dataset_path("sldbench_lr_bsz"))
    chosen, skipped = candidate_laws(lr)
    assert [c.law.name for c in chosen] == ["lr_bsz", "lr_bsz_asym"]
    reasons = {s["law"]: s["reason"] for s in skipped}
    assert "outside [0, 1]" in reasons["mixture"]  # 4 inputs, but not proportions
    assert reasons["chinchilla"].startswith("takes 2 input(s)")


# ---------------------------------------------------------------------------------------------
# data bench has never seen: a dataset.toml folder written here


def _write_folder(folder, *, frame, toml):
    folder.mkdir()
    frame.to_csv(folder / "data.csv", index=False)
    (folder / "dataset.toml").write_text(toml)
    return folder


def _simulated_runs(seed=0):
    law = sl.get_law("chinchilla")
    truth = {"E": 1.8, "A": 400.0, "B": 2000.0, "alpha": 0.34, "beta": 0.37}
    frame = sl.simulate(law, truth, {"N": (1e8, 3e10, 6), "D": (2e9, 6e11, 6)}, noise=0.003,
                        seed=seed, target="loss")
    return frame.rename(columns={"N": "n_params", "D": "n_tokens"}), truth


def test_unseen_folder_with_a_holdout_rule_recovers_the_simulating_law(tmp_path):
    frame, truth = _simulated_runs()
    folder = _write_folder(tmp_path / "fresh", frame=frame, toml=(
        'name = "fresh"\ndescription = "simulated"\n'
        'inputs = ["n_params", "n_tokens"]\ntarget = "loss"\n'))
    with pytest.raises(DataError, match="no train/test split.*--holdout"):
        run_bench([folder])
    report = run_bench([folder], laws=["chinchilla"], split=Threshold("n_params", ">=", 5e9),
                       settings=BenchSettings(losses=("huber",)))
    (result,) = report.results
    assert result.status == "ok"
    assert result.n_test == 12 and result.n_train == 24  # N = 9.6e9 and 3e10 held out
    assert result.are < 0.01  # 0.3% noise: the extrapolation is within 1%
    for name in ("E", "alpha", "beta"):  # A and B trade off against the exponents
        assert result.params[name] == pytest.approx(truth[name], rel=0.1), name
    assert report.datasets[0].split == "--holdout 'n_params>=5e+09'"


def test_unseen_grouped_folder_with_holdout_largest(tmp_path):
    parts = []
    for g, seed in (("first", 1), ("second", 2)):
        frame, _ = _simulated_runs(seed)
        parts.append(frame.assign(family=g))
    folder = _write_folder(tmp_path / "families", frame=pd.concat(parts), toml=(
        'name = "families"\ndescription = "two simulated families"\n'
        'inputs = ["n_params", "n_tokens"]\ntarget = "loss"\ngroup = "family"\n'))
    report = run_bench([folder], laws=["chinchilla", "E + A/n_params**a"],
                       split=Largest("n_tokens"), settings=BenchSettings(losses=("l2",)))
    full, partial = report.results
    assert full.status == partial.status == "ok"
    assert full.n_groups == 2 and [g.n_test for g in full.groups] == [6, 6]
    assert set(full.params) == {"first", "second"}
    assert full.r2 > 0.9 > partial.r2  # the law without a data term cannot extrapolate in D
    assert partial.law == "E + A/n_params**a"
    assert report.best()["families"]["law"] == "chinchilla"


def test_a_fit_that_cannot_be_done_is_reported_failed_with_its_reason(tmp_path):
    frame, _ = _simulated_runs()
    folder = _write_folder(tmp_path / "few", frame=frame.iloc[::9], toml=(
        'name = "few"\ndescription = "four runs"\n'
        'inputs = ["n_params", "n_tokens"]\ntarget = "loss"\n'))
    report = run_bench([folder], laws=["chinchilla", "vocab", "power_offset"],
                       split=Largest("n_params"), settings=BenchSettings(losses=("huber",)))
    by_law = {r.law: r for r in report.results}
    assert by_law["chinchilla"].status == "failed"
    assert "distinct scales" in by_law["chinchilla"].reason
    assert by_law["chinchilla"].r2 is None and by_law["chinchilla"].params is None
    assert by_law["vocab"].status == "failed"
    assert by_law["vocab"].reason.startswith("takes 3 input(s) (Nnv, Nv, H); the dataset has 2")
    assert by_law["power_offset"].status == "failed"  # input x has no column of that name
    # a fit that failed is told apart from a law that cannot describe the data at all
    assert by_law["chinchilla"].applicable
    assert not by_law["vocab"].applicable and not by_law["power_offset"].applicable
    assert by_law["vocab"].to_dict()["applicable"] is False
    assert report.best()["few"] == {"law": None, "loss": None, "r2": None, "are": None}


def test_missing_values_follow_the_nan_policy(tmp_path):
    frame, _ = _simulated_runs()
    frame.loc[3, "n_tokens"] = np.nan
    folder = _write_folder(tmp_path / "holes", frame=frame, toml=(
        'name = "holes"\ndescription = "one missing value"\n'
        'inputs = ["n_params", "n_tokens"]\ntarget = "loss"\n'))
    kwargs = dict(laws=["chinchilla"], split=Largest("n_params"),
                  settings=BenchSettings(losses=("l2",)))
    (failed,) = run_bench([folder], **kwargs).results
    assert failed.status == "failed"
    assert failed.reason == ("column 'n_tokens' row 4: missing value (NaN); fix the data or pass "
                             "--nan-policy drop")
    (kept,) = run_bench([folder], nan_policy="drop", **kwargs).results
    assert kept.status == "ok" and kept.n_dropped == 1
    assert kept.n_train + kept.n_test == len(frame) - 1


def test_results_are_reproducible_and_independent_of_the_number_of_jobs():
    names = ["sldbench_domain_mixture"]
    one = _bench(names, settings=BenchSettings(seed=3)).to_dict()
    again = _bench(names, settings=BenchSettings(seed=3)).to_dict()
    assert json.dumps(one) == json.dumps(again)
    two = _bench(names, settings=BenchSettings(seed=3), jobs=2).to_dict()
    for a, b in zip(one["results"], two["results"]):
        assert (a["law"], a["target"], a["loss"]) == (b["law"], b["target"], b["loss"])
        assert a["r2"] == pytest.approx(b["r2"], rel=1e-9, abs=1e-12)


def test_a_dataset_names_its_reference_law(tmp_path):
    frame, _ = _simulated_runs()
    toml = ('name = "ref"\ndescription = "simulated"\ninputs = ["n_params", "n_tokens"]\n'
            'target = "loss"\nreference_law = "{}"\n')
    folder = _write_folder(tmp_path / "ref", frame=frame, toml=toml.format("kaplan"))
    report = run_bench([folder], split=Largest("n_params"))
    assert report.datasets[0].reference_law == "kaplan"
    kaplan = max((s for s in report.scores() if s.law == "kaplan"), key=lambda s: s.r2)
    assert report.reference()["ref"] == {"law": "kaplan", "loss": kaplan.loss, "r2": kaplan.r2,
                                         "are": kaplan.are, "status": "ok"}
    assert f"reference law: kaplan, R² {kaplan.r2:.4f}" in report.to_text()
    # a reference law outside the catalogue is scored too, beside the catalogue's laws
    (folder / "dataset.toml").write_text(toml.format("E + A/n_params**a"))
    report = run_bench([folder], split=Largest("n_params"), settings=BenchSettings(losses=("l2",)))
    laws = [s.law for s in report.scores()]
    assert laws[-1] == "E + A/n_params**a" and "chinchilla" in laws
    assert report.reference()["ref"]["status"] == "ok"
    assert report.reference()["ref"]["r2"] < report.best()["ref"]["r2"]


# ---------------------------------------------------------------------------------------------
# the command


def test_cli_json_has_results_and_best(tmp_path):
    out = tmp_path / "bench.json"
    proc = run_cli("bench", shared_dataset_path("sldbench_data_constrained"), "--law",
                   "data_constrained", "--format", "json", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert "bench: 1 dataset(s), 2 results (2 ok, 0 failed)" in proc.stderr
    record = json.loads(out.read_text())
    first = record["results"][0]
    for key in ("dataset", "law", "target", "status", "reason", "r2", "nmse", "nmae", "are",
                "log_rmse", "params"):
        assert key in first
    assert [r["loss"] for r in record["results"]] == ["huber", "l2"]
    best = record["best"]["sldbench_data_constrained"]
    assert best["law"] == "data_constrained" and best["loss"] == "huber"
    assert best["r2"] == pytest.approx(first["r2"])
    assert record["datasets"][0]["data_hash"].startswith("sha256:")
    again = run_cli("bench", shared_dataset_path("sldbench_data_constrained"), "--law",
                    "data_constrained", "--format", "json", "-o", out)
    assert again.returncode == 2 and "exists; pass --force" in again.stderr


def test_cli_scores_a_law_saved_in_a_file_like_its_formula(tmp_path):
    law = tmp_path / "law.json"
    formula = "E + A/sft_data_size**a"
    law.write_text(json.dumps({"kind": "formula", "name": "discovered", "formula": formula,
                               "inputs": ["sft_data_size"], "bounds": {"a": [0, 3]},
                               "columns": {"sft_data_size": "sft_data_size"}, "shared": []}))
    proc = run_cli("bench", shared_dataset_path("sldbench_sft_rectified"), "--law", law,
                   "--law", formula, "--loss", "l2", "--starts", "16", "--format", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    saved, typed = json.loads(proc.stdout)["results"]
    assert saved["law"] == "law.json" and typed["law"] == formula
    assert saved["status"] == "ok" and saved["r2"] == pytest.approx(typed["r2"], abs=1e-6)


def test_cli_scores_a_saved_law_through_its_columns(tmp_path):
    # the law's input 'D' is not a column: the file's columns map it, as discover saves them
    law = tmp_path / "law.json"
    law.write_text(json.dumps({"kind": "formula", "name": "discovered", "formula": "E + A/D**a",
                               "inputs": ["D"], "bounds": {"a": [0, 3]},
                               "columns": {"D": "sft_data_size"}, "shared": []}))
    formula = "E + A/sft_data_size**a"
    proc = run_cli("bench", shared_dataset_path("sldbench_sft_rectified"), "--law", law,
                   "--law", formula, "--loss", "l2", "--starts", "16", "--format", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    saved, typed = json.loads(proc.stdout)["results"]
    assert saved["status"] == "ok" and saved["r2"] == pytest.approx(typed["r2"], abs=1e-6)
    # a catalogue law saved with its column, scored on data that has it
    cat = tmp_path / "cat.json"
    cat.write_text(json.dumps({"kind": "catalogue", "name": "power_offset",
                               "columns": {"x": "sft_data_size"}, "shared": []}))
    proc = run_cli("bench", shared_dataset_path("sldbench_sft_rectified"), "--law", cat,
                   "--loss", "l2", "--starts", "16", "--format", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)["results"][0]
    assert result["status"] == "ok" and result["r2"] > 0.8
    # and on data that lacks the column: the reason names it
    proc = run_cli("bench", shared_dataset_path("sldbench_data_constrained"), "--law", law,
                   "--loss", "l2", "--starts", "16", "-q")
    assert proc.returncode == 2
    assert "reads column(s) this dataset lacks (D <- 'sft_data_size'" in proc.stderr


def test_cli_errors_are_one_line_with_exit_code_2(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dataset.toml").write_text('name = "bad"\ninputs = ["N"\n')
    (bad / "data.csv").write_text("N,loss\n1,2\n")
    proc = run_cli("bench", bad)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "malformed TOML" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    (bad / "dataset.toml").write_text('name = "bad"\ndescription = "x"\ninputs = ["N"]\n'
                                      'target = "loss"\nsplits = "s"\n')
    proc = run_cli("bench", bad)
    assert proc.returncode == 2 and "unknown key 'splits'" in proc.stderr
    proc = run_cli("bench", bad, "--holdout", "N>1", "--holdout-largest", "N")
    assert proc.returncode == 2 and "not both" in proc.stderr
    proc = run_cli("bench", tmp_path / "missing")
    assert proc.returncode == 2 and "no such dataset folder" in proc.stderr
    # a law named by --law that cannot describe the data is a usage error, not a failed fit
    proc = run_cli("bench", shared_dataset_path("sldbench_sft_rectified"), "--law", "chinchilla",
                   "--loss", "l2")
    assert proc.returncode == 2
    assert "error: no law named by --law applies to the data" in proc.stderr
    assert "takes 2 input(s) (N, D); the dataset has 1 (sft_data_size)" in proc.stderr


def test_cli_timeout_reports_failed_fits_and_exit_code_1():
    proc = run_cli("bench", shared_dataset_path("sldbench_lr_bsz"), "--law", "lr_bsz_asym",
                   "--loss", "huber", "--timeout", "0.05", "--format", "csv")
    assert proc.returncode == 1, proc.stderr
    assert "error: no law could be fitted" in proc.stderr
    rows = list(pd.read_csv(io.StringIO(proc.stdout)).itertuples())
    assert len(rows) == 1 and rows[0].status == "failed"
    assert "timed out after 0.05 s" in rows[0].reason
    assert math.isnan(rows[0].r2)  # an empty cell, not a number
