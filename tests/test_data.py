"""Tests of the data layer: reading, task specs, input mapping, validation, Dataset."""

from __future__ import annotations

import io
import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalinglaws._errors import DataError, DataWarning
from scalinglaws.data import (
    Dataset,
    TaskSpec,
    load_dataset,
    load_dataset_targets,
    make_dataset,
    read_table,
    read_task_spec,
    resolve_input_mapping,
)

SHARED_DATASETS = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets"


def shared_dataset(name: str) -> Path:
    """The shared dataset folder ``name``; fails (not skips) when it is missing."""
    folder = SHARED_DATASETS / name
    if not (folder / "dataset.toml").is_file():
        pytest.fail(
            f"shared dataset {name!r} not found at {folder.resolve()}; "
            "the tests need the shared datasets in ../shared/datasets"
        )
    return folder


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def dataset_folder(tmp_path: Path, toml: str, csv: str | None = None) -> Path:
    folder = tmp_path / "task"
    folder.mkdir()
    (folder / "dataset.toml").write_text(toml)
    if csv is not None:
        (folder / "data.csv").write_text(csv)
    return folder


SIMPLE_CSV = "params,tokens,loss,split,group\n" + "".join(
    f"{n},{d},{2 + 1e3 / n + 1e3 / d},{'test' if n == 400 else 'train'},{g}\n"
    for g in ("a", "b")
    for n in (100, 200, 400)
    for d in (1000, 2000)
)


def load_simple(tmp_path: Path, text: str = SIMPLE_CSV, **options) -> Dataset:
    options.setdefault("target", "loss")
    return load_dataset(write(tmp_path, text), law_inputs=("params", "tokens"), **options)


# --- dataset.toml --------------------------------------------------------------------


def test_read_task_spec_of_shared_dataset():
    spec = read_task_spec(shared_dataset("chinchilla_epoch_svg"))
    assert spec.name == "chinchilla_epoch_svg"
    assert spec.inputs == ("params", "tokens")
    assert spec.targets == ("loss",)
    assert spec.drop_where_true == "excluded_in_epoch_fit"
    assert spec.group is None and spec.path is not None


def test_read_task_spec_with_target_list():
    spec = read_task_spec(shared_dataset("sldbench_domain_mixture"))
    assert len(spec.targets) == 5 and spec.group == "group" and spec.split == "split"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('name = "x"\ndescription = \n', "malformed TOML"),
        ('name = "x"\ndescription = "d"\ntarget = "loss"\n', "missing required key 'inputs'"),
        ('name = "x"\ndescription = "d"\ninputs = "params"\ntarget = "loss"\n', "key 'inputs'"),
        ('name = "x"\ndescription = "d"\ninputs = ["a", 3]\ntarget = "loss"\n', "key 'inputs'"),
        ('name = "x"\ndescription = "d"\ninputs = ["a"]\ntarget = 5\n', "key 'target'"),
        (
            'name = "x"\ndescription = "d"\ninputs = ["a"]\ntarget = "y"\ngroop = "g"\n',
            "unknown key 'groop'",
        ),
        ('name = "x"\ndescription = "d"\ninputs = ["a"]\ntarget = "y"\nsplit = 1\n', "key 'split'"),
    ],
)
def test_read_task_spec_errors_name_file_and_key(tmp_path, toml, expected):
    folder = dataset_folder(tmp_path, toml)
    with pytest.raises(DataError, match=expected) as info:
        read_task_spec(folder)
    assert "dataset.toml" in str(info.value) and "\n" not in str(info.value)


def test_read_task_spec_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"dataset.toml: not found"):
        read_task_spec(tmp_path)


# --- reading tables ------------------------------------------------------------------


def test_read_csv_numbers_rows(tmp_path):
    frame, spec = read_table(write(tmp_path, "a,b\n1,2\n3,4\n"))
    assert spec is None
    assert frame["__row__"].tolist() == [1, 2] and frame["a"].tolist() == [1, 3]


