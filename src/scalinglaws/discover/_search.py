"""The search: a beam search over law forms, scored by extrapolation inside the train split.

1. The inputs are classified and the validation folds built from the train rows only.
2. Round 0 validates the catalogue laws that fit the data's inputs and the simplest forms of
   the grammar.
3. Each later round expands the best forms (the *beam*) by one move each, *screens* every new
   form with a quick fit on every fold, and fully validates the most promising few.
4. Candidates are ranked by their validation error times ``(1 + complexity) ** n_params``; the
   search stops when the best has not improved for ``patience`` rounds, after ``max_rounds``,
   or when the time budget is spent.
5. Only then are the reported candidates refitted on all train rows and, when the data has a
   test split, scored on it. Nothing computed from the test split feeds back into the search.

Every fit is a full :class:`~scalinglaws.Fitter` fit (grid of starts, exact linear parameters,
robust Levenberg-Marquardt), and all fits go through :func:`scalinglaws.parallel.run_tasks`.
"""

from __future__ import annotations

import keyword
import math
import re
import time
import warnings
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable

import numpy as np

from .. import __version__
from .._env import environment
from .._checks import is_whole
from .._errors import DataWarning, InputError, LawError, ScalingLawsWarning
from ..bench import METRICS, score
from ..data import Dataset
from ..fit import Fitter
from ..laws import FUNCTIONS, Law, catalogue_entry, catalogue_names, formula_law, get_law
from ..parallel import run_tasks
from . import _grammar, _stack
from ._evaluate import EvalTask, evaluate, fit_train, law_data, predict_rows
from ._folds import FOLD_SCHEMES, Fold, _frontier, validation_folds
from ._grammar import Form
from ._inputs import InputInfo, analyse_inputs, repeat_pairs
from ._latex import latex
from ._result import DEFAULT_MAX_ERROR, Candidate, Discovery, metric_error

Log = Callable[[str], None]

#: Fewest distinct held-out input points (over folds and groups) for a verdict of "found".
MIN_HELD_POINTS = 5
#: A law must at least halve the held-out squared error of the no-law baseline (each group's
#: mean level) to be said to extrapolate well.
MAX_BASELINE_RATIO = 0.5
#: Rows held out on a plateau (an accuracy that has saturated) vary by little more than their
#: noise, so even the true law gets a low R² there. A law is then still found when it predicts
#: them about as well as it fits the rows it was fitted on: a held-out RMSE at most this many
#: times the RMSE of its fit on all train rows ...
MAX_NOISE_RATIO = 2.0
#: ... a fit that explains at least this share of the train rows' variance, and the baseline
#: and agreement tests passed.
MIN_FIT_R2 = 0.99
#: The verdict also compares the predictions of this many best laws ...
PROBE_LAWS = 3
#: ... at the largest runs with every scale input multiplied by this factor.
PROBE_FACTOR = 2.0
#: Fewest distinct train points of a group (a law of per-group parameters needs three).
MIN_GROUP_POINTS = 3


