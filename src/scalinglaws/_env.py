"""The numerical environment a result was computed in, recorded with it."""

from __future__ import annotations

import functools
import platform


@functools.lru_cache(maxsize=1)
def environment() -> dict[str, str]:
    """Versions of the numerical libraries, and the processor and the kernels they run on.

    Recorded in the provenance of fits, benchmarks and searches. The same seed gives the same
    result in the same environment. Where two candidates or two local optima differ by little
    more than rounding, a different environment can choose differently. That includes other
    numpy, scipy or BLAS builds, and also the same builds on another processor: the BLAS picks
    its kernels (``blas_core``), and numpy its vectorised loops (``simd``), by processor.

    Returns
    -------
    dict
        ``python``, ``numpy``, ``scipy``; ``blas`` (name and version, when numpy reports
        it); ``blas_core`` (the kernel family the BLAS chose on this processor, such as
        ``Haswell`` or ``SkylakeX`` for OpenBLAS, as ``threadpoolctl`` reports it);
        ``simd`` (the instruction sets numpy dispatches to here, best last); ``cpu`` (the
        processor's model name); and ``machine``. Each is ``"unknown"`` where it cannot be
        read.
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
            "scipy": scipy.__version__, "blas": blas, "blas_core": _blas_core(),
            "simd": _simd(), "cpu": _cpu(), "machine": platform.machine()}


def _blas_core() -> str:
    """The kernel family of the BLAS numpy loaded, from ``threadpoolctl``."""
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                core = lib.get("architecture") or lib.get("threading_layer")
                return f"{lib.get('internal_api', '?')} {core or '?'}"
    except Exception:  # threadpoolctl missing or unable to query this BLAS
        pass
    return "unknown"


def _simd() -> str:
    """numpy's baseline instruction set, then those its loops dispatch to on this processor."""
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy < 2
        try:
            from numpy.core import _multiarray_umath as umath
        except ImportError:
            return "unknown"
    try:
        found = umath.__cpu_features__
        targets = [t for t in umath.__cpu_dispatch__ if found.get(t)]
        return " ".join(umath.__cpu_baseline__[-1:] + targets) or "baseline"
    except Exception:
        return "unknown"


def _cpu() -> str:
    """The processor's model name (Linux ``/proc/cpuinfo``, else the platform's own)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            name = cpu_from_cpuinfo(fh.read())
        if name:
            return name
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_from_cpuinfo(text: str) -> str:
    """The processor named by the text of a Linux ``/proc/cpuinfo``, or ``""``.

    x86 lists a ``model name``; many Arm kernels list only the implementer and part codes,
    which identify the core (``CPU implementer 0x41``, ``CPU part 0xd0c``: a Neoverse N1).
    """
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    for key in ("model name", "Model", "Hardware"):
        if fields.get(key):
            return fields[key]
    if fields.get("CPU implementer") and fields.get("CPU part"):
        return f"arm implementer {fields['CPU implementer']} part {fields['CPU part']}"
    return ""
