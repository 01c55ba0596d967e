"""Laws: parameters, the catalogue of published forms, and user formulas."""

from ._catalogue import (
    Entry,
    Example,
    M4Law,
    catalogue_entry,
    catalogue_names,
    get_law,
)
from ._expr import ALLOWED, FUNCTIONS, parse_formula
from ._law import DataRange, FormulaLaw, Law, Param, formula_law

__all__ = [
    "ALLOWED", "FUNCTIONS", "DataRange", "Entry", "Example", "FormulaLaw", "Law", "M4Law", "Param",
    "catalogue_entry", "catalogue_names", "formula_law", "get_law", "parse_formula",
]
