"""Operators for the 360Learning Users actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "ActivateUserOperator",
    "AddManagerToUserOperator",
    "CreateCustomUserLinkOperator",
    "CreateUserCertificateOperator",
    "CreateUserOperator",
    "DeleteCustomUserLinkOperator",
    "DeleteUserOperator",
    "EditUserOperator",
    "GetCustomUserLinksOperator",
    "GetUserCertificateAsPdfOperator",
    "GetUserCertificatesOperator",
    "GetUserOperator",
    "GetUserRolesInGroupsOperator",
    "ListUserCustomFieldValuesOperator",
    "ListUserManagersOperator",
    "ListUserSubordinatesOperator",
    "ListUsersOperator",
    "PseudonymizeUserOperator",
    "RemoveManagerFromUserOperator",
    "ReplaceUserCustomFieldValuesOperator",
    "ReplaceUserPasswordOperator",
    "UpdateCustomUserLinkOperator",
    "UpdateUserCertificatesPrivacyLevelOperator",
    "UploadUserMediaOperator",
]


class ActivateUserOperator(ThreeSixtyLearningOperator):
    """Activate a user.

    ``PUT /api/v2/users/{userId}/activate``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "activate_user"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class AddManagerToUserOperator(ThreeSixtyLearningOperator):
    """Add a manager to a user.

    ``POST /api/v2/users/{userId}/managers/{managerId}``, scope ``users:write``.

    :param userId: The unique ID of the user the manager will be added to. (path, required)
    :param managerId: The unique ID of the manager to be added. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "add_manager_to_user"

    def __init__(self, *, userId: str | None = None, managerId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, managerId=managerId)
        super().__init__(parameters=parameters, **kwargs)


class CreateCustomUserLinkOperator(ThreeSixtyLearningOperator):
    """Create a custom user link.

    ``POST /api/v2/users/{userId}/custom-links``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Create Custom User Link Request Body, as a JSON object; required: customLinkId, url (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_custom_user_link"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class CreateUserCertificateOperator(ThreeSixtyLearningOperator):
    """Import a certificate.

    ``POST /api/v2/users/{userId}/certificates``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Input External Certificate, as a form fields (files as bytes, a path or a storage URL); required:
        deliveryDate, title, file (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_user_certificate"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class CreateUserOperator(ThreeSixtyLearningOperator):
    """Create an invited user.

    ``POST /api/v2/users``, scope ``users:write``.

    :param sendInvitationEmail: If true (or not provided), the invitation email is sent to the created user. (query)
    :param body: Input User, as a JSON object; required: membership (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_user"

    def __init__(
        self,
        *,
        sendInvitationEmail: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            sendInvitationEmail=sendInvitationEmail,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)


class DeleteCustomUserLinkOperator(ThreeSixtyLearningOperator):
    """Delete a custom user link.

    ``DELETE /api/v2/users/{userId}/custom-links/{customUserLinkId}``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param customUserLinkId: The unique ID of the custom user link to be deleted. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_custom_user_link"

    def __init__(self, *, userId: str | None = None, customUserLinkId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            userId=userId,
            customUserLinkId=customUserLinkId,
        )
        super().__init__(parameters=parameters, **kwargs)


class DeleteUserOperator(ThreeSixtyLearningOperator):
    """Delete a user.

    ``DELETE /api/v2/users/{userId}``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_user"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class EditUserOperator(ThreeSixtyLearningOperator):
    """Edit a user.

    ``PATCH /api/v2/users/{userId}``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Update User, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "edit_user"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class GetCustomUserLinksOperator(ThreeSixtyLearningOperator):
    """List all custom user links for a user.

    ``GET /api/v2/users/{userId}/custom-links``, scope ``users:read``, pages of 1,000 (every page is read).

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_custom_user_links"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class GetUserCertificateAsPdfOperator(ThreeSixtyLearningOperator):
    """Retrieve a certificate PDF file.

    ``GET /api/v2/users/{userId}/certificates/{certificateId}/pdf``, scope ``users:read``.

    :param certificateId: The unique ID of the certificate. (path, required)
    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_user_certificate_as_pdf"

    def __init__(self, *, certificateId: str | None = None, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), certificateId=certificateId, userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class GetUserCertificatesOperator(ThreeSixtyLearningOperator):
    """List all certificates for a user.

    ``GET /api/v2/users/{userId}/certificates``, scope ``users:read``, pages of 1,000 (every page is read).

    :param userId: The unique ID of the user. (path, required)
    :param deliveryDate: Filter on **deliveryDate** property with LHS bracket notation. (filter: a mapping of lt,
        gte to values)
    :param expirationDate: Filter on **expirationDate** property with LHS bracket notation. (filter: a mapping of
        lt, gte to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_user_certificates"

    def __init__(
        self,
        *,
        userId: str | None = None,
        deliveryDate: dict[str, Any] | None = None,
        expirationDate: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            userId=userId,
            deliveryDate=deliveryDate,
            expirationDate=expirationDate,
        )
        super().__init__(parameters=parameters, **kwargs)


class GetUserOperator(ThreeSixtyLearningOperator):
    """Retrieve a user.

    ``GET /api/v2/users/{userId}``, scope ``users:read``.

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_user"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class GetUserRolesInGroupsOperator(ThreeSixtyLearningOperator):
    """List all memberships of a user.

    ``GET /api/v2/users/{userId}/roles``, scope ``users:read``, pages of 1,000 (every page is read).

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_user_roles_in_groups"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class ListUserCustomFieldValuesOperator(ThreeSixtyLearningOperator):
    """List all custom field values for a user.

    ``GET /api/v2/users/{userId}/custom-fields/values``, scope ``users:read``.

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_user_custom_field_values"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class ListUserManagersOperator(ThreeSixtyLearningOperator):
    """List all manager IDs for a user.

    ``GET /api/v2/users/{userId}/managers``, scope ``users:read``, pages of 1,000 (every page is read).

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_user_managers"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class ListUserSubordinatesOperator(ThreeSixtyLearningOperator):
    """List all subordinate IDs for a user.

    ``GET /api/v2/users/{userId}/subordinates``, scope ``users:read``, pages of 1,000 (every page is read).

    :param userId: The unique ID of the user. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_user_subordinates"

    def __init__(self, *, userId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId)
        super().__init__(parameters=parameters, **kwargs)


class ListUsersOperator(ThreeSixtyLearningOperator):
    """List all users.

    ``GET /api/v2/users``, scope ``users:read``, pages of 500 (every page is read).

    :param mail: Filter on **mail** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param username: Filter on **username** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq, ne to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_users"

    def __init__(
        self,
        *,
        mail: dict[str, Any] | None = None,
        username: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), mail=mail, username=username, status=status)
        super().__init__(parameters=parameters, **kwargs)


class PseudonymizeUserOperator(ThreeSixtyLearningOperator):
    """Pseudonymize user.

    ``PUT /api/v2/users/{userId}/pseudonymize``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param deleteExternalIds: If true, user's external identifiers (identifier mappings for third-party platforms)
        are deleted. (query)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "pseudonymize_user"

    def __init__(self, *, userId: str | None = None, deleteExternalIds: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            userId=userId,
            deleteExternalIds=deleteExternalIds,
        )
        super().__init__(parameters=parameters, **kwargs)


class RemoveManagerFromUserOperator(ThreeSixtyLearningOperator):
    """Remove a manager from a user.

    ``DELETE /api/v2/users/{userId}/managers/{managerId}``, scope ``users:write``.

    :param userId: The unique ID of the user the manager will be removed from. (path, required)
    :param managerId: The unique ID of the manager to be removed. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "remove_manager_from_user"

    def __init__(self, *, userId: str | None = None, managerId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, managerId=managerId)
        super().__init__(parameters=parameters, **kwargs)


class ReplaceUserCustomFieldValuesOperator(ThreeSixtyLearningOperator):
    """Replace a user custom fields values.

    ``PUT /api/v2/users/{userId}/custom-fields/values``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Update User Custom Field Values Body, as a JSON object; required: customValues (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_user_custom_field_values"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class ReplaceUserPasswordOperator(ThreeSixtyLearningOperator):
    """Replace the password of a user.

    ``PUT /api/v2/users/{userId}/password``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Replace Password Body, as a JSON object; required: password, passwordMustBeChanged (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_user_password"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class UpdateCustomUserLinkOperator(ThreeSixtyLearningOperator):
    """Replace custom user links.

    ``PUT /api/v2/users/{userId}/custom-links/{customUserLinkId}``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param customUserLinkId: The unique ID of the custom user link to be updated. (path, required)
    :param body: Update Custom User Link Request Body, as a JSON object; required: customLinkId, url (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_custom_user_link"

    def __init__(
        self,
        *,
        userId: str | None = None,
        customUserLinkId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            userId=userId,
            customUserLinkId=customUserLinkId,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)


class UpdateUserCertificatesPrivacyLevelOperator(ThreeSixtyLearningOperator):
    """Update certificates privacy level.

    ``PATCH /api/v2/users/{userId}/certificates/privacy-level``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Update User Certificates Privacy Level Body, as a JSON object; required: certificateIds, isPublic
        (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_user_certificates_privacy_level"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class UploadUserMediaOperator(ThreeSixtyLearningOperator):
    """Upload user media.

    ``POST /api/v2/users/{userId}/media``, scope ``users:write``.

    :param userId: The unique ID of the user. (path, required)
    :param body: Upload User Media Body, as a form fields (files as bytes, a path or a storage URL); required:
        profileImage (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "upload_user_media"

    def __init__(self, *, userId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), userId=userId, body=body)
        super().__init__(parameters=parameters, **kwargs)
