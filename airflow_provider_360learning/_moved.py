"""Deprecation aliases of public modules that moved: the old import path keeps working for one release.

A package declares its moved modules in its ``__init__``::

    register_moved_modules(__name__, {"users": ("airflow_provider_360learning.operators.generated.users", None)})

which puts a small virtual module at the old path (``<package>.users``) in ``sys.modules``, as Airflow core does
for its own moved modules: no file for it, nothing imported until a name is taken from it. Each name taken
(``from <package>.users import Name``) is looked up in the new module with an
:class:`~airflow.exceptions.AirflowProviderDeprecationWarning` (a ``DeprecationWarning``) naming the new path.
The aliases are listed in CHANGELOG.md.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def _category() -> type[Warning]:
    try:
        from airflow.exceptions import AirflowProviderDeprecationWarning
    except ImportError:  # pragma: no cover - Airflow is a dependency; kept so an alias never breaks an import
        return DeprecationWarning
    return AirflowProviderDeprecationWarning


def moved_to(
    old: str, new: str, names: Iterable[str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` of module ``old``, whose public ``names`` (default: the new module's
    ``__all__``) now live in module ``new``."""
    kept = frozenset(names) if names is not None else None

    def public() -> list[str]:
        return sorted(kept if kept is not None else getattr(importlib.import_module(new), "__all__", ()))

    def __getattr__(name: str) -> Any:
        if name == "__all__":
            return public()
        if name not in public():
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(new), name)
        warnings.warn(
            f"{old} is deprecated and will be removed in the next release: import {name} from {new}",
            _category(),
            stacklevel=2,
        )
        return value

    return __getattr__, public


def register_moved_modules(package: str, moves: Mapping[str, tuple[str, Iterable[str] | None]]) -> None:
    """Put a deprecation alias at ``<package>.<old>`` for each ``old: (new module, names or None)``."""
    parent = sys.modules[package]
    for old, (new, names) in moves.items():
        fullname = f"{package}.{old}"
        module = types.ModuleType(fullname, f"Deprecated: moved to {new}.")
        module.__spec__ = importlib.machinery.ModuleSpec(fullname, None)
        module.__getattr__, module.__dir__ = moved_to(fullname, new, names)  # type: ignore[method-assign]
        sys.modules.setdefault(fullname, module)
        setattr(parent, old, sys.modules[fullname])
