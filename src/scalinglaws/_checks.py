"""Small argument checks shared by the modules."""

from __future__ import annotations

import numbers
from typing import Any

from ._errors import InputError

#: A plan or prediction whose N, D or other input is more than this many times the largest
#: run's gets a note: nothing in the data says the law still holds that far out.
FAR_ABOVE = 1e3


def require_type(value: Any, types: type | tuple[type, ...], what: str, hint: str) -> None:
    """Raise :class:`~scalinglaws.InputError` unless ``value`` is an instance of ``types``.

    Parameters
    ----------
    value : object
    types : type or tuple of type
    what : str
        The argument, as the message names it (``"law"``).
    hint : str
        What to pass instead (``"a Law, e.g. scalinglaws.get_law('chinchilla')"``).

    Raises
    ------
    InputError
    """
    if not isinstance(value, types):
        raise InputError(f"{what} must be {hint}, not {type(value).__name__}")


LAW_HINT = "a Law, e.g. scalinglaws.get_law('chinchilla') or scalinglaws.formula_law(...)"
DATA_HINT = "a Dataset, e.g. scalinglaws.make_dataset(frame, {'N': 'params'}, 'loss')"


def as_number(value: Any, what: str) -> float:
    """``value`` as a float, or :class:`~scalinglaws.InputError` naming ``what``.

    Parameters
    ----------
    value : object
        A number (a numpy number, or text such as ``"1e21"``, is accepted as float() takes it).
    what : str
        The argument, as the message names it.

    Returns
    -------
    float

    Raises
    ------
    InputError
        If ``value`` is a bool or cannot be read as a number.
    """
    try:
        if isinstance(value, bool):
            raise TypeError
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {value!r}") from None


def is_whole(value: Any) -> bool:
    """Whether ``value`` is a whole number given as an integer (a bool or a float such as 2.0
    is not: counts are never rounded silently).

    Parameters
    ----------
    value : object

    Returns
    -------
    bool
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)