def test_read_tsv_and_spaces_after_commas(tmp_path):
    frame, _ = read_table(write(tmp_path, "a\tb\n1\t2\n", "t.tsv"))
    assert frame["b"].tolist() == [2]
    frame, _ = read_table(write(tmp_path, "a, b\n1, 2\n"))
    assert list(frame.columns[:2]) == ["a", "b"] and frame["b"].tolist() == [2]


def test_parquet_round_trip(tmp_path):
    original = pd.DataFrame({"params": [1.0, 2.0], "loss": [3.0, 2.5], "g": ["x", "y"]})
    original.to_parquet(tmp_path / "d.parquet")
    original.to_parquet(tmp_path / "d.pq")
    for name in ("d.parquet", "d.pq"):
        frame, _ = read_table(tmp_path / name)
        pd.testing.assert_frame_equal(frame.drop(columns="__row__"), original, check_dtype=False)


@pytest.mark.parametrize("orient", ["records", "columns"])
def test_json_round_trip(tmp_path, orient):
    original = pd.DataFrame({"params": [1.0, 2.0, 4.0], "loss": [3.0, 2.5, 2.25]})
    original.to_json(tmp_path / "d.json", orient=orient)
    frame, _ = read_table(tmp_path / "d.json")
    assert frame["params"].tolist() == [1.0, 2.0, 4.0] and frame["__row__"].tolist() == [1, 2, 3]


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson"])
def test_json_lines(tmp_path, suffix):
    path = write(tmp_path, '{"params": 1, "loss": 3}\n\n{"params": 2, "loss": 2.5}\n', "d" + suffix)
    frame, _ = read_table(path)
    assert frame["loss"].tolist() == [3, 2.5]


def test_stdin_is_csv(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("params,loss\n1,3\n2,2.5\n"))
    frame, spec = read_table("-")
    assert spec is None and frame["loss"].tolist() == [3, 2.5]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("missing.csv", None, "file not found"),
        ("d.xlsx", "junk", "unknown file extension '.xlsx'"),
        ("d.json", "{not json", "malformed JSON"),
        ("d.json", "[1, 2]", "list of records"),
        ("d.jsonl", '{"a": 1}\n[1]\n', "line 2"),
        ("d.parquet", "not parquet", "cannot be read as Parquet"),
        ("d.csv", "", "empty"),
        ("d.csv", "a,__row__\n1,2\n", "reserved"),
    ],
)
def test_read_table_errors(tmp_path, name, text, expected):
    path = tmp_path / name if text is None else write(tmp_path, text, name)
    with pytest.raises(DataError, match=expected) as info:
        read_table(path)
    assert name in str(info.value)
    if "extension" in expected or "not found" in expected:
        assert ".parquet" in str(info.value) and ".jsonl" in str(info.value)


def test_folder_spec_column_must_exist(tmp_path):
    toml = 'name = "t"\ndescription = "d"\ninputs = ["params", "tokens"]\ntarget = "loss"\n'
    folder = dataset_folder(tmp_path, toml, "params,loss\n1,2\n")
    with pytest.raises(DataError, match="no column 'tokens' named by key 'inputs'"):
        read_table(folder)


def test_folder_without_data_csv(tmp_path):
    folder = dataset_folder(
        tmp_path, 'name = "t"\ndescription = "d"\ninputs = ["a"]\ntarget = "y"\n'
    )
    with pytest.raises(DataError, match=r"no data.csv"):
        read_table(folder)


def test_drop_where_true_accepts_boolean_text(tmp_path):
    toml = 'name = "t"\ndescription = "d"\ninputs = ["a"]\ntarget = "y"\ndrop_where_true = "bad"\n'
    csv = "a,y,bad\n1,1,True\n2,2,false\n3,3,1\n4,4,0\n5,5,FALSE\n"
    frame, spec = read_table(dataset_folder(tmp_path, toml, csv))
    assert frame["a"].tolist() == [2, 4, 5] and frame["__row__"].tolist() == [2, 4, 5]
    assert frame.attrs["n_excluded"] == 2 and spec is not None


