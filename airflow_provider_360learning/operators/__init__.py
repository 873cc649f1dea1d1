"""Operators. Hand-written: :mod:`.three_sixty_learning` (the generic operator, any action by name),
:mod:`.bulk` (Bulk API operations over any number of objects) and :mod:`.scim_provisioning`. Generated:
:mod:`.generated`, one module of named operators per family of the official spec.

The named operators' modules moved from ``operators.<family>`` to ``operators.generated.<family>``; the old
paths keep working for one release, with a deprecation warning (see CHANGELOG.md).
"""

from airflow_provider_360learning._moved import register_moved_modules

MOVED_FAMILIES = (
    "authentication",
    "bulk_actions",
    "certificate_outlines",
    "classrooms",
    "courses",
    "custom_fields",
    "custom_links",
    "external_ids",
    "groups",
    "integrations",
    "learning_needs",
    "paths",
    "projects",
    "skills",
    "tags",
    "users",
    "webhooks",
)
"""Families whose module was ``operators.<family>`` until the generated modules moved (frozen: a new family
has no old path)."""

register_moved_modules(__name__, {family: (f"{__name__}.generated.{family}", None) for family in MOVED_FAMILIES})
