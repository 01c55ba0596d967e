"""scalinglaws: fit, check and use neural scaling laws.

The public API::

    from scalinglaws import load_dataset, get_law, Fitter
    law = get_law("chinchilla")
    data = load_dataset("runs.csv", law_inputs=law.inputs,
                        user_inputs={"N": "params", "D": "tokens"}, target="loss")
    res = Fitter(bootstrap=1000, seed=0).fit(law, data)
    print(res.summary())
"""

from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("scalinglaws")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from ._errors import (  # noqa: E402
    DataError,
    DataWarning,
    FitError,
    FitWarning,
    InputError,
    LawError,
    ScalingLawsError,
    ScalingLawsWarning,
)
from .data import Dataset, TaskSpec, load_dataset, make_dataset, read_table  # noqa: E402
from .fit import FitResult, Fitter, fit  # noqa: E402
from .laws import FormulaLaw, Law, Param, catalogue_names, formula_law, get_law  # noqa: E402
from .simulate import simulate  # noqa: E402
from . import plan  # noqa: E402

__all__ = [
    "DataError", "DataWarning", "Dataset", "FitError", "FitResult", "FitWarning", "Fitter",
    "FormulaLaw", "InputError", "Law", "LawError", "Param", "ScalingLawsError",
    "ScalingLawsWarning", "TaskSpec", "__version__", "catalogue_names", "fit", "formula_law",
    "get_law", "load_dataset", "make_dataset", "plan", "read_table", "simulate",
]