def test_drop_where_true_rejects_other_values(tmp_path):
    toml = 'name = "t"\ndescription = "d"\ninputs = ["a"]\ntarget = "y"\ndrop_where_true = "bad"\n'
    folder = dataset_folder(tmp_path, toml, "a,y,bad\n1,1,True\n2,2,maybe\n")
    with pytest.raises(DataError, match="column 'bad' row 2: 'maybe' is not true or false"):
        read_table(folder)


def test_chinchilla_drop_where_true():
    ds = load_dataset(
        shared_dataset("chinchilla_epoch_svg"), law_inputs=("N", "D"), positive=("N", "D", "y")
    )
    assert (ds.n, ds.n_excluded, ds.n_dropped) == (240, 5, 0)
    assert ds.columns == {"N": "params", "D": "tokens"} and ds.target == "loss"
    assert ds.rows is not None and ds.rows.min() >= 1 and ds.rows.max() <= 245


def test_sft_rectified_split():
    ds = load_dataset(shared_dataset("sldbench_sft_rectified"), law_inputs=("D",), positive=("D",))
    assert (ds.train().n, ds.test().n, ds.n_excluded) == (504, 42, 42)
    assert set(ds.split) == {"train", "test"} and len(ds.groups()) == 42


def test_every_shared_dataset_loads():
    for folder in sorted(p for p in SHARED_DATASETS.iterdir() if p.is_dir()):
        spec = read_task_spec(folder)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataWarning)
            datasets = load_dataset_targets(folder, law_inputs=spec.inputs, nan_policy="drop")
        assert [d.target for d in datasets] == list(spec.targets)
        assert all(d.n > 0 and np.isfinite(d.y).all() for d in datasets), folder.name


# --- make_dataset validation ---------------------------------------------------------


@pytest.mark.parametrize(
    ("csv", "expected"),
    [
        (
            "params,tokens,loss\n1,2,3\n4,5,6\n7,abc,9\n",
            "column 'tokens' row 3: 'abc' is not a number",
        ),
        (
            "params,tokens,loss\n1,2,3\n4,5,\n",
            "column 'loss' row 2: missing value (NaN); fix the data or pass --nan-policy drop",
        ),
        ("params,tokens,loss\n1,2,3\n4,inf,6\n", "column 'tokens' row 2: infinite value"),
        (
            "params,tokens,loss\n1,2,3\n-5,5,6\n",
            "column 'params' (input params) row 2: -5 must be > 0 because the law takes its log",
        ),
        ("params,tokens,loss\n1,2,3\n5,5,0\n", "column 'loss' (target) row 2: 0 must be > 0"),
        (
            "params,tokens,loss\n1,2,3\n5,-1,6\n",
            "column 'tokens' (input tokens) row 2: -1 must be >= 0",
        ),
    ],
)
def test_validation_messages_name_column_and_row(tmp_path, csv, expected):
    with pytest.raises(DataError) as info:
        load_simple(tmp_path, csv, positive=("params", "loss"), nonnegative=("tokens",))
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_first_offending_row_is_reported(tmp_path):
    csv = "params,tokens,loss\n1,2,3\n4,5,\n7,,9\n,1,1\n"
    with pytest.raises(DataError, match="column 'loss' row 2"):
        load_simple(tmp_path, csv)


def test_nan_policy_drop(tmp_path):
    csv = "params,tokens,loss\n1,2,3\n4,,6\n7,8,\n10,11,inf\n13,14,15\n"
    with pytest.warns(
        DataWarning, match=r"dropped 3 rows with missing or infinite values \(first: row 2\)"
    ):
        ds = load_simple(tmp_path, csv, nan_policy="drop")
    assert (ds.n, ds.n_dropped) == (2, 3)
    assert ds.rows.tolist() == [1, 5] and ds.y.tolist() == [3, 15]


