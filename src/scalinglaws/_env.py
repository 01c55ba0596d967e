"""The numerical environment a result was computed in, recorded with it."""

from __future__ import annotations

import functools
import platform


@functools.lru_cache(maxsize=1)
def environment() -> dict[str, str]:
    """Versions of Python, numpy, scipy and the BLAS numpy uses, and the machine type.

    Recorded in the provenance of fits, benchmarks and searches: the same seed gives the same
    result in the same environment, but where two candidates or two local optima differ by
    little more than rounding, another numpy, scipy or BLAS build (or a processor for which
    the BLAS picks other kernels) can choose differently.

    Returns
    -------
    dict
        ``python``, ``numpy``, ``scipy``, ``blas`` (name and version, when numpy reports it)
        and ``machine``.
    """
    import numpy
    import scipy

    blas = "unknown"
    try:
        config = numpy.show_config(mode="dicts")
        info = config["Build Dependencies"]["blas"]
        blas = f"{info.get('name', '?')} {info.get('version', '?')}".strip()
    except Exception:  # older numpy, or a build that does not say
        pass
    return {"python": platform.python_version(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "blas": blas, "machine": platform.machine()}
