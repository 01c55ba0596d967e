"""Small text helpers shared by the planners' summaries."""

from __future__ import annotations

import math

_SUFFIX = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def count(x: float | None, sig: int = 3) -> str:
    """A count with a suffix: ``7.36e10`` -> ``73.6B`` (``None``/NaN -> ``-``)."""
    if x is None or not math.isfinite(x):
        return "-" if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    ax = abs(x)
    if ax >= 1e15:
        return f"{x:.{sig - 1}e}"
    for scale, s in _SUFFIX:
        if ax >= scale:
            return f"{_sig(x / scale, sig)}{s}"
    return _sig(x, sig)


def sci(x: float | None, sig: int = 3) -> str:
    """Scientific notation, ``-`` for missing values."""
    if x is None or not math.isfinite(x):
        return "-" if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.{sig - 1}e}"


def num(x: float | None, sig: int = 4) -> str:
    """General format with ``sig`` significant figures."""
    if x is None or not math.isfinite(x):
        return "-" if x is None or math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:.{sig}g}"


def _sig(v: float, sig: int) -> str:
    if v == 0:
        return "0"
    digits = max(0, sig - 1 - int(math.floor(math.log10(abs(v)))))
    return f"{v:.{digits}f}"


def bracket(iv, fmt=num) -> str:
    """``[lo, hi]`` or an empty string."""
    if not iv:
        return ""
    return f"[{fmt(iv[0])}, {fmt(iv[1])}]"