def test_repeated_rows_warn_and_name_the_first(tmp_path):
    # rows 3 and 5 repeat rows 1 and 2 in every used column; row 4 differs in its loss
    csv = "params,tokens,loss,note\n1,2,3,a\n4,5,6,b\n1,2,3,c\n1,2,4,d\n4,5,6,e\n"
    with pytest.warns(DataWarning, match=r"^2 rows repeat an earlier row in every column used "
                      r"\(first: row 3 repeats row 1\)"):
        ds = load_simple(tmp_path, csv)
    assert ds.n == 5  # kept: they may be real repeated runs
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        load_simple(tmp_path, "params,tokens,loss\n1,2,3\n1,2,4\n4,5,6\n")


def test_nan_policy_drop_does_not_drop_text(tmp_path):
    with pytest.raises(DataError, match="column 'loss' row 2: 'oops' is not a number; fix the "
                       "value$"):  # the target: no hint to group by it
        load_simple(tmp_path, "params,tokens,loss\n1,2,3\n4,5,oops\n6,,7\n", nan_policy="drop")


def test_missing_columns_list_available(tmp_path):
    with pytest.raises(
        DataError,
        match=r"target column 'nope' not found \(columns: params, tokens, loss, split, group\)",
    ):
        load_simple(tmp_path, target="nope")
    with pytest.raises(DataError, match="group column 'g' not found"):
        load_simple(tmp_path, group="g")


def test_split_labels(tmp_path):
    ds = load_simple(tmp_path, split="split", group="group")
    assert (ds.train().n, ds.test().n) == (8, 4)
    csv = "params,tokens,loss,split\n1,2,3,train\n4,5,6,validation\n"
    with pytest.raises(DataError, match="column 'split' row 2: 'validation' is not a split label"):
        load_simple(tmp_path, csv, split="split")


def test_excluded_rows_and_zero_rows(tmp_path):
    csv = "params,tokens,loss,split\n1,2,3,excluded\n-4,x,6,excluded\n7,8,9,test\n"
    ds = load_simple(tmp_path, csv, split="split", positive=("params",))
    assert (ds.n, ds.n_excluded, ds.rows.tolist()) == (1, 2, [3])
    with pytest.raises(DataError, match="no rows left"):
        load_simple(tmp_path, "params,tokens,loss,split\n1,2,3,excluded\n", split="split")


def test_make_dataset_from_frame_with_order():
    frame = pd.DataFrame(
        {"step": [3, 1, 2], "loss": [1.0, 2.0, 1.5], "run": [1, 1, 2], "t": ["1", "2", "3"]}
    )
    ds = make_dataset(frame, {"S": "step"}, "loss", group="run", order_by="t", name="curve")
    assert ds.rows.tolist() == [1, 2, 3] and ds.order.tolist() == [1.0, 2.0, 3.0]
    assert ds.group.tolist() == ["1", "1", "2"] and ds.group_column == "run" and ds.name == "curve"
    with pytest.raises(ValueError, match="neither an input"):
        make_dataset(frame, {"S": "step"}, "loss", positive=("Q",))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(1e-30, 1e30, allow_nan=False), min_size=1, max_size=20))
def test_csv_values_round_trip(values):
    text = "x,y\n" + "".join(f"{v!r},{v!r}\n" for v in values)
    frame = pd.read_csv(io.StringIO(text))
    ds = make_dataset(frame, {"X": "x"}, "y", positive=("X", "y"))
    assert ds.y.tolist() == values and ds.X["X"].tolist() == values


@given(st.text(min_size=1, max_size=8))
def test_text_is_a_number_or_reported(text):
    frame = pd.DataFrame({"x": ["1", text], "y": [1.0, 2.0]})
    try:
        ds = make_dataset(frame, {"X": "x"}, "y")
    except DataError as err:
        assert "column 'x' row 2: " in str(err)
    else:
        assert ds.X["X"][1] == float(text)


# --- resolve_input_mapping -----------------------------------------------------------

COLUMNS = ["params", "tokens", "flops", "loss", "__row__"]


def test_mapping_spec_is_positional():
    m = resolve_input_mapping(
        ["N", "D"], user=None, spec_inputs=["params", "tokens"], columns=COLUMNS
    )
    assert m == {"N": "params", "D": "tokens"} and list(m) == ["N", "D"]


