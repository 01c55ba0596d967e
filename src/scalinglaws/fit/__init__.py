"""Fitting: objectives, the variable-projection robust solver, and results."""

from ._fitter import Fitter, fit
from ._result import FitResult, law_from_spec, law_spec

__all__ = ["FitResult", "Fitter", "fit", "law_from_spec", "law_spec"]
