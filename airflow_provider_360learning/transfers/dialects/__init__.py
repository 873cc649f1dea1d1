"""Warehouse dialects of the SQL writer, one module each, behind :class:`~.base.Dialect`; :func:`dialect_for` picks one.

Accepted names (the writer's and the operator's ``dialect=`` override; hook ``dialect_name`` and
``conn_type`` values are matched against the same table):

==========  ==============================================================  ==============================
name        also accepted                                                   hook classes detected
==========  ==============================================================  ==============================
postgresql  postgres, psycopg, psycopg2                                     PostgresHook
sqlite      sqlite3                                                         SqliteHook
duckdb      (none)                                                          DuckDBHook
snowflake   (none)                                                          SnowflakeHook
bigquery    gcpbigquery, google_cloud_bigquery                              BigQueryHook
mysql       mariadb                                                         MySqlHook
mssql       tsql, sqlserver, pymssql                                        MsSqlHook
redshift    redshift_connector                                              RedshiftSQLHook
==========  ==============================================================  ==============================

A hook none of these match is refused with an error naming the hook and the ``dialect`` override: a
guessed ANSI path would create tables with types or constraints the engine rejects, or upsert in a way it
does not support, and only fail later (or load wrongly).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from airflow_provider_360learning.exceptions import ThreeSixtyLearningConnectionConfigError

if TYPE_CHECKING:  # the dialects (and sqlglot) are imported when a writer is made, not when a DAG file is parsed
    from airflow_provider_360learning.transfers.dialects.base import Dialect

log = logging.getLogger(__name__)

LOAD_ID_COLUMN = "_load_id"
"""Bookkeeping column: the load that last wrote the row (a full refresh sweeps the others)."""
LOADED_AT_COLUMN = "_loaded_at"

DIALECTS: Mapping[str, str] = {
    "postgresql": "postgresql:PostgresDialect",
    "sqlite": "sqlite:SqliteDialect",
    "duckdb": "duckdb:DuckDBDialect",
    "snowflake": "snowflake:SnowflakeDialect",
    "bigquery": "bigquery:BigQueryDialect",
    "mysql": "mysql:MySqlDialect",
    "mssql": "mssql:MsSqlDialect",
    "redshift": "redshift:RedshiftDialect",
}
"""Dialect name -> ``module:class`` in this package (imported when used)."""

ALIASES: Mapping[str, str] = {
    **{name: name for name in DIALECTS},
    "postgres": "postgresql",
    "psycopg": "postgresql",
    "psycopg2": "postgresql",
    "sqlite3": "sqlite",
    "gcpbigquery": "bigquery",
    "google_cloud_bigquery": "bigquery",
    "mariadb": "mysql",
    "tsql": "mssql",
    "sqlserver": "mssql",
    "pymssql": "mssql",
    "redshift_connector": "redshift",
}

HOOK_CLASSES: Mapping[str, str] = {
    "PostgresHook": "postgresql",
    "SqliteHook": "sqlite",
    "DuckDBHook": "duckdb",
    "SnowflakeHook": "snowflake",
    "BigQueryHook": "bigquery",
    "MySqlHook": "mysql",
    "MsSqlHook": "mssql",
    "RedshiftSQLHook": "redshift",
}


def dialect_class(name: str) -> type[Dialect]:
    """The dialect class of an accepted name (ValueError listing the names otherwise)."""
    canonical = _canonical(name)
    if canonical is None:
        raise ThreeSixtyLearningConnectionConfigError(
            f"unknown warehouse dialect {name!r}; accepted: {', '.join(sorted(ALIASES))}"
        )
    module_name, class_name = DIALECTS[canonical].split(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    cls: type[Dialect] = getattr(module, class_name)
    return cls


def detect(hook: Any) -> str | None:
    """The dialect name of a hook: its ``dialect_name``, else its ``conn_type``, else its class; None if unknown."""
    for attribute in ("dialect_name", "conn_type"):
        try:
            value = getattr(hook, attribute, None)
        except Exception:  # a dialect_name that cannot build a URI must not stop the load
            log.debug("hook %s has no usable %s", type(hook).__name__, attribute, exc_info=True)
            continue
        if isinstance(value, str) and (name := _canonical(value)):
            return name
    for cls in type(hook).__mro__:
        if cls.__name__ in HOOK_CLASSES:
            return HOOK_CLASSES[cls.__name__]
    return None


def dialect_for(hook: Any, override: str | None = None, *, durable_pages: bool = False) -> Dialect:
    """The dialect instance (one per writer) for ``hook``: ``override`` if given, else detected from the hook."""
    name = override or detect(hook)
    if name is None:
        raise ThreeSixtyLearningConnectionConfigError(
            f"cannot tell the SQL dialect of {type(hook).__name__} (dialect_name, conn_type and class match none "
            f"of {', '.join(DIALECTS)}); set the dialect override (dialect='mysql', ...) to one of them"
        )
    return dialect_class(name)(hook, durable_pages=durable_pages)


def _canonical(value: str) -> str | None:
    """``postgresql+psycopg`` -> ``postgresql``; ``odbc+mssql`` style names are tried on both sides of ``+``."""
    lowered = value.lower()
    if lowered in ALIASES:
        return ALIASES[lowered]
    for part in lowered.split("+"):
        if part in ALIASES:
            return ALIASES[part]
    return None


__all__ = [
    "ALIASES",
    "DIALECTS",
    "HOOK_CLASSES",
    "LOADED_AT_COLUMN",
    "LOAD_ID_COLUMN",
    "detect",
    "dialect_class",
    "dialect_for",
]
