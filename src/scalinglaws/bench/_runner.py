"""The bench runner: pick laws for each dataset, fit them on the train rows, score the test rows.

One *unit* of the benchmark is a (dataset, law, target, loss) combination; it becomes one fit
task per group (groups are fitted independently unless parameters are shared, in which case the
unit is one joint fit). All tasks of all units go through :func:`scalinglaws.parallel.run_tasks`
at once, then each unit's test predictions are pooled and scored.
"""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .. import __version__
from .._env import environment
from .._errors import DataError, FitError, InputError, LawError, ScalingLawsWarning
from ..data import (
    ROW_COLUMN,
    Dataset,
    TaskSpec,
    make_dataset,
    read_table,
    resolve_input_mapping,
)
from ..data._table import format_columns
from ..fit import Fitter
from ..laws import (
    Law,
    catalogue_entry,
    catalogue_names,
    formula_law,
    get_law,
    parse_formula,
)
from ..parallel import Progress, TaskOutcome, run_tasks
from . import _metrics
from ._results import BenchReport, BenchResult, DatasetInfo, GroupScore
from ._split import SPLIT_COLUMN, Largest, SplitRule, Threshold, apply_split

Loss = Literal["huber", "l2"]
NanPolicy = Literal["raise", "drop"]
LOSSES: tuple[Loss, ...] = ("huber", "l2")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class BenchSettings:
    """How every law is fitted in a bench run. Configuration only.

    Parameters
    ----------
    losses : tuple of {"huber", "l2"}
        Objectives to fit each law with; each gives its own result, so the table shows how
        much the extrapolation moves with the objective. Default: both.
    delta : float
        Huber threshold (for ``"huber"``).
    space : {"log", "raw"}
        Residuals of log-predictions (default) or raw predictions.
    n_starts : int
        Size of the start grid of every fit.
    share : tuple of str
        Parameters shared by the groups of a dataset, in every law that has them (the others
        are fitted per group).
    seed : int
        Seed of every fit.
    """

    losses: tuple[Loss, ...] = LOSSES
    delta: float = 1e-3
    space: Literal["log", "raw"] = "log"
    n_starts: int = 1024
    share: tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("losses", "share"):  # a string would be read letter by letter
            value = getattr(self, name)
            if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, str) for v in value):
                raise InputError(f"{name} must be a list of names (e.g. ('huber', 'l2')), got "
                                 f"{value!r}")
            object.__setattr__(self, name, tuple(value))
        if not self.losses:
            raise InputError("give at least one loss to fit with (huber or l2)")
        for loss in self.losses:
            if loss not in LOSSES:
                raise InputError(f"unknown loss {loss!r}; use huber or l2")
        if len(set(self.losses)) < len(self.losses):
            raise InputError("a loss is listed twice")
        Fitter(delta=self.delta, space=self.space, n_starts=self.n_starts, seed=self.seed)

    def fitter(self, loss: Loss, law: Law, grouped: bool) -> Fitter:
        """The :class:`~scalinglaws.Fitter` for one law and objective.

        Parameters
        ----------
        loss : {"huber", "l2"}
            The objective.
        law : Law
            The law to fit; only the parameters of :attr:`share` that it has are shared.
        grouped : bool
            Whether the dataset has groups; without groups no parameter is shared.

        Returns
        -------
        Fitter
            With this run's ``delta``, ``space``, ``n_starts`` and ``seed``.
        """
        shared = tuple(p for p in self.share if p in law.param_names) if grouped else ()
        return Fitter(loss=loss, delta=self.delta, space=self.space, n_starts=self.n_starts,
                      seed=self.seed, shared=shared)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return {"losses": list(self.losses), "delta": self.delta, "space": self.space,
                "n_starts": self.n_starts, "share": list(self.share), "seed": self.seed}


# ---------------------------------------------------------------------------------------------
# datasets


@dataclass(frozen=True)
class PreparedDataset:
    """A dataset folder read for bench: its description, task spec, table and split column.

    Attributes
    ----------
    info : DatasetInfo
        Name, path, inputs, targets, groups, row counts, split and file hash.
    spec : TaskSpec
        The parsed ``dataset.toml``.
    frame : pandas.DataFrame
        The table as read (plus the split rule's column when a rule was given).
    split_column : str
        The column holding ``train`` / ``test`` / ``excluded``.
    """

    info: DatasetInfo
    spec: TaskSpec
    frame: pd.DataFrame
    split_column: str


