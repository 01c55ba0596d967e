"""Bench results: one :class:`BenchResult` per (dataset, law, target, loss), and the report.

The report ranks laws per dataset (:meth:`BenchReport.best`) and renders itself as text, JSON
(:meth:`BenchReport.to_dict`) or CSV. Nothing in it depends on timing or on the number of
workers, so equal inputs give identical output.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from . import _metrics

CSV_COLUMNS = ("dataset", "law", "target", "loss", "status", "reason", *_metrics.METRICS,
               "group_log_rmse_median", "n_train", "n_test", "n_groups")


@dataclass(frozen=True)
class DatasetInfo:
    """What was read for one dataset: its task description, split and a hash of its files."""

    name: str
    path: str
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    group_column: str | None
    n_groups: int
    n_train: int
    n_test: int
    split: str
    data_hash: str
    reference_law: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        d = asdict(self)
        d["inputs"], d["targets"] = list(self.inputs), list(self.targets)
        return d


@dataclass(frozen=True)
class GroupScore:
    """The metrics of one group's test rows (fitted with the group's own parameters)."""

    group: str
    status: str
    reason: str | None
    n_train: int
    n_test: int
    fit_status: str | None
    r2: float | None = None
    nmse: float | None = None
    nmae: float | None = None
    are: float | None = None
    log_rmse: float | None = None


@dataclass(frozen=True)
class BenchResult:
    """The score of one law, fitted with one loss, on one target of one dataset.

    ``status`` is ``"ok"`` when every group's fit succeeded and every test row has a finite
    prediction; otherwise ``"failed"`` with ``reason``, and no metric. ``applicable`` is False
    when it failed before any fit because the law cannot describe the dataset (its inputs do not
    match the dataset's, or their values are outside the law's domain), as opposed to a fit or
    prediction that failed. Metrics are computed on the test rows of all groups pooled (see
    :mod:`scalinglaws.bench._metrics`); ``group_log_rmse_median`` is the median over groups of
    each group's log-RMSE.
    """

    dataset: str
    law: str
    target: str
    loss: str
    status: str
    reason: str | None = None
    r2: float | None = None
    nmse: float | None = None
    nmae: float | None = None
    are: float | None = None
    log_rmse: float | None = None
    group_log_rmse_median: float | None = None
    n_train: int = 0
    n_test: int = 0
    n_groups: int = 0
    n_dropped: int = 0
    fit_status: Mapping[str, int] = field(default_factory=dict)
    params: Mapping[str, Any] | None = None
    groups: Sequence[GroupScore] = ()
    data_hash: str | None = None
    predictions: Sequence[Mapping[str, Any]] = ()
    applicable: bool = True

    @property
    def ok(self) -> bool:
        """Whether the law was fitted and scored."""
        return self.status == "ok"

    def to_dict(self, *, predictions: bool = False) -> dict[str, Any]:
        """JSON-ready record (full precision; undefined metrics are None).

        Parameters
        ----------
        predictions : bool
            Include ``predictions``: one ``{"row", "group", "y", "prediction"}`` per test row
            (``row`` counts data.csv rows from 1, header excluded).

        Returns
        -------
        dict
            Strict-JSON-ready: the result's names, status, metrics, counts and parameters.
        """
        d: dict[str, Any] = {
            "dataset": self.dataset, "law": self.law, "target": self.target, "loss": self.loss,
            "status": self.status, "reason": self.reason, "applicable": self.applicable,
            **{m: getattr(self, m) for m in _metrics.METRICS},
            "group_log_rmse_median": self.group_log_rmse_median,
            "n_train": self.n_train, "n_test": self.n_test, "n_groups": self.n_groups,
            "n_dropped": self.n_dropped, "fit_status": dict(self.fit_status),
            "params": self.params,
            "data_hash": self.data_hash,
        }
        if self.groups:
            d["groups"] = [asdict(g) for g in self.groups]
        if predictions:
            d["predictions"] = [dict(p) for p in self.predictions]
        return d


@dataclass(frozen=True)
class Score:
    """One law fitted with one loss on one dataset, over all its targets (means over targets)."""

    dataset: str
    law: str
    loss: str
    status: str
    reason: str | None
    n_targets: int
    r2: float | None = None
    nmse: float | None = None
    nmae: float | None = None
    are: float | None = None
    log_rmse: float | None = None
    group_log_rmse_median: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)


@dataclass(frozen=True)
class BenchReport:
    """Everything a bench run produced.

    Attributes
    ----------
    datasets : list of DatasetInfo
    results : list of BenchResult
        One per (dataset, law, target, loss), in the order datasets, laws, targets and losses
        were given or found.
    skipped : list of dict
        Catalogue laws not scored on a dataset, with the reason (``dataset``, ``law``,
        ``reason``).
    settings : dict
        How the laws were fitted (losses, delta, space, starts, shared parameters, seed).
    split_rule : str or None
        The split rule given, or None when the published splits were used.
    provenance : dict
        Package, version, seed.
    """

    datasets: list[DatasetInfo]
    results: list[BenchResult]
    skipped: list[dict[str, str]]
    settings: dict[str, Any]
    split_rule: str | None
    provenance: dict[str, Any]

    # -- aggregation --------------------------------------------------------------------------
    def scores(self) -> list[Score]:
        """One :class:`Score` per (dataset, law, loss): metrics averaged over targets.

        A law fails on a dataset when it fails on any target (the reason of the first failure
        is kept).
        """
        order: dict[tuple[str, str, str], list[BenchResult]] = {}
        for r in self.results:
            order.setdefault((r.dataset, r.law, r.loss), []).append(r)
        out = []
        for (dataset, law, loss), rows in order.items():
            failed = [r for r in rows if not r.ok]
            if failed:
                first = failed[0]
                reason = (first.reason if len(rows) == 1
                          else f"target {first.target}: {first.reason}")
                out.append(Score(dataset, law, loss, "failed", reason, len(rows)))
                continue
            means = _metrics.mean_over_targets(
                [{m: getattr(r, m) for m in _metrics.METRICS} for r in rows])
            med = _metrics.mean_defined(r.group_log_rmse_median for r in rows)
            out.append(Score(dataset, law, loss, "ok", None, len(rows), **means,
                             group_log_rmse_median=med))
        return out

    def best(self) -> dict[str, dict[str, Any]]:
        """The winning law per dataset: highest R² (mean over targets) among the laws that
        succeeded; when R² is undefined for all of them (a single test row), lowest ARE.

        Returns
        -------
        dict
            ``{dataset: {"law", "loss", "r2", "are"}}``; the values are None when no law
            succeeded on the dataset.
        """
        out: dict[str, dict[str, Any]] = {}
        scores = self.scores()
        for info in self.datasets:
            mine = [s for s in scores if s.dataset == info.name and s.status == "ok"]
            winner = _rank(mine)
            out[info.name] = ({"law": None, "loss": None, "r2": None, "are": None}
                              if winner is None else
                              {"law": winner.law, "loss": winner.loss, "r2": winner.r2,
                               "are": winner.are})
        return out

    def reference(self) -> dict[str, dict[str, Any]]:
        """For datasets that name a reference law: its best result (over losses)."""
        out: dict[str, dict[str, Any]] = {}
        scores = self.scores()
        for info in self.datasets:
            if info.reference_law is None:
                continue
            mine = [s for s in scores if s.dataset == info.name and s.law == info.reference_law]
            winner = _rank([s for s in mine if s.status == "ok"])
            out[info.name] = ({"law": info.reference_law, "loss": None, "r2": None, "are": None,
                               "status": "failed" if mine else "not scored"}
                              if winner is None else
                              {"law": winner.law, "loss": winner.loss, "r2": winner.r2,
                               "are": winner.are, "status": "ok"})
        return out

    # -- rendering ----------------------------------------------------------------------------
    def to_dict(self, *, predictions: bool = False) -> dict[str, Any]:
        """The JSON record: ``results``, ``scores``, ``best``, ``reference``, ``datasets``,
        ``skipped``, ``settings``, ``split_rule``, ``provenance``.

        Parameters
        ----------
        predictions : bool
            Include every test row's prediction in each result.

        Returns
        -------
        dict
        """
        return {
            "results": [r.to_dict(predictions=predictions) for r in self.results],
            "scores": [s.to_dict() for s in self.scores()],
            "best": self.best(),
            "reference": self.reference(),
            "datasets": [d.to_dict() for d in self.datasets],
            "skipped": list(self.skipped),
            "settings": dict(self.settings),
            "split_rule": self.split_rule,
            "provenance": dict(self.provenance),
        }

    def to_csv(self) -> str:
        """One CSV row per result (columns :data:`CSV_COLUMNS`; empty cells for undefined
        metrics)."""
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in self.results:
            d = r.to_dict()
            writer.writerow(["" if d[c] is None else (repr(d[c]) if isinstance(d[c], float)
                                                      else d[c]) for c in CSV_COLUMNS])
        return buffer.getvalue()

    def to_text(self, *, per_group: bool = False) -> str:
        """A table per dataset: one line per law and loss, the winner, and what was skipped.

        Parameters
        ----------
        per_group : bool
            Also list every group's test metrics under each line.

        Returns
        -------
        str
            The text ``scalinglaws bench`` prints.
        """
        lines: list[str] = []
        scores = self.scores()
        best = self.best()
        reference = self.reference()
        for info in self.datasets:
            mine = [s for s in scores if s.dataset == info.name]
            targets = (f"target {info.targets[0]}" if len(info.targets) == 1 else
                       f"{len(info.targets)} targets (scores are means over targets)")
            plural = "group" if info.n_groups == 1 else "groups"
            groups = f", {info.n_groups} {plural}" if info.group_column else ""
            lines.append(f"{info.name}: {info.n_train} train / {info.n_test} test rows{groups}, "
                         f"{targets}; split {info.split}")
            grouped = info.group_column is not None and info.n_groups > 1
            header = ["law", "loss", "R²", "NMSE", "NMAE", "ARE", "log-RMSE"]
            if grouped:
                header.append("median group log-RMSE")
            rows = []
            for s in mine:
                if s.status != "ok":
                    rows.append([s.law, s.loss, f"failed: {s.reason}"])
                    continue
                row = [s.law, s.loss, _fmt(s.r2, 4, fixed=True), _fmt(s.nmse), _fmt(s.nmae),
                       _fmt_pct(s.are), _fmt(s.log_rmse)]
                if grouped:
                    row.append(_fmt(s.group_log_rmse_median))
                rows.append(row)
                if per_group:
                    rows.extend(_group_rows(self.results, s, grouped))
            lines.extend("  " + line for line in _table(header, rows))
            win = best[info.name]
            if win["law"] is None:
                lines.append("  best: none (every law failed)")
            else:
                lines.append(f"  best: {win['law']} ({win['loss']}), "
                             f"R² {_fmt(win['r2'], 4, fixed=True)}, ARE {_fmt_pct(win['are'])}")
            if info.name in reference:
                ref = reference[info.name]
                lines.append(f"  reference law: {ref['law']}, R² {_fmt(ref['r2'], 4, fixed=True)}"
                             if ref["status"] == "ok" else
                             f"  reference law: {ref['law']} ({ref['status']})")
            unsuitable = [s for s in self.skipped if s["dataset"] == info.name
                          and not s["reason"].startswith("takes ")]
            for s in unsuitable:
                lines.append(f"  not applicable: {s['law']} ({s['reason']})")
            lines.append("")
        settings = self.settings
        losses = ", ".join(f"huber (delta {settings['delta']:g})" if loss == "huber" else loss
                           for loss in settings["losses"])
        shared = (f", sharing {', '.join(settings['share'])} across groups"
                  if settings.get("share") else "")
        lines.append(f"fitted on the train rows with loss {losses} on {settings['space']} "
                     f"residuals, {settings['n_starts']} starts, seed {settings['seed']}{shared}; "
                     "scored on the test rows")
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# helpers


def _rank(scores: Sequence[Score]) -> Score | None:
    with_r2 = [s for s in scores if s.r2 is not None and math.isfinite(s.r2)]
    if with_r2:
        return max(with_r2, key=lambda s: s.r2)  # first of equals wins (stable)
    with_are = [s for s in scores if s.are is not None and math.isfinite(s.are)]
    return min(with_are, key=lambda s: s.are) if with_are else None


def _group_rows(results: Iterable[BenchResult], score: Score, grouped: bool) -> list[list[str]]:
    rows = []
    for r in results:
        if (r.dataset, r.law, r.loss) != (score.dataset, score.law, score.loss):
            continue
        if score.n_targets > 1:
            rows.append([f"  target {r.target}", "", _fmt(r.r2, 4, fixed=True), _fmt(r.nmse),
                         _fmt(r.nmae), _fmt_pct(r.are), _fmt(r.log_rmse)])
        if not grouped:
            continue
        for g in r.groups:
            label = f"    group {g.group}" if score.n_targets > 1 else f"  group {g.group}"
            if g.status != "ok":
                rows.append([label, "", f"failed: {g.reason}"])
            else:
                rows.append([label, f"n={g.n_test}", _fmt(g.r2, 4, fixed=True), _fmt(g.nmse),
                             _fmt(g.nmae), _fmt_pct(g.are), _fmt(g.log_rmse)])
    return rows


def _fmt(value: float | None, digits: int = 4, *, fixed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}f}" if fixed else f"{value:.{digits}g}"


def _fmt_pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{100 * value:.3g}%"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Left-aligned columns; a row with fewer cells lets its last cell run on."""
    widths = [len(h) for h in header]
    for row in rows:
        last = len(row) if len(row) == len(header) else len(row) - 1
        for i in range(last):
            widths[i] = max(widths[i], len(row[i]))
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for row in rows:
        cells = [c.ljust(widths[i]) if i < len(row) - 1 else c for i, c in enumerate(row)]
        out.append("  ".join(cells).rstrip())
    return out