def test_mapping_user_takes_precedence_and_spec_fills_rest():
    spec = ["params", "tokens"]
    assert resolve_input_mapping(
        ["N", "D"], user={"D": "params"}, spec_inputs=spec, columns=COLUMNS
    ) == {
        "N": "tokens",
        "D": "params",
    }
    assert resolve_input_mapping(
        ["N", "D"], user={"N": "flops"}, spec_inputs=spec, columns=COLUMNS
    ) == {
        "N": "flops",
        "D": "tokens",
    }


def test_mapping_same_name_in_spec_wins_over_position():
    m = resolve_input_mapping(
        ["tokens", "params"], user=None, spec_inputs=["params", "tokens"], columns=COLUMNS
    )
    assert m == {"tokens": "tokens", "params": "params"}


def test_mapping_warns_on_leftover_spec_inputs():
    with pytest.warns(DataWarning, match="using params for N by position"):
        m = resolve_input_mapping(
            ["N"], user=None, spec_inputs=["params", "tokens"], columns=COLUMNS
        )
    assert m == {"N": "params"}


def test_mapping_without_spec_uses_same_names():
    assert resolve_input_mapping(["params"], user=None, spec_inputs=None, columns=COLUMNS) == {
        "params": "params"
    }
    with pytest.raises(
        DataError,
        match=r"law input 'N' has no column: pass --input N=COLUMN "
        r"\(columns: params, tokens, flops, loss\)$",
    ):
        resolve_input_mapping(["N"], user=None, spec_inputs=None, columns=COLUMNS)


@pytest.mark.parametrize(
    ("user", "spec", "expected"),
    [
        ({"X": "params"}, None, "unknown input 'X' for chinchilla; its inputs are N, D"),
        (
            {"N": "foo", "D": "tokens"},
            None,
            "column 'foo' not found (columns: params, tokens, flops, loss)",
        ),
        (
            None,
            ["params"],
            "lists 1 input(s) (params) but chinchilla needs 2 (N, D): pass --input D=COLUMN",
        ),
        ({"N": "params", "D": "params"}, None, "column 'params' is mapped to both N and D"),
    ],
)
def test_mapping_errors(user, spec, expected):
    with pytest.raises(DataError) as info:
        resolve_input_mapping(
            ["N", "D"], user=user, spec_inputs=spec, columns=COLUMNS, law_name="chinchilla"
        )
    assert expected in str(info.value)


# --- Dataset -------------------------------------------------------------------------


def test_hash_is_deterministic_and_sensitive(tmp_path):
    base = load_simple(tmp_path, split="split", group="group")
    assert base.hash() == load_simple(tmp_path, split="split", group="group").hash()
    assert base.hash().startswith("sha256:") and len(base.hash()) == 7 + 64
    y = base.y.copy()
    y[3] += 1e-12
    split = base.split.copy()
    split[0] = "test"
    variants = [
        Dataset(
            {"N": base.X["params"], "tokens": base.X["tokens"]},
            base.y,
            "loss",
            {},
            base.group,
            split=base.split,
        ),
        Dataset(dict(base.X), y, "loss", {}, base.group, split=base.split),
        Dataset(dict(base.X), base.y, "loss", {}, None, split=base.split),
        Dataset(dict(base.X), base.y, "loss", {}, base.group, split=split),
        Dataset(dict(base.X), base.y, "other", {}, base.group, split=base.split),
        Dataset(dict(base.X), base.y, "loss", {}, base.group, split=base.split, order=base.y),
    ]
    same = Dataset(dict(base.X), base.y, "loss", {}, base.group, split=base.split, name="renamed")
    assert same.hash() == base.hash()
    assert len({base.hash(), *(v.hash() for v in variants)}) == len(variants) + 1