def _file_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for name in ("dataset.toml", "data.csv"):
        file = folder / name
        if file.is_file():
            data = file.read_bytes()
            digest.update(f"{name}\0{len(data)}\0".encode())
            digest.update(data)
    return "sha256:" + digest.hexdigest()


def prepare_dataset(path: str | Path, split: SplitRule | None = None) -> PreparedDataset:
    """Read and check one dataset folder; apply the split rule.

    Parameters
    ----------
    path : path-like
        The folder (or its ``dataset.toml``).
    split : Threshold or Largest, optional
        A split rule replacing the published split.

    Returns
    -------
    PreparedDataset

    Raises
    ------
    DataError
        If the folder is missing or malformed (``dataset.toml`` or ``data.csv``), has no split
        and no rule is given, or the rule cannot be applied.
    """
    folder = Path(path)
    if folder.name == "dataset.toml" and not folder.is_dir():
        folder = folder.parent
    if not folder.is_dir():
        if folder.exists():
            raise DataError(f"{path}: bench reads dataset folders (a dataset.toml next to a "
                            "data.csv), not single files")
        raise DataError(f"{path}: no such dataset folder")
    frame, spec = read_table(folder)
    assert spec is not None  # a folder always has a spec (read_table raises otherwise)
    if split is not None:
        frame = apply_split(frame, split, published=spec.split, group=spec.group,
                            source=spec.name)
        split_column, split_text = SPLIT_COLUMN, str(split)
    elif spec.split is not None:
        split_column, split_text = spec.split, f"published (column '{spec.split}')"
    else:
        raise DataError(f"{folder}: no train/test split (its dataset.toml names no split column): "
                        "pass --holdout 'COLUMN>=VALUE' or --holdout-largest COLUMN")
    labels = frame[split_column].astype(str).str.strip().str.lower()
    n_train, n_test = int((labels == "train").sum()), int((labels == "test").sum())
    if n_train == 0 or n_test == 0:
        raise DataError(f"{folder}: the split (column '{split_column}') has {n_train} train and "
                        f"{n_test} test rows (after the dataset's exclusions); bench needs both: "
                        "choose a split rule with --holdout or --holdout-largest")
    groups = 1 if spec.group is None else int(frame.loc[labels != "excluded", spec.group].nunique())
    info = DatasetInfo(
        name=spec.name, path=str(folder), inputs=tuple(spec.inputs), targets=tuple(spec.targets),
        group_column=spec.group, n_groups=groups, n_train=n_train, n_test=n_test,
        split=split_text, data_hash=_file_hash(folder),
        reference_law=spec.reference_law,
    )
    return PreparedDataset(info, spec, frame, split_column)


# ---------------------------------------------------------------------------------------------
# laws


@dataclass(frozen=True)
class LawCandidate:
    """A law considered for a dataset.

    Attributes
    ----------
    law : Law or None
        The law (None when its name or formula could not be resolved).
    label : str
        The name it was asked for by.
    mapping : dict or None
        Law input -> column, when the dataset can supply the inputs.
    problem : str or None
        Why the law cannot be scored on the dataset (a failed result), or None.
    """

    law: Law | None
    label: str
    mapping: dict[str, str] | None = None
    problem: str | None = None


def _data_columns(prepared: PreparedDataset) -> list[str]:
    spec = prepared.spec
    skip = {ROW_COLUMN, SPLIT_COLUMN, *spec.targets}
    rest = [c for c in prepared.frame.columns if c not in skip and c not in spec.inputs]
    return [*spec.inputs, *rest]


def _is_mapped_law(item) -> bool:
    """Whether ``item`` is a ``(Law, {input: column})`` pair."""
    return (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Law)
            and isinstance(item[1], Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in item[1].items()))


