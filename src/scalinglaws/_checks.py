"""Small argument checks shared by the modules."""

from __future__ import annotations

import numbers
from typing import Any

#: A plan or prediction whose N, D or other input is more than this many times the largest
#: run's gets a note: nothing in the data says the law still holds that far out.
FAR_ABOVE = 1e3


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