def test_arrays_are_read_only_and_copied():
    y = np.array([1.0, 2.0])
    ds = Dataset({"N": [1, 2]}, y, "loss", {"N": "n"})
    y[0] = 5.0
    assert ds.y[0] == 1.0 and ds.X["N"].dtype == np.float64
    with pytest.raises(ValueError):
        ds.y[0] = 3.0
    with pytest.raises(TypeError):
        ds.X["M"] = ds.y  # type: ignore[index]
    with pytest.raises(ValueError, match="has 3 values"):
        Dataset({"N": [1, 2, 3]}, y, "loss", {})


def test_subset_train_test_keep_rows_consistent(tmp_path):
    ds = load_simple(tmp_path, split="split", group="group")
    part = ds.subset(ds.X["params"] == 400)
    assert part.n == 4 and set(part.split) == {"test"} and part.rows.tolist() == [5, 6, 11, 12]
    assert ds.subset([0, 2]).rows.tolist() == [1, 3] and ds.subset([]).n == 0
    assert ds.test().hash() == part.hash()
    no_split = Dataset(dict(ds.X), ds.y, "loss", ds.columns)
    assert no_split.train() is no_split and no_split.test().n == 0


def test_groups_and_by_group(tmp_path):
    ds = load_simple(tmp_path, split="split", group="group")
    assert ds.groups() == ["a", "b"]
    parts = ds.by_group()
    assert [label for label, _ in parts] == ["a", "b"]
    assert all(set(part.group) == {label} and part.n == 6 for label, part in parts)
    ungrouped = Dataset(dict(ds.X), ds.y, "loss", ds.columns, name="all")
    assert ungrouped.groups() == [] and ungrouped.by_group() == [("all", ungrouped)]


def test_distinct_scales(tmp_path):
    ds = load_simple(tmp_path, split="split", group="group")
    assert ds.distinct_scales() == 6
    ds.require_distinct_scales(6, law_name="chinchilla")
    with pytest.raises(
        DataError,
        match=r"only 4 distinct scales \(input combinations\) for 5 parameters of chinchilla "
        r"in group 'a': add runs",
    ):
        ds.train().require_distinct_scales(5, law_name="chinchilla")
    single = Dataset({"N": [1, 1, 2]}, [1, 2, 3], "loss", {})
    with pytest.raises(DataError, match=r"only 2 distinct scales .* of chinchilla: add"):
        single.require_distinct_scales(3, law_name="chinchilla")


def test_to_frame_and_pickle(tmp_path):
    ds = load_simple(tmp_path, split="split", group="group")
    frame = ds.to_frame()
    assert list(frame.columns) == ["params", "tokens", "loss", "group", "split"]
    assert frame.index.name == "row" and frame.index.tolist() == list(range(1, 13))
    clone = pickle.loads(pickle.dumps(ds))
    assert clone.hash() == ds.hash() and clone.columns == ds.columns and not clone.y.flags.writeable
    assert "n=12" in repr(ds)


# --- load_dataset --------------------------------------------------------------------


def test_load_dataset_target_rules(tmp_path):
    with pytest.raises(DataError, match=r"several targets .*: pass --target"):
        load_dataset(
            shared_dataset("sldbench_domain_mixture"), law_inputs=[f"p{i}" for i in range(5)]
        )
    with pytest.raises(DataError, match="pass --target COLUMN"):
        load_dataset(write(tmp_path, SIMPLE_CSV), law_inputs=["params"])
    datasets = load_dataset_targets(
        shared_dataset("sldbench_domain_mixture"), law_inputs=[f"p{i}" for i in range(5)]
    )
    assert [d.target for d in datasets] == [f"loss_domain_{i}" for i in range(1, 6)]
    assert all(d.columns["p0"] == "proportion_domain_1" for d in datasets)
    with pytest.raises(DataError, match="not a dataset folder"):
        load_dataset_targets(write(tmp_path, SIMPLE_CSV), law_inputs=["params"])


def test_task_spec_is_frozen():
    spec = TaskSpec("n", "d", ("a",), ("y",))
    with pytest.raises(AttributeError):
        spec.name = "m"  # type: ignore[misc]