@dataclass(frozen=True)
class DiscoverSettings:
    """How to search. Configuration only.

    Parameters
    ----------
    max_params : int
        Largest number of parameters of a law (per group).
    budget_seconds : float
        Time budget of the search, a safety net: when it is spent the search stops after the
        current phase and says so (the result may then depend on the machine's speed).
    max_screened : int
        Most forms screened, the deterministic limit on the work of a search: the forms are
        screened in a fixed order, so a search stopped by this limit is the same on every
        machine. A dataset with several targets shares it (and the time budget) among them.
    max_rounds : int
        Most rounds of expansion after round 0.
    beam : int
        Forms expanded in each round (the best validated so far).
    promote : int
        New forms per round given the full validation (the best screened).
    patience : int
        Rounds without improvement of the best criterion before the search stops; each such
        round doubles the beam and the promotions of the next (a wider look before giving up).
    complexity : float
        Penalty per parameter: a law is ranked by its validation error times
        ``(1 + complexity) ** n_params``, so one more parameter must cut the error by this share.
    metric : {"r2", "nmse", "nmae", "are", "log_rmse"}
        Validation metric (the :mod:`scalinglaws.bench` metrics), pooled over the held-out rows
        of every fold and group.
    max_error : float, optional
        Validation error (``1 - R²`` for ``r2``) above which no law is said to extrapolate
        well; default by metric (R² 0.8, NMSE 0.2, NMAE 0.3, ARE 0.05, log-RMSE 0.05).
    max_spread : float
        Largest relative disagreement of the best laws at twice the largest scales for a verdict
        of "found" (see :data:`PROBE_FACTOR`).
    folds : {"auto", "largest", "series", "both", "kfold"}
        Validation scheme (see :func:`scalinglaws.discover.validation_folds`).
    holdout : float
        Share of the distinct values of each scale held out at its top in a fold.
    origins : int
        With a single scale input: rolling origins of the extrapolation (see
        :func:`scalinglaws.discover.validation_folds`).
    kfold : int
        Folds of the cross-validation used when the data has no scale input.
    n_starts : int
        Starts of every full fit.
    max_iter : int
        Iteration limit of the solver in every full fit (the screening fits keep 80). A fit
        that stops at it is counted in its candidate's ``limited``; a larger limit makes such
        fits converge, and their scores the same for every seed, at a cost in time.
    seed : int
        Seed of every fit and of the K-fold assignment.
    jobs : int
        Parallel workers.
    backend : str
        Executor backend of :func:`scalinglaws.parallel.run_tasks` (``"local"`` or ``"ray"``).
    scales : tuple of str, optional
        Inputs to extrapolate along (default: detected from the data).
    catalogue : bool
        Also validate the catalogue laws that take the data's inputs.
    share_max_groups : int
        Try laws with parameters shared across groups only up to this many groups (each such
        candidate is a joint fit over all groups, slower than the per-group fits). The result's
        ``search["sharing"]`` says whether they were tried.
    report : int
        Best candidates refitted on the train rows and scored on the test split (at least
        the three best, which the verdict compares beyond the data).
    stack : bool
        Also try a weighted average of the reported laws built by the grammar (see
        :mod:`scalinglaws.discover._stack`), selected when its leave-one-fold-out validation
        beats the best single law's (and, with groups, does for significantly more groups
        than not: one-sided sign test at level ``stack_group_level``).
    stack_group_level : float
        With groups, the level of that sign test (default 0.05). With 4 groups or fewer no
        stack can pass at 0.05 (the smallest possible p is 1/16); 1 drops the group test and
        keeps the pooled validation rule only.
    task_timeout : float, optional
        Time limit of one candidate's validation, in seconds.
    """

    max_params: int = 16
    budget_seconds: float = 540.0
    max_screened: int = 600
    max_rounds: int = 8
    beam: int = 4
    promote: int = 4
    patience: int = 3
    complexity: float = 0.02
    metric: str = "r2"
    max_error: float | None = None
    max_spread: float = 0.1
    folds: str = "auto"
    holdout: float = 0.15
    origins: int = 3
    kfold: int = 5
    n_starts: int = 1024
    max_iter: int = 300
    seed: int = 0
    jobs: int = 1
    backend: str = "local"
    scales: tuple[str, ...] | None = None
    catalogue: bool = True
    share_max_groups: int = 16
    report: int = 10
    stack: bool = True
    stack_group_level: float = _stack.GROUP_LEVEL
    task_timeout: float | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"unknown metric {self.metric!r}; use one of {', '.join(METRICS)}")
        for name in ("max_params", "max_screened", "max_rounds", "beam", "promote", "patience", "kfold", "origins",
                     "n_starts", "max_iter", "jobs", "report", "share_max_groups"):
            value = getattr(self, name)
            if not is_whole(value):
                raise InputError(f"{name.replace('_', '-')} must be a whole number, got "
                                 f"{value!r}")
            if value < (0 if name in ("max_rounds",) else 1):
                raise InputError(f"{name.replace('_', '-')} must be at least "
                                 f"{0 if name == 'max_rounds' else 1}")
        if not is_whole(self.seed) or self.seed < 0:
            raise InputError(f"seed must be a non-negative whole number, got {self.seed!r}")
        for name in ("budget_seconds", "complexity", "holdout", "max_spread", "max_error",
                     "stack_group_level", "task_timeout"):
            value = getattr(self, name)
            if value is None and name in ("max_error", "task_timeout"):
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                                 np.floating)):
                raise InputError(f"{name.replace('_', '-')} must be a number, got {value!r}")
        for name in ("catalogue", "stack"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise InputError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.backend not in ("local", "ray"):
            raise InputError(f"backend must be 'local' or 'ray', got {self.backend!r}")
        if self.task_timeout is not None and not self.task_timeout > 0:
            raise InputError("task-timeout must be a positive number of seconds")
        if int(self.kfold) < 2:
            raise InputError("kfold must be at least 2 (one fold to validate, one to fit)")
        if isinstance(self.scales, str):
            raise InputError(f"scales must be a sequence of input names, e.g. ({self.scales!r},), "
                             "not a string")
        if not self.budget_seconds > 0:
            raise InputError("the time budget must be a positive number of seconds")
        if not 0 <= self.complexity < 1:
            raise InputError("the complexity penalty must be in [0, 1) (e.g. 0.02)")
        if not 0 < self.holdout < 1:
            raise InputError("holdout must be a share between 0 and 1 (e.g. 0.15)")
        if self.folds not in FOLD_SCHEMES:
            raise InputError(f"unknown validation scheme {self.folds!r}; use one of "
                             f"{', '.join(FOLD_SCHEMES)}")
        if not self.max_spread > 0:
            raise InputError("max-spread must be positive")
        if self.max_error is not None and not self.max_error > 0:
            raise InputError("max-error must be positive")
        if not 0 < self.stack_group_level <= 1:
            raise InputError("stack-group-level must be in (0, 1] (e.g. 0.05; 1 drops the "
                             "groups' sign test)")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings (without the parallel settings, which do not change results)."""
        d = asdict(self)
        for k in ("jobs", "backend", "task_timeout"):
            d.pop(k)
        d["scales"] = None if self.scales is None else list(self.scales)
        return d


# ---------------------------------------------------------------------------------------------
# candidates


@dataclass
class _Cand:
    key: str            # identity: formula and shared parameters
    label: str          # the form's description
    origin: str
    law: Law
    mapping: dict[str, str]
    shared: tuple[str, ...]
    readable: str
    definitions: list[tuple[str, str]]
    bounds: dict[str, tuple[float, float]]
    form: Form | None = None
    catalogue: str | None = None
    validation: dict[str, float | None] | None = None
    error: float = math.inf
    criterion: float = math.inf
    reason: str | None = None
    held: np.ndarray | None = None   # pooled held-out predictions of the full validation
    limited: int = 0                 # validation folds whose fit hit the iteration limit

    @property
    def n_params(self) -> int:
        return self.law.n_params


def _form_candidate(form: Form, infos: tuple[InputInfo, ...], grouped: bool) -> _Cand | None:
    r = _grammar.render(form, infos)
    try:
        law = formula_law(r.formula, [i.name for i in infos], bounds=r.bounds, name="discovered")
    except LawError:
        return None
    shared = tuple(p for p in r.shared if p in law.param_names) if grouped else ()
    bounds = {p.name: (p.lower, p.upper) for p in law.params
              if math.isfinite(p.lower) or math.isfinite(p.upper)}
    key = r.formula + (" | shared " + ",".join(shared) if shared else "")
    return _Cand(key, form.key(), "grammar", law, {i: i for i in law.inputs}, shared,
                 r.readable, r.definitions, bounds, form=form)


def _catalogue_candidates(infos: tuple[InputInfo, ...], train: Dataset) -> list[_Cand]:
    """Catalogue laws whose inputs the data supplies: by name, or by position when the law takes
    as many inputs as the data (the rule of ``fit`` and ``bench``), with values in the law's
    domain."""
    names = [i.name for i in infos]
    out = []
    for cname in catalogue_names():
        entry = catalogue_entry(cname)
        law = get_law(cname, n_inputs=len(names)) if entry.variadic else get_law(cname)
        if set(law.inputs) <= set(names):
            mapping = {k: k for k in law.inputs}
        elif len(law.inputs) == len(names):
            mapping = dict(zip(law.inputs, names))
        else:
            continue
        X = {k: np.asarray(train.X[col], float) for k, col in mapping.items()}
        ok = True
        for k, v in X.items():
            dom = law.domains.get(k, "real")
            if (dom == "positive" and np.any(v <= 0)) or (dom == "nonnegative" and np.any(v < 0)):
                ok = False
        applies = getattr(entry, "applies", None)
        if not ok or (applies is not None and applies(X) is not None):
            continue
        readable = law.formula
        out.append(_Cand(f"catalogue:{cname}", f"catalogue:{cname}", "catalogue", law, mapping,
                         (), readable, [], {}, catalogue=cname))
    return out


# ---------------------------------------------------------------------------------------------
# the search


def _group_codes(data: Dataset) -> np.ndarray:
    if data.group is None:
        return np.zeros(data.n, int)
    _, codes = np.unique(np.asarray(data.group).astype(str), return_inverse=True)
    return np.asarray(codes, int).ravel()


def _usable(name: str) -> bool:
    return (name.isidentifier() and not keyword.iskeyword(name) and name not in FUNCTIONS
            and not name.startswith("_"))


def formula_names(columns, reserved=()) -> dict[str, str]:
    """Names for input columns in formulas: ``{name: column}``.

    A column whose name is usable in a formula keeps it. Any other (``model size``,
    ``lr-peak``, ``2x``, ``log``) gets the nearest usable name: characters other than letters,
    digits and ``_`` become ``_``, a leading digit or ``_`` gets an ``x`` in front, a function
    name or keyword an ``_`` behind, and ``_`` is added until the name is used by no other
    input and none of ``reserved`` (the target columns).

    Parameters
    ----------
    columns : sequence of str
        The input columns.
    reserved : sequence of str, optional
        Names the inputs must not take.

    Returns
    -------
    dict of str to str
        Formula name -> column, in the order of ``columns``.
    """
    taken = set(reserved) | {c for c in columns if _usable(c)}
    out: dict[str, str] = {}
    for c in columns:
        if _usable(c):
            out[c] = c
            continue
        n = re.sub(r"\W", "_", c.strip()) or "x"
        if n[0].isdigit() or n.startswith("_"):
            n = "x" + ("" if n.startswith("_") else "_") + n
        while not _usable(n) or n in taken:
            n += "_"
        taken.add(n)
        out[n] = c
    return out


def check_input_names(names) -> None:
    """Input names must be usable in formulas: identifiers that are not function names."""
    for n in names:
        if not _usable(n):
            raise InputError(f"input {n!r} cannot be used in a formula (it must be a name such "
                             "as 'tokens', not a function name or keyword); name it otherwise "
                             "in the dataset's mapping (make_dataset(frame, {'tokens': "
                             f"{n!r}}}, ...)), as load_for_discovery does")


class _Search:
    def __init__(self, data: Dataset, settings: DiscoverSettings, log: Log | None) -> None:
        self.s = settings
        self.log = log or (lambda _msg: None)
        self.data = data
        self.train = data.train() if data.split is not None else data
        if self.train.n == 0:
            raise InputError("the data has no train rows: every row of the split column is "
                             "labelled test or excluded; label the rows to search on 'train', "
                             "or leave the split out to search on every row")
        check_input_names(self.train.X)
        if settings.scales is not None:
            unknown = [c for c in settings.scales if c not in self.train.X]
            if unknown:
                raise InputError(f"--scale {', '.join(unknown)}: not an input (inputs: "
                                 f"{', '.join(self.train.X)})")
        self.codes = _group_codes(self.train)
        self.grouped = self.train.group is not None
        self.n_groups = int(self.codes.max()) + 1 if self.train.n else 0
        self.space = "log" if np.all(self.train.y > 0) else "raw"
        self._check_groups()
        self._check_signs()
        self.infos = analyse_inputs(dict(self.train.X), self.train.y, self.codes, settings.scales)
        self.pairs = repeat_pairs(self.infos, dict(self.train.X))
        self.folds: list[Fold] = validation_folds(dict(self.train.X), self.codes, self.infos,
                                                  scheme=settings.folds,  # type: ignore[arg-type]
                                                  holdout=settings.holdout, kfold=settings.kfold,
                                                  origins=settings.origins,
                                                  seed=settings.seed)
        if not self.folds:
            M = np.column_stack([self.codes]
                                + [np.asarray(v, float) for v in self.train.X.values()])
            distinct = max(len(np.unique(M[self.codes == g], axis=0))
                           for g in np.unique(self.codes))
            where = " in any group" if self.grouped else ""
            raise InputError(f"too few distinct input points to validate a law: the "
                             f"{self.train.n} train rows hold at most {distinct} distinct "
                             f"input point(s){where}, and a group needs at least 4 (3 to fit, 1 "
                             "to predict); add runs at other input values")
        self.y_held = np.concatenate([self.train.y[f.held_out] for f in self.folds])
        self.held_fold = np.concatenate([np.full(f.n_held_out, i)
                                         for i, f in enumerate(self.folds)])
        self.held_group = np.concatenate([self.codes[f.held_out] for f in self.folds])
        self.base_held = self._baseline_held()
        held = np.logical_or.reduce([f.held_out for f in self.folds])
        M = np.column_stack([self.codes] + [np.asarray(v, float) for v in self.train.X.values()])
        self.n_points_held = int(np.unique(M[held], axis=0).shape[0])
        # screening uses the (at most) three folds that hold out the most rows
        order = sorted(range(len(self.folds)), key=lambda i: -self.folds[i].n_held_out)
        self.screen_folds = [self.folds[i] for i in sorted(order[:3])]
        self.y_screen = np.concatenate([self.train.y[f.held_out] for f in self.screen_folds])
        self.full = Fitter(n_starts=settings.n_starts, max_iter=settings.max_iter,
                           seed=settings.seed, space=self.space)
        self.quick = Fitter(n_starts=min(256, settings.n_starts), n_polish=2, max_iter=80,
                            seed=settings.seed, space=self.space)
        self.allow_sharing = self.grouped and 1 < self.n_groups <= settings.share_max_groups
        self.seen: set[str] = set()
        self.validated: dict[str, _Cand] = {}
        self.n_screened = 0
        self.rounds = 0
        self.stopped_by_budget = False
        self.stopped_by_limit = False
        self.cost: dict[str, float] = {}
        self.start = time.perf_counter()

    # -- evaluation ----------------------------------------------------------------------
    def _check_groups(self) -> None:
        """Every group needs :data:`MIN_GROUP_POINTS` distinct train points: with fewer, no law
        with parameters of its own can be fitted to it, and every candidate would fail."""
        if not self.grouped:
            return
        X = np.column_stack([np.asarray(v, float) for v in self.train.X.values()])
        labels = np.asarray(self.train.group).astype(str)
        few = [(str(labels[self.codes == g][0]), len(np.unique(X[self.codes == g], axis=0)))
               for g in range(self.n_groups)]
        few = [(label, k) for label, k in few if k < MIN_GROUP_POINTS]
        if few:
            shown = ", ".join(f"'{label}' ({k})" for label, k in few[:5])
            more = f" and {len(few) - 5} more" if len(few) > 5 else ""
            raise InputError(f"{len(few)} group(s) have fewer than {MIN_GROUP_POINTS} distinct "
                             f"train points ({shown}{more}; column "
                             f"{self.train.group_column or 'group'!r}): a law with parameters "
                             "per group cannot be fitted to them; drop or merge those groups, "
                             "or search without --group")

    def _check_signs(self) -> None:
        """A scale must be positive: ``--scale`` on an input with values <= 0 is an error, and
        an input that would look like a scale but for a few values <= 0 gets a warning naming
        the first row (it is searched as a real-valued input, without power laws of it). A
        target with some values <= 0 among positive ones gets a warning too: the search then
        fits raw values, not logarithms."""
        rows = self.train.rows
        y = np.asarray(self.train.y, float)
        bad = np.flatnonzero(y <= 0)
        if 0 < bad.size < y.size:
            i = int(bad[0])
            where = f"row {int(rows[i])}" if rows is not None else f"train row {i + 1}"
            warnings.warn(f"target {self.train.target!r}: {where} has {y[i]:g} ({bad.size} "
                          f"value(s) <= 0 of {y.size}), so the search fits raw values, not "
                          "logarithms; fix or drop those rows if they are mistakes",
                          DataWarning, stacklevel=3)
        for name, values in self.train.X.items():
            v = np.asarray(values, float)
            bad = np.flatnonzero(v <= 0)
            if bad.size == 0:
                continue
            i = int(bad[0])
            where = f"row {int(rows[i])}" if rows is not None else f"train row {i + 1}"
            if self.s.scales is not None and name in self.s.scales:
                raise InputError(f"--scale {name}: a scale must be > 0, but {where} has "
                                 f"{v[i]:g} ({bad.size} value(s) <= 0); fix or drop those rows")
            pos = v[v > 0]
            proportion = bool(np.all((v >= 0) & (v <= 1)))
            if not proportion and bad.size <= 0.1 * v.size and pos.size \
                    and pos.max() / pos.min() >= 10:
                warnings.warn(f"input {name!r}: {where} has {v[i]:g} ({bad.size} value(s) <= 0 "
                              f"of {v.size}), so {name} cannot be a scale (no power law of it is "
                              "tried); fix or drop those rows if they are mistakes",
                              DataWarning, stacklevel=3)

    def _tasks(self, cands: list[_Cand], fitter: Fitter, folds: list[Fold]) -> list[EvalTask]:
        masks = tuple((f.fit_mask, f.held_out) for f in folds)
        return [EvalTask(c.law, replace(fitter, shared=c.shared), law_data(self.train, c.mapping),
                         masks) for c in cands]

    def _affordable(self, cands: list[_Cand], kind: str) -> list[_Cand]:
        """The first candidates that fit in the time left, at the mean cost seen so far."""
        cost = self.cost.get(kind)
        if cost is None and kind == "quick" and "full" in self.cost:
            # no screening measured yet: a quick fit costs at most a full one, scaled by folds
            cost = self.cost["full"] * len(self.screen_folds) / max(len(self.folds), 1)
        if cost is None or not cands:
            return cands
        n = int(max(self._time_left(), 0.0) * max(self.s.jobs, 1) / max(cost, 1e-3))
        if n < len(cands):
            self.stopped_by_budget = True
            return cands[:n]
        return cands

    def _baseline_held(self) -> np.ndarray:
        """The no-law baseline's held-out predictions, in the order of ``y_held``: each held-out
        row predicted by the mean of its group's fitted rows in that fold (the geometric mean
        for a positive target; the fold's mean where the group has no fitted rows). A law that
        does no better than this has learnt nothing but the groups' levels."""
        y = np.asarray(self.train.y, float)
        positive = bool(np.all(y > 0))
        t = np.log(y) if positive else y
        out = []
        for f in self.folds:
            fit = f.fit_mask
            overall = float(np.mean(t[fit])) if fit.any() else float(np.mean(t))
            held_codes = self.codes[f.held_out]
            pred = np.full(held_codes.shape, overall)
            for g in np.unique(held_codes):
                mine = fit & (self.codes == g)
                if mine.any():
                    pred[held_codes == g] = float(np.mean(t[mine]))
            out.append(np.exp(pred) if positive else pred)
        return np.concatenate(out) if out else np.zeros(0)

    def _score(self, cands: list[_Cand], fitter: Fitter, kind: str) -> None:
        if not cands:
            return
        folds = self.folds if kind == "full" else self.screen_folds
        y_held = self.y_held if kind == "full" else self.y_screen
        outcomes = run_tasks(evaluate, self._tasks(cands, fitter, folds), jobs=self.s.jobs,
                             backend=self.s.backend, timeout=self.s.task_timeout)
        seconds = [o.seconds for o in outcomes]
        self.cost[kind] = float(np.mean(seconds)) if kind not in self.cost else \
            0.5 * self.cost[kind] + 0.5 * float(np.mean(seconds))
        for c, o in zip(cands, outcomes):
            if not o.ok:
                c.validation, c.error, c.criterion, c.reason = None, math.inf, math.inf, o.reason
                continue
            with np.errstate(all="ignore"):
                metrics = score(y_held, o.value["prediction"])
            c.validation = metrics
            if kind == "full":
                c.held = np.asarray(o.value["prediction"], float)
                c.limited = int(o.value.get("limited", 0))
            c.error = metric_error(self.s.metric, metrics[self.s.metric])
            c.criterion = c.error * (1.0 + self.s.complexity) ** c.n_params
            c.reason = None if math.isfinite(c.error) else "the validation metric is undefined"

    def _validate(self, cands: list[_Cand]) -> None:
        self._score(cands, self.full, "full")
        for c in cands:
            self.validated[c.key] = c

    def _time_left(self) -> float:
        return self.s.budget_seconds - (time.perf_counter() - self.start)

    def _ranked(self) -> list[_Cand]:
        return sorted(self.validated.values(),
                      key=lambda c: (c.criterion, c.n_params, c.key))

    def _new(self, forms) -> list[_Cand]:
        out = []
        for f in forms:
            c = _form_candidate(f, self.infos, self.grouped)
            if c is None or c.n_params > self.s.max_params or c.key in self.seen:
                continue
            if c.shared and not self.allow_sharing:
                continue
            self.seen.add(c.key)
            out.append(c)
        return out

    # -- the loop ------------------------------------------------------------------------
    def run(self) -> list[_Cand]:
        first = []
        if self.s.catalogue:
            for c in _catalogue_candidates(self.infos, self.train):
                if c.n_params <= self.s.max_params:
                    self.seen.add(c.key)
                    first.append(c)
        forms = _grammar.initial_forms(self.infos, grouped=self.grouped)
        first += self._new(forms)
        if not first:
            sizes = [c for c in (_form_candidate(f, self.infos, self.grouped) for f in forms)
                     if c is not None]
            if sizes:
                small = min(sizes, key=lambda c: (c.n_params, c.key))
                raise InputError(f"--max-params {self.s.max_params}: the search starts from "
                                 f"forms of at least {small.n_params} parameters here (such as "
                                 f"{small.readable}); raise --max-params to "
                                 f"{small.n_params} or more")
        self._validate(first)
        best = self._best_criterion()
        self.log(f"round 0: {len(first)} forms validated; best {self._best_text()}")
        stale = 0
        width = 1  # a round without improvement doubles the beam and the promotions
        for r in range(1, self.s.max_rounds + 1):
            if self._time_left() <= 0:
                self.stopped_by_budget = True
                break
            beam = [c for c in self._ranked() if c.form is not None
                    and math.isfinite(c.criterion)][: self.s.beam * width]
            children: list[_Cand] = []
            for parent in beam:
                children += self._new(_grammar.expand(
                    parent.form, self.infos, grouped=self.grouped, pairs=self.pairs,
                    allow_sharing=self.allow_sharing))
            if not children:
                break
            if self.stopped_by_budget:
                break
            room = self.s.max_screened - self.n_screened
            if room <= 0:
                self.stopped_by_limit = True
                break
            if len(children) > room:
                self.stopped_by_limit = True
                children = children[:room]
            self.rounds = r
            children = self._affordable(children, "quick")
            self._score(children, self.quick, "quick")
            self.n_screened += len(children)
            promising = sorted((c for c in children if math.isfinite(c.criterion)),
                               key=lambda c: (c.criterion, c.n_params, c.key))
            promising = promising[: self.s.promote * width]
            promising = self._affordable(promising, "full")
            if not promising:
                break
            for c in promising:
                c.validation, c.error, c.criterion = None, math.inf, math.inf
            self._validate(promising)
            now = self._best_criterion()
            self.log(f"round {r}: {len(children)} forms screened, {len(promising)} validated; "
                     f"best {self._best_text()}")
            if now < best * (1 - 1e-9):
                best, stale, width = now, 0, 1
            else:
                stale += 1
                width *= 2
                if stale >= self.s.patience:
                    break
        return self._ranked()

    def _best_criterion(self) -> float:
        ranked = self._ranked()
        return ranked[0].criterion if ranked else math.inf

    def _best_text(self) -> str:
        ranked = self._ranked()
        if not ranked or not math.isfinite(ranked[0].criterion):
            return "none"
        c = ranked[0]
        v = c.validation[self.s.metric] if c.validation else None
        return f"{self.s.metric} {v:.5f} with {c.n_params} parameters: {c.readable}"


# ---------------------------------------------------------------------------------------------
# the public entry point


def discover(data: Dataset, settings: DiscoverSettings | None = None, *,
             log: Log | None = None) -> Discovery:
    """Search for the law form that extrapolates best, using only the train split.

    Parameters
    ----------
    data : Dataset
        The data (:func:`load_for_discovery` or :func:`scalinglaws.load_dataset`), inputs keyed
        by names usable in formulas. With a split, only its train rows are searched; the test
        rows are used at the end to score the reported candidates, never to choose.
    settings : DiscoverSettings, optional
        How to search (defaults otherwise).
    log : callable, optional
        Called with one line per round (progress for a terminal).

    Returns
    -------
    Discovery

    Raises
    ------
    InputError
        If the train rows are too few to validate, an input name cannot be used in a formula,
        or a setting is invalid.
    """
    settings = settings or DiscoverSettings()
    train_y = data.train().y if data.split is not None else data.y
    if train_y.size and np.ptp(train_y) <= 1e-9 * max(float(np.max(np.abs(train_y))), 1e-300):
        raise InputError(f"the target {data.target!r} is constant ({float(train_y[0]):g} on all "
                         f"{train_y.size} train rows, to 1 part in 1e9): there is nothing for a "
                         "law to explain; "
                         "check that the target column is the one you meant")
    if settings.metric == "log_rmse" and not np.all(train_y > 0):
        raise InputError(f"--metric log_rmse compares logarithms, but the target "
                         f"{data.target!r} has values <= 0: choose another metric (r2, nmse, "
                         "nmae)")
    search = _Search(data, settings, log)
    ranked = search.run()
    ok = [c for c in ranked if math.isfinite(c.criterion)]
    failed = [c for c in ranked if not math.isfinite(c.criterion)]
    report = ok[: max(settings.report, PROBE_LAWS)]
    fits = _refit(search, report)
    test = data.test() if data.split is not None else None
    n_test = 0 if test is None else test.n
    if test is not None and n_test == 0:
        dropped = getattr(data, "n_excluded", 0) + getattr(data, "n_dropped", 0)
        why = (f" after {dropped} row(s) were excluded (a drop_where_true column, an "
               "'excluded' label, or missing values)" if dropped else "")
        warnings.warn(f"the split labels no row 'test'{why}: there is no test score; the "
                      "selection is unchanged, since it never uses the test rows",
                      DataWarning, stacklevel=2)
    if n_test and test.group is not None and search.train.group is not None:
        unseen = sorted(set(map(str, test.group)) - set(map(str, search.train.group)))
        if unseen:
            shown = ", ".join(unseen[:5]) + (" ..." if len(unseen) > 5 else "")
            keep = ~np.isin(np.asarray(test.group).astype(str), unseen)
            test = test.subset(keep)
            n_test = test.n
            scored = (f"the test score is of the other groups' {n_test} test row(s)" if n_test
                      else "no test score is given")
            warnings.warn(f"{len(unseen)} group(s) of the test split have no train rows "
                          f"({shown}): a law with per-group parameters cannot predict their "
                          f"{int((~keep).sum())} test row(s), so {scored}; move some of their "
                          "rows to the train split to score them", DataWarning, stacklevel=2)
    stack, stack_note = _stack_candidate(search, ok, fits) if settings.stack else (None, None)
    columns = dict(data.columns)
    first = 2 if stack is not None else 1
    candidates = []
    for rank, c in enumerate(ok, start=first):
        params, test_scores = None, None
        if c.key in fits:
            res = fits[c.key]
            if isinstance(res, str):
                c.reason = res
            else:
                params = res.params
                if n_test:
                    test_scores = _test_scores(res, test, c.mapping)
        candidates.append(_public(c, rank, settings.metric, params, test_scores, columns))
    for c in failed:
        candidates.append(_public(c, 0, settings.metric, None, None, columns))
    if stack is not None:
        cand, stack_fit = stack
        test_scores = _test_scores(stack_fit, test, cand.mapping) if n_test else None
        candidates.insert(0, _public(cand, 1, settings.metric, stack_fit.params, test_scores,
                                     columns))
        selected, selected_fit = candidates[0], stack_fit
    else:
        selected = candidates[0] if ok else None
        selected_fit = fits.get(ok[0].key) if ok else None
    if isinstance(selected_fit, str):
        selected_fit = None
    max_error = settings.max_error if settings.max_error is not None else \
        DEFAULT_MAX_ERROR[settings.metric]
    spread = _spread(search, ok[:PROBE_LAWS], fits)
    held = stack[0].held if stack is not None else (ok[0].held if ok else None)
    baseline = _baseline(search, held, settings.metric)
    noise = _noise(search, held, selected_fit)
    extrapolates, verdict = _verdict(selected, failed, settings.metric, max_error,
                                     search.n_points_held, spread, settings.max_spread,
                                     baseline, search.grouped, noise)
    return Discovery(
        dataset=data.name, target=data.target, metric=settings.metric,
        candidates=tuple(candidates), selected=selected, extrapolates=extrapolates,
        verdict=verdict,
        inputs=tuple({**i.to_dict(), "column": columns.get(i.name, i.name)}
                     for i in search.infos),
        folds=tuple(f.to_dict() for f in search.folds),
        search={"rounds": search.rounds, "screened": search.n_screened,
                "validated": len(search.validated), "probe_spread": spread,
                "stopped_by_budget": search.stopped_by_budget,
                "stopped_by_limit": search.stopped_by_limit, "space": search.space,
                "baseline": baseline, "noise": noise,
                "sharing": ({"groups": search.n_groups, "max_groups": settings.share_max_groups,
                             "tried": search.allow_sharing} if search.grouped else None)},
        settings=settings.to_dict(),
        provenance={"package": "scalinglaws", "version": __version__,
                    "environment": environment(),
                    "train_hash": search.train.hash(), "source": data.source,
                    "rows_dropped": int(getattr(data, "n_dropped", 0)),
                    "rows_excluded": int(getattr(data, "n_excluded", 0))},
        n_train=search.train.n, n_test=n_test, source=data.source, fit=selected_fit,
        stack=stack_note,
        # the groups are part of the fit: ``fit`` must be told the column (a split column is
        # not recorded by a Dataset; discover_path adds it)
        read_options=(("--group", str(data.group_column))
                      if data.group is not None and data.group_column else ()))


def _stack_candidate(search: _Search, ok: list[_Cand], fits: dict[str, Any]):
    """The weighted average of the reported grammar laws, when it validates better than the
    best single law (leave-one-fold-out over the validation folds) and, with groups, does so
    for significantly more groups than not (one-sided sign test over the groups' held-out
    errors, at the level ``stack_group_level`` of the settings; a level of 1 skips the test).

    Returns
    -------
    stack : tuple of (_Cand, FitResult) or None
        The stack as a candidate (its validation from the leave-one-fold-out predictions, its
        criterion that error, unpenalised) and its fit on the train rows (the laws' own fits,
        weighted); None when it is not selected.
    note : dict or None
        What was tried and why it was or was not selected (None when there was nothing to
        average: fewer than two validation folds or two grammar laws). Its ``laws`` are ranks
        in the final ranking.
    """
    if not ok or len(search.folds) < 2:
        return None, None
    pool = [(rank, c) for rank, c in enumerate(ok[: search.s.report], start=2)
            if c.form is not None and c.held is not None and not c.reason
            and c.held.shape == search.y_held.shape and np.all(np.isfinite(c.held))
            and not isinstance(fits.get(c.key, "missing"), str)]
    if len(pool) < 2:
        return None, None
    P = np.vstack([c.held for _, c in pool])
    y = search.y_held
    relative = search.s.metric in ("log_rmse", "are") and np.all(y > 0)
    scale = np.abs(y) if relative else None
    w = _stack.stack_weights(P, y, scale)
    metric = search.s.metric
    single = (ok[0].validation or {}).get(metric)

    def rejected(reason: str, **extra: Any):
        laws = [rank - 1 for wk, (rank, _) in zip(w, pool) if wk > 0]
        return None, {"selected": False, "laws": laws,
                      "weights": [float(wk) for wk in w if wk > 0],
                      "best_single_validation": single, "reason": reason, **extra}

    if np.count_nonzero(w) < 2:
        return rejected("the weights fitted to the held-out predictions put all the weight "
                        f"on law {pool[int(np.argmax(w))][0] - 1}")
    with np.errstate(all="ignore"):
        cv = _stack.cross_validated(P, y, search.held_fold, scale)
        metrics = score(y, cv)
    error = metric_error(metric, metrics[metric])
    name = "R²" if metric == "r2" else metric
    if not error < ok[0].error:
        return rejected(f"its leave-one-fold-out validation {name} {_num(metrics[metric])} "
                        f"does not beat the best single law's {_num(single)}",
                        validation_score=metrics[metric])
    groups = None
    if search.n_groups > 1 and ok[0].held is not None:
        # the weights are shared by all groups: better pooled is not enough, the stack must
        # also extrapolate better for significantly more groups than it does worse for
        wins, losses, p = _stack.sign_test(
            _stack.group_errors(cv, y, search.held_group, scale),
            _stack.group_errors(ok[0].held, y, search.held_group, scale))
        level = search.s.stack_group_level
        groups = {"better": wins, "worse": losses, "p": p, "level": level}
        if level < 1 and not p < level:
            return rejected(f"it validates better ({name} {_num(metrics[metric])} against "
                            f"{_num(single)}) but is better for {wins} groups and worse for "
                            f"{losses} (one-sided sign test p = {p:.2g}, must be below "
                            f"{level:g})", validation_score=metrics[metric],
                            groups=groups)
    used = [(wk, rank, c) for wk, (rank, c) in zip(w, pool) if wk > 0]
    parts = []
    for wk, rank, c in used:
        read = c.readable  # definitions inlined: their names could clash between laws
        for d, expr in c.definitions:
            read = _stack.rename(read, {d: f"({expr})"})
        parts.append((float(wk), rank, c.law.formula, read, list(c.law.param_names),
                      dict(c.bounds), c.shared))
    sf = _stack.stacked_formula(parts)
    inputs = [i.name for i in search.infos]
    try:
        law = formula_law(sf.formula, inputs, bounds=sf.bounds, name="stacked")
    except LawError as exc:
        return rejected(f"its formula could not be built: {exc}")
    params: dict[str, Any] = {}
    for (wk, rank, c), names in zip(used, sf.names):
        p = fits[c.key].params
        grouped = bool(p) and isinstance(next(iter(p.values())), dict)
        if grouped:
            for g, vals in p.items():
                params.setdefault(g, {}).update({names[k]: v for k, v in vals.items()})
        else:
            params.update({names[k]: v for k, v in p.items()})
    data = law_data(search.train, {k: k for k in law.inputs})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScalingLawsWarning)
            with np.errstate(all="ignore"):
                fit = replace(search.full, shared=sf.shared).at(law, data, params)
    except (InputError, LawError) as exc:
        return rejected(f"its fit could not be built: {exc}")
    ranks = ", ".join(str(r) for _, r, _ in used)
    cand = _Cand(f"stack:{ranks}", f"stack of laws {ranks}", "stack", law,
                 {k: k for k in law.inputs}, sf.shared, sf.readable, [], dict(sf.bounds),
                 validation=metrics, error=error, criterion=error, held=cv,
                 limited=sum(c.limited for _, _, c in used))
    # ``fit --law`` refits the average as one law, every parameter at once: each group needs
    # as many distinct points as the law has parameters of its own
    blocks = data.by_group() if data.group is not None else [(None, data)]
    points = min(part.distinct_scales() for _, part in blocks)
    own = law.n_params - len(sf.shared) if data.group is not None else law.n_params
    note = {"selected": True, "laws": [r for _, r, _ in used],
            "weights": [float(wk) for wk, _, _ in used], "best_single_validation": single,
            "validation_score": metrics[metric], "reason": None,
            "refit": {"possible": points >= own, "params": own, "points": points}}
    if groups is not None:
        note["groups"] = groups
    return (cand, fit), note


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.5f}"


