"""Every public function, class and method has a numpydoc docstring: a summary, and a
Parameters section when it takes parameters (or a pointer to a sibling's)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import scalinglaws


def _public_objects():
    """(qualified name, object) of the public functions, classes and methods of the package:
    names without a leading underscore in modules without one (or in ``__all__``)."""
    seen: set[int] = set()
    for info in pkgutil.walk_packages(scalinglaws.__path__, "scalinglaws."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        module = importlib.import_module(info.name)
        names = getattr(module, "__all__", [n for n in dir(module) if not n.startswith("_")])
        for name in names:
            obj = getattr(module, name, None)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)) or id(obj) in seen:
                continue
            if not getattr(obj, "__module__", "").startswith("scalinglaws"):
                continue
            seen.add(id(obj))
            yield f"{info.name}.{name}", obj
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, property):
                        yield f"{info.name}.{name}.{attr}", value.fget
                    elif isinstance(value, (classmethod, staticmethod)):
                        yield f"{info.name}.{name}.{attr}", value.__func__
                    elif inspect.isfunction(value):
                        yield f"{info.name}.{name}.{attr}", value


def test_every_public_function_has_a_numpydoc_docstring():
    objects = list(_public_objects())
    assert len(objects) > 200  # the walk found the package
    problems = []
    for name, obj in objects:
        doc = inspect.getdoc(obj) or ""
        if not doc.strip():
            problems.append(f"{name}: no docstring")
            continue
        if inspect.isfunction(obj):
            params = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
            # "Parameters are as for :func:`other`" refers to a documented sibling
            documented = "Parameters\n----------" in doc or "Parameters are as for" in doc
            if params and not documented:
                problems.append(f"{name}: no Parameters section ({', '.join(params)})")
    assert not problems, "\n".join(problems)
