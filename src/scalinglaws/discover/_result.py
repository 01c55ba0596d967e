"""Result objects of a discovery: the ranked candidates, the selected law and the verdict."""

from __future__ import annotations

import math
import shlex
from dataclasses import dataclass, field, fields
from typing import Any, Sequence


#: Largest validation error (in the units of the metric; for ``r2`` the error is 1 - R²) at
#: which a law is said to extrapolate well, by metric.
DEFAULT_MAX_ERROR = {"r2": 0.2, "nmse": 0.2, "nmae": 0.3, "are": 0.05, "log_rmse": 0.05}


def metric_error(metric: str, value: float | None) -> float:
    """The validation *error* for a metric value: ``1 - R²`` for ``r2``, the value otherwise;
    ``inf`` when undefined."""
    if value is None or not math.isfinite(value):
        return math.inf
    return 1.0 - value if metric == "r2" else float(value)


@dataclass(frozen=True)
class Candidate:
    """One law form the search evaluated.

    Attributes
    ----------
    rank : int
        Position in the ranking (1 = selected); 0 for a candidate that failed.
    key : str
        Canonical description of the form (or ``catalogue:NAME``).
    origin : {"grammar", "catalogue", "stack"}
        Built by the grammar, a catalogue law used as a seed, or a weighted average of the
        best grammar laws (see :mod:`scalinglaws.discover._stack`).
    formula : str
        The formula that is fitted (for a catalogue law, its formula in its own input names).
    readable : str
        The same law, factored, with effective quantities as definitions.
    latex : str
        LaTeX of ``readable`` (definitions appended).
    definitions : tuple of (str, str)
        Definitions used by ``readable``.
    inputs : dict
        ``{law input: data column}``.
    bounds : dict
        ``{parameter: (lower, upper)}`` of the formula (finite bounds only).
    shared : tuple of str
        Parameters shared across groups.
    n_params : int
        Number of parameters of the law (per group for the ones not shared).
    validation : dict or None
        Every metric of the pooled held-out predictions of the validation folds.
    validation_score : float or None
        The selection metric's value.
    criterion : float
        Validation error times ``(1 + complexity) ** n_params``: the ranking key (lower is
        better); ``inf`` for a failed candidate. For a stack, its leave-one-fold-out validation
        error (it is ranked first when that beats the best single law's error).
    test : dict or None
        Every metric on the test split, for the reported candidates of data with a split (computed
        after the selection, never used by it).
    params : dict or None
        Parameters fitted on all train rows (reported candidates).
    catalogue : str or None
        The catalogue law's name, for a catalogue candidate.
    status : str
        ``"ok"``, or ``"failed: REASON"``.
    limited : int
        How many of its validation fits stopped at the solver's iteration limit (status
        ``iteration_limit``; for a stack, summed over its laws). Such a fit may not have
        reached the optimum, so the validation score may move with the seed.
    """

    rank: int
    key: str
    origin: str
    formula: str
    readable: str
    latex: str
    definitions: tuple[tuple[str, str], ...]
    inputs: dict[str, str]
    bounds: dict[str, tuple[float, float]]
    shared: tuple[str, ...]
    n_params: int
    validation: dict[str, float | None] | None
    validation_score: float | None
    criterion: float
    test: dict[str, float | None] | None = None
    params: dict[str, Any] | None = None
    catalogue: str | None = None
    status: str = "ok"
    limited: int = 0

    @property
    def test_r2(self) -> float | None:
        """R² on the test split (None when not computed or undefined)."""
        return None if self.test is None else self.test.get("r2")

    def law_record(self) -> dict[str, Any]:
        """A JSON-ready record from which the law is rebuilt (the format of a fit's ``law``)."""
        if self.catalogue is not None:
            rec: dict[str, Any] = {"kind": "catalogue", "name": self.catalogue}
            if self.catalogue == "mixture":
                rec["n_inputs"] = len(self.inputs)
        else:
            rec = {"kind": "formula", "name": "discovered", "formula": self.formula,
                   "inputs": list(self.inputs),
                   "bounds": {k: [_num(a), _num(b)] for k, (a, b) in self.bounds.items()}}
        rec["columns"] = dict(self.inputs)
        rec["shared"] = list(self.shared)
        rec["readable"] = self.readable
        return rec

    def fit_command(self, data: str, target: str | None = None,
                    options: Sequence[str] = ()) -> str:
        """The ``scalinglaws fit`` command that fits this law to ``target`` of ``data``, with
        the ``fit`` options in ``options`` (how the data was read and fitted) at its end.

        Parameters
        ----------
        data : str
            The data argument of the command (a path).
        target : str, optional
            The target column, passed as ``--target``; left out when None.
        options : sequence of str, optional
            Further ``fit`` options, appended as given.

        Returns
        -------
        str
            The command line, each part quoted for a POSIX shell. A catalogue law is named by
            ``--law NAME`` with every ``--input``; a formula is given in full with its renamed
            inputs and its ``--bound`` options. ``--share`` lists the shared parameters.
        """
        parts = ["scalinglaws", "fit", data]
        if target is not None:
            parts += ["--target", target]
        if self.catalogue is not None:
            parts += ["--law", self.catalogue]
            for k, v in self.inputs.items():
                parts += ["--input", f"{k}={v}"]
        else:
            from ._stack import rename

            # a parameter named like the target column would be read by ``fit`` as that
            # column: give it another name in the command
            names: dict[str, str] = {}
            if target is not None and target not in self.inputs and \
                    rename(self.formula, {target: "\0"}) != self.formula:
                new = target + "_"
                while rename(self.formula, {new: "\0"}) != self.formula or new in self.inputs:
                    new += "_"
                names[target] = new
            parts += ["--law", rename(self.formula, names)]
            for k, v in self.inputs.items():
                if k != v:
                    parts += ["--input", f"{k}={v}"]
            for k, (a, b) in self.bounds.items():
                parts += ["--bound", f"{names.get(k, k)}={_bound_text(a)}:{_bound_text(b)}"]
        shared = [names.get(k, k) for k in self.shared] if self.catalogue is None else \
            list(self.shared)
        if shared:
            parts += ["--share", ",".join(shared)]
        parts += list(options)
        return " ".join(shlex.quote(p) for p in parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return {
            "rank": self.rank, "key": self.key, "origin": self.origin, "formula": self.formula,
            "readable": self.readable, "latex": self.latex,
            "definitions": [list(d) for d in self.definitions], "inputs": dict(self.inputs),
            "bounds": {k: [_num(a), _num(b)] for k, (a, b) in self.bounds.items()},
            "shared": list(self.shared), "n_params": self.n_params,
            "validation_score": self.validation_score, "validation": self.validation,
            "criterion": _num(self.criterion), "test_r2": self.test_r2, "test": self.test,
            "params": self.params, "status": self.status,
            "validation_fits_at_iteration_limit": self.limited,
        }


def _num(x: float) -> float | str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x)