def _probe_rows(search: _Search) -> Dataset | None:
    """Points beyond the data: each group's frontier runs with every scale input multiplied by
    :data:`PROBE_FACTOR` (other inputs kept). None without scale inputs."""
    scales = [i.name for i in search.infos if i.kind == "scale"]
    if not scales:
        return None
    keep = np.zeros(search.train.n, bool)
    for g in np.unique(search.codes):
        rows = np.flatnonzero(search.codes == g)
        V = np.column_stack([np.asarray(search.train.X[s], float)[rows] for s in scales])
        keep[rows[_frontier(V)]] = True
    probe = search.train.subset(keep)
    X = {k: (np.asarray(v) * PROBE_FACTOR if k in scales else np.asarray(v))
         for k, v in probe.X.items()}
    return replace(probe, X=X)


def _spread(search: _Search, cands: list[_Cand], fits: dict[str, Any]) -> float | None:
    """How much the best laws disagree beyond the data: the median over probe points of the
    range of their predictions relative to the middle one. None when there is nothing to probe
    or fewer than two of them could be fitted."""
    probe = _probe_rows(search)
    if probe is None:
        return None
    preds = []
    for c in cands:
        res = fits.get(c.key)
        if res is None or isinstance(res, str):
            continue
        try:
            p = predict_rows(res, law_data(probe, c.mapping))
        except Exception:  # noqa: BLE001 - a law that cannot be evaluated there
            continue
        if np.all(np.isfinite(p)):
            preds.append(p)
    if len(preds) < 2:
        return None
    P = np.vstack(preds)
    mid = np.median(P, axis=0)
    with np.errstate(all="ignore"):
        rel = (P.max(axis=0) - P.min(axis=0)) / np.abs(mid)
    rel = rel[np.isfinite(rel)]
    return float(np.median(rel)) if rel.size else None


