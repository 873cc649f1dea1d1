"""Declarative registry of every 360Learning API v2 operation.

The registry is derived, at first use, from the three official OpenAPI documents shipped in
``airflow_provider_360learning/spec/`` (core, bulk and webhook APIs: 161 operations) and from
``actions.csv``, which gives the names of the 78 actions users know from other connectors.
Nothing here is hand-copied: the hook, the operators and the emulator all read this one source.

Naming rule for operations that ``actions.csv`` does not name: the snake_case form of the
controller class in the ``operationId`` without its ``Controller`` suffix
(``v2.users.GetUserCertificatesController_getUserCertificates`` -> ``get_user_certificates``).
The rule is checked for uniqueness when the registry is built.
"""

from __future__ import annotations

from airflow_provider_360learning.actions.registry import (
    ACTIONS,
    Action,
    ApiDocument,
    Parameter,
    ResponseSpec,
    load_document,
)

__all__ = ["ACTIONS", "Action", "ApiDocument", "Parameter", "ResponseSpec", "load_document"]
