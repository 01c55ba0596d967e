"""Shared CLI helpers: option parsing, law resolution, output, atomic writes, progress."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .._errors import InputError, LawError
from .._format import json_ready
from ..laws import FormulaLaw, Law, catalogue_names, formula_law, get_law
from ..laws._catalogue import with_bounds

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def parse_pairs(values: Iterable[str], option: str, *, split_commas: bool = True) -> dict[str, str]:
    """Parse ``NAME=VALUE`` options (repeatable, or comma-separated) into a dict.

    Parameters
    ----------
    values : iterable of str
        The option's values, one per use of the option.
    option : str
        The option's name (``"--input"``...), for messages.
    split_commas : bool, default True
        Whether one value may hold several pairs separated by commas; empty parts are
        skipped. Names and values are stripped of surrounding spaces.

    Returns
    -------
    dict of str to str
        ``{NAME: VALUE}`` in the order given.

    Raises
    ------
    InputError
        If a part has no ``=``, an empty name or value, or a name is given twice.
    """
    out: dict[str, str] = {}
    for raw in values:
        parts = raw.split(",") if split_commas else [raw]
        for part in parts:
            part = part.strip()
            if not part:
                continue
            if "=" not in part:
                raise InputError(f"{option} {raw!r}: expected NAME=VALUE")
            k, v = part.split("=", 1)
            k, v = k.strip(), v.strip()
            if not k or not v:
                raise InputError(f"{option} {raw!r}: expected NAME=VALUE")
            if k in out:
                raise InputError(f"{option}: {k!r} given twice")
            out[k] = v
    return out


def parse_float(text: str, option: str, name: str) -> float:
    """A float from option text, with a clear error.

    Parameters
    ----------
    text : str
        The number; ``inf``, ``+inf``, ``infinity``, ``-inf`` and ``-infinity`` (any case)
        are infinities.
    option, name : str
        The option and the name it sets, for messages.

    Returns
    -------
    float

    Raises
    ------
    InputError
        If the text is not a number, or is NaN.
    """
    t = text.strip().lower()
    if t in ("inf", "+inf", "infinity"):
        return math.inf
    if t in ("-inf", "-infinity"):
        return -math.inf
    # an option that sets one value is named once ("--budget 'abc'"), else with the name it sets
    alone = not name or name.replace("_", "-") == option.lstrip("-")
    try:
        v = float(t)
    except ValueError:
        what = f"{option} {text!r}" if alone else f"{option} {name}={text!r}"
        raise InputError(f"{what}: not a number") from None
    if math.isnan(v):
        raise InputError(f"{option if alone else f'{option} {name}'}: NaN is not allowed")
    return v


def parse_bounds(values: Iterable[str]) -> dict[str, tuple[float, float]]:
    """``--bound alpha=0:2`` options into ``{name: (lower, upper)}``.

    Parameters
    ----------
    values : iterable of str
        ``NAME=LOWER:UPPER`` values of ``--bound`` (one pair each, commas are not
        separators); an empty LOWER is ``-inf`` and an empty UPPER ``inf``.

    Returns
    -------
    dict of str to (float, float)

    Raises
    ------
    InputError
        If a value is not ``NAME=LOWER:UPPER``, a bound is not a number, a name is given
        twice, or the lower bound is not below the upper one.
    """
    out = {}
    for k, v in parse_pairs(values, "--bound", split_commas=False).items():
        if ":" not in v:
            raise InputError(f"--bound {k}={v}: expected NAME=LOWER:UPPER, e.g. alpha=0:2")
        lo_s, hi_s = v.split(":", 1)
        lo = parse_float(lo_s or "-inf", "--bound", k)
        hi = parse_float(hi_s or "inf", "--bound", k)
        if not lo < hi:
            raise InputError(f"--bound {k}={v}: the lower bound must be below the upper bound")
        out[k] = (lo, hi)
    return out


@dataclass(frozen=True)
class LawFile:
    """A law read from a JSON file: the law, its columns, its shared parameters and how the
    data it was fitted to was read (``defaults``: ``target``, ``group``, ``split``, ``space``
    and ``rows`` where the file records them)."""

    law: Law
    columns: dict[str, str]
    shared: tuple[str, ...]
    defaults: dict[str, str] = field(default_factory=dict)


def is_law_file(text: str) -> bool:
    """Whether ``--law`` text names a file (``law.json``, or any path after ``@``) rather than a
    catalogue name or a formula (a formula cannot contain ``.json``: attribute access is not
    allowed in formulas).

    Parameters
    ----------
    text : str
        The ``--law`` value; surrounding spaces are ignored and the suffix is matched in any
        case.

    Returns
    -------
    bool
    """
    text = text.strip()
    return text.startswith("@") or text.lower().endswith(".json")


def read_law_file(text: str) -> LawFile:
    """Read ``--law law.json``: a law saved by ``discover --save-law``, or the law of a fit
    saved by ``fit -o`` (with its input columns and shared parameters).

    Parameters
    ----------
    text : str
        The ``--law`` value: a path, optionally after ``@``.

    Returns
    -------
    LawFile
        The rebuilt law, ``{law input: column}`` (empty when the file records none) and the
        shared parameters.

    Raises
    ------
    InputError
        The file is missing, is not JSON, or holds neither record; the law cannot be
        rebuilt; or its columns or shared parameters are damaged or name what the law does
        not have.
    """
    from ..fit._result import law_from_spec

    path = Path(text.strip().removeprefix("@"))
    if not path.is_file():
        raise InputError(f"--law {text}: no such file (a saved law is read from a .json file; "
                         "otherwise give a catalogue name or a formula)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--law {path}: cannot read it as JSON ({exc})") from None
    if isinstance(record, dict) and record.get("kind") in ("catalogue", "formula"):
        spec, columns, shared = record, record.get("columns"), record.get("shared")
        read = record.get("read")
        defaults = dict(read) if isinstance(read, dict) else {}
    elif isinstance(record, dict) and isinstance(record.get("law_spec"), dict):
        spec, columns, shared = record["law_spec"], record.get("inputs"), record.get("shared")
        data = record.get("data")
        prov = record.get("provenance")
        defaults = {"target": record.get("target"), "space": record.get("space"),
                    "group": data.get("group_column") if isinstance(data, dict) else None,
                    "rows": prov.get("rows") if isinstance(prov, dict) else None}
        if isinstance(record.get("read"), dict):  # a fit saved by discover: its split too
            defaults.update(record["read"])
    else:
        raise InputError(f"--law {path}: neither a law saved by 'discover --save-law' nor a fit "
                         "saved by 'fit -o'")
    try:
        law = law_from_spec(spec)
    except (LawError, InputError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(f"--law {path}: the law it records cannot be rebuilt ({exc})") from None
    columns = columns if columns is not None else {}
    shared = shared if shared is not None else []
    if (not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                 for k, v in columns.items())
            or not isinstance(shared, list) or not all(isinstance(x, str) for x in shared)):
        raise InputError(f"--law {path}: its 'columns' or 'shared' entry is damaged")
    unknown = [k for k in columns if k not in law.inputs] + [
        x for x in shared if x not in law.param_names]
    if unknown:
        raise InputError(f"--law {path}: it names {', '.join(unknown)}, which the law does not "
                         "have; the file is damaged")
    defaults = {k: v for k, v in defaults.items()
                if k in ("target", "group", "split", "space", "rows") and isinstance(v, str)
                and v}
    return LawFile(law, dict(columns), tuple(shared), defaults)


def resolve_law(text: str, *, input_names: Sequence[str], n_inputs: int | None,
                bounds: Mapping[str, tuple[float, float]]) -> Law:
    """A catalogue law by name, a formula law, or a law saved in a JSON file.

    For a formula, names found in ``input_names`` (``--input`` keys, then table columns) are the
    inputs and every other name is a parameter. A file (``law.json``, or ``@PATH``) is read by
    :func:`read_law_file`.

    Parameters
    ----------
    text : str
        The ``--law`` value: a file, a catalogue name (an identifier) or a formula.
    input_names : sequence of str
        Names that are inputs of a formula; not used for a catalogue law or a file.
    n_inputs : int or None
        Number of inputs, for catalogue laws whose inputs vary in number (``mixture``);
        None takes the catalogue's default.
    bounds : mapping of str to (float, float)
        Parameter bounds from ``--bound``; they replace the law's own bounds of those
        parameters.

    Returns
    -------
    Law

    Raises
    ------
    InputError
        From :func:`read_law_file`, for a file that cannot be read.
    LawError
        For an unknown catalogue name, an invalid formula, or a bound on a parameter the law
        does not have.
    """
    text = text.strip()
    if is_law_file(text):
        law = read_law_file(text).law
        if bounds and isinstance(law, FormulaLaw):
            kept = {p.name: (p.lower, p.upper) for p in law.params}
            law = formula_law(law.formula, list(law.inputs), bounds={**kept, **bounds},
                              name=law.name)
        elif bounds:
            law = with_bounds(law, bounds)
        return law
    if _IDENT.match(text):
        law = get_law(text, n_inputs=n_inputs)  # raises LawError listing the catalogue
        return with_bounds(law, bounds) if bounds else law
    return formula_law(text, list(input_names), bounds=dict(bounds))


def _special(p: Path) -> bool:
    """Whether ``p`` exists and is neither a folder nor a regular file (a device, a pipe)."""
    return p.exists() and not p.is_dir() and not p.is_file()


def check_output(path: str | os.PathLike, *, force: bool, option: str = "-o") -> Path:
    """Check, before any work, that ``path`` can be written: not a folder, in a folder that
    exists and is writable, and not an existing file unless ``force``.

    A device or a pipe (``/dev/stdout``, ``/dev/null``) is written through, so it needs no
    ``force``; a link to a file keeps the link and replaces its target.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        Naming ``option`` and what to do.
    """
    p = Path(path)
    if str(path) == "" or p.is_dir():
        raise InputError(f"{option} {str(path)!r} is a folder, not a file name; give a file")
    if _special(p):
        return p
    if p.exists() and os.path.realpath(p) in _files_read():
        raise InputError(f"{option} {p} is a file this command reads; write the output to "
                         "another file (--force does not allow this)")
    if p.exists() and not force:
        raise InputError(f"{p} exists; pass --force to overwrite it")
    parent = Path(os.path.realpath(p)).parent if p.is_symlink() else (p.parent or Path("."))
    if not parent.is_dir():
        raise InputError(f"{option} {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(f"{option} {p}: cannot write in folder {parent} (permission denied)")
    return p


#: the options of the commands that name files they write, not read
_WRITTEN = frozenset({"output", "report_path", "save_law", "save_fit"})


def _files_read() -> set[str]:
    """Real paths of the files the running command reads: every argument or option value that
    names an existing file, and for a dataset folder its ``dataset.toml`` and data files."""
    import click

    ctx = click.get_current_context(silent=True)
    found: set[str] = set()
    if ctx is None:
        return found
    for name, value in ctx.params.items():
        if name in _WRITTEN:
            continue
        for v in value if isinstance(value, (tuple, list)) else (value,):
            if not isinstance(v, str) or v in ("", "-"):
                continue
            q = Path(v)
            if q.is_file():
                found.add(os.path.realpath(q))
            elif q.is_dir():
                found.update(os.path.realpath(f) for f in q.iterdir()
                             if f.is_file() and (f.name == "dataset.toml" or f.stem == "data"))
    return found


def check_outputs(outputs: Mapping[str, str | None], *, force: bool,
                  stdout: Iterable[str] = ()) -> None:
    """:func:`check_output` for each option's path, before any work starts.

    Parameters
    ----------
    outputs : mapping
        Option name (``"-o"``, ``"--report"``...) to its path; empty ones are skipped.
    force : bool
        Whether existing files may be overwritten.
    stdout : iterable of str
        Options for which ``-`` means standard output; for the others ``-`` is an error.

    Raises
    ------
    InputError
        A path that cannot be written, or the same file given to two options.
    """
    stdout = set(stdout)
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if path is None or path == "":
            continue
        if path == "-":
            if option not in stdout:
                raise InputError(f"{option} -: this file cannot go to standard output here; "
                                 "give a file name")
            continue
        p = check_output(path, force=force, option=option)
        key = os.path.realpath(p)
        if key in seen and not _special(p):
            raise InputError(f"{seen[key]} and {option} name the same file {path}; give two "
                             "different files")
        seen[key] = option


def write_atomic(path: str | os.PathLike, data: str | bytes, *, force: bool) -> None:
    """Write ``data`` to ``path`` atomically; refuse to overwrite without ``force``.

    The text goes to a temporary file in the same folder, renamed over ``path`` once complete,
    so an interrupted write never leaves a partial file. A link keeps pointing to its (new)
    target; a device or a pipe is written through.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    data : str or bytes
        The content; text is written as UTF-8.
    force : bool
        Whether an existing file may be replaced.

    Raises
    ------
    InputError
        If ``path`` cannot be written (see :func:`check_output`) or the temporary file cannot
        be created.
    """
    p = check_output(path, force=force)
    mode = "wb" if isinstance(data, bytes) else "w"
    enc = None if isinstance(data, bytes) else "utf-8"
    if _special(p):
        with open(p, mode, encoding=enc) as f:
            f.write(data)
        return
    target = Path(os.path.realpath(p))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=str(target.parent))
    except OSError as exc:
        raise InputError(f"cannot write {p}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, mode, encoding=enc) as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def dumps(obj: Any) -> str:
    """JSON text: NaN as null, ±infinity as "inf"/"-inf", numpy types as plain values.

    Parameters
    ----------
    obj : object
        Nested dicts, lists, tuples, arrays and numbers (see :func:`json_ready`).

    Returns
    -------
    str
        JSON indented by two spaces, ending with a newline; NaN is ``null`` and ±infinity
        the strings ``"inf"`` and ``"-inf"``.
    """
    return json.dumps(json_ready(obj), indent=2) + "\n"


class Progress:
    """A one-line progress counter on stderr, shown only on a terminal and when not quiet."""

    def __init__(self, label: str, *, quiet: bool) -> None:
        self.label = label
        self.enabled = (not quiet) and sys.stderr.isatty()
        self._last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        pct = int(100 * done / max(total, 1))
        if pct != self._last:
            self._last = pct
            bar = "#" * (pct // 4)
            sys.stderr.write(f"\r{self.label} [{bar:<25}] {done}/{total}")
            sys.stderr.flush()
        if done >= total:
            sys.stderr.write("\n")
            sys.stderr.flush()


def known_law_names() -> str:
    return ", ".join(catalogue_names())


def emit(text: str, output: str | None, force: bool) -> None:
    """Write ``text`` to ``output`` (atomically, honouring ``force``) or to stdout."""
    import click

    if output and output != "-":
        write_atomic(output, text, force=force)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=not text.endswith("\n"))


def read_fit(path: str):
    """Load a fit saved by ``scalinglaws fit ... -o FIT.json``; one-line errors for bad files."""
    import json

    from ..fit import FitResult

    if str(path) == "-":
        raise InputError("a saved fit is read from a file, not standard input: save one with "
                         "'scalinglaws fit ... -o FIT.json' and give FIT.json")
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except FileNotFoundError:
        raise InputError(f"fit file {path} not found; create it with 'scalinglaws fit ... -o "
                         f"{path}'") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read fit file {path}: {exc}") from None
    if not isinstance(d, dict):
        raise InputError(f"{path} is not a saved fit")
    return FitResult.from_dict(d)


def fit_provenance(res, path: str) -> dict:
    """Where a record derived from a saved fit comes from: the fit file and the fit's own
    provenance (package version, data hash and source, fitter settings, seed).

    Parameters
    ----------
    res : FitResult
        The fit read from ``path``.
    path : str
        The fit file as given on the command line.

    Returns
    -------
    dict
        ``{"file", "formula", "version", "data_hash", "data_source", "fitter", "seed"}``, the
        fit's provenance keys only where it has them.
    """
    prov = res.provenance or {}
    out = {"file": str(path), "formula": res.law.formula}
    out.update({k: prov[k] for k in ("version", "data_hash", "data_source", "fitter", "seed")
                if k in prov})
    return out


__all__ = ["LawError", "Progress", "check_output", "check_outputs", "dumps", "emit",
           "fit_provenance", "known_law_names", "parse_bounds", "parse_float", "parse_pairs",
           "read_fit", "resolve_law", "write_atomic"]
