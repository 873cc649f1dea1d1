"""Operators for the 360Learning Groups actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "AddUserRoleOperator",
    "CreateGroupOperator",
    "DeleteGroupOperator",
    "EditGroupOperator",
    "GetGroupOperator",
    "ListGroupCatalogContentIdsOperator",
    "ListGroupLibraryContentIdsOperator",
    "ListGroupMembershipsOperator",
    "ListGroupsOperator",
    "RemoveUserRoleOperator",
    "UploadGroupMediaOperator",
    "UpsertGroupCustomizationColorsOperator",
]


class AddUserRoleOperator(ThreeSixtyLearningOperator):
    """Add a user's role.

    ``POST /api/v2/groups/{groupId}/{role}/{userId}``, scope ``groups:write``.

    :param groupId: The unique ID of the group. (path, required)
    :param role: The role to add to the user. (path, required)
    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_user_role"

    def __init__(
        self,
        *,
        groupId: str | None = None,
        role: str | None = None,
        userId: str | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, role=role, userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class CreateGroupOperator(ThreeSixtyLearningOperator):
    """Create a group.

    ``POST /api/v2/groups``, scope ``groups:write``.

    :param body: Input Group, as a JSON object; required: name, public, parentId (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_group"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteGroupOperator(ThreeSixtyLearningOperator):
    """Delete a group.

    ``DELETE /api/v2/groups/{groupId}``, scope ``groups:write``.

    :param groupId: The unique ID of the group. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_group"

    def __init__(self, *, groupId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId)
        super().__init__(parameters=parameters, **kwargs)


class EditGroupOperator(ThreeSixtyLearningOperator):
    """Edit a group.

    ``PATCH /api/v2/groups/{groupId}``, scope ``groups:write``.

    :param groupId: The unique ID of the group. (path, required)
    :param body: Patch Group, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_group"

    def __init__(self, *, groupId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class GetGroupOperator(ThreeSixtyLearningOperator):
    """Retrieve a group.

    ``GET /api/v2/groups/{groupId}``, scope ``groups:read``.

    :param groupId: The unique ID of the group. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_group"

    def __init__(self, *, groupId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId)
        super().__init__(parameters=parameters, **kwargs)


class ListGroupCatalogContentIdsOperator(ThreeSixtyLearningOperator):
    """List all content IDs in a group catalog.

    ``GET /api/v2/groups/{groupId}/catalog/{contentType}-ids``, scope ``groups:read``, pages of 10,000 (every page is read).

    :param groupId: The unique ID of the group. (path, required)
    :param contentType: The type of content IDs to retrieve. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_group_catalog_content_ids"

    def __init__(self, *, groupId: str | None = None, contentType: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, contentType=contentType)
        super().__init__(parameters=parameters, **kwargs)


class ListGroupLibraryContentIdsOperator(ThreeSixtyLearningOperator):
    """List all content IDs in a group library.

    ``GET /api/v2/groups/{groupId}/library/{contentType}-ids``, scope ``groups:read``, pages of 10,000 (every page is read).

    :param groupId: The unique ID of the group. (path, required)
    :param contentType: The type of content IDs to retrieve. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_group_library_content_ids"

    def __init__(self, *, groupId: str | None = None, contentType: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, contentType=contentType)
        super().__init__(parameters=parameters, **kwargs)


class ListGroupMembershipsOperator(ThreeSixtyLearningOperator):
    """List all memberships in a group.

    ``GET /api/v2/groups/{groupId}/roles``, scope ``groups:read``, pages of 1,000 (every page is read).

    :param groupId: The unique ID of the group. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_group_memberships"

    def __init__(self, *, groupId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId)
        super().__init__(parameters=parameters, **kwargs)


class ListGroupsOperator(ThreeSixtyLearningOperator):
    """List all groups.

    ``GET /api/v2/groups``, scope ``groups:read``, pages of 500 (every page is read).
    """

    action_name = "list_groups"


class RemoveUserRoleOperator(ThreeSixtyLearningOperator):
    """Remove a user's role.

    ``DELETE /api/v2/groups/{groupId}/{role}/{userId}``, scope ``groups:write``.

    :param groupId: The unique ID of the group. (path, required)
    :param role: The role to withdraw from the user. (path, required)
    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "remove_user_role"

    def __init__(
        self,
        *,
        groupId: str | None = None,
        role: str | None = None,
        userId: str | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, role=role, userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class UploadGroupMediaOperator(ThreeSixtyLearningOperator):
    """Upload group media.

    ``POST /api/v2/groups/{groupId}/media``, scope ``groups:write``.

    :param groupId: The unique ID of the group. (path, required)
    :param body: Upload Group Media Body, as a form fields (files as bytes, a path or a storage URL); required:
        authorId (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "upload_group_media"

    def __init__(self, *, groupId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class UpsertGroupCustomizationColorsOperator(ThreeSixtyLearningOperator):
    """Set group branding.

    ``PATCH /api/v2/groups/{groupId}/branding``, scope ``groups:write``.

    :param groupId: The unique ID of the group. (path, required)
    :param body: Patch Brand Customization, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "upsert_group_customization_colors"

    def __init__(self, *, groupId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), groupId=groupId, body=body)
        super().__init__(parameters=parameters, **kwargs)
