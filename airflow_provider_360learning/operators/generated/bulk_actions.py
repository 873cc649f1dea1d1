"""Operators for the 360Learning Bulk API actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.bulk import ThreeSixtyLearningBulkOperator
from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "AddContentsToGroupsCatalogOperator",
    "AddContentsToGroupsLibraryOperator",
    "AddSkillReviewsOperator",
    "AddUsersToGroupsOperator",
    "ArchiveExternalCoursesOperator",
    "CreateSubscriptionEventsOperator",
    "DeleteGroupsOperator",
    "DeleteJobsOperator",
    "DeleteLibrariesOperator",
    "DeleteSkillsOperator",
    "GetBulkOperationOperator",
    "GetBulkOperationResultsOperator",
    "GetBulkOperationsOperator",
    "ImportExternalCoursesOperator",
    "ImportExternalStatisticsOperator",
    "RemoveContentsFromGroupsCatalogOperator",
    "RemoveContentsFromGroupsLibraryOperator",
    "RemoveUsersFromGroupsOperator",
    "ReplaceJobsSkillsOperator",
    "ReplaceUsersJobsOperator",
    "UpsertJobsOperator",
    "UpsertLibrariesOperator",
    "UpsertSkillsOperator",
]


class AddContentsToGroupsCatalogOperator(ThreeSixtyLearningBulkOperator):
    """Add content to catalogs.

    ``POST /api/v2/bulk/groups/catalog``, scope ``groups:bulk``.

    :param items: the Catalog objects (required fields: groupId, contentType, contentId), cut into requests of at
        most 20,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_contents_to_groups_catalog"


class AddContentsToGroupsLibraryOperator(ThreeSixtyLearningBulkOperator):
    """Add content to libraries.

    ``POST /api/v2/bulk/groups/library``, scope ``groups:bulk``.

    :param items: the Library objects (required fields: groupId, contentType, contentId), cut into requests of at
        most 20,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_contents_to_groups_library"


class AddSkillReviewsOperator(ThreeSixtyLearningBulkOperator):
    """Add skill reviews.

    ``POST /api/v2/bulk/skills/reviews``, scope ``skillsPowers:bulk``.

    :param items: the input objects, cut into requests of at most 10,000; or ``items_path``, a JSON Lines file of
        them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_skill_reviews"


class AddUsersToGroupsOperator(ThreeSixtyLearningBulkOperator):
    """Add users to groups.

    ``POST /api/v2/bulk/groups/memberships``, scope ``groups:bulk``.

    :param items: the Membership Addition objects (required fields: userId, groupId, role), cut into requests of at
        most 20,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_users_to_groups"


class ArchiveExternalCoursesOperator(ThreeSixtyLearningBulkOperator):
    """Archive external courses.

    ``DELETE /api/v2/bulk/integrations/{integrationId}/courses``, scope ``integrations:bulk``.

    :param integrationId: The unique ID of the integration. (path, required)
    :param items: the Archive External Course objects (required fields: externalId), cut into requests of at most
        1,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "archive_external_courses"

    def __init__(self, *, integrationId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), integrationId=integrationId)
        super().__init__(parameters=parameters, **kwargs)


class CreateSubscriptionEventsOperator(ThreeSixtyLearningBulkOperator):
    """Create email subscription events.

    ``POST /api/v2/bulk/notifications/subscriptions``, scope ``subscriptions:bulk``.

    :param items: the Subscription Event objects (required fields: mail, type), cut into requests of at most 20,000;
        or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_subscription_events"


class DeleteGroupsOperator(ThreeSixtyLearningBulkOperator):
    """Delete groups.

    ``DELETE /api/v2/bulk/groups``, scope ``groups:bulk``.

    :param items: the Delete Group objects (required fields: groupId), cut into requests of at most 2,000; or
        ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_groups"


class DeleteJobsOperator(ThreeSixtyLearningBulkOperator):
    """Delete jobs.

    ``DELETE /api/v2/bulk/skills/jobs``, scope ``skillsJobs:bulk``.

    :param items: the Job Delete objects (required fields: externalId), cut into requests of at most 10,000; or
        ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_jobs"


class DeleteLibrariesOperator(ThreeSixtyLearningBulkOperator):
    """Delete libraries.

    ``DELETE /api/v2/bulk/skills/libraries``, scope ``skillsLibraries:bulk``.

    :param items: the Library Delete objects (required fields: externalId), cut into requests of at most 10,000; or
        ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_libraries"


class DeleteSkillsOperator(ThreeSixtyLearningBulkOperator):
    """Delete skills.

    ``DELETE /api/v2/bulk/skills``, scope ``skills:bulk``.

    :param items: the Skill Delete objects (required fields: externalId), cut into requests of at most 10,000; or
        ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_skills"


class GetBulkOperationOperator(ThreeSixtyLearningOperator):
    """Retrieve a bulk operation.

    ``GET /api/v2/bulk/operations/{bulkOperationId}``, scope ``bulkOperations:read``.

    :param bulkOperationId: The unique ID of the bulk operation. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_bulk_operation"

    def __init__(self, *, bulkOperationId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), bulkOperationId=bulkOperationId)
        super().__init__(parameters=parameters, **kwargs)