def _bound_text(x: float) -> str:
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.6g}"


@dataclass(frozen=True)
class Discovery:
    """The outcome of a search for one target.

    Attributes
    ----------
    dataset : str
        Name of the data.
    target : str
        The target column.
    metric : str
        The selection metric.
    candidates : tuple of Candidate
        Every fully validated candidate, ranked (failed ones last, rank 0).
    selected : Candidate or None
        The best-ranked candidate (None when every candidate failed).
    extrapolates : bool
        Whether the selected law's validation error is within ``max_error``.
    verdict : str
        One line saying what the search found, in words.
    inputs : tuple of dict
        How the search read each input (kind, range, correlation with the target).
    folds : tuple of dict
        The validation folds (what each holds out, how many rows).
    search : dict
        Rounds, number of forms screened and validated, whether the time budget stopped it.
    settings : dict
        The settings of the search.
    provenance : dict
        Package version, data hash and source.
    n_train, n_test : int
        Rows in the train and test splits.
    source : str or None
        Where the data was read from.
    fit : FitResult or None
        The selected law fitted on all train rows (for ``predict``, ``plan`` and ``report``).
    stack : dict or None
        The weighted average of the best laws that was tried (section 4, step 6 of
        ``docs/discovery.md``): ``selected``, ``laws`` (their ranks), ``weights``, its
        leave-one-fold-out ``validation_score`` beside ``best_single_validation``, with groups
        ``groups`` (groups better, worse, sign-test ``p``), and the ``reason`` when it was not
        selected. None when stacking was off or there was nothing to average.
    """

    dataset: str
    target: str
    metric: str
    candidates: tuple[Candidate, ...]
    selected: Candidate | None
    extrapolates: bool
    verdict: str
    inputs: tuple[dict[str, Any], ...]
    folds: tuple[dict[str, Any], ...]
    search: dict[str, Any]
    settings: dict[str, Any]
    provenance: dict[str, Any]
    n_train: int
    n_test: int
    source: str | None = None
    fit: Any = field(default=None, repr=False, compare=False)
    stack: dict[str, Any] | None = None
    read_options: tuple[str, ...] = ()

    def fit_options(self) -> list[str]:
        """The ``scalinglaws fit`` options that reproduce how the selected law was fitted: how
        the data was read (``read_options``: group, split, missing values), the residual space
        and the fitter's starts, iteration limit and seed when they are not ``fit``'s
        defaults."""
        out = list(self.read_options)
        if self.search.get("space") == "raw":
            out += ["--space", "raw"]
        from ..fit import Fitter

        defaults = {f.name: f.default for f in fields(Fitter)}
        for key, option in (("n_starts", "--starts"), ("max_iter", "--max-iter"),
                            ("seed", "--seed")):
            value = self.settings.get(key, defaults[key])
            if value != defaults[key]:
                out += [option, str(value)]
        return out

    def fit_command(self) -> str | None:
        """The ``scalinglaws fit`` command that refits the selected law as the search did (None
        when nothing was selected, or for a stack with more parameters than the train split has
        distinct points: ``fit`` refits it as one law)."""
        if self.selected is None or not self._refit().get("possible", True):
            return None
        return self.selected.fit_command(self.source or "DATA", self.target, self.fit_options())

    def _refit(self) -> dict[str, Any]:
        """For a selected stack, whether ``fit`` can refit it as one law (``possible``), its
        parameters per group and the fewest distinct points of a group; else empty."""
        if self.selected is None or self.selected.origin != "stack":
            return {}
        return (self.stack or {}).get("refit") or {}

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """JSON-ready record; ``top`` limits the candidates listed (all by default).

        Parameters
        ----------
        top : int, optional
            Number of best-ranked candidates to list (one more when a stack leads the
            ranking, so that the laws it averages are listed); None lists every candidate.

        Returns
        -------
        dict
            The selected law (with its law record and ``fit`` command), the candidates, the
            inputs, folds, search, stack, split sizes, settings and provenance.
        """
        cands = self.candidates if top is None else self.candidates[:self._shown(top)]
        sel = None
        if self.selected is not None:
            s = self.selected
            sel = {"formula": s.formula, "readable": s.readable, "latex": s.latex,
                   "definitions": [list(d) for d in s.definitions], "n_params": s.n_params,
                   "validation_score": s.validation_score, "test_r2": s.test_r2,
                   "test": s.test, "shared": list(s.shared), "params": s.params,
                   "law": s.law_record(), "fit_command": self.fit_command(),
                   "extrapolates": self.extrapolates}
        return {
            "dataset": self.dataset, "target": self.target, "metric": self.metric,
            "extrapolates": self.extrapolates, "verdict": self.verdict, "selected": sel,
            "candidates": [c.to_dict() for c in cands],
            "n_candidates": len(self.candidates), "inputs": list(self.inputs),
            "folds": list(self.folds), "search": dict(self.search),
            "stack": None if self.stack is None else dict(self.stack),
            "n_train": self.n_train, "n_test": self.n_test,
            "settings": dict(self.settings), "provenance": dict(self.provenance),
        }

    def _shown(self, top: int) -> int:
        """How many candidates to list for ``top``: one more when a stack leads the ranking,
        so that every law it averages (drawn from the ``top`` best single laws) is listed."""
        stacked = bool(self.candidates) and self.candidates[0].origin == "stack"
        return top + 1 if stacked else top

    def summary(self, top: int = 10) -> str:
        """Readable text: inputs, folds, the ranking and the selected law.

        Parameters
        ----------
        top : int, default 10
            Number of best-ranked candidates to list (one more when a stack leads the
            ranking); failed candidates are never listed.

        Returns
        -------
        str
            Multi-line text: the inputs, folds and search, the ranking table, the verdict
            and, when a law was selected, its formula, LaTeX and ``scalinglaws fit`` command.
        """
        lines = [f"discover  {self.dataset}: target {self.target} ({self.n_train} train rows, "
                 f"{self.n_test} test rows)"]
        kinds = ", ".join(f"{i['name']}"
                          + (f" = column {i['column']!r}" if i.get("column", i["name"]) != i["name"]
                             else "") + f" ({i['kind']})" for i in self.inputs)
        lines.append(f"inputs    {kinds}")
        folds = "; ".join(f"{f['name']} ({f['held_out']} rows)" for f in self.folds)
        lines.append(f"validate  {folds}")
        s = self.search
        lines.append(f"searched  {s['validated']} forms validated, {s['screened']} screened, "
                     f"{s['rounds']} rounds"
                     + ("  (stopped by the time budget: the result may depend on the "
                        "machine's speed)" if s.get("stopped_by_budget") else
                        "  (stopped by the screening limit)" if s.get("stopped_by_limit")
                        else ""))
        sharing = s.get("sharing")
        if sharing and not sharing["tried"] and sharing["groups"] > sharing["max_groups"]:
            lines.append(f"sharing   laws with parameters shared across groups not tried: "
                         f"{sharing['groups']} groups, more than --share-max-groups "
                         f"{sharing['max_groups']}")
        lines.append("")
        metric = "R²" if self.metric == "r2" else self.metric
        head = f"{'rank':>4}  {'params':>6}  {'valid ' + metric:>10}  {'test R²':>9}  formula"
        lines.append(head)
        defined: dict[str, str] = {}  # effective quantities used by the listed laws
        for c in self.candidates[:self._shown(top)]:
            if c.rank == 0:
                continue
            v = "-" if c.validation_score is None else f"{c.validation_score:.5f}"
            t = "-" if c.test_r2 is None else f"{c.test_r2:.5f}"
            label = c.readable if c.catalogue is None else f"[{c.catalogue}] {c.readable}"
            renamed = [f"{k} = {col}" for k, col in c.inputs.items() if k != col]
            if c.catalogue is not None and renamed:  # the catalogue's names, read from columns
                label += f"   ({', '.join(renamed)})"
            if c.shared:
                label += f"   [shared: {', '.join(c.shared)}]"
            lines.append(f"{c.rank:>4}  {c.n_params:>6}  {v:>10}  {t:>9}  {label}")
            for name, d in c.definitions:
                if name not in defined:
                    defined[name] = d
        for name, d in defined.items():
            lines.append(f"{'':>36}where {name} = {d}")
        limited = [str(c.rank) for c in self.candidates[:self._shown(top)]
                   if c.rank and c.limited]
        if limited:
            lines.append(f"note      the validation fits of law(s) {', '.join(limited)} "
                         "stopped at the solver's iteration limit in some folds: their scores "
                         "may move with --seed (a larger --max-iter lets them converge)")
        lines.append("")
        st = self.stack
        if st is not None and not st["selected"]:
            laws = ", ".join(str(r) for r in st["laws"])
            what = f"the weighted average of the laws {laws}: " if len(st["laws"]) > 1 else ""
            lines.append(f"stack     not selected: {what}{st['reason']}")
        lines.append(self.verdict)
        if self.selected is not None:
            sel = self.selected
            if self.extrapolates:
                lines.append(f"selected  {sel.readable}")
            else:  # the best-ranked law, but not a discovery: say so next to it
                lines.append(f"best      {sel.readable}")
                lines.append("          not validated for extrapolation (see the verdict above)")
            if sel.origin == "stack":
                lines.append(f"          the weighted average of the {sel.key[len('stack of '):]} "
                             "above (weights from their held-out predictions; validation by "
                             "leave-one-fold-out)")
            for name, d in sel.definitions:
                lines.append(f"          where {name} = {d}")
            if sel.shared:
                lines.append(f"          shared across groups: {', '.join(sel.shared)}")
            lines.append(f"LaTeX     {sel.latex}")
            refit = self._refit()
            if refit and not refit["possible"]:
                lines.append(f"fit it    not as one law: its {refit['params']} parameters are "
                             f"more than the {refit['points']} distinct points of the train "
                             "split (the search fitted each law on its own); --save-fit keeps "
                             "this fit for predict, plan and report")
            else:
                lines.append(f"fit it    {self.fit_command()}")
                if refit:
                    lines.append("          (refits the average as one law, every parameter "
                                 "at once; the search fitted each law on its own)")
        return "\n".join(lines)


