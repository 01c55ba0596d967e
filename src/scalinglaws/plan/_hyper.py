"""Learning rate and batch size: published prescriptions, and laws fitted to a user's sweep.

Published prescriptions (power laws; ``N`` non-embedding parameters, ``D`` training tokens,
``C`` compute in FLOPs, batch sizes in tokens):

* **Step Law** (Li et al. 2025, "Predictable Scale: Part I", arXiv:2503.04715):
  ``lr* = 1.79 N^-0.713 D^0.307`` and ``B* = 0.58 D^0.571``.
* **DeepSeek LLM** (DeepSeek-AI 2024, arXiv:2401.02954): ``lr* = 0.3118 C^-0.1250`` and
  ``B* = 0.2920 C^0.3271``, with ``C = M D`` and ``M`` the non-embedding FLOPs per token
  including attention (``72 n_layer d_model^2 + 6 n_layer l_seq d_model``); given only ``N``
  and ``D`` we use ``C = 6 N D``, which leaves out the attention term.

Fitting a sweep (:func:`fit_hyperparameters`): the runs are grouped into cells of equal
``(N, D)``. In each cell the optimum is located either at the lowest-loss run (``"best"``) or
(``"quadratic"``, the default) at the vertex of a quadratic surface in ``(log lr, log B)``
fitted to the runs within a factor 2 of the best run in both learning rate and batch size;
the vertex is used only when the surface is convex and the vertex lies inside those runs'
range, otherwise the cell falls back to its best run. Power laws
``log lr* = log c + p log N + q log D`` and ``log B* = log c + r log D`` (optionally
``+ s log N``) are then fitted by least squares over the cells. Intervals come from
resampling the runs within every cell and repeating everything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from .._checks import as_number, is_whole
from .._errors import InputError
from ..fit._fitter import MIN_BOOTSTRAP
from . import _text
from ._model import interval, nondegenerate


@dataclass(frozen=True)
class Prescription:
    """A published power-law prescription for the learning rate and the batch size.

    Attributes
    ----------
    name : str
    lr : (float, dict)
        Coefficient and exponents ``{variable: exponent}`` of ``lr* = c prod x^e``.
    batch : (float, dict)
        The same for the batch size in tokens.
    variables : str
        What the variables mean.
    reference : str
    """

    name: str
    lr: tuple[float, Mapping[str, float]]
    batch: tuple[float, Mapping[str, float]]
    variables: str
    reference: str

    def __call__(self, *, N: float | None = None, D: float | None = None,
                 C: float | None = None) -> dict[str, float]:
        """Evaluate at ``N`` (non-embedding parameters), ``D`` (tokens) or ``C`` (FLOPs).

        Returns
        -------
        dict
            ``lr`` and ``batch_tokens``.

        Raises
        ------
        InputError
            If a variable the prescription needs is missing or not positive.
        """
        vals = {"N": N, "D": D, "C": C}
        if vals["C"] is None and N is not None and D is not None:
            vals["C"] = 6.0 * float(N) * float(D)
        out = {}
        for key, (c, exps) in (("lr", self.lr), ("batch_tokens", self.batch)):
            v = float(c)
            for var, e in exps.items():
                x = vals.get(var)
                if x is None:
                    raise InputError(f"the {self.name} prescription needs {var} "
                                     f"({self.variables})")
                x = float(x)
                if not (math.isfinite(x) and x > 0):
                    raise InputError(f"{var} must be a positive number, got {x!r}")
                v *= x ** e
            out[key] = v
        return out

    def describe(self) -> dict:
        """JSON-ready: formulas, variables, reference."""
        return {"name": self.name, "lr": {"coefficient": self.lr[0], "exponents": dict(self.lr[1])},
                "batch_tokens": {"coefficient": self.batch[0],
                                 "exponents": dict(self.batch[1])},
                "variables": self.variables, "reference": self.reference,
                "formula": self.formula()}

    def formula(self) -> str:
        """The prescription as text."""
        def one(c, exps):
            return f"{c:g} " + " ".join(f"{k}^{e:g}" for k, e in exps.items())
        return f"lr* = {one(*self.lr)};  B* = {one(*self.batch)} tokens"


PRESCRIPTIONS: dict[str, Prescription] = {
    "step_law": Prescription(
        "step_law", (1.79, {"N": -0.713, "D": 0.307}), (0.58, {"D": 0.571}),
        "N non-embedding parameters, D training tokens",
        "Li et al. 2025, Predictable Scale: Part I -- Optimal Hyperparameter Scaling Law in "
        "Large Language Model Pretraining (Step Law, arXiv:2503.04715)"),
    "deepseek": Prescription(
        "deepseek", (0.3118, {"C": -0.1250}), (0.2920, {"C": 0.3271}),
        "C compute in FLOPs (non-embedding FLOPs per token x tokens; 6ND when only N and D "
        "are given)",
        "DeepSeek-AI 2024, DeepSeek LLM: Scaling Open-Source Language Models with Longtermism "
        "(arXiv:2401.02954), Eq. 1"),
}


def prescription(name: str) -> Prescription:
    """A published prescription by name (``step_law`` or ``deepseek``).

    Parameters
    ----------
    name : str
        A key of :data:`PRESCRIPTIONS`.

    Returns
    -------
    Prescription

    Raises
    ------
    InputError
        For an unknown name.
    """
    try:
        return PRESCRIPTIONS[name]
    except KeyError:
        raise InputError(f"unknown prescription {name!r}; known: "
                         f"{', '.join(PRESCRIPTIONS)}") from None


# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PowerLaw:
    """``y = coefficient * prod x^exponent``, with intervals from resampling."""

    coefficient: float
    exponents: Mapping[str, float]
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    def __call__(self, **x: float) -> float:
        """Evaluate at the named variables."""
        v = self.coefficient
        for k, e in self.exponents.items():
            v *= float(x[k]) ** e
        return v

    def formula(self, unit: str = "") -> str:
        """Text form.

        Parameters
        ----------
        unit : str, optional
            Appended after a space when not empty (``"tokens"``).

        Returns
        -------
        str
            The coefficient to 4 significant figures, then ``x^e`` for each variable with
            signed exponents to 3 decimals, e.g. ``"1.79 N^-0.713 D^+0.307"``.
        """
        return f"{self.coefficient:.4g} " + " ".join(
            f"{k}^{e:+.3f}" for k, e in self.exponents.items()) + (f" {unit}" if unit else "")

    def to_dict(self) -> dict:
        """JSON-ready record."""
        return {"coefficient": self.coefficient, "exponents": dict(self.exponents),
                "intervals": {k: list(v) for k, v in self.intervals.items()}}


@dataclass(frozen=True)
class HyperparameterFit:
    """Optimal learning rate and batch size per ``(N, D)`` cell, and power laws through them.

    Attributes
    ----------
    cells : tuple of dict
        ``N``, ``D``, ``runs``, ``lr_opt``, ``batch_opt`` (tokens), ``loss_opt``, ``method``
        (``quadratic`` or ``best run``), ``lr_edge``/``batch_edge`` (the best run is at the edge
        of the swept range, so the optimum may lie outside), and intervals ``lr_ci``,
        ``batch_ci`` from the resampling.
    lr_law, batch_law : PowerLaw
    level : float
    n_draws : int
    method : str
    notes : tuple of str
    """

    cells: tuple[Mapping[str, Any], ...]
    lr_law: PowerLaw
    batch_law: PowerLaw
    level: float
    n_draws: int
    method: str
    notes: tuple[str, ...] = ()

    def predict(self, N: float, D: float) -> dict[str, float]:
        """Fitted optimum at ``(N, D)``: ``lr`` and ``batch_tokens``.

        Parameters
        ----------
        N : float
            Non-embedding parameters.
        D : float
            Training tokens.

        Returns
        -------
        dict
            ``lr`` (the optimal peak learning rate) and ``batch_tokens`` (the optimal batch
            size in tokens); each law uses only the variables it was fitted with.
        """
        x = {"N": N, "D": D}
        return {"lr": self.lr_law(**{k: x[k] for k in self.lr_law.exponents}),
                "batch_tokens": self.batch_law(**{k: x[k] for k in self.batch_law.exponents})}

    def comparison(self, name: str = "step_law") -> list[dict]:
        """Per cell: the optimum found in the data, the fitted law and a published
        prescription (``lr_*``, ``batch_*``, and the ratios prescription / data).

        Parameters
        ----------
        name : str, default "step_law"
            The prescription to compare with (see :func:`prescription`).

        Returns
        -------
        list of dict
            One per cell: ``N``, ``D``, ``lr_data``, ``lr_fit``, ``lr_published``,
            ``batch_data``, ``batch_fit``, ``batch_published`` (tokens), ``lr_ratio`` and
            ``batch_ratio``.

        Raises
        ------
        InputError
            For an unknown prescription.
        """
        pres = prescription(name)
        rows = []
        for c in self.cells:
            fit = self.predict(c["N"], c["D"])
            pub = pres(N=c["N"], D=c["D"])
            rows.append({"N": c["N"], "D": c["D"], "lr_data": c["lr_opt"], "lr_fit": fit["lr"],
                         "lr_published": pub["lr"], "batch_data": c["batch_opt"],
                         "batch_fit": fit["batch_tokens"],
                         "batch_published": pub["batch_tokens"],
                         "lr_ratio": pub["lr"] / c["lr_opt"],
                         "batch_ratio": pub["batch_tokens"] / c["batch_opt"]})
        return rows

    def to_dict(self, compare: str | None = "step_law") -> dict:
        """JSON-ready record (with the comparison table when ``compare`` names a
        prescription).

        Parameters
        ----------
        compare : str or None, default "step_law"
            The prescription to compare with; None (or an empty string) for no comparison.

        Returns
        -------
        dict
            The method, level, number of resamples, cells, both laws and notes; with
            ``compare``, also ``compared_with`` (the prescription) and ``comparison``
            (:meth:`comparison`).

        Raises
        ------
        InputError
            For an unknown prescription.
        """
        d = {"method": self.method, "level": self.level, "n_draws": self.n_draws,
             "cells": [dict(c) for c in self.cells], "lr_law": self.lr_law.to_dict(),
             "batch_law": self.batch_law.to_dict(), "notes": list(self.notes)}
        if compare:
            d["compared_with"] = prescription(compare).describe()
            d["comparison"] = self.comparison(compare)
        return d

    def summary(self, compare: str | None = "step_law") -> str:
        """Readable text: the fitted laws beside the published one, and the per-cell table.

        Parameters
        ----------
        compare : str or None, default "step_law"
            The prescription shown beside the fitted laws, with the per-cell table and the
            geometric-mean ratios; None (or an empty string) shows the fitted laws alone.

        Returns
        -------
        str

        Raises
        ------
        InputError
            For an unknown prescription.
        """
        lvl = f"{100 * self.level:g}%"
        spread = (f"intervals {lvl} over {self.n_draws} resamples of the runs within cells"
                  if self.n_draws else "no intervals: pass bootstrap >= 10 (--bootstrap)")
        lines = [f"optimal learning rate and batch size from {len(self.cells)} (N, D) cells "
                 f"({self.method}; {spread})"]

        def law_line(label, law, unit):
            parts = [f"{law.coefficient:.4g}"]
            for k, e in law.exponents.items():
                iv = law.intervals.get(k)
                parts.append(f"{k}^{e:+.3f}" + (f" [{iv[0]:+.3f}, {iv[1]:+.3f}]" if iv else ""))
            return f"  {label:<10} {' '.join(parts)}{unit}"

        lines.append(law_line("fitted lr*", self.lr_law, ""))
        lines.append(law_line("fitted B*", self.batch_law, " tokens"))
        if compare:
            pres = prescription(compare)
            lines.append(f"  {compare}: {pres.formula()}")
            lines.append(f"     ({pres.reference})")
            lines.append("")
            lines.append(f"  {'N':>7} {'D':>7} {'runs':>4} | {'lr data':>9} {'lr fit':>9} "
                         f"{'lr ' + compare[:8]:>11} | {'B data':>7} {'B fit':>7} "
                         f"{'B ' + compare[:8]:>10} | note")
            for c, r in zip(self.cells, self.comparison(compare)):
                note = []
                if c["method"] != "quadratic":
                    note.append("best run")
                if c["lr_edge"]:
                    note.append("lr at edge of sweep")
                if c["batch_edge"]:
                    note.append("batch at edge of sweep")
                lines.append(
                    f"  {_text.count(r['N']):>7} {_text.count(r['D']):>7} {c['runs']:>4} | "
                    f"{r['lr_data']:>9.3g} {r['lr_fit']:>9.3g} {r['lr_published']:>11.3g} | "
                    f"{_text.count(r['batch_data']):>7} {_text.count(r['batch_fit']):>7} "
                    f"{_text.count(r['batch_published']):>10} | {', '.join(note)}")
            rows = self.comparison(compare)
            lr_r = np.array([r["lr_ratio"] for r in rows])
            b_r = np.array([r["batch_ratio"] for r in rows])
            lines.append(f"  {compare} / data, geometric mean over cells: lr x"
                         f"{math.exp(np.mean(np.log(lr_r))):.3g} (range {lr_r.min():.3g}.."
                         f"{lr_r.max():.3g}), batch x{math.exp(np.mean(np.log(b_r))):.3g} "
                         f"(range {b_r.min():.3g}..{b_r.max():.3g})")
        for n in self.notes:
            lines.append(f"  note: {n}")
        return "\n".join(line.rstrip() for line in lines)


def fit_hyperparameters(lr, batch, N, D, loss, *, method: str = "quadratic",
                        batch_inputs: Sequence[str] = ("D",), lr_inputs: Sequence[str] = ("N", "D"),
                        bootstrap: int = 200, seed: int = 0, level: float = 0.95,
                        radius: float = 2.0) -> HyperparameterFit:
    """Fit optimal learning-rate and batch-size laws to a sweep.

    Parameters
    ----------
    lr, batch, N, D, loss : array_like
        One value per run: peak learning rate, batch size in tokens, parameters, tokens, loss.
    method : {"quadratic", "best"}
        How each cell's optimum is located (see the module documentation).
    batch_inputs, lr_inputs : sequence of {"N", "D"}
        Variables of the batch-size and learning-rate laws.
    bootstrap : int
        Resamples of the runs within each cell, for the intervals (0 for none, else at least
        10).
    seed : int
    level : float
    radius : float
        The quadratic uses runs within this factor of the best run's lr and batch.

    Returns
    -------
    HyperparameterFit

    Raises
    ------
    InputError
        For arrays of different lengths, non-positive values, fewer cells than the laws'
        parameters, or an unknown method or variable.
    """
    arrs = {}
    for name, v in (("lr", lr), ("batch", batch), ("N", N), ("D", D), ("loss", loss)):
        try:
            a = np.asarray(v, float).reshape(-1)
        except (TypeError, ValueError):
            raise InputError(f"{name}: values must be numbers") from None
        arrs[name] = a
    n = len(arrs["lr"])
    if any(len(a) != n for a in arrs.values()):
        raise InputError("lr, batch, N, D and loss must have the same length")
    for name, a in arrs.items():
        bad = ~(np.isfinite(a) & (a > 0))
        if bad.any():
            raise InputError(f"{name}: row {int(np.argmax(bad)) + 1} is not a positive number")
    if method not in ("quadratic", "best"):
        raise InputError(f"method must be 'quadratic' or 'best', got {method!r}")
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InputError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    for name, value in (("bootstrap", bootstrap), ("seed", seed)):
        if not is_whole(value) or value < 0:
            raise InputError(f"{name} must be a non-negative whole number, got {value!r}")
    radius = as_number(radius, "radius")
    if bootstrap < 0 or 0 < bootstrap < MIN_BOOTSTRAP:
        raise InputError(f"bootstrap must be 0 (no intervals) or at least {MIN_BOOTSTRAP} "
                         f"resamples, got {bootstrap}")
    for v in (*batch_inputs, *lr_inputs):
        if v not in ("N", "D"):
            raise InputError(f"law variables must be N or D, got {v!r}")
    if not radius > 1:
        raise InputError("radius must be > 1")
    keys = np.stack([arrs["N"], arrs["D"]], 1)
    cells_keys, inv = np.unique(keys, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    need = max(len(lr_inputs), len(batch_inputs)) + 1
    if len(cells_keys) < need:
        raise InputError(f"the sweep has {len(cells_keys)} distinct (N, D) cell(s); the laws "
                         f"need at least {need}")
    for what, inputs, arg, option in (("learning-rate", lr_inputs, "lr_inputs", "--lr-law"),
                                      ("batch-size", batch_inputs, "batch_inputs", "--batch-law")):
        for k in inputs:
            column = cells_keys[:, 0 if k == "N" else 1]
            if len(np.unique(column)) > 1:
                continue
            others = [v for v in inputs if v != k]
            fix = (f"leave {k} out ({arg}={tuple(others)!r}, {option} {''.join(others)})"
                   if others else f"vary {k} across the sweep")
            raise InputError(f"every cell of the sweep has {k} = {column[0]:g}, so the {what} "
                             f"law cannot learn how the optimum moves with {k}: {fix}")
    x1, x2, yv = np.log(arrs["lr"]), np.log(arrs["batch"]), arrs["loss"]
    idx_by = [np.flatnonzero(inv == c) for c in range(len(cells_keys))]
    rr = math.log(radius) * (1 + 1e-9)

    def optima(idx_list):
        out = []
        for idx in idx_list:
            out.append(_cell_optimum(x1[idx], x2[idx], yv[idx], method, rr))
        return out

    base = optima(idx_by)
    lr_law, b_law = _laws(cells_keys, base, lr_inputs, batch_inputs)
    rng = np.random.default_rng(seed)
    draws_lr, draws_b, cell_draws = [], [], []
    for _ in range(bootstrap):
        idx_b = [rng.choice(idx, size=len(idx), replace=True) for idx in idx_by]
        ob = optima(idx_b)
        lb, bb = _laws(cells_keys, ob, lr_inputs, batch_inputs)
        draws_lr.append(lb)
        draws_b.append(bb)
        cell_draws.append([(o[0], o[1]) for o in ob])
    lr_iv, b_iv = {}, {}
    if bootstrap:
        for key in (*lr_inputs, "coefficient"):
            vals = np.array([d[1].get(key, math.nan) if key != "coefficient" else d[0]
                             for d in draws_lr])
            iv = nondegenerate(interval(vals, level))
            if iv:
                lr_iv[key] = iv
        for key in (*batch_inputs, "coefficient"):
            vals = np.array([d[1].get(key, math.nan) if key != "coefficient" else d[0]
                             for d in draws_b])
            iv = nondegenerate(interval(vals, level))
            if iv:
                b_iv[key] = iv
    cells = []
    for c, (Nc, Dc) in enumerate(cells_keys):
        lx, bx, lmin, how = base[c]
        idx = idx_by[c]
        best = idx[np.argmin(yv[idx])]
        row = {"N": float(Nc), "D": float(Dc), "runs": int(len(idx)), "lr_opt": math.exp(lx),
               "batch_opt": math.exp(bx), "loss_opt": lmin, "method": how,
               "lr_range": [float(arrs["lr"][idx].min()), float(arrs["lr"][idx].max())],
               "batch_range": [float(arrs["batch"][idx].min()), float(arrs["batch"][idx].max())],
               "lr_edge": bool(arrs["lr"][best] in (arrs["lr"][idx].min(), arrs["lr"][idx].max())),
               "batch_edge": bool(arrs["batch"][best] in (arrs["batch"][idx].min(),
                                                          arrs["batch"][idx].max()))}
        if bootstrap:
            lv = np.exp(np.array([cd[c][0] for cd in cell_draws]))
            bv = np.exp(np.array([cd[c][1] for cd in cell_draws]))
            row["lr_ci"] = interval(lv, level)
            row["batch_ci"] = interval(bv, level)
        cells.append(row)
    notes = []
    n_best = sum(1 for c in cells if c["method"] != "quadratic")
    if method == "quadratic" and n_best:
        notes.append(f"{n_best} cell(s) fell back to their best run (the local quadratic was not "
                     "convex or its vertex left the neighbourhood)")
    edges = [c for c in cells if c["lr_edge"] or c["batch_edge"]]
    if edges:
        notes.append(f"{len(edges)} cell(s) have their best run at the edge of the swept lr or "
                     "batch range: the optimum there may lie outside the sweep")
    return HyperparameterFit(
        cells=tuple(cells),
        lr_law=PowerLaw(lr_law[0], lr_law[1], lr_iv),
        batch_law=PowerLaw(b_law[0], b_law[1], b_iv),
        level=level, n_draws=bootstrap, method=method, notes=tuple(notes))


def _cell_optimum(x1, x2, yv, method, rr):
    """(log lr*, log batch*, loss at the optimum, how) for one cell."""
    b = int(np.argmin(yv))
    best = (float(x1[b]), float(x2[b]), float(yv[b]), "best run")
    if method == "best":
        return best
    near = (np.abs(x1 - x1[b]) <= rr) & (np.abs(x2 - x2[b]) <= rr)
    u, v, w = x1[near] - x1[b], x2[near] - x2[b], yv[near]
    if len(np.unique(np.stack([u, v], 1), axis=0)) < 6 or len(np.unique(u)) < 3 \
            or len(np.unique(v)) < 3:
        return best
    M = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], 1)
    coef, *_ = np.linalg.lstsq(M, w, rcond=None)
    c0, g1, g2, h11, h12, h22 = coef
    H = np.array([[2 * h11, h12], [h12, 2 * h22]])
    if not (H[0, 0] > 0 and np.linalg.det(H) > 0):
        return best
    z = -np.linalg.solve(H, np.array([g1, g2]))
    if not (u.min() <= z[0] <= u.max() and v.min() <= z[1] <= v.max()):
        return best
    lmin = float(c0 + 0.5 * np.array([g1, g2]) @ z)
    return float(x1[b] + z[0]), float(x2[b] + z[1]), lmin, "quadratic"


def _laws(cells_keys, opt, lr_inputs, batch_inputs):
    logs = {"N": np.log(cells_keys[:, 0]), "D": np.log(cells_keys[:, 1])}
    ylr = np.array([o[0] for o in opt])
    yb = np.array([o[1] for o in opt])
    return _loglinear(ylr, logs, lr_inputs), _loglinear(yb, logs, batch_inputs)


def _loglinear(y, logs, inputs):
    X = np.stack([np.ones_like(y)] + [logs[k] for k in inputs], 1)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    return float(math.exp(coef[0])), {k: float(c) for k, c in zip(inputs, coef[1:])}


__all__ = ["HyperparameterFit", "PRESCRIPTIONS", "PowerLaw", "Prescription",
           "fit_hyperparameters", "prescription"]