def _refit(search: _Search, cands: list[_Cand]) -> dict[str, Any]:
    """Fit the reported candidates on all train rows (after the selection)."""
    if not cands:
        return {}
    tasks = [EvalTask(c.law, replace(search.full, shared=c.shared),
                      law_data(search.train, c.mapping), ()) for c in cands]
    outcomes = run_tasks(fit_train, tasks, jobs=search.s.jobs, backend=search.s.backend,
                         timeout=search.s.task_timeout)
    return {c.key: (o.value if o.ok else f"failed: {o.reason}") for c, o in zip(cands, outcomes)}


def _test_scores(result, test: Dataset, mapping: dict[str, str]) -> dict[str, float | None] | None:
    """Every metric on the test rows (pooled over groups), or None if they cannot be predicted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ScalingLawsWarning)
            pred = predict_rows(result, law_data(test, mapping))
    except Exception:  # noqa: BLE001 - e.g. a test group the train rows do not have
        return None
    if not np.all(np.isfinite(pred)):
        return None
    with np.errstate(all="ignore"):
        return score(test.y, pred)


def _public(c: _Cand, rank: int, metric: str, params, test, columns) -> Candidate:
    """The public record of a candidate; its ``inputs`` map the law's names to the columns
    they read (``columns``: the data's formula name -> column)."""
    if c.catalogue is not None:
        tex = c.law.latex
        formula = c.law.formula
        inputs = {k: columns.get(v, v) for k, v in c.mapping.items()}
    else:
        formula = c.law.formula
        tex = latex(c.readable, list(c.law.inputs) + [d for d, _ in c.definitions])
        for name, d in c.definitions:
            tex += r",\quad " + latex(name, [name]) + " = " + latex(d, list(c.law.inputs))
        inputs = {k: columns.get(k, k) for k in c.law.inputs}
    value = None if c.validation is None else c.validation.get(metric)
    status = "ok" if math.isfinite(c.criterion) and not c.reason else \
        f"failed: {c.reason or 'no finite validation score'}"
    if math.isfinite(c.criterion) and c.reason:
        status = c.reason
    return Candidate(
        rank=rank, key=c.label, origin=c.origin, formula=formula, readable=c.readable, latex=tex,
        definitions=tuple((a, b) for a, b in c.definitions), inputs=inputs, bounds=dict(c.bounds),
        shared=c.shared, n_params=c.n_params, validation=c.validation, validation_score=value,
        criterion=c.criterion, test=test, params=params, catalogue=c.catalogue, status=status,
        limited=c.limited)


def _baseline(search: _Search, held: np.ndarray | None, metric: str) -> dict | None:
    """How the selected law's held-out error compares with the no-law baseline's (each group's
    mean of its fitted rows, :meth:`_Search._baseline_held`).

    Returns
    -------
    dict or None
        ``validation_score`` (the baseline's, in the metric) and ``error_ratio``: the selected
        law's held-out squared error over the baseline's (for the metrics of absolute or log
        errors, the square of the ratio of errors), so 1 means no better than the baseline.
        None without held-out predictions or when the baseline is exact.
    """
    if held is None or held.shape != search.y_held.shape or not np.all(np.isfinite(held)):
        return None
    with np.errstate(all="ignore"):
        law_value = score(search.y_held, held)[metric]
        base_value = score(search.y_held, search.base_held)[metric]
    law_err, base_err = metric_error(metric, law_value), metric_error(metric, base_value)
    if not (math.isfinite(law_err) and math.isfinite(base_err)) or base_err <= 0:
        return None
    ratio = law_err / base_err
    if metric not in ("r2", "nmse"):  # errors, not squared errors
        ratio = ratio ** 2
    return {"validation_score": base_value, "error_ratio": float(ratio)}


def _noise(search: _Search, held: np.ndarray | None, fit) -> dict | None:
    """How the selected law's held-out error compares with its error on the rows it is fitted
    on.

    The noise of a target may be proportional to its level (losses) or not (accuracies), and
    the RMSE of all train rows is dominated by the rows where the noise is largest, which could
    excuse large errors on held-out rows where it is small. So for a positive target the ratio
    is taken both for absolute and for relative (log) errors, and the larger counts.

    Returns
    -------
    dict or None
        ``held_rmse`` (the pooled held-out predictions of the validation folds), ``fit_rmse``
        and ``fit_r2`` (its fit on all train rows), their ``ratio`` and, for a positive target,
        the same in log values (``held_rmse_log``, ``fit_rmse_log``, ``ratio_log``);
        ``worst_ratio`` is the larger ratio. None without held-out predictions or a fit.
    """
    if held is None or fit is None or held.shape != search.y_held.shape \
            or not np.all(np.isfinite(held)):
        return None
    fit_r2 = fit.metrics.get("r2")
    if fit_r2 is None or not math.isfinite(fit_r2):
        return None
    out: dict[str, float] = {"fit_r2": float(fit_r2)}
    y = search.y_held
    spaces = [("", held - y, "rmse")]
    if np.all(y > 0) and np.all(held > 0):
        spaces.append(("_log", np.log(held) - np.log(y), "rmse_log"))
    for suffix, r, key in spaces:
        fit_rmse = fit.metrics.get(key)
        if fit_rmse is None or not (fit_rmse > 0 and math.isfinite(fit_rmse)):
            return None
        held_rmse = float(np.sqrt(np.mean(r ** 2)))
        out.update({f"held_rmse{suffix}": held_rmse, f"fit_rmse{suffix}": float(fit_rmse),
                    f"ratio{suffix}": held_rmse / float(fit_rmse)})
    out["worst_ratio"] = max(out["ratio"], out.get("ratio_log", 0.0))
    return out


def _verdict(selected: Candidate | None, failed: list[_Cand], metric: str,
             max_error: float, n_points: int, spread: float | None,
             max_spread: float, baseline: dict | None = None,
             grouped: bool = False, noise: dict | None = None) -> tuple[bool, str]:
    name = "R²" if metric == "r2" else metric
    if n_points < MIN_HELD_POINTS:
        shown = "" if selected is None or selected.validation_score is None else \
            f" (validation {name} {selected.validation_score:.5f})"
        return False, (f"NOT ENOUGH DATA TO TELL: the validation holds out only {n_points} "
                       f"distinct point(s) of the train split{shown}; at least "
                       f"{MIN_HELD_POINTS} are needed to judge how a law extrapolates. Treat "
                       "the ranking as unvalidated; add runs at larger scales.")
    if selected is None:
        why = failed[0].reason if failed else ("no law form was within the search's limits "
                                               "(--max-params, --max-screened)")
        return False, (f"NO LAW COULD BE FITTED: every candidate failed its validation (first "
                       f"reason: {why}).")
    err = metric_error(metric, selected.validation_score)
    limit = 1 - max_error if metric == "r2" else max_error
    cmp = ">=" if metric == "r2" else "<="
    value = selected.validation_score
    within_noise = (err > max_error and metric in ("r2", "nmse") and noise is not None
                    and noise["worst_ratio"] <= MAX_NOISE_RATIO and noise["fit_r2"] >= MIN_FIT_R2
                    and baseline is not None and baseline["error_ratio"] <= MAX_BASELINE_RATIO
                    and (spread is None or spread <= max_spread))
    probe = "" if spread is None else \
        f"; the {PROBE_LAWS} best laws agree within {100 * spread:.1f}% at " \
        f"{PROBE_FACTOR:g} times the largest scales"
    if within_noise:
        logs = "" if "ratio_log" not in noise else \
            f"; in log values {noise['ratio_log']:.2f} times"
        return True, (f"found, within the noise: the rows held out at the largest scales vary "
                      f"too little for {name} to judge (validation {name} {value:.5f}), but the "
                      f"selected law predicts them with RMSE {noise['held_rmse']:.4g}, "
                      f"{noise['ratio']:.2f} times its RMSE on the rows it is fitted on "
                      f"({noise['fit_rmse']:.4g}, R² {noise['fit_r2']:.4f}{logs}; each at most "
                      f"{MAX_NOISE_RATIO:g} times required), and its held-out squared error is "
                      f"{baseline['error_ratio']:.2g} times that of predicting "
                      + ("each group's mean level" if grouped else "the fitted rows' mean")
                      + f", on {n_points} held-out points{probe}.")
    if err <= max_error and baseline is not None \
            and baseline["error_ratio"] > MAX_BASELINE_RATIO:
        what = ("predicting each group's mean level (the mean of its fitted rows)" if grouped
                else "predicting the mean of the fitted rows")
        return False, (f"NO LAW EXTRAPOLATES WELL: the selected law validates with {name} "
                       f"{value:.5f}, but no better than {what}, which validates with {name} "
                       f"{baseline['validation_score']:.5f}: its held-out squared error is "
                       f"{baseline['error_ratio']:.2f} times the baseline's (at most "
                       f"{MAX_BASELINE_RATIO:g} required). The score comes from the levels, not "
                       "from a trend the law found; do not use these laws to extrapolate.")
    if err <= max_error and spread is not None and spread > max_spread:
        return False, (f"NOT DETERMINED BY THE DATA: the selected law validates with {name} "
                       f"{value:.5f}, but the {PROBE_LAWS} best laws disagree by "
                       f"{100 * spread:.0f}% (median) at {PROBE_FACTOR:g} times the largest "
                       f"scales (more than {100 * max_spread:.0f}%): which law to trust for "
                       "extrapolation is not settled; add runs at larger scales.")
    if err <= max_error:
        return True, (f"found: the selected law extrapolates within the train split with "
                      f"validation {name} {value:.5f} ({cmp} {limit:g} required) on "
                      f"{n_points} held-out points{probe}.")
    return False, (f"NO LAW EXTRAPOLATES WELL: the best validation {name} is {value:.5f} "
                   f"(needs {cmp} {limit:g} on rows held out at the largest scales of the train "
                   f"split). The ranking is shown for information only; do not use these laws "
                   f"to extrapolate.")