class GetBulkOperationResultsOperator(ThreeSixtyLearningOperator):
    """Retrieve a bulk operation result.

    ``GET /api/v2/bulk/operations/{bulkOperationId}/results``, scope ``bulkOperations:read``.

    :param bulkOperationId: The unique ID of the bulk operation. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_bulk_operation_results"

    def __init__(self, *, bulkOperationId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), bulkOperationId=bulkOperationId)
        super().__init__(parameters=parameters, **kwargs)


class GetBulkOperationsOperator(ThreeSixtyLearningOperator):
    """List all bulk operations.

    ``GET /api/v2/bulk/operations``, scope ``bulkOperations:read``, pages of 20 (every page is read).

    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param type: Filter on **type** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_bulk_operations"

    def __init__(
        self,
        *,
        createdAt: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        type: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), createdAt=createdAt, status=status, type=type)
        super().__init__(parameters=parameters, **kwargs)


class ImportExternalCoursesOperator(ThreeSixtyLearningBulkOperator):
    """Upsert external courses.

    ``PUT /api/v2/bulk/integrations/{integrationId}/courses``, scope ``integrations:bulk``.

    :param integrationId: The unique ID of the integration. (path, required)
    :param items: the External Course objects (required fields: defaultLang, externalId, launchUrl, name, sources,
        subjects), cut into requests of at most 10,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "import_external_courses"

    def __init__(self, *, integrationId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), integrationId=integrationId)
        super().__init__(parameters=parameters, **kwargs)


class ImportExternalStatisticsOperator(ThreeSixtyLearningBulkOperator):
    """Import integration statistics.

    ``POST /api/v2/bulk/integrations/{integrationId}/stats``, scope ``integrations:bulk``.

    :param integrationId: The unique ID of the integration. (path, required)
    :param items: the Import External Statistics objects (required fields: courseIdentifier, userIdentifier,
        progress, timeSpent, firstActivityAt, lastActivityAt), cut into requests of at most 10,000; or
        ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "import_external_statistics"

    def __init__(self, *, integrationId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), integrationId=integrationId)
        super().__init__(parameters=parameters, **kwargs)


class RemoveContentsFromGroupsCatalogOperator(ThreeSixtyLearningBulkOperator):
    """Remove content from catalogs.

    ``DELETE /api/v2/bulk/groups/catalog``, scope ``groups:bulk``.

    :param items: the Catalog objects (required fields: groupId, contentType, contentId), cut into requests of at
        most 20,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "remove_contents_from_groups_catalog"


class RemoveContentsFromGroupsLibraryOperator(ThreeSixtyLearningBulkOperator):
    """Remove content from libraries.

    ``DELETE /api/v2/bulk/groups/library``, scope ``groups:bulk``.

    :param items: the Library objects (required fields: groupId, contentType, contentId), cut into requests of at
        most 20,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "remove_contents_from_groups_library"


class RemoveUsersFromGroupsOperator(ThreeSixtyLearningBulkOperator):
    """Remove users from groups.

    ``DELETE /api/v2/bulk/groups/memberships``, scope ``groups:bulk``.

    :param items: the Membership Deletion objects (required fields: userId, groupId, role), cut into requests of at
        most 20,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "remove_users_from_groups"


class ReplaceJobsSkillsOperator(ThreeSixtyLearningBulkOperator):
    """Replace jobs skills.

    ``PUT /api/v2/bulk/skills/jobs-skills``, scope ``skillsJobSkills:bulk``.

    :param items: the Job Skill Input objects (required fields: jobId, skillId), cut into requests of at most
        10,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_jobs_skills"


class ReplaceUsersJobsOperator(ThreeSixtyLearningBulkOperator):
    """Replace users jobs.

    ``PUT /api/v2/bulk/skills/users/jobs``, scope ``skillsJobs:bulk``.

    :param items: the Replace User Jobs objects (required fields: userId), cut into requests of at most 10,000; or
        ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_users_jobs"


class UpsertJobsOperator(ThreeSixtyLearningBulkOperator):
    """Upsert jobs.

    ``PUT /api/v2/bulk/skills/jobs``, scope ``skillsJobs:bulk``.

    :param items: the Job Upsert objects (required fields: externalId, name), cut into requests of at most 10,000;
        or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "upsert_jobs"


class UpsertLibrariesOperator(ThreeSixtyLearningBulkOperator):
    """Upsert libraries.

    ``PUT /api/v2/bulk/skills/libraries``, scope ``skillsLibraries:bulk``.

    :param items: the Library Upsert objects (required fields: externalId, name), cut into requests of at most
        10,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "upsert_libraries"


class UpsertSkillsOperator(ThreeSixtyLearningBulkOperator):
    """Upsert skills.

    ``PUT /api/v2/bulk/skills``, scope ``skills:bulk``.

    :param items: the Skill Upsert objects (required fields: externalId, name, parentExternalIds), cut into requests
        of at most 10,000; or ``items_path``, a JSON Lines file of them
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "upsert_skills"
