"""Synthetic runs from a known law: ground truth for tests, examples and coverage studies."""

from __future__ import annotations

import itertools
import math
from typing import Literal, Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import LAW_HINT, as_number, require_type
from ._errors import InputError
from .laws import Law, catalogue_entry

GridSpec = Mapping[str, tuple[float, float, int] | Sequence[float]]


def simplex_points(inputs: Sequence[str], steps: int) -> dict[str, np.ndarray]:
    """Proportions that sum to 1: every point whose proportions are positive multiples of
    ``1 / steps``.

    Parameters
    ----------
    inputs : sequence of str
        The proportions' names.
    steps : int
        How finely the simplex is divided (at least the number of inputs).

    Returns
    -------
    dict of str to ndarray
        One array per input, one value per point (``comb(steps - 1, len(inputs) - 1)`` points).
    """
    k = len(inputs)
    if steps < k:
        raise InputError(f"a simplex of {k} proportions needs at least {k} steps, got {steps}")
    rows = [c for c in itertools.product(range(1, steps), repeat=k - 1) if sum(c) < steps]
    counts = np.array([(*c, steps - sum(c)) for c in rows], float)
    return {name: counts[:, i] / steps for i, name in enumerate(inputs)}


def grid_points(grid: GridSpec, inputs: Sequence[str]) -> dict[str, np.ndarray]:
    """Cartesian product of per-input values.

    Parameters
    ----------
    grid : mapping
        ``input -> (lo, hi, count)`` for ``count`` log-spaced values (evenly spaced when
        ``lo`` or ``hi`` is not positive), or an explicit list.
    inputs : sequence of str
        The law's inputs; every one must be in ``grid``.

    Returns
    -------
    dict of str to ndarray
        Flattened product grid.
    """
    missing = [k for k in inputs if k not in grid]
    if missing:
        raise InputError(f"no grid for input(s) {', '.join(missing)}: pass --grid "
                         f"{missing[0]}=LO:HI:COUNT (grid= in Python)")
    unknown = [k for k in grid if k not in inputs]
    if unknown:
        raise InputError(f"the grid (--grid, grid=) names unknown input(s) "
                         f"{', '.join(unknown)}; the law's inputs are {', '.join(inputs)}")
    axes = []
    for k in inputs:
        g = grid[k]
        if isinstance(g, tuple) and len(g) == 3:  # (lo, hi, count); a list is explicit values
            try:
                cnt = float(g[2])
            except (TypeError, ValueError):
                cnt = float("nan")
            if not (math.isfinite(cnt) and cnt.is_integer() and cnt >= 1):
                raise InputError(f"--grid {k}: a (lo, hi, count) grid needs a whole count >= 1, "
                                 f"got {g[2]!r} (give explicit values as a list)")
            lo, hi, cnt = (as_number(g[0], f"grid {k} lo"), as_number(g[1], f"grid {k} hi"),
                           int(cnt))
            if cnt == 1 and lo != hi:
                raise InputError(f"--grid {k}: a count of 1 gives one value, but LO {lo:g} and "
                                 f"HI {hi:g} differ: give a count >= 2, or the one value")
            if lo <= 0 or hi <= 0:
                vals = np.linspace(lo, hi, cnt)
            else:
                vals = np.geomspace(lo, hi, cnt)
        else:
            try:
                vals = np.asarray(np.atleast_1d(np.asarray(g, dtype=float)).ravel(), dtype=float)
            except (TypeError, ValueError):
                raise InputError(f"grid {k}: give (lo, hi, count), a list of numbers or one "
                                 f"number, not {g!r}") from None
        if vals.size == 0 or not np.all(np.isfinite(vals)):
            raise InputError(f"--grid {k}: values must be finite numbers")
        axes.append(vals)
    pts = np.array(list(itertools.product(*axes)), dtype=float)
    return {k: pts[:, i] for i, k in enumerate(inputs)}


def simulate(law: Law, params: Mapping[str, float] | None = None, grid: GridSpec | None = None,
             *, noise: float | None = None, noise_kind: Literal["lognormal", "normal"] = "lognormal",
             seed: int = 0, target: str = "loss") -> pd.DataFrame:
    """Generate runs from ``law`` on a grid, with noise.

    Parameters
    ----------
    law : Law
    params : mapping, optional
        True parameter values; default: the catalogue example for this law.
    grid : mapping, optional
        See :func:`grid_points`; default: the catalogue example grid (for mixture proportions,
        the points of a simplex: see :func:`simplex_points`).
    noise : float, optional
        Standard deviation of the noise: of ``log y`` for ``"lognormal"`` (multiplicative, about
        a relative error), of ``y`` for ``"normal"``. Default: the catalogue example's.
    noise_kind : {"lognormal", "normal"}
    seed : int
        Seed of the noise.
    target : str
        Name of the output column.

    Returns
    -------
    pandas.DataFrame
        One row per grid point: the inputs, the noisy target, and ``true_<target>``.

    Raises
    ------
    InputError
        Missing example parameters or grid, a negative noise, a target name that is empty or
        would overwrite an input column, or a law that is not finite on the grid.
    """
    require_type(law, Law, "law", LAW_HINT)
    target = str(target).strip()
    if not target:
        raise InputError("the target column needs a name (--target loss)")
    clash = [c for c in (target, f"true_{target}") if c in law.inputs]
    if clash:
        raise InputError(f"target name {target!r} would write the column {clash[0]!r}, which "
                         f"holds an input of {law.name}; choose another --target")
    try:
        example = catalogue_entry(law.name).example
    except InputError:
        example = None
    if example is not None and set(example.grid) != set(law.inputs):
        # the example was written for another number of inputs (variadic laws)
        if params is None or grid is None:
            raise InputError(f"the catalogue example of {law.name!r} has inputs "
                             f"{', '.join(example.grid)}, not {', '.join(law.inputs)}: pass "
                             "--params and --grid")
        example = None
    if params is None:
        if example is None:
            raise InputError(f"law {law.name!r} has no example parameters: pass --params")
        params = example.params
    simplex = 0
    if grid is None:
        if example is None:
            raise InputError(f"law {law.name!r} has no example grid: pass --grid")
        grid, simplex = example.grid, example.simplex
    if noise is None:
        noise = example.noise if example is not None else 0.01
    noise = as_number(noise, "noise")
    if not (noise >= 0 and math.isfinite(noise)):
        raise InputError(f"--noise must be a finite number >= 0, got {noise}")
    if noise_kind not in ("lognormal", "normal"):
        raise InputError("noise kind must be 'lognormal' or 'normal'")
    X = simplex_points(law.inputs, simplex) if simplex else grid_points(grid, law.inputs)
    truth = law.predict(X, dict(params))
    if not np.all(np.isfinite(truth)):
        raise InputError(f"law {law.name!r} gives non-finite values on this grid with these "
                         "parameters; check --params and --grid")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(truth.shape)
    y = truth * np.exp(noise * eps) if noise_kind == "lognormal" else truth + noise * eps
    df = pd.DataFrame(X)
    df[target] = y
    df[f"true_{target}"] = truth
    return df