def _resolve(text_or_law: str | Law | tuple[Law, Mapping[str, str]],
             prepared: PreparedDataset) -> LawCandidate:
    """A law named by the user (or the dataset), mapped to the dataset's columns."""
    spec = prepared.spec
    columns = _data_columns(prepared)
    user: dict[str, str] | None = None
    if isinstance(text_or_law, tuple):
        text_or_law, user = text_or_law[0], dict(text_or_law[1]) or None
    if isinstance(text_or_law, Law):
        law, label = text_or_law, text_or_law.name
    else:
        label = text_or_law.strip()
        try:
            if _IDENT.match(label):
                variadic = catalogue_entry(label).variadic
                law = get_law(label, n_inputs=len(spec.inputs) if variadic else None)
            else:
                law = formula_law(label, columns)
        except LawError as exc:
            problem = str(exc)
            if "uses none of the inputs" in problem:  # bench has no --input: say what to do here
                problem = (f"formula {label!r} uses none of the dataset's columns "
                           f"({format_columns(columns)}): write the law over them")
            return LawCandidate(None, label, problem=problem)
    is_formula = law.reference == "user-defined"
    if user is not None:
        missing = [f"{k} <- '{c}'" for k, c in user.items() if c not in columns]
        if missing:
            return LawCandidate(law, label, problem=(
                f"the saved law reads column(s) this dataset lacks ({', '.join(missing)}; "
                f"columns: {format_columns(columns)})"))
    if user is None and not is_formula and not _can_supply(law, spec):
        return LawCandidate(law, label, problem=_count_problem(law, spec))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScalingLawsWarning)
            mapping = resolve_input_mapping(
                law.inputs, user=user,
                spec_inputs=None if is_formula or user is not None else spec.inputs,
                columns=columns, law_name=law.name,
                advice="write the law over the dataset's column names")
    except DataError as exc:
        return LawCandidate(law, label, problem=str(exc))
    problem = _applicability(law, mapping, prepared)
    return LawCandidate(law, label, mapping, problem)


def _can_supply(law: Law, spec: TaskSpec) -> bool:
    """Every law input named by a dataset input, or as many inputs as the dataset has."""
    return set(law.inputs) <= set(spec.inputs) or len(law.inputs) == len(spec.inputs)


def _count_problem(law: Law, spec: TaskSpec) -> str:
    return (f"takes {len(law.inputs)} input(s) ({', '.join(law.inputs)}); the dataset has "
            f"{len(spec.inputs)} ({', '.join(spec.inputs)}) and they do not match by name: write "
            "the law as a formula over the column names to use it here")


def _applicability(law: Law, mapping: Mapping[str, str], prepared: PreparedDataset) -> str | None:
    """None when the law can describe the dataset's inputs, else one line saying why not."""
    frame = prepared.frame
    kept = frame[prepared.split_column].astype(str).str.strip().str.lower() != "excluded"
    X: dict[str, np.ndarray] = {}
    for name, column in mapping.items():
        values = pd.to_numeric(frame.loc[kept, column], errors="coerce").to_numpy(dtype=float)
        X[name] = values
        finite = values[np.isfinite(values)]
        domain = law.domains.get(name, "real")
        if domain == "positive" and np.any(finite <= 0):
            return (f"input {name} (column '{column}') has values <= 0 but the law takes its "
                    "logarithm or a power")
        if domain == "nonnegative" and np.any(finite < 0):
            return f"input {name} (column '{column}') has negative values"
    try:
        entry = catalogue_entry(law.name)
    except LawError:
        return None
    if entry.applies is not None and law.reference != "user-defined":
        return entry.applies(X)
    return None


def candidate_laws(prepared: PreparedDataset) -> tuple[list[LawCandidate], list[dict[str, str]]]:
    """The catalogue laws whose inputs the dataset can supply, and the others with the reason.

    A law qualifies when every one of its input names is an input of the dataset (matched by
    name), or when it has as many inputs as the dataset (matched by position, as ``fit`` does);
    a law with a variable number of inputs takes all of them. It must also accept the data's
    values (positive inputs where it takes logarithms, proportions in [0, 1] for mixtures).
    The dataset's reference law, when it names one, is always scored.

    Parameters
    ----------
    prepared : PreparedDataset
        From :func:`prepare_dataset`.

    Returns
    -------
    chosen : list of LawCandidate
        In catalogue order, then the reference law if it is not a catalogue name.
    skipped : list of dict
        ``{"law", "reason"}`` for every catalogue law left out.
    """
    spec = prepared.spec
    chosen: list[LawCandidate] = []
    skipped: list[dict[str, str]] = []
    reference = prepared.info.reference_law
    for name in catalogue_names():
        entry = catalogue_entry(name)
        law = get_law(name, n_inputs=len(spec.inputs)) if entry.variadic else get_law(name)
        if not _can_supply(law, spec) and name != reference:
            skipped.append({"law": name, "reason": _count_problem(law, spec)})
            continue
        candidate = _resolve(name, prepared)
        if candidate.problem is not None and name != reference:
            skipped.append({"law": name, "reason": candidate.problem})
            continue
        chosen.append(candidate)
    if reference is not None and reference not in catalogue_names():
        chosen.append(_resolve(reference, prepared))
    return chosen, skipped