@dataclass(frozen=True)
class DiscoveryReport:
    """Discoveries for every target of a dataset (one law per target).

    Attributes
    ----------
    dataset : str
    results : tuple of Discovery
        One per target, in the order of the dataset's targets.
    """

    dataset: str
    results: tuple[Discovery, ...] = field(default_factory=tuple)

    @property
    def test_r2(self) -> float | None:
        """Mean test R² of the selected laws over the targets (SLDBench rule); None if any is
        undefined."""
        scores = [r.selected.test_r2 for r in self.results if r.selected is not None]
        if len(scores) != len(self.results) or not scores or any(s is None for s in scores):
            return None
        return float(sum(scores) / len(scores))  # type: ignore[arg-type]

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """JSON-ready record: the single target's record, or ``results`` per target.

        Parameters
        ----------
        top : int, optional
            Number of best-ranked candidates listed per target (see
            :meth:`Discovery.to_dict`); None lists every candidate.

        Returns
        -------
        dict
            With one target, that target's :meth:`Discovery.to_dict`; otherwise the
            targets, the mean test R², whether every selected law extrapolates, and the
            record of each target under ``results``.
        """
        if len(self.results) == 1:
            return self.results[0].to_dict(top)
        return {"dataset": self.dataset, "targets": [r.target for r in self.results],
                "test_r2": self.test_r2,
                "extrapolates": all(r.extrapolates for r in self.results),
                "results": [r.to_dict(top) for r in self.results]}

    def summary(self, top: int = 10) -> str:
        """Readable text for every target.

        Parameters
        ----------
        top : int, default 10
            Number of best-ranked candidates listed per target (see :meth:`Discovery.summary`).

        Returns
        -------
        str
            The summaries of the targets separated by blank lines, followed by the mean test R²
            when there are several targets and it is defined.
        """
        parts = [r.summary(top) for r in self.results]
        text = "\n\n".join(parts)
        if len(self.results) > 1 and self.test_r2 is not None:
            text += f"\n\nmean test R² over {len(self.results)} targets: {self.test_r2:.5f}"
        return text
