"""Operators for the 360Learning Paths actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "AddTokensOperator",
    "ArchiveRestorePathOperator",
    "ArchiveSelfEnrollmentOperator",
    "CreatePathOperator",
    "CreatePathSessionOperator",
    "DeletePathOperator",
    "DeletePathSessionOperator",
    "EditChildPathSessionOperator",
    "EditPathOperator",
    "EditPathSessionOperator",
    "GetAllPathSessionsOperator",
    "GetPathOperator",
    "GetPathSessionAudienceOperator",
    "GetPathSessionCustomFieldValuesOperator",
    "GetPathSessionMetricsOperator",
    "GetPathSessionOperator",
    "GetPathStatsOperator",
    "ListPathEnrollmentsOperator",
    "ListPathSessionUserStatsOperator",
    "ListPathSessionsOperator",
    "ListPathTagsOperator",
    "ListPathsOperator",
    "ReplacePathSessionAudienceOperator",
    "ReplacePathStepsOperator",
    "ReplacePathTagsOperator",
    "ReplacePathTranslationsOperator",
    "UpdatePathSessionCustomFieldValuesOperator",
]


class AddTokensOperator(ThreeSixtyLearningOperator):
    """Add tokens.

    ``POST /api/v2/paths/add-tokens``, scope ``tokens:write``.

    :param body: Add Tokens Body, as a JSON object; required: authorId, groupId, numberTokensBought, pathId
        (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_tokens"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class ArchiveRestorePathOperator(ThreeSixtyLearningOperator):
    """Archive or restore a path.

    ``PUT /api/v2/paths/{pathId}/archive``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param body: Archive Path Body, as a JSON object; required: archived (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "archive_restore_path"

    def __init__(self, *, pathId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class ArchiveSelfEnrollmentOperator(ThreeSixtyLearningOperator):
    """Archive a self-enrolled learner from a path session.

    ``DELETE /api/v2/paths/{pathId}/sessions/{sessionId}/self-enrollments/{userId}``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param userId: The unique ID of the learner. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "archive_self_enrollment"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        sessionId: str | None = None,
        userId: str | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            pathId=pathId,
            sessionId=sessionId,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class CreatePathOperator(ThreeSixtyLearningOperator):
    """Create a path.

    ``POST /api/v2/paths``, scope ``paths:write``.

    :param body: Input Path, as a form fields (files as bytes, a path or a storage URL); required: authorId,
        groupId, name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_path"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class CreatePathSessionOperator(ThreeSixtyLearningOperator):
    """Create a path session.

    ``POST /api/v2/paths/{pathId}/sessions``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param body: Input Path Session, as a JSON object; required: mainInstructorId, registrationRequestValidation,
        startDate, name (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_path_session"

    def __init__(self, *, pathId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeletePathOperator(ThreeSixtyLearningOperator):
    """Delete a path.

    ``DELETE /api/v2/paths/{pathId}``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_path"

    def __init__(self, *, pathId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId)
        super().__init__(parameters=parameters, **kwargs)


class DeletePathSessionOperator(ThreeSixtyLearningOperator):
    """Delete a path session.

    ``DELETE /api/v2/paths/{pathId}/sessions/{sessionId}``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_path_session"

    def __init__(self, *, pathId: str | None = None, sessionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId)
        super().__init__(parameters=parameters, **kwargs)


class EditChildPathSessionOperator(ThreeSixtyLearningOperator):
    """Edit a child path session.

    ``PATCH /api/v2/paths/{pathId}/child-sessions/{childSessionId}``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param childSessionId: The unique ID of the path session. (path, required)
    :param body: Patch Child Path Session, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_child_path_session"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        childSessionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            pathId=pathId,
            childSessionId=childSessionId,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)


class EditPathOperator(ThreeSixtyLearningOperator):
    """Edit a path.

    ``PATCH /api/v2/paths/{pathId}``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param body: Patch Path, as a form fields (files as bytes, a path or a storage URL) (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_path"

    def __init__(self, *, pathId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class EditPathSessionOperator(ThreeSixtyLearningOperator):
    """Edit a path session.

    ``PATCH /api/v2/paths/{pathId}/sessions/{sessionId}``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param body: Patch Path Session, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_path_session"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        sessionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class GetAllPathSessionsOperator(ThreeSixtyLearningOperator):
    """List all sessions.

    ``GET /api/v2/paths/sessions``, scope ``paths:read``, pages of 500 (every page is read).

    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param startDate: Filter on **startDate** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param endDate: Filter on **endDate** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param sessionId: Filter on **sessionId** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param pathId: Filter on **pathId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_all_path_sessions"

    def __init__(
        self,
        *,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        startDate: dict[str, Any] | None = None,
        endDate: dict[str, Any] | None = None,
        sessionId: dict[str, Any] | None = None,
        pathId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            createdAt=createdAt,
            modifiedAt=modifiedAt,
            startDate=startDate,
            endDate=endDate,
            sessionId=sessionId,
            pathId=pathId,
        )
        super().__init__(parameters=parameters, **kwargs)


class GetPathOperator(ThreeSixtyLearningOperator):
    """Retrieve a path.

    ``GET /api/v2/paths/{pathId}``, scope ``paths:read``.

    :param pathId: The unique ID of the path. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_path"

    def __init__(self, *, pathId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId)
        super().__init__(parameters=parameters, **kwargs)


class GetPathSessionAudienceOperator(ThreeSixtyLearningOperator):
    """Retrieve a path session audience.

    ``GET /api/v2/paths/{pathId}/sessions/{sessionId}/audiences``, scope ``paths:read``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_path_session_audience"

    def __init__(self, *, pathId: str | None = None, sessionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId)
        super().__init__(parameters=parameters, **kwargs)


class GetPathSessionCustomFieldValuesOperator(ThreeSixtyLearningOperator):
    """List all custom field values for a session.

    ``GET /api/v2/paths/{pathId}/sessions/{sessionId}/custom-fields/values``, scope ``paths:read``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_path_session_custom_field_values"

    def __init__(self, *, pathId: str | None = None, sessionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId)
        super().__init__(parameters=parameters, **kwargs)


class GetPathSessionMetricsOperator(ThreeSixtyLearningOperator):
    """Retrieve metrics for a path session.

    ``GET /api/v2/paths/{pathId}/sessions/{sessionId}/user-statuses``, scope ``pathStats:read``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_path_session_metrics"

    def __init__(self, *, pathId: str | None = None, sessionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId)
        super().__init__(parameters=parameters, **kwargs)


class GetPathSessionOperator(ThreeSixtyLearningOperator):
    """Retrieve a path session.

    ``GET /api/v2/paths/{pathId}/sessions/{sessionId}``, scope ``paths:read``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_path_session"

    def __init__(self, *, pathId: str | None = None, sessionId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId)
        super().__init__(parameters=parameters, **kwargs)


class GetPathStatsOperator(ThreeSixtyLearningOperator):
    """List all user statistics for all paths.

    ``GET /api/v2/paths/stats``, scope ``pathStats:read``, pages of 2,000 (every page is read).

    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param completedAt: Filter on **completedAt** property with LHS bracket notation. (filter: a mapping of lt, gte
        to values)
    :param pathId: Filter on **pathId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param userId: Filter on **userId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_path_stats"

    def __init__(
        self,
        *,
        status: dict[str, Any] | None = None,
        completedAt: dict[str, Any] | None = None,
        pathId: dict[str, Any] | None = None,
        userId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            status=status,
            completedAt=completedAt,
            pathId=pathId,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListPathEnrollmentsOperator(ThreeSixtyLearningOperator):
    """List all enrollments.

    ``GET /api/v2/paths/{pathId}/enrollments``, scope ``paths:read``, pages of 5,000 (every page is read).

    :param pathId: The unique ID of the path. (path, required)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param sessionId: Filter on **sessionId** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_path_enrollments"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        status: dict[str, Any] | None = None,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        sessionId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            pathId=pathId,
            status=status,
            createdAt=createdAt,
            modifiedAt=modifiedAt,
            sessionId=sessionId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListPathSessionUserStatsOperator(ThreeSixtyLearningOperator):
    """List all user statistics for a path session.

    ``GET /api/v2/paths/{pathId}/sessions/{sessionId}/user-stats``, scope ``pathStats:read``, pages of 2,000 (every page is read).

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param completedAt: Filter on **completedAt** property with LHS bracket notation. (filter: a mapping of lt, gte
        to values)
    :param userId: Filter on **userId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_path_session_user_stats"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        sessionId: str | None = None,
        completedAt: dict[str, Any] | None = None,
        userId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            pathId=pathId,
            sessionId=sessionId,
            completedAt=completedAt,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListPathSessionsOperator(ThreeSixtyLearningOperator):
    """List all sessions in a path.

    ``GET /api/v2/paths/{pathId}/sessions``, scope ``paths:read``, pages of 100 (every page is read).

    :param pathId: The unique ID of the path. (path, required)
    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param startDate: Filter on **startDate** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param endDate: Filter on **endDate** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_path_sessions"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        startDate: dict[str, Any] | None = None,
        endDate: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            pathId=pathId,
            createdAt=createdAt,
            modifiedAt=modifiedAt,
            startDate=startDate,
            endDate=endDate,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListPathTagsOperator(ThreeSixtyLearningOperator):
    """List all tags in a path.

    ``GET /api/v2/paths/{pathId}/tags``, scope ``tags:read``, pages of 500 (every page is read).

    :param pathId: The unique ID of the path. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_path_tags"

    def __init__(self, *, pathId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId)
        super().__init__(parameters=parameters, **kwargs)


class ListPathsOperator(ThreeSixtyLearningOperator):
    """List all paths.

    ``GET /api/v2/paths``, scope ``paths:read``, pages of 200 (every page is read).

    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_paths"

    def __init__(
        self,
        *,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            createdAt=createdAt,
            modifiedAt=modifiedAt,
            status=status,
        )
        super().__init__(parameters=parameters, **kwargs)


class ReplacePathSessionAudienceOperator(ThreeSixtyLearningOperator):
    """Replace an audience for a path session.

    ``PUT /api/v2/paths/{pathId}/sessions/{sessionId}/audiences``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param body: Put Session Audience, as a JSON object; required: filters, mode (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_path_session_audience"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        sessionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class ReplacePathStepsOperator(ThreeSixtyLearningOperator):
    """Replace all steps.

    ``PUT /api/v2/paths/{pathId}/steps``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param body: Update Steps Body, as a JSON object; required: steps (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_path_steps"

    def __init__(self, *, pathId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class ReplacePathTagsOperator(ThreeSixtyLearningOperator):
    """Replace all tags in a path.

    ``PUT /api/v2/paths/{pathId}/tags``, scope ``tags:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param body: Update Paths Tags Body, as a JSON object; required: tagIds (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_path_tags"

    def __init__(self, *, pathId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class ReplacePathTranslationsOperator(ThreeSixtyLearningOperator):
    """Replace all translations for a path.

    ``PUT /api/v2/paths/{pathId}/translations``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param body: Replace Path Translations Body, as a JSON object; required: translations (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_path_translations"

    def __init__(self, *, pathId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class UpdatePathSessionCustomFieldValuesOperator(ThreeSixtyLearningOperator):
    """Replace all custom fields values for a path session.

    ``PUT /api/v2/paths/{pathId}/sessions/{sessionId}/custom-fields/values``, scope ``paths:write``.

    :param pathId: The unique ID of the path. (path, required)
    :param sessionId: The unique ID of the path session. (path, required)
    :param body: Update Path Session Custom Field Values Body, as a JSON object; required: customValues (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_path_session_custom_field_values"

    def __init__(
        self,
        *,
        pathId: str | None = None,
        sessionId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), pathId=pathId, sessionId=sessionId, body=body)
        super().__init__(parameters=parameters, **kwargs)
