"""Figures and reports: static matplotlib plots and one self-contained interactive HTML page.

matplotlib and plotly are imported only when a figure or a report is made.

* :mod:`scalinglaws.report.plots`: ``plot_fit``, ``plot_extrapolation``, ``plot_residuals``,
  ``plot_isoflop``, ``plot_frontier``, ``plot_bench`` (each draws on ``ax=`` and returns it),
  ``make_figure`` and ``save_figure``.
* :mod:`scalinglaws.report.html`: ``build_report`` (the page as text).
* ``compute_optimal`` and ``isoflop_profiles``: the numbers the compute figures show.
"""

from ._compute import compute_optimal, extrapolation_path, isoflop_profiles
from .html import build_report

from .plots import (
    KINDS,
    make_figure,
    plot_bench,
    plot_extrapolation,
    plot_fit,
    plot_frontier,
    plot_isoflop,
    plot_residuals,
    save_figure,
)

__all__ = [
    "KINDS", "build_report", "compute_optimal", "extrapolation_path", "isoflop_profiles",
    "make_figure", "plot_bench", "plot_extrapolation", "plot_fit", "plot_frontier",
    "plot_isoflop", "plot_residuals", "save_figure",
]
