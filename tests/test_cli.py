"""Tests of the command-line interface, run through the real console script.

Exit codes: 0 success, 1 a fit that cannot be done, 2 bad input. Bad input gives exactly one
line on stderr, starting with ``error:``, and never a traceback.
"""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest

import scalinglaws as sl
from conftest import run_cli, shared_dataset_path

CHINCHILLA_EXAMPLE = sl.laws.catalogue_entry("chinchilla").example.params
FIT_ARGS = ("--law", "chinchilla", "--input", "N=N", "--input", "D=D", "--target", "loss")


def assert_one_line_error(proc):
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:"), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stdout == ""
    return lines[0]


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """runs.csv simulated by the CLI from the Chinchilla example (64 runs)."""
    folder = tmp_path_factory.mktemp("cli")
    proc = run_cli("simulate", "--law", "chinchilla", "--seed", "0", "-o", "runs.csv",
                   cwd=folder)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    return folder / "runs.csv"


def _variant(runs: Path, tmp_path: Path, edit) -> Path:
    frame = pd.read_csv(runs, dtype=str)
    edit(frame)
    path = tmp_path / "edited.csv"
    frame.to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------------
# Version and help


def test_version():
    proc = run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"scalinglaws, version {sl.__version__}"


def test_python_dash_m_is_the_same_command():
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "scalinglaws", "--version"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"scalinglaws, version {sl.__version__}"
    bad = subprocess.run([sys.executable, "-m", "scalinglaws", "fit"], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "Usage: scalinglaws fit" in bad.stderr


@pytest.mark.parametrize(
    "verb", [(), ("fit",), ("predict",), ("laws",), ("laws", "show"), ("simulate",)],
    ids=lambda v: " ".join(v) or "top")
def test_help_on_every_verb(verb):
    proc = run_cli(*verb, "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Usage: scalinglaws" in proc.stdout
    assert proc.stderr == ""


# ---------------------------------------------------------------------------------------------
# Bad inputs, as a new user would make them


def test_missing_column(runs):
    line = assert_one_line_error(run_cli("fit", runs, "--law", "chinchilla", "--input", "N=nope",
                                         "--input", "D=D", "--target", "loss"))
    assert "'nope'" in line and "not found" in line and "N, D, loss" in line


def test_text_in_a_numeric_column(runs, tmp_path):
    path = _variant(runs, tmp_path, lambda f: f.__setitem__("N", f["N"].where(f.index != 2,
                                                                                "abc")))
    line = assert_one_line_error(run_cli("fit", path, *FIT_ARGS))
    assert "column 'N' row 3" in line and "'abc' is not a number" in line
    assert "fix the value, or, if the column holds labels" in line and "(--group)" in line


def test_nan_in_the_target(runs, tmp_path):
    path = _variant(runs, tmp_path, lambda f: f.__setitem__("loss", f["loss"].where(
        f.index != 4, "nan")))
    line = assert_one_line_error(run_cli("fit", path, *FIT_ARGS))
    assert "column 'loss' row 5" in line and "--nan-policy drop" in line


def test_negative_size(runs, tmp_path):
    path = _variant(runs, tmp_path, lambda f: f.__setitem__("D", f["D"].where(f.index != 3,
                                                                                "-5")))
    line = assert_one_line_error(run_cli("fit", path, *FIT_ARGS))
    assert "column 'D'" in line and "row 4" in line and "must be > 0" in line


@pytest.mark.parametrize("formula", ["__import__('os')", "E + A/N**alpha + __import__('os')",
                                     "E + A/N.real**alpha"])
def test_formula_that_tries_to_run_code(runs, formula):
    line = assert_one_line_error(run_cli("fit", runs, "--law", formula, "--target", "loss"))
    assert "not allowed" in line and "a formula may use" in line


def test_unknown_law_name(runs):
    line = assert_one_line_error(run_cli("fit", runs, "--law", "chinchila", "--input", "N=N",
                                         "--input", "D=D", "--target", "loss"))
    assert "unknown law 'chinchila'" in line and "chinchilla" in line


@pytest.mark.parametrize("law", ["chinchilla", "E + A/N**alpha + B/D**beta"])
def test_unknown_bound_parameter(runs, law):
    line = assert_one_line_error(run_cli("fit", runs, "--law", law, "--input", "N=N",
                                         "--input", "D=D", "--target", "loss",
                                         "--bound", "gamma=0:1"))
    assert "gamma" in line and "alpha" in line  # names the bad one and the valid ones


def test_malformed_bound(runs):
    line = assert_one_line_error(run_cli("fit", runs, *FIT_ARGS, "--bound", "alpha=1:0"))
    assert "lower bound must be below the upper bound" in line


def test_malformed_dataset_toml(runs, tmp_path):
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "data.csv").write_text(runs.read_text())
    (folder / "dataset.toml").write_text('name = "x"\ninputs = [N, D\n')
    line = assert_one_line_error(run_cli("fit", folder, "--law", "chinchilla"))
    assert "dataset.toml" in line and "malformed TOML" in line


def test_missing_data_file(tmp_path):
    line = assert_one_line_error(run_cli("fit", tmp_path / "nope.csv", *FIT_ARGS))
    assert "nope.csv" in line and "not found" in line


def test_predict_missing_fit_file(tmp_path):
    line = assert_one_line_error(run_cli("predict", tmp_path / "fit.json", "--at", "N=1,D=1"))
    assert "not found" in line


def test_nan_policy_drop_reports_what_was_dropped(runs, tmp_path):
    path = _variant(runs, tmp_path, lambda f: f.__setitem__("loss", f["loss"].where(
        f.index != 4, "")))
    proc = run_cli("fit", path, *FIT_ARGS, "--nan-policy", "drop", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["n"] == 63  # 64 runs, one without a loss
    assert record["status"] == "converged"
    # rows are never dropped silently: the user is told how many
    assert "dropped 1 row" in proc.stderr + proc.stdout
    assert "row 5" in proc.stderr
    assert record["provenance"]["rows_dropped"] == 1


def test_parameter_at_bound_is_a_soft_problem(runs):
    """A bound that excludes the optimum still gives a fit (exit 0) with its status and warning."""
    proc = run_cli("fit", runs, *FIT_ARGS, "--bound", "alpha=0:0.2", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert record["status"] == "at_bound"
    assert record["params"]["alpha"] == pytest.approx(0.2, abs=1e-9)
    assert any("alpha is at its upper bound 0.2" in w for w in record["warnings"])


# ---------------------------------------------------------------------------------------------
# fit -> fit.json -> predict


def test_fit_save_and_predict(runs):
    folder = runs.parent
    (folder / "fit.json").unlink(missing_ok=True)
    proc = run_cli("fit", runs.name, *FIT_ARGS, "--bootstrap", "50", "-o", "fit.json",
                   "--format", "json", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr

    record = json.loads(proc.stdout)
    for key in ("law", "inputs", "params", "level", "objective", "n", "status", "provenance",
                "ci"):
        assert key in record, key
    assert record["law"] == "chinchilla"
    assert record["inputs"] == {"N": "N", "D": "D"}
    assert set(record["params"]) == {"E", "A", "B", "alpha", "beta"}
    assert record["level"] == 0.95 and record["n"] == 64
    assert record["status"] in ("converged", "at_bound", "ill_conditioned")
    assert math.isfinite(record["objective"])
    prov = record["provenance"]
    assert prov["version"] == sl.__version__
    assert prov["data_hash"].startswith("sha256:")
    assert prov["fitter"]["bootstrap"] == 50 and prov["seed"] == 0
    for name, (lo, hi) in record["ci"].items():
        assert lo <= record["params"][name] <= hi, name
    # what was saved is what was printed
    assert json.loads((folder / "fit.json").read_text()) == record

    proc = run_cli("predict", "fit.json", "--at", "N=7e10,D=1.4e12", "--format", "json",
                   cwd=folder)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["law"] == "chinchilla" and out["target"] == "loss" and out["level"] == 0.95
    (point,) = out["predictions"]
    assert point["N"] == 7e10 and point["D"] == 1.4e12
    p = record["params"]
    assert point["prediction"] == pytest.approx(
        p["E"] + p["A"] / 7e10 ** p["alpha"] + p["B"] / 1.4e12 ** p["beta"], rel=1e-12)
    ci, pi = point["ci"], point["pi"]
    assert ci[0] <= point["prediction"] <= ci[1]
    assert pi[0] < ci[0] and ci[1] < pi[1]
    truth = (CHINCHILLA_EXAMPLE["E"] + CHINCHILLA_EXAMPLE["A"] / 7e10 ** CHINCHILLA_EXAMPLE["alpha"]
             + CHINCHILLA_EXAMPLE["B"] / 1.4e12 ** CHINCHILLA_EXAMPLE["beta"])
    assert pi[0] < truth < pi[1]

    # input names may also be given by their column names; csv output
    proc = run_cli("predict", "fit.json", "--at", "N=1e9,D=2e10", "--at", "N=7e10,D=1.4e12",
                   "--format", "csv", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(io.StringIO(proc.stdout))
    assert list(table.columns) == ["N", "D", "prediction", "ci_low", "ci_high", "pi_low",
                                   "pi_high"]
    assert table["prediction"].iloc[1] == pytest.approx(point["prediction"], rel=1e-9)

    # an --at point missing an input
    line = assert_one_line_error(run_cli("predict", "fit.json", "--at", "N=7e10", cwd=folder))
    assert "missing D" in line

    # refuse to overwrite the saved fit without --force; succeed with it
    before = (folder / "fit.json").read_text()
    proc = run_cli("fit", runs.name, *FIT_ARGS, "-o", "fit.json", cwd=folder)
    line = assert_one_line_error(proc)
    assert "exists" in line and "--force" in line
    assert (folder / "fit.json").read_text() == before

    proc = run_cli("fit", runs.name, *FIT_ARGS, "-o", "fit.json", "--force", cwd=folder)
    assert proc.returncode == 0, proc.stderr
    saved = json.loads((folder / "fit.json").read_text())
    assert "ci" not in saved and saved["params"] == record["params"]
    proc = run_cli("predict", "fit.json", "--at", "N=7e10,D=1.4e12", "--format", "json",
                   cwd=folder)
    assert proc.returncode == 0, proc.stderr
    (point,) = json.loads(proc.stdout)["predictions"]
    assert set(point) == {"N", "D", "prediction"}  # no draws, no intervals


# ---------------------------------------------------------------------------------------------
# simulate -> fit


def test_simulate_then_fit_recovers_the_example(runs):
    frame = pd.read_csv(runs)
    assert list(frame.columns) == ["N", "D", "loss", "true_loss"]
    assert len(frame) == 64
    assert frame["N"].min() == pytest.approx(7e7) and frame["N"].max() == pytest.approx(1.6e10)
    truth = sl.get_law("chinchilla").predict({"N": frame["N"], "D": frame["D"]},
                                             CHINCHILLA_EXAMPLE)
    assert frame["true_loss"].to_numpy() == pytest.approx(truth, rel=1e-9)

    proc = run_cli("fit", runs, *FIT_ARGS, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    p = json.loads(proc.stdout)["params"]
    assert p["E"] == pytest.approx(CHINCHILLA_EXAMPLE["E"], rel=0.05)
    assert p["alpha"] == pytest.approx(CHINCHILLA_EXAMPLE["alpha"], rel=0.10)
    assert p["beta"] == pytest.approx(CHINCHILLA_EXAMPLE["beta"], rel=0.10)
    assert p["B"] == pytest.approx(CHINCHILLA_EXAMPLE["B"], rel=0.25)
    assert 0.5 * CHINCHILLA_EXAMPLE["A"] < p["A"] < 2 * CHINCHILLA_EXAMPLE["A"]


def test_simulate_is_deterministic_and_validates():
    a = run_cli("simulate", "--law", "power", "--seed", "3")
    b = run_cli("simulate", "--law", "power", "--seed", "3")
    assert a.returncode == 0 and a.stdout == b.stdout
    assert a.stdout.splitlines()[0] == "x,loss,true_loss"
    assert len(a.stdout.splitlines()) == 1 + 12
    line = assert_one_line_error(run_cli("simulate", "--law", "power", "--params", "A=1"))
    assert "missing alpha" in line
    line = assert_one_line_error(run_cli("simulate", "--law", "power", "--grid", "x=1:10"))
    assert "LO:HI:COUNT" in line


def test_fit_text_summary_on_the_chinchilla_folder():
    folder = shared_dataset_path("chinchilla_epoch_svg")
    proc = run_cli("fit", folder, "--law", "chinchilla")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "chinchilla" in text and "n 240" in text and "status     converged" in text
    assert re.search(r"alpha\s+=\s+0\.34731\b", text)


# ---------------------------------------------------------------------------------------------
# laws


def test_laws_lists_the_catalogue_as_json():
    proc = run_cli("laws", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert [e["name"] for e in entries] == sl.catalogue_names()
    for e in entries:
        law = sl.get_law(e["name"])
        assert e["params"] == list(law.param_names)
        assert e["inputs"] == list(law.inputs)
        assert e["formula"] == law.formula and e["reference"] == law.reference


def test_laws_text_lists_every_law():
    proc = run_cli("laws")
    assert proc.returncode == 0, proc.stderr
    names = [line.split()[0] for line in proc.stdout.splitlines()[: len(sl.catalogue_names())]]
    assert names == sl.catalogue_names()


def test_laws_show_chinchilla():
    proc = run_cli("laws", "show", "chinchilla", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert d == json.loads(json.dumps(sl.get_law("chinchilla").describe()))
    assert [p["name"] for p in d["params"]] == ["E", "A", "B", "alpha", "beta"]
    assert d["formula"] == "E + A/N**alpha + B/D**beta"
    assert "arXiv:2203.15556" in d["reference"]
    alpha = next(p for p in d["params"] if p["name"] == "alpha")
    assert (alpha["lower"], alpha["upper"]) == (0.0, 2.0)

    proc = run_cli("laws", "show", "chinchilla")
    assert proc.returncode == 0, proc.stderr
    assert "formula    E + A/N**alpha + B/D**beta" in proc.stdout
    assert "reference  Hoffmann et al. 2022" in proc.stdout

    line = assert_one_line_error(run_cli("laws", "show", "chinchila"))
    assert "unknown law" in line


@pytest.fixture(scope="module")
def grouped_fit(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("groups")
    law = sl.get_law("power_offset")
    frames = []
    for i, (g, E, A) in enumerate((("a", 1.5, 40.0), ("b", 2.5, 120.0))):
        frame = sl.simulate(law, {"E": E, "A": A, "alpha": 0.35}, seed=i, noise=0.002)
        frame["family"] = g
        frames.append(frame.drop(columns="true_loss"))
    pd.concat(frames).to_csv(folder / "runs.csv", index=False)
    proc = run_cli("fit", "runs.csv", "--law", "power_offset", "--input", "x=x", "--target",
                   "loss", "--group", "family", "--share", "alpha", "-o", "fit.json",
                   cwd=folder)
    assert proc.returncode == 0, proc.stderr
    return folder / "fit.json"


def test_grouped_fit_and_predict(grouped_fit):
    record = json.loads(grouped_fit.read_text())
    assert record["groups"] == ["a", "b"] and record["shared"] == ["alpha"]
    assert record["params"]["a"]["alpha"] == record["params"]["b"]["alpha"]
    assert record["params"]["a"]["alpha"] == pytest.approx(0.35, rel=0.01)
    assert record["params"]["b"]["E"] == pytest.approx(2.5, rel=0.01)

    line = assert_one_line_error(run_cli("predict", grouped_fit, "--at", "x=1e9"))
    assert "name the group" in line
    proc = run_cli("predict", grouped_fit, "--at", "x=1e9", "--group", "b", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    (point,) = json.loads(proc.stdout)["predictions"]
    assert point["prediction"] == pytest.approx(2.5 + 120.0 * 1e9 ** -0.35, rel=5e-3)


def test_predict_points_with_the_fitted_group_column(grouped_fit, tmp_path):
    """--points takes columns named after the fitted columns, the group column included."""
    points = tmp_path / "points.csv"
    points.write_text("x,family\n1e9,a\n1e9,b\n")
    proc = run_cli("predict", grouped_fit, "--points", points, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)["predictions"]
    preds = [p["prediction"] for p in records]
    assert preds[0] == pytest.approx(1.5 + 40.0 * 1e9 ** -0.35, rel=5e-3)
    assert preds[1] == pytest.approx(2.5 + 120.0 * 1e9 ** -0.35, rel=5e-3)
    # every output says which group each point was predicted for
    assert [p["group"] for p in records] == ["a", "b"]
    proc = run_cli("predict", grouped_fit, "--points", points, "--format", "csv")
    assert proc.stdout.splitlines()[0] == "x,group,prediction"
    assert proc.stdout.splitlines()[2].startswith("1000000000.0,b,")
    text = run_cli("predict", grouped_fit, "--points", points).stdout
    assert "group a, x=1e+09" in text and "group b, x=1e+09" in text
    # --group cannot silently override the file's group column
    line = assert_one_line_error(run_cli("predict", grouped_fit, "--points", points, "--group",
                                         "a"))
    assert "both say which group" in line


def test_simulate_variadic_law_with_other_input_count():
    """The mixture example has 3 proportions; asking for 2 must not blame a --grid the user
    never passed: either simulate from the example restricted to r1, r2, or say what to pass."""
    proc = run_cli("simulate", "--law", "mixture", "--n-inputs", "2")
    if proc.returncode == 0:
        assert proc.stdout.splitlines()[0] == "r1,r2,loss,true_loss"
        return
    line = assert_one_line_error(proc)
    assert "--params" in line and "--grid" in line


def test_readme_shows_the_real_demo_output(tmp_path):
    """The README's "Output of `scalinglaws demo`" block is what the command prints, run from
    the repository root (only the report is written elsewhere here)."""
    root = Path(__file__).resolve().parents[1]
    text = (root / "README.md").read_text(encoding="utf-8")
    block = text.split("Output of `scalinglaws demo`:", 1)[1].split("```text\n", 1)[1]
    block = block.split("```", 1)[0]
    proc = run_cli("demo", "--report", "", cwd=root)
    assert proc.returncode == 0, proc.stderr
    documented = "\n".join(ln for ln in block.splitlines() if not ln.startswith("report: "))
    assert proc.stdout.rstrip("\n") == documented.rstrip("\n")
    # the report line names the file relative to the working folder, as the README shows
    proc = run_cli("demo", "--bootstrap", "0", "--report", "r.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("report: ./r.html (")
    assert (tmp_path / "r.html").is_file()
