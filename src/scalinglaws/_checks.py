"""Small argument checks shared by the modules."""

from __future__ import annotations

import numbers
from typing import Any


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
