"""The first task of the edX sync DAGs: check both sides before anything is read in bulk or written.

Wrong edX credentials, an enterprise customer UUID the credentials do not administer, wrong 360Learning
credentials, a missing OAuth scope, a missing integration or an unknown catalog each stop the run here,
with a message that names the problem and the connection. Every scope a DAG reads with is probed with
one cheap read; ``integrations:bulk`` cannot be probed without writing, so a client lacking it fails at
its first bulk submission, with the same kind of message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_360learning.exceptions import (
    EdxError,
    ThreeSixtyLearningAuthenticationError,
    ThreeSixtyLearningError,
    ThreeSixtyLearningPermissionError,
)

if TYPE_CHECKING:  # the hooks (JWT, HTTP) are imported when the task runs, not when a DAG file is parsed
    from airflow_provider_360learning.hooks.edx import EdxHook
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

T = TypeVar("T")

CATALOG_PROBES: dict[str, str] = {"get_bulk_operations": "waiting for bulk operations and reading their results"}
STATISTICS_PROBES: dict[str, str] = {**CATALOG_PROBES, "list_users": "matching edX learners to users by email"}


def _edx(hook: EdxHook, step: Callable[[], T]) -> T:
    try:
        return step()
    except EdxError as exc:
        raise AirflowFailException(f"edX connection {hook.edx_conn_id!r}: {exc}") from None


def _learning360(hook: ThreeSixtyLearningHook, purpose: str, step: Callable[[], T]) -> T:
    conn = hook.three_sixty_learning_conn_id
    try:
        return step()
    except ThreeSixtyLearningAuthenticationError as exc:
        raise AirflowFailException(f"360Learning connection {conn!r}: the credentials were rejected ({exc})") from None
    except ThreeSixtyLearningPermissionError as exc:
        raise AirflowFailException(
            f"360Learning connection {conn!r}: the API client lacks the OAuth scope {exc.scope!r}, needed for "
            f"{purpose}; grant it to the client in 360Learning's API settings ({exc})"
        ) from None
    except ThreeSixtyLearningError as exc:
        raise AirflowFailException(f"360Learning connection {conn!r}: {purpose} failed: {exc}") from None


def check_edx(hook: EdxHook) -> str:
    """The enterprise customer UUID, once the credentials were shown to read its learner summary."""
    return _edx(hook, hook.verify_enterprise_access)


def find_integration(hook: ThreeSixtyLearningHook, integration_id: str, external_platform: str) -> dict[str, Any]:
    """The integration given by id, else the only one of ``external_platform`` (``GET /integrations?externalPlatform=``).

    Several integrations of the platform (e.g. one per edX enterprise, each with its group) are an error that
    lists them: picking one silently would publish a catalog to the wrong group."""

    def lookup() -> list[dict[str, Any]]:
        if integration_id:
            return [i for i in hook.iter_action("get_integrations") if i["_id"] == integration_id.strip().lower()]
        return list(hook.iter_action("get_integrations", externalPlatform={"eq": external_platform}))

    found = _learning360(hook, "finding the integration", lookup)
    if not found:
        which = f"id {integration_id}" if integration_id else f"external platform {external_platform!r}"
        raise AirflowFailException(
            f"360Learning has no integration with {which}: create it (integrations.CreateIntegrationOperator, "
            "with the group whose catalog and library receive the edX courses) or set the DAG's integration params"
        )
    if len(found) > 1:
        listed = "; ".join(f"{i['_id']} (group {i.get('groupId')}, author {i.get('authorId')})" for i in found)
        raise AirflowFailException(
            f"360Learning has {len(found)} integrations with external platform {external_platform!r}: {listed}. "
            "Set the DAG param integration_id to the one this run syncs"
        )
    return found[0]


def probe_scopes(hook: ThreeSixtyLearningHook, probes: Mapping[str, str]) -> None:
    """One cheap read per scope the DAG needs later (first page only)."""
    for action, purpose in probes.items():
        _learning360(hook, purpose, lambda action=action: hook.call_action(action))  # type: ignore[misc]


def select_catalogs(hook: EdxHook, enterprise: str, wanted: Iterable[str]) -> list[dict[str, str]]:
    """The enterprise's catalogs named in ``wanted`` (UUIDs or titles); all of them when ``wanted`` is empty."""
    available = [
        {"uuid": str(c.get("uuid")), "title": str(c.get("title"))}
        for c in _edx(hook, lambda: list(hook.iter_catalogs()))
        if isinstance(c, Mapping) and c.get("enterprise_customer") == enterprise
    ]
    names = [w.strip() for w in wanted if isinstance(w, str) and w.strip()]
    if not names:
        return available
    chosen = [c for c in available if c["uuid"] in names or c["title"] in names]
    unknown = [n for n in names if not any(n in (c["uuid"], c["title"]) for c in available)]
    if unknown:
        listed = "; ".join(f"{c['title']} ({c['uuid']})" for c in available) or "none"
        raise AirflowFailException(
            f"edX connection {hook.edx_conn_id!r}: no catalog {unknown} in enterprise customer "
            f"{enterprise}; its catalogs: {listed}"
        )
    return chosen


def preflight(
    edx: EdxHook,
    learning360: ThreeSixtyLearningHook,
    *,
    integration_id: str,
    external_platform: str,
    probes: Mapping[str, str],
    catalogs: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Check both sides; what the later tasks need: the integration, its group, the enterprise, the catalogs."""
    enterprise = check_edx(edx)
    integration = find_integration(learning360, integration_id, external_platform)
    probe_scopes(learning360, probes)
    result: dict[str, Any] = {
        "integration_id": integration["_id"],
        "group_id": integration["groupId"],
        "external_platform": integration["externalPlatform"],
        "enterprise_customer_uuid": enterprise,
    }
    if catalogs is not None:
        result["catalogs"] = select_catalogs(edx, enterprise, catalogs)
    return result


def sync_params(*, state: str, resync: str) -> dict[str, Any]:
    """The params both edX sync DAGs take: which integration, where the sync state and the run's files go."""
    from airflow.sdk import Param

    return {
        "integration_id": Param(
            "",
            type="string",
            description="the 360Learning integration to sync; empty: the only one of external_platform (several: error)",
        ),
        "external_platform": Param("edX", type="string", description="externalPlatform of the integration to find"),
        "warehouse_conn_id": Param(
            "360learning_warehouse",
            type="string",
            description=f"SQL connection of {state}; undefined: the embedded default warehouse",
        ),
        "work_dir": Param("", type="string", description="folder or object-storage URL of the run's files"),
        "full_resync": Param(False, type="boolean", description=resync),
    }


def preflight_from_params(
    params: Mapping[str, Any], probes: Mapping[str, str], *, catalogs: bool = False
) -> dict[str, Any]:
    """:func:`preflight` with the default connections and the DAG's params."""
    from airflow_provider_360learning.hooks.edx import EdxHook
    from airflow_provider_360learning.hooks.three_sixty_learning import ThreeSixtyLearningHook

    return preflight(
        EdxHook(),
        ThreeSixtyLearningHook(),
        integration_id=params["integration_id"],
        external_platform=params["external_platform"],
        probes=probes,
        catalogs=params["catalogs"] if catalogs else None,
    )
