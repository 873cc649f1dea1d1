"""Handlers of the 360Learning API actions (core, bulk and webhook), registered by action name in :data:`HANDLERS`.

One module per family; importing the package registers them all. Generic CRUD lives in ``crud``,
paging, replies and documented errors in ``base``.
"""

from __future__ import annotations

from airflow_provider_360learning.emulator.handlers import (  # noqa: F401  (importing registers the handlers)
    bulk,
    certificates,
    classrooms,
    courses,
    custom_fields,
    custom_links,
    external_ids,
    groups,
    integrations,
    memberships,
    paths,
    sessions,
    skills,
    tags,
    users,
    webhooks,
)
from airflow_provider_360learning.emulator.handlers.base import (
    HANDLERS,
    Handler,
    Reply,
    RequestContext,
    handler,
    page,
    project,
)

__all__ = ["HANDLERS", "Handler", "Reply", "RequestContext", "handler", "page", "project"]
