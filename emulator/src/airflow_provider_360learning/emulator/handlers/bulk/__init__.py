"""Handlers of the Bulk API: the operations themselves (``operations``) and one module per family of effects."""

from __future__ import annotations

from airflow_provider_360learning.emulator.handlers.bulk import (  # noqa: F401  (importing registers the handlers)
    groups,
    integrations,
    notifications,
    operations,
    skills,
)
from airflow_provider_360learning.emulator.handlers.bulk.operations import settle

__all__ = ["settle"]