# ---------------------------------------------------------------------------------------------
# fitting (runs in worker processes)


@dataclass(frozen=True)
class FitTask:
    """One fit: a law on the train rows of one group (or of all groups, for a joint fit), and
    the test rows to predict."""

    law: Law
    fitter: Fitter
    train: Dataset
    test_X: Mapping[str, np.ndarray]
    test_group: np.ndarray | None


def fit_and_predict(task: FitTask) -> dict[str, Any]:
    """Fit ``task.law`` to ``task.train`` and predict the test rows.

    Returns
    -------
    dict
        ``params`` (as :attr:`FitResult.params`), ``status`` (the fit's status), ``prediction``
        (ndarray over the test rows).

    Raises
    ------
    FitError
        If the fit fails or a prediction is not finite; :class:`InputError` for data the law
        cannot be fitted to (too few distinct scales, for instance).
    """
    if task.train.n == 0:
        raise DataError("no train rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScalingLawsWarning)
        with np.errstate(all="ignore"):
            result = task.fitter.fit(task.law, task.train)
            if result.status == "failed":
                raise FitError("the fit failed: " + "; ".join(result.warnings))
            group = None
            if result.groups is not None:
                group = task.test_group if task.test_group is not None else result.groups[0]
            prediction = np.asarray(result.predict(dict(task.test_X), group=group)["prediction"],
                                    dtype=float)
    bad = ~np.isfinite(prediction)
    if bad.any():
        i = int(np.argmax(bad))
        where = ", ".join(f"{k}={v[i]:.4g}" for k, v in task.test_X.items())
        raise FitError(f"the fitted law gives a non-finite prediction at test point {where}")
    return {"params": result.params, "status": result.status, "prediction": prediction}


# ---------------------------------------------------------------------------------------------
# the run


@dataclass
class _Unit:
    dataset: str
    law: str
    target: str
    loss: str
    problem: str | None = None
    data: Dataset | None = None
    applicable: bool = True  # False when the law cannot describe the dataset at all
    tasks: list[int] = field(default_factory=list)
    # per task: group labels it covers and the positions of its test rows in data.test()
    parts: list[tuple[list[str], np.ndarray, int]] = field(default_factory=list)
    train_counts: dict[str, int] = field(default_factory=dict)


def _dataset_for(candidate: LawCandidate, prepared: PreparedDataset, target: str,
                 space: str, nan_policy: NanPolicy) -> Dataset:
    law = candidate.law
    assert law is not None and candidate.mapping is not None
    positive = [k for k, d in law.domains.items() if d == "positive"]
    nonnegative = [k for k, d in law.domains.items() if d == "nonnegative"]
    if space == "log":
        positive.append(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScalingLawsWarning)
        return make_dataset(prepared.frame, candidate.mapping, target, spec=prepared.spec,
                            split=prepared.split_column, positive=positive,
                            nonnegative=nonnegative, nan_policy=nan_policy,
                            name=prepared.info.name,
                            source=prepared.info.path)


def _plan_unit(unit: _Unit, candidate: LawCandidate, settings: BenchSettings, loss: Loss,
               tasks: list[FitTask]) -> None:
    data = unit.data
    assert data is not None and candidate.law is not None
    train, test = data.train(), data.test()
    grouped = data.group is not None
    fitter = settings.fitter(loss, candidate.law, grouped)
    test_labels = test.group if grouped else np.full(test.n, data.name, dtype=object)
    train_labels = train.group if grouped else np.full(train.n, data.name, dtype=object)
    unit.train_counts = {str(g): int(n) for g, n in
                         zip(*np.unique(train_labels.astype(str), return_counts=True))}
    if fitter.shared:
        scored = sorted(set(test_labels.astype(str)))
        keep = np.isin(train_labels.astype(str), scored)
        positions = np.arange(test.n)
        unit.tasks.append(len(tasks))
        unit.parts.append((scored, positions, len(tasks)))
        tasks.append(FitTask(candidate.law, fitter, train.subset(keep), dict(test.X),
                             test.group))
        return
    for label in sorted(set(test_labels.astype(str))):
        positions = np.flatnonzero(test_labels.astype(str) == label)
        part = test.subset(positions)
        unit.tasks.append(len(tasks))
        unit.parts.append(([label], positions, len(tasks)))
        tasks.append(FitTask(candidate.law, fitter, train.subset(train_labels.astype(str) == label),
                             dict(part.X), None))


def run_bench(
    paths: Sequence[str | Path],
    *,
    laws: Sequence[str | Law] | None = None,
    settings: BenchSettings | None = None,
    split: SplitRule | None = None,
    nan_policy: NanPolicy = "raise",
    jobs: int = 1,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> BenchReport:
    """Score laws by how well they extrapolate: fit on the train rows, predict the test rows.

    Parameters
    ----------
    paths : sequence of path-like
        Dataset folders (``dataset.toml`` + ``data.csv``).
    laws : sequence of str, Law or (Law, dict), optional
        Catalogue names, formulas (inputs are the dataset's column names), law objects, or
        pairs of a law and its ``{input: column}`` mapping (as a saved law records it). By
        default every catalogue law whose inputs the dataset can supply
        (see :func:`candidate_laws`), plus the dataset's reference law if it names one.
    settings : BenchSettings, optional
        Objectives and fitting options (default: :class:`BenchSettings`).
    split : Threshold or Largest, optional
        A split rule; replaces the published split (rows it labels ``excluded`` stay out).
        Required for datasets without a split column.
    nan_policy : {"raise", "drop"}
        Rows with a missing or infinite value in a column a law uses: a failed result naming
        the row (``"raise"``), or dropped and counted in each result's ``n_dropped``.
    jobs : int
        Worker processes for the fits.
    timeout : float, optional
        Time limit per fit, in seconds; a fit over it is reported as failed.
    progress : callable, optional
        ``progress(done, total)`` over the fits.

    Returns
    -------
    BenchReport

    Raises
    ------
    DataError
        If a dataset folder cannot be read (missing or malformed ``dataset.toml``, bad
        ``data.csv``), has no split and no rule is given, or the rule cannot be applied. Fits
        that fail are results with status ``"failed"``, not errors.
    InputError
        If a law name or formula is malformed, or a ``share`` name is a parameter of none of
        the laws.
    """
    settings = settings or BenchSettings()
    if not isinstance(settings, BenchSettings):
        raise InputError(f"settings must be a BenchSettings, got {type(settings).__name__}")
    if isinstance(paths, (str, os.PathLike)) or not paths:
        raise InputError("give a list of dataset folders (one or more)")
    if laws is not None and (isinstance(laws, str) or not all(
            isinstance(law, (str, Law)) or _is_mapped_law(law) for law in laws)):
        raise InputError("laws must be a list of catalogue names, formulas, Law objects or "
                         "(Law, {input: column}) pairs")
    if split is not None and not isinstance(split, (Threshold, Largest)):
        raise InputError("split must be a rule from parse_threshold or parse_largest "
                         "(Threshold or Largest)")
    if nan_policy not in ("raise", "drop"):
        raise InputError(f"nan_policy must be 'raise' or 'drop', got {nan_policy!r}")
    if laws is not None:  # the same text twice is one law
        texts: set[str] = set()
        kept: list = []
        for law in laws:
            if isinstance(law, str):
                if law.strip() in texts:
                    continue
                texts.add(law.strip())
            kept.append(law)
        laws = kept
    for law in laws or ():  # a misspelt name or a malformed formula is a usage error
        if isinstance(law, str):
            if _IDENT.match(law.strip()):
                catalogue_entry(law.strip())
            else:
                parse_formula(law)
    prepared = []
    seen: dict[str, int] = {}
    for path in paths:
        p = prepare_dataset(path, split)
        seen[p.info.name] = seen.get(p.info.name, 0) + 1
        if seen[p.info.name] > 1:  # two folders with the same name stay apart in the report
            p = replace(p, info=replace(p.info, name=f"{p.info.name} ({seen[p.info.name]})"))
        prepared.append(p)

    units: list[_Unit] = []
    tasks: list[FitTask] = []
    skipped: list[dict[str, str]] = []
    all_candidates = []
    for p in prepared:
        if laws is None:
            candidates, left_out = candidate_laws(p)
            skipped.extend({"dataset": p.info.name, **s} for s in left_out)
        else:
            candidates = [_resolve(law, p) for law in laws]
        all_candidates.extend(candidates)
        names: dict[str, int] = {}
        for candidate in candidates:
            name = candidate.label if candidate.law is None else candidate.law.name
            names[name] = names.get(name, 0) + 1
            if names[name] > 1:  # two different laws with one name stay apart: "name (2)"
                name = f"{name} ({names[name]})"
            for target in p.spec.targets:
                data, problem = None, candidate.problem
                if problem is None:
                    try:
                        data = _dataset_for(candidate, p, target, settings.space, nan_policy)
                    except InputError as exc:
                        problem = str(exc)
                for loss in settings.losses:
                    unit = _Unit(p.info.name, name, target, loss, problem, data,
                                 applicable=candidate.problem is None)
                    if problem is None:
                        _plan_unit(unit, candidate, settings, loss, tasks)
                    units.append(unit)

    if settings.share and not any(p.spec.group for p in prepared):
        raise InputError(f"--share {', '.join(settings.share)}: no dataset here has groups (the "
                         "group of its dataset.toml), so there is nothing to share across")
    known = {n for c in all_candidates if c.law is not None for n in c.law.param_names}
    unknown = [n for n in settings.share if n not in known]
    if unknown and known:
        raise InputError(f"--share {', '.join(unknown)}: no law benched here has such a "
                         f"parameter (theirs: {', '.join(sorted(known))})")
    outcomes = run_tasks(fit_and_predict, tasks, jobs=jobs, timeout=timeout, progress=progress)
    results = [_assemble(unit, outcomes) for unit in units]
    return BenchReport(
        datasets=[p.info for p in prepared], results=results, skipped=skipped,
        settings=settings.to_dict(), split_rule=None if split is None else str(split),
        provenance={"package": "scalinglaws", "version": __version__, "seed": settings.seed,
                    "environment": environment()},
    )


def _assemble(unit: _Unit, outcomes: Sequence[TaskOutcome]) -> BenchResult:
    base = {"dataset": unit.dataset, "law": unit.law, "target": unit.target, "loss": unit.loss}
    if unit.problem is not None or unit.data is None:
        return BenchResult(**base, status="failed", reason=unit.problem or "no data",
                           applicable=unit.applicable)
    data = unit.data
    test = data.test()
    prediction = np.full(test.n, np.nan)
    params: dict[str, Any] = {}
    groups: list[GroupScore] = []
    fit_status: dict[str, int] = {}
    failures: list[str] = []
    grouped = data.group is not None
    for labels, positions, index in unit.parts:
        outcome = outcomes[index]
        if outcome.ok:
            prediction[positions] = outcome.value["prediction"]
            fit_status[outcome.value["status"]] = (fit_status.get(outcome.value["status"], 0)
                                                   + len(labels))
            p = outcome.value["params"]
            if grouped:
                params.update({g: p[g] for g in labels if g in p})
            else:
                params = p
        else:
            failures.extend(f"group '{g}': {outcome.reason}" if grouped else str(outcome.reason)
                            for g in labels[:1])
        for g in labels:
            rows = positions if not grouped else positions[test.group[positions].astype(str) == g]
            score = (_metrics.score(test.y[rows], prediction[rows]) if outcome.ok
                     else dict.fromkeys(_metrics.METRICS))
            groups.append(GroupScore(
                group=g, status="ok" if outcome.ok else "failed",
                reason=None if outcome.ok else outcome.reason,
                n_train=unit.train_counts.get(g, 0), n_test=int(len(rows)),
                fit_status=outcome.value["status"] if outcome.ok else None, **score))
    n_groups_failed = sum(1 for g in groups if g.status == "failed")
    common = dict(n_train=int(data.train().n), n_test=int(test.n),
                  n_dropped=int(data.n_dropped), n_groups=len(groups) if grouped else 1,
                  groups=groups if grouped else [], data_hash=data.hash())
    if failures:
        first = failures[0]
        reason = (first if not grouped else
                  f"{n_groups_failed} of {len(groups)} group fits failed; first: {first}")
        return BenchResult(**base, status="failed", reason=reason, fit_status=fit_status,
                           **common)
    metrics = _metrics.score(test.y, prediction)
    labels = test.group if grouped else np.full(test.n, None, dtype=object)
    rows = test.rows if test.rows is not None else np.arange(1, test.n + 1)
    predictions = [{"row": int(r), "group": g, "y": float(v), "prediction": float(f)}
                   for r, g, v, f in zip(rows, labels, test.y, prediction)]
    return BenchResult(
        **base, status="ok", reason=None, params=params, fit_status=fit_status,
        predictions=predictions,
        group_log_rmse_median=(_metrics.median_defined(g.log_rmse for g in groups)
                               if grouped else None),
        **metrics, **common)


__all__ = ["BenchSettings", "FitTask", "LOSSES", "LawCandidate", "PreparedDataset",
           "candidate_laws", "fit_and_predict", "prepare_dataset", "run_bench"]
