"""User mistakes and odd inputs: a clear error with the right exit code (2 for usage, 1 for a
failure), never a traceback, a silently wrong answer or a file left behind."""

from __future__ import annotations

import io
import json
import os
import re
import sys

import numpy as np
import pandas as pd
import pytest

from scalinglaws.cli import main
from scalinglaws.cli._common import dumps


def cli(capsys, *args, stdin: bytes | None = None, monkeypatch=None):
    """Run the CLI in this process; ``(exit code, stdout, stderr)``."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture()
def fit_file(tmp_path, chinchilla_bootstrap):
    path = tmp_path / "fit.json"
    path.write_text(dumps(chinchilla_bootstrap.to_dict()))
    return path


@pytest.fixture()
def runs(tmp_path):
    rng = np.random.default_rng(0)
    N = np.repeat([1e7, 3e7, 1e8, 3e8], 4)
    D = np.tile([1e9, 3e9, 1e10, 3e10], 4)
    loss = (1.8 + 400 / N ** 0.34 + 410 / D ** 0.28) * np.exp(0.01 * rng.standard_normal(16))
    df = pd.DataFrame({"N": N, "D": D, "loss": loss})
    path = tmp_path / "runs.csv"
    df.to_csv(path, index=False)
    return path, df


# ---------------------------------------------------------------------------------------------
# output files


def test_every_output_path_is_checked_before_the_work(capsys, tmp_path):
    ok = tmp_path / "ok.json"
    code, _, err = cli(capsys, "demo", "-q", "-o", ok, "--report", tmp_path / "nodir" / "r.html")
    assert code == 2 and "--report" in err and "does not exist" in err
    assert not ok.exists()  # nothing was fitted nor written
    code, _, err = cli(capsys, "demo", "-q", "-o", tmp_path, "--report", "")
    assert code == 2 and "is a folder" in err
    same = tmp_path / "same.json"
    code, _, err = cli(capsys, "discover", "x.csv", "--save-law", same, "--save-fit", same)
    assert code == 2 and "same file" in err
    code, _, err = cli(capsys, "demo", "-q", "-o", "-", "--report", "")
    assert code == 2 and "-o -" in err


def test_a_link_is_written_through_and_kept(capsys, tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("old\n")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    code, _, err = cli(capsys, "flops", "-N", "1e9", "-D", "1e10", "-o", link)
    assert code == 2 and "exists" in err and target.read_text() == "old\n"
    code, _, _ = cli(capsys, "flops", "-N", "1e9", "-D", "1e10", "-o", link, "--force")
    assert code == 0 and link.is_symlink()
    assert "6e+19 FLOPs" in target.read_text()


# ---------------------------------------------------------------------------------------------
# options


@pytest.mark.parametrize("args", [
    ("simulate", "--law", "chinchilla", "--seed", "-1"),
    ("demo", "--seed", "-1"),
    ("discover", "x.csv", "--stack-group-level", "0"),
    ("discover", "x.csv", "--stack-group-level", "1.5"),
])
def test_out_of_range_options_are_usage_errors(capsys, args):
    code, _, err = cli(capsys, *args)
    assert code == 2 and "Invalid value" in err and "internal error" not in err


def test_too_few_bootstrap_refits_are_refused(capsys, runs):
    path, _ = runs
    code, _, err = cli(capsys, "fit", path, "--law", "chinchilla", "--input", "N=N,D=D",
                       "--target", "loss", "--bootstrap", "5", "-q")
    assert code == 2 and "at least 10" in err


def test_simulate_never_overwrites_an_input_with_the_target(capsys):
    code, _, err = cli(capsys, "simulate", "--law", "chinchilla", "--target", "N")
    assert code == 2 and "'N'" in err and "input" in err
    code, _, err = cli(capsys, "simulate", "--law", "chinchilla", "--target", "")
    assert code == 2 and "needs a name" in err
    code, out, _ = cli(capsys, "simulate", "--law", "chinchilla", "--target", "L", "--noise", "0")
    df = pd.read_csv(io.StringIO(out))
    assert list(df.columns) == ["N", "D", "L", "true_L"]
    assert np.allclose(df["L"], df["true_L"]) and df["N"].min() >= 1e6


# ---------------------------------------------------------------------------------------------
# data


def test_a_column_named_twice_is_refused(capsys, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("N,D,loss,loss\n1e8,1e9,3,6\n2e8,1e9,2.9,5.8\n")
    code, _, err = cli(capsys, "fit", path, "--law", "chinchilla", "--input", "N=N,D=D",
                       "--target", "loss")
    assert code == 2 and "'loss' appears twice" in err and "columns 3 and 4" in err


def test_non_utf8_input_on_stdin_is_a_data_error(capsys, monkeypatch):
    code, _, err = cli(capsys, "fit", "-", "--law", "chinchilla", "--input", "N=N,D=D",
                       "--target", "loss", stdin=b"N,D,loss\n1e8,1e9,\xff\n",
                       monkeypatch=monkeypatch)
    assert code == 2 and "<stdin>" in err and "UTF-8" in err


def test_stdin_takes_json_records_columns_and_lines_like_csv(capsys, monkeypatch, runs):
    _, df = runs
    args = ["fit", "-", "--law", "chinchilla", "--input", "N=N,D=D", "--target", "loss",
            "--starts", "16", "--format", "json", "-q"]
    texts = {"csv": df.to_csv(index=False), "records": df.to_json(orient="records"),
             "columns": df.to_json(orient="columns"),
             "lines": df.to_json(orient="records", lines=True)}
    params = {}
    for kind, text in texts.items():
        code, out, err = cli(capsys, *args, stdin=text.encode(), monkeypatch=monkeypatch)
        assert code == 0, (kind, err)
        params[kind] = json.loads(out)["params"]
    for kind in texts:
        assert params[kind] == pytest.approx(params["csv"], rel=1e-6), kind
    code, _, err = cli(capsys, *args, stdin=b"[1, 2", monkeypatch=monkeypatch)
    assert code == 2 and "<stdin>: malformed JSON" in err


def test_a_byte_order_mark_in_dataset_toml_is_read_past(capsys, tmp_path, runs):
    _, df = runs
    folder = tmp_path / "bom"
    folder.mkdir()
    df.to_csv(folder / "data.csv", index=False)
    toml = 'name = "bom"\ndescription = "x"\ninputs = ["N", "D"]\ntarget = "loss"\n'
    (folder / "dataset.toml").write_bytes(b"\xef\xbb\xbf" + toml.encode())
    code, out, err = cli(capsys, "fit", folder, "--law", "chinchilla", "--starts", "16", "-q")
    assert code == 0, err
    assert "n 16" in out


# ---------------------------------------------------------------------------------------------
# predict, report, plot on saved fits


def test_predict_refuses_points_outside_the_laws_domain(capsys, fit_file, tmp_path):
    code, _, err = cli(capsys, "predict", fit_file, "--at", "N=-1e9,D=1e10")
    assert code == 2 and "input N at point 1: -1e+09 must be finite and > 0" in err
    code, _, err = cli(capsys, "predict", fit_file, "--at", "N=0,D=1e10")
    assert code == 2 and "> 0" in err
    header = tmp_path / "header.csv"
    header.write_text("N,D\n")
    code, _, err = cli(capsys, "predict", fit_file, "--points", header)
    assert code == 2 and "no rows" in err
    code, out, _ = cli(capsys, "predict", fit_file, "--at", "N=1e9,D=1e10", "--format", "json")
    assert code == 0 and np.isfinite(json.loads(out)["predictions"][0]["prediction"])


@pytest.mark.parametrize("damage, message", [
    (lambda d: d.update(draws=[[1, 2]]), "bootstrap draws of shape (1, 2)"),
    (lambda d: d.pop("residuals"), "'residuals'"),
    (lambda d: d.pop("data"), "'data'"),
    (lambda d: d["params"].update(E=float("nan")), "not a finite number"),
    (lambda d: d.update(space="weird"), "space 'weird'"),
])
def test_a_damaged_fit_file_is_refused(capsys, fit_file, damage, message):
    d = json.loads(fit_file.read_text())
    damage(d)
    fit_file.write_text(json.dumps(d))
    code, _, err = cli(capsys, "predict", fit_file, "--at", "N=1e9,D=1e10")
    assert code == 2 and message in err and "internal error" not in err


def test_report_and_plot_want_a_plan_record(capsys, fit_file, tmp_path):
    other = tmp_path / "other.json"
    other.write_text('{"a": 1}')
    code, _, err = cli(capsys, "report", fit_file, "-q", "--plan", other, "-o",
                       tmp_path / "r.html")
    assert code == 2 and "not a plan record" in err and not (tmp_path / "r.html").exists()
    code, _, err = cli(capsys, "plot", fit_file, "--kind", "frontier", "--plan", fit_file, "-o",
                       tmp_path / "f.png")
    assert code == 2 and "not a plan record" in err
    text = tmp_path / "plan.txt"
    text.write_text("compute-optimal plan ...\n")
    code, _, err = cli(capsys, "report", fit_file, "-q", "--plan", text, "-o",
                       tmp_path / "r.html")
    assert code == 2 and "--format json" in err


def test_report_and_plot_refuse_a_plan_of_another_model(capsys, fit_file, tmp_path, runs):
    """A plan made from another law, other parameters or several budgets is refused: the page
    would show two predicted losses for the same point."""
    plan = tmp_path / "plan.json"
    code, _, err = cli(capsys, "plan", fit_file, "--budget", "1e21", "--format", "json", "-o",
                       plan)
    assert code == 0, err
    code, _, err = cli(capsys, "report", fit_file, "--plan", plan, "-o", tmp_path / "ok.html",
                       "-q")
    assert code == 0, err
    record = json.loads(plan.read_text())
    other = tmp_path / "other.json"
    record["model"]["params"]["E"] *= 1.01
    other.write_text(json.dumps(record))
    for verb in (["report", fit_file, "-o", tmp_path / "r.html"],
                 ["plot", fit_file, "--kind", "frontier", "-o", tmp_path / "f.png"]):
        code, _, err = cli(capsys, *verb, "--plan", other)
        assert code == 2 and "was not made from" in err and "parameters differ" in err, err
    record["model"]["formula"] = "E + A/N**alpha"
    other.write_text(json.dumps(record))
    code, _, err = cli(capsys, "report", fit_file, "--plan", other, "-o", tmp_path / "r.html")
    assert code == 2 and "its law is E + A/N**alpha" in err
    several = tmp_path / "several.json"
    code, _, err = cli(capsys, "plan", fit_file, "--budget", "1e21", "--budget", "1e22",
                       "--format", "json", "-o", several)
    assert code == 0, err
    code, _, err = cli(capsys, "report", fit_file, "--plan", several, "-o", tmp_path / "r.html")
    assert code == 2 and "holds 2 plans" in err and "single --budget" in err
    assert not (tmp_path / "r.html").exists()


def test_plot_refuses_a_target_it_cannot_draw(capsys, fit_file, tmp_path):
    code, _, err = cli(capsys, "plot", fit_file, "--kind", "extrapolation", "--at",
                       "N=1e300,D=1e300", "-o", tmp_path / "x.png")
    assert code == 2 and "nearer --at" in err and not (tmp_path / "x.png").exists()


# ---------------------------------------------------------------------------------------------
# discover


def test_discover_exits_1_when_no_law_can_be_fitted(capsys, runs, tmp_path, monkeypatch):
    path, df = runs
    fit = tmp_path / "f.json"
    # no law form has a single parameter: a usage error before the search, naming the smallest
    code, out, err = cli(capsys, "discover", path, "--inputs", "N,D", "--target", "loss",
                         "--max-params", "1", "--jobs", "1", "--no-catalogue", "-q",
                         "--save-fit", fit)
    assert code == 2 and not out
    assert "--max-params 1: the search starts from forms of at least 3 parameters" in err
    # a search in which every candidate failed: exit 1, nothing saved
    from scalinglaws.discover import _search

    monkeypatch.setattr(_search._Search, "run", lambda self: [])
    code, out, err = cli(capsys, "discover", path, "--inputs", "N,D", "--target", "loss",
                         "--jobs", "1", "-q", "--save-fit", fit, "--format", "json", "-o",
                         tmp_path / "out.json")
    assert code == 1 and "NO LAW COULD BE FITTED" in (tmp_path / "out.json").read_text()
    assert "no law could be fitted for 'loss' and nothing was saved; the verdict in " in err
    assert not fit.exists()
    # a constant target is refused before the search (exit 2), saying so
    df.assign(loss=3.0).to_csv(path, index=False)
    code, out, err = cli(capsys, "discover", path, "--inputs", "N,D", "--target", "loss",
                         "--jobs", "1", "-q")
    assert code == 2 and "is constant (3 on all 16 train rows" in err and not out


def test_discover_names_the_row_that_stops_an_input_being_a_scale(capsys, runs):
    path, df = runs
    df.loc[4, "N"] = -7e7
    df.to_csv(path, index=False)
    args = ("discover", path, "--inputs", "N,D", "--target", "loss", "--max-screened", "6",
            "--max-rounds", "0", "--starts", "16", "--jobs", "1", "--no-catalogue", "-q")
    code, out, err = cli(capsys, *args)
    assert code == 0
    assert "input 'N': row 5 has -7e+07 (1 value(s) <= 0 of 16)" in err
    assert "N (real)" in out
    code, _, err = cli(capsys, *args, "--scale", "N,D")
    assert code == 2 and "--scale N: a scale must be > 0, but row 5 has -7e+07" in err


def test_no_command_writes_over_a_file_it_reads(capsys, runs, tmp_path):
    path, df = runs
    before = path.read_bytes()
    for args in (("fit", path, "--law", "chinchilla", "--target", "loss", "-o", path),
                 ("discover", path, "--inputs", "N,D", "--target", "loss", "-o", path),
                 ("discover", path, "--inputs", "N,D", "--target", "loss", "--save-law", path)):
        code, _, err = cli(capsys, *args, "--force", "-q")
        assert code == 2 and f"{path} is a file this command reads" in err, err
    folder = tmp_path / "task"
    folder.mkdir()
    df.to_csv(folder / "data.csv", index=False)
    (folder / "dataset.toml").write_text('inputs = ["N", "D"]\ntarget = "loss"\n')
    code, _, err = cli(capsys, "fit", folder, "--law", "chinchilla", "-o",
                       folder / "dataset.toml", "--force")
    assert code == 2 and "is a file this command reads" in err
    assert path.read_bytes() == before


def test_discover_warns_of_a_target_at_or_below_zero_and_checks_its_columns(capsys, runs):
    path, df = runs
    df.loc[3, "loss"] = 0.0
    df["g"] = np.where(df.index < 8, "a", "b")
    df.to_csv(path, index=False)
    args = ("discover", path, "--inputs", "N,D", "--target", "loss", "--max-screened", "6",
            "--max-rounds", "0", "--starts", "16", "--jobs", "1", "--no-catalogue", "-q")
    code, out, err = cli(capsys, *args)
    assert code == 0
    assert ("target 'loss': row 4 has 0 (1 value(s) <= 0 of 16), so the search fits raw "
            "values, not logarithms") in err
    for column, message in (("N", "cannot be both input N and the group column"),
                            ("loss", "cannot be both the target and the group column")):
        code, _, err = cli(capsys, *args, "--group", column)
        assert code == 2 and message in err and "--group COLUMN" in err, err
    code, _, err = cli(capsys, "discover", path, "--inputs", "", "--target", "loss")
    assert code == 2 and "--inputs '': give column names" in err


def test_no_output_is_left_behind_by_a_failed_write(capsys, tmp_path):
    before = set(os.listdir(tmp_path))
    code, _, err = cli(capsys, "flops", "-N", "1e9", "-D", "1e10", "-o",
                       tmp_path / "missing" / "out.txt")
    assert code == 2 and "does not exist" in err
    assert set(os.listdir(tmp_path)) == before


# ---------------------------------------------------------------------------------------------
# options that were silently ignored


def test_options_that_cannot_apply_are_refused(capsys, runs, fit_file, tmp_path):
    path, _ = runs
    code, _, err = cli(capsys, "fit", path, "--law", "chinchilla", "--input", "N=N,D=D",
                       "--target", "N")
    assert code == 2 and "also the law's input N" in err
    code, _, err = cli(capsys, "predict", fit_file, "--at", "N=1e9,D=1e10", "--group", "x")
    assert code == 2 and "no groups" in err
    code, _, err = cli(capsys, "plot", fit_file, "--kind", "fit", "--group", "x", "-o",
                       tmp_path / "f.png")
    assert code == 2 and "--group applies to" in err
    code, _, err = cli(capsys, "next-runs", fit_file, "--max-flops", "1e19",
                       "--at", "N=1e9,D=1e10,Q=3")
    assert code == 2 and "--at Q" in err
    code, _, err = cli(capsys, "next-runs", fit_file, "--max-flops", "1e19",
                       "--at", "N=1e9,D=1e10", "--budget", "1e20")
    assert code == 2 and "not both" in err
    code, _, err = cli(capsys, "bench", tmp_path, "--law", "chinchilla", "--share", "zzz")
    assert code == 2  # the folder is not a dataset: refused before --share is looked at


def test_fit_options_that_would_be_ignored_are_refused(capsys, runs):
    path, _ = runs
    law = ["--law", "chinchilla", "--input", "N=N,D=D", "--target", "loss", "--starts", "8"]
    code, _, err = cli(capsys, "fit", path, *law, "--rows", "train")
    assert code == 2 and "--rows train: this data has no split column" in err
    code, _, err = cli(capsys, "fit", path, *law, "--bootstrap-unit", "groups", "--bootstrap",
                       "10")
    assert code == 2 and "resamples whole groups and needs two" in err and "--bootstrap-unit groups" in err


@pytest.mark.parametrize("args, message", [
    (["flops", "-N", "7e10", "-D", "1.4e12", "--seq-len", "8192"],
     "--seq-len describes an architecture"),
    (["flops", "-N", "7e10", "-D", "1.4e12", "--vocab", "32000", "--d-ff", "100"],
     "--d-ff, --vocab describe an architecture"),
    (["simulate", "--law", "chinchilla", "--n-inputs", "3"],
     "--n-inputs applies to laws with a variable number of inputs"),
    (["simulate", "--law", "chinchilla", "--grid", "N=1e8:1e10:1", "--grid", "D=1e9:1e11:2"],
     "a count of 1 gives one value"),
    (["fit", "RUNS", "--law", "chinchilla", "--input", "N=N,D=D", "--target", "loss", "--loss",
      "l2", "--delta", "0.1"], "--delta is the Huber threshold"),
    (["isoflop", "RUNS", "--input", "N=N,D=D", "--target", "loss", "--n-budgets", "5"],
     "--n-budgets applies with --curves"),
    (["demo", "--bootstrap", "5", "--report", "", "-q"], "--bootstrap 5: give 0"),
    (["hparams", "--at", "N=1e9,D=1e11", "--compare", "deepseek"],
     "--compare picks the published law a fitted sweep is compared with"),
])
def test_options_that_would_be_ignored_are_refused(capsys, runs, args, message):
    path, _ = runs
    code, out, err = cli(capsys, *[path if a == "RUNS" else a for a in args])
    assert code == 2 and message in err and err.count("\n") == 1, err
    assert out == ""


def test_demo_says_when_its_point_is_not_an_extrapolation(capsys):
    code, out, err = cli(capsys, "demo", "--bootstrap", "0", "--report", "", "-q", "--at",
                         "N=1e9,D=1e12")
    assert code == 0, err
    assert "note: --at is not beyond the runs in N (largest: N 1.6e+10)" in err
    assert "prediction at N=1e+09, D=1e+12" in out


def test_hparams_at_a_compute_alone_gives_the_prescriptions_that_need_only_it(capsys):
    code, out, err = cli(capsys, "hparams", "--at", "C=6e20")
    assert code == 0, err
    assert "deepseek   lr 0.0007881" in out
    assert "step_law   not evaluated: the step_law prescription needs N" in out
    code, out, err = cli(capsys, "hparams", "--at", "C=6e20", "--format", "json")
    record = json.loads(out)["prescriptions"]
    assert set(record["published"]) == {"deepseek"} and "step_law" in record["not_evaluated"]


def test_bench_options_that_would_be_ignored_are_refused(capsys, shared_dataset):
    folder = shared_dataset("bnsl_4digit_addition")
    for extra, message in ((["--loss", "l2", "--delta", "0.5"], "--delta is the Huber"),
                           (["--per-group", "--format", "json"], "--per-group adds"),
                           (["--predictions"], "--predictions adds the test rows")):
        code, _, err = cli(capsys, "bench", folder, "--law", "power", *extra)
        assert code == 2 and message in err, err
    code, _, err = cli(capsys, "bench", shared_dataset("chinchilla_epoch_svg"), "--law",
                       "chinchilla", "--share", "alpha", "--holdout-largest", "params")
    assert code == 2 and "no dataset here has groups" in err


def test_missing_values_can_be_dropped_in_isoflop_and_hparams(capsys, runs, tmp_path):
    path, df = runs
    holes = df.copy()
    holes.loc[2, "loss"] = np.nan
    holes.to_csv(tmp_path / "holes.csv", index=False)
    args = ["isoflop", tmp_path / "holes.csv", "--input", "N=N,D=D", "--target", "loss",
            "--bootstrap", "0", "--format", "json"]
    code, _, err = cli(capsys, *args)
    assert code == 2 and "pass --nan-policy drop" in err
    code, out, err = cli(capsys, *args, "--nan-policy", "drop")
    assert "dropped 1 row" in err and "nan-policy" not in out


def test_fit_text_marks_undefined_metrics_and_shows_delta_only_for_huber(capsys, runs,
                                                                          tmp_path):
    _, df = runs
    df.assign(loss=-df["loss"]).to_csv(tmp_path / "neg.csv", index=False)
    code, out, err = cli(capsys, "fit", tmp_path / "neg.csv", "--law", "E + A/N**a + B/D**b",
                         "--target", "loss", "--space", "raw", "--loss", "l2", "--starts", "16",
                         "-q")
    assert code == 0, err
    assert "objective  l2 on raw-space residuals" in out and "delta" not in out
    assert "RMSE(log) -" in out and "nan" not in out


def test_fit_reads_a_saved_law_or_fit(capsys, runs, tmp_path):
    path, df = runs
    out = tmp_path / "fit.json"
    code, _, err = cli(capsys, "fit", path, "--law", "E + A/N**alpha + B/D**beta", "--target",
                       "loss", "--starts", "32", "--bound", "alpha=0:1", "-o", out, "-q")
    assert code == 0, err
    first = json.loads(out.read_text())
    # the fit's law, its bounds and its columns are reused
    code, text, err = cli(capsys, "fit", path, "--law", out, "--target", "loss", "--starts", "32",
                          "--format", "json")
    assert code == 0, err
    again = json.loads(text)
    assert again["formula"] == first["formula"] and again["params"] == first["params"]
    assert again["law_spec"]["bounds"]["alpha"] == [0.0, 1.0]
    # a law record with its own column names
    law = tmp_path / "law.json"
    law.write_text(json.dumps({"kind": "formula", "name": "mine", "formula": "E + A/n**a",
                               "inputs": ["n"], "bounds": {"a": [0, 2]},
                               "columns": {"n": "N"}, "shared": []}))
    code, text, err = cli(capsys, "fit", path, "--law", f"@{law}", "--target", "loss",
                          "--starts", "32", "--format", "json")
    assert code == 0, err
    assert json.loads(text)["inputs"] == {"n": "N"}
    for content, message in (("{", "cannot read it as JSON"),
                             ('{"kind": "formula", "formula": "E + A/n**a"}',
                              "cannot be rebuilt"),
                             ('{"kind": "formula", "name": "m", "formula": "E + A/n**a", '
                              '"inputs": ["n"], "columns": {"q": "N"}}', "names q"),
                             ("[1, 2]", "neither a law saved by")):
        law.write_text(content)
        code, _, err = cli(capsys, "fit", path, "--law", law, "--target", "loss")
        assert code == 2 and message in err and err.count("\n") == 1, err
    code, _, err = cli(capsys, "fit", path, "--law", tmp_path / "none.json", "--target", "loss")
    assert code == 2 and "no such file" in err


def test_discover_refuses_to_save_one_law_of_several_targets_before_searching(
        capsys, shared_dataset, tmp_path):
    code, _, err = cli(capsys, "discover", shared_dataset("sldbench_domain_mixture"),
                       "--save-fit", tmp_path / "fit.json", "-q")
    assert code == 2 and "this dataset has 5 targets" in err and "--target" in err
    assert "searched" not in err and not (tmp_path / "fit.json").exists()


def test_discover_refuses_log_rmse_on_a_target_with_values_below_zero(capsys, runs, tmp_path):
    _, df = runs
    df.assign(loss=-df["loss"]).to_csv(tmp_path / "neg.csv", index=False)
    code, _, err = cli(capsys, "discover", tmp_path / "neg.csv", "--inputs", "N,D", "--target",
                       "loss", "--metric", "log_rmse", "-q")
    assert code == 2 and "--metric log_rmse compares logarithms" in err


def test_bench_refuses_a_share_name_no_law_has(capsys, shared_dataset):
    code, _, err = cli(capsys, "bench", shared_dataset("sldbench_data_constrained"), "--law",
                       "chinchilla", "--share", "alpha,zzz", "-q")
    assert code == 2 and "--share zzz" in err and "alpha" in err


@pytest.mark.parametrize("args, message", [
    (("--layers", "80", "--d-model", "8192", "--heads", "64", "-N", "1e9"), "drop -N"),
    (("--layers", "2", "--d-model", "10", "--heads", "20"), "not a multiple of --heads"),
    (("-N", "1e200", "-D", "1e200"), "overflows"),
])
def test_flops_refuses_conflicting_or_impossible_counts(capsys, args, message):
    code, _, err = cli(capsys, "flops", *args)
    assert code == 2 and message in err


def test_isoflop_exits_1_when_no_approach_applies(capsys, runs, tmp_path):
    path, df = runs
    df.head(3).to_csv(path, index=False)
    code, out, err = cli(capsys, "isoflop", path, "--input", "N=N,D=D", "--target", "loss")
    assert code == 1 and "not available" in out and "none of Approaches 1-3" in err


@pytest.mark.parametrize("args, message", [
    (("hparams", "--at", "N=1e9,D=1e11,C=5"), "C is the training compute"),
    (("laws", "show", "E + A/N**alpha"), "takes a catalogue name"),
])
def test_messages_say_what_to_do(capsys, args, message):
    code, _, err = cli(capsys, *args)
    assert code == 2 and message in err


def test_next_runs_with_min_above_max(capsys, fit_file):
    code, _, err = cli(capsys, "next-runs", fit_file, "--min-flops", "1e20", "--max-flops",
                       "1e19", "--budget", "1e22")
    assert code == 2 and "--min-flops 1e+20 exceeds --max-flops 1e+19" in err


def test_messages_show_values_not_numpy_reprs():
    from scalinglaws.data._table import show

    assert show(np.float64(7e7)) == "70000000.0" and show(np.str_("a")) == "'a'"


def test_a_plan_for_one_group_is_drawn_on_that_groups_curves(capsys, tmp_path):
    """A plan made for group b of a grouped fit marks b's frontier, not the first group's; a
    --group that disagrees with the plan is refused."""
    rng = np.random.default_rng(3)
    N = np.repeat([1e7, 3e7, 1e8, 3e8], 4)
    D = np.tile([1e9, 3e9, 1e10, 3e10], 4)
    frames = []
    for g, (a, b) in {"a": (400.0, 410.0), "b": (4000.0, 60.0)}.items():
        loss = (1.8 + a / N ** 0.34 + b / D ** 0.28) * np.exp(0.005 * rng.standard_normal(16))
        frames.append(pd.DataFrame({"N": N, "D": D, "loss": loss, "g": g}))
    data = tmp_path / "grouped.csv"
    pd.concat(frames).to_csv(data, index=False)
    fit, plan = tmp_path / "fit.json", tmp_path / "plan.json"
    code, _, err = cli(capsys, "fit", data, "--law", "chinchilla", "--input", "N=N,D=D",
                       "--target", "loss", "--group", "g", "-q", "-o", fit)
    assert code == 0, err
    code, _, err = cli(capsys, "plan", fit, "--group", "b", "--budget", "1e21", "--format",
                       "json", "-o", plan)
    assert code == 0, err
    record = json.loads(plan.read_text())
    assert record["model"]["group"] == "b"

    from scalinglaws import FitResult
    from scalinglaws.report import _compute as cp
    from scalinglaws.report.html import build_report
    from scalinglaws.report.plots import plot_frontier

    res = FitResult.from_dict(json.loads(fit.read_text()))
    assert cp.plan_group(res, record) == "b"
    # the groups' optima differ, so drawing on the wrong group would be visible
    opt = {g: cp.compute_optimal(res, [1e21], group=g)["N_opt"][0] for g in ("a", "b")}
    assert abs(np.log(opt["a"] / opt["b"])) > 0.5
    assert record["N_opt"] == pytest.approx(opt["b"], rel=1e-3)
    ax = plot_frontier(res, plan=record)
    line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("N*"))
    assert np.interp(np.log(1e21), np.log(line.get_xdata()),
                     np.log(line.get_ydata())) == pytest.approx(np.log(opt["b"]), abs=1e-2)
    assert "group b" in ax.get_title()
    page = build_report(res, plan=record)
    assert "compute-optimal allocation of chinchilla (group b)" in page
    assert re.search(r"extrapolation of chinchilla to [^\"]*\(group b\)", page)
    assert "(group a)" not in page

    code, _, err = cli(capsys, "plot", fit, "--kind", "frontier", "--plan", plan, "--group",
                       "a", "-o", tmp_path / "f.png")
    assert code == 2 and "made for group 'b'" in err and "--group b" in err
    code, _, err = cli(capsys, "plot", fit, "--kind", "frontier", "--plan", plan, "-o",
                       tmp_path / "f.png")
    assert code == 0, err
    code, _, err = cli(capsys, "report", fit, "--plan", plan, "-q", "-o", tmp_path / "r.html")
    assert code == 0, err


def test_derived_records_say_which_fit_and_settings_they_come_from(capsys, fit_file, tmp_path,
                                                                   runs):
    """predict, plan (with --spread-from) and isoflop JSON records carry the package version,
    the data hash and the fitter settings of the fit they come from."""
    from scalinglaws import __version__

    saved = json.loads(fit_file.read_text())
    fitter = saved["provenance"]["fitter"]
    code, out, err = cli(capsys, "predict", fit_file, "--at", "N=1e9,D=1e10", "--format",
                         "json")
    assert code == 0, err
    record = json.loads(out)
    assert record["provenance"]["version"] == __version__
    assert record["provenance"]["fit"]["file"] == str(fit_file)
    assert record["provenance"]["fit"]["data_hash"] == saved["provenance"]["data_hash"]
    assert record["provenance"]["fit"]["fitter"] == fitter
    assert record["formula"] == saved["formula"]

    code, out, err = cli(capsys, "plan", fit_file, "--budget", "1e21", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["model"]["provenance"]["fitter"] == fitter
    code, out, err = cli(capsys, "plan", "--law", "chinchilla", "--params",
                         "E=1.69,A=406.4,B=410.7,alpha=0.34,beta=0.28", "--budget", "1e21",
                         "--spread-from", fit_file, "--format", "json")
    assert code == 0, err
    record = json.loads(out)
    assert record["model"]["provenance"] == {}  # published values: no fit of their own
    assert record["spread_from"]["file"] == str(fit_file)
    assert record["spread_from"]["data_hash"] == saved["provenance"]["data_hash"]
    assert record["spread_from"]["fitter"] == fitter

    path, _ = runs
    code, out, err = cli(capsys, "isoflop", path, "--target", "loss", "--bootstrap", "0",
                         "--format", "json")
    assert code == 0, err
    approach3 = [a for g in json.loads(out)["groups"] for a in g["approaches"]
                 if a["approach"] == 3]
    assert approach3 and approach3[0]["details"]["fitter"]["n_starts"] == 1024
    assert approach3[0]["details"]["law"] == "chinchilla"


def test_demo_run_twice_keeps_its_report_and_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "demo", "-q")
    assert code == 0 and (tmp_path / "scalinglaws-report.html").exists()
    before = (tmp_path / "scalinglaws-report.html").stat().st_mtime_ns
    code, out, _ = cli(capsys, "demo", "-q")
    assert code == 0 and "prediction at N=7e+10" in out
    assert "report: not written, ./scalinglaws-report.html exists" in out
    assert (tmp_path / "scalinglaws-report.html").stat().st_mtime_ns == before
    # a report named on the command line is still refused without --force
    code, _, err = cli(capsys, "demo", "-q", "--report", "scalinglaws-report.html")
    assert code == 2 and "pass --force" in err


def test_a_fit_records_its_bounds_and_shows_a_zero_width_side_as_zero(capsys, runs, tmp_path):
    path, _ = runs
    saved = tmp_path / "b.json"
    code, out, err = cli(capsys, "fit", path, "--law", "chinchilla", "--input", "N=N,D=D",
                         "--target", "loss", "--bound", "alpha=0.9:1", "--starts", "32",
                         "--bootstrap", "10", "-o", saved, "-q")
    assert code == 0, err
    # alpha is at its lower bound in every draw: its interval has no width below
    line = next(x for x in out.splitlines() if x.strip().startswith("alpha"))
    assert re.search(r"alpha = +0\.9 +\+0 +-0 +\[0\.9, 0\.9\]", line), line
    record = json.loads(saved.read_text())
    assert record["law_spec"]["bounds"] == {"alpha": [0.9, 1.0]}
    code, out, err = cli(capsys, "fit", path, "--law", saved, "--starts", "32", "--format",
                         "json")
    assert code == 0, err
    assert json.loads(out)["params"]["alpha"] == pytest.approx(0.9)
    assert "from " in err and "--target loss" in err


def test_as_many_runs_as_parameters_is_said(capsys, runs, tmp_path):
    path, df = runs
    df.iloc[[0, 5, 10, 15, 3]].to_csv(path, index=False)
    code, out, err = cli(capsys, "fit", path, "--law", "chinchilla", "--input", "N=N,D=D",
                         "--target", "loss", "--starts", "32", "-q")
    assert code == 0
    assert "5 runs for 5 parameters: the law can pass through every run" in out


def test_simulate_refuses_a_huge_grid_and_an_unknown_input(capsys):
    code, _, err = cli(capsys, "simulate", "--law", "chinchilla", "--grid", "N=1e8:1e10:100000",
                       "--grid", "D=1e9:1e11:100000")
    assert code == 2 and "100000 x 100000 = 10,000,000,000 runs" in err
    code, _, err = cli(capsys, "simulate", "--law", "chinchilla", "--grid", "X=1:10:3")
    assert code == 2 and "--grid X: not an input of chinchilla (its inputs: N, D)" in err
    code, _, err = cli(capsys, "simulate", "--law", "chinchilla", "--grid", "N=1:2:3:4")
    assert code == 2 and "values separated by ';'" in err


def test_plan_messages_name_options_once_and_say_what_to_do(capsys, fit_file):
    code, _, err = cli(capsys, "plan", fit_file, "--budget", "abc")
    assert code == 2 and "--budget 'abc': not a number" in err
    code, _, err = cli(capsys, "predict", "-", "--at", "N=1e9,D=1e10")
    assert code == 2 and "not standard input" in err
    code, out, err = cli(capsys, "plan", fit_file, "--budget", "1e40")
    assert code == 0 and "far beyond the runs the law was fitted on (N = " in out
    code, out, err = cli(capsys, "plan", fit_file, "--budget", "1e22")
    assert code == 0 and "far beyond" not in out
    code, out, err = cli(capsys, "plan", fit_file, "--budget", "1e22", "--params", "alpha=0.35")
    assert code == 0 and f"--spread-from {fit_file} re-centres" in err


def test_a_file_separated_by_semicolons_gets_a_hint(capsys, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("params;tokens;loss\n1e8;1e9;3.1\n")
    code, _, err = cli(capsys, "fit", path, "--law", "chinchilla", "--input",
                       "N=params,D=tokens", "--target", "loss")
    assert code == 2 and "one column whose name has ';': save the file with commas" in err


def test_predict_notes_a_point_far_beyond_the_runs_and_refuses_two_columns(capsys, fit_file,
                                                                           tmp_path):
    code, out, err = cli(capsys, "predict", fit_file, "--at", "N=1e40,D=1e12")
    assert code == 0 and re.search(r"note: point 1 has N=1e\+40, [0-9.e+]+ times the largest "
                                   r"run's", err), err
    code, out, err = cli(capsys, "predict", fit_file, "--at", "N=7e10,D=1.4e12")
    assert code == 0 and "note" not in err
    code, _, err = cli(capsys, "predict", fit_file, "--at", "N=1e9,D=1e10,Q=3")
    assert code == 2 and ("--at Q: not an input of this fit, whose inputs are N (column "
                          "params), D (column tokens)") in err
    fit = json.loads(fit_file.read_text())
    column = fit["inputs"]["N"]
    assert column == "params"  # the Chinchilla runs' column for input N
    pts = tmp_path / "pts.csv"
    pd.DataFrame({"N": [1e9], column: [2e9], "tokens": [1e10]}).to_csv(pts, index=False)
    code, _, err = cli(capsys, "predict", fit_file, "--points", pts)
    assert code == 2 and "columns 'N' and 'params' both give input N" in err


def test_simulate_warns_of_parameters_outside_the_bounds(capsys):
    code, out, err = cli(capsys, "simulate", "--law", "chinchilla", "--params",
                         "E=1.7,A=400,B=400,alpha=0.3,beta=-3", "--grid", "N=1e8;1e9",
                         "--grid", "D=1e9;1e10")
    assert code == 0 and "--params beta=-3 is outside the law's bounds [0, 2]" in err
    assert "E=1.7" not in err


def test_an_interval_bound_that_rounds_to_zero_has_no_minus_sign():
    from scalinglaws.plan._inference import _iv_txt

    assert _iv_txt((-1e-5, 1e-5), ".1%") == " [0.0%, 0.0%]"
    assert _iv_txt((-0.2, 0.1), ".1%") == " [-20.0%, 10.0%]"


def test_a_fit_records_which_rows_it_fitted(capsys, runs, tmp_path):
    path, df = runs
    df["split"] = np.where(df.N >= 3e8, "test", "train")
    df.to_csv(path, index=False)
    saved = tmp_path / "t.json"
    args = ("--input", "D=D", "--target", "loss", "--split", "split", "--starts", "16")
    code, _, err = cli(capsys, "fit", path, "--law", "E + B/D**b", *args, "--rows", "test",
                       "-o", saved, "-q")
    assert code == 0, err
    record = json.loads(saved.read_text())
    assert record["provenance"]["rows"] == "test" and record["n"] == 4
    code, out, err = cli(capsys, "fit", path, "--law", saved, "--split", "split", "--starts",
                         "16", "--format", "json")
    assert code == 0 and json.loads(out)["n"] == 4 and "--rows test" in err


def test_a_row_with_too_many_fields_is_named_as_a_row(capsys, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("N,D,loss\n1e8,1e9,3.1\n2e9,1e10,2.5,7\n")
    code, _, err = cli(capsys, "fit", path, "--law", "chinchilla", "--target", "loss")
    assert code == 2 and "row 2 (line 3 of the file) has 4 fields, the header 3" in err
