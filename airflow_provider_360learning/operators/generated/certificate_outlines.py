"""Operators for the 360Learning Certificate Outlines actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "CreateCertificateOutlineOperator",
    "DeleteCertificateOutlineOperator",
    "GetCertificateOutlinesOperator",
    "UpdateCertificateOutlineOperator",
]


class CreateCertificateOutlineOperator(ThreeSixtyLearningOperator):
    """Create certificate outline.

    ``POST /api/v2/certificate-outlines``, scope ``certificateOutlines:write``.

    :param body: Input Certificate Outline, as a JSON object; required: title, groupId, bodyHtml (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_certificate_outline"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class DeleteCertificateOutlineOperator(ThreeSixtyLearningOperator):
    """Delete a certificate outline.

    ``DELETE /api/v2/certificate-outlines/{certificateOutlineId}``, scope ``certificateOutlines:write``.

    :param certificateOutlineId: The unique ID of the certificate outline. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "delete_certificate_outline"

    def __init__(self, *, certificateOutlineId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), certificateOutlineId=certificateOutlineId)
        super().__init__(parameters=parameters, **kwargs)


class GetCertificateOutlinesOperator(ThreeSixtyLearningOperator):
    """List all certificate outlines.

    ``GET /api/v2/certificate-outlines``, scope ``certificateOutlines:read``.

    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param groupId: Filter on **groupId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin
        to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_certificate_outlines"

    def __init__(
        self,
        *,
        createdAt: dict[str, Any] | None = None,
        groupId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), createdAt=createdAt, groupId=groupId)
        super().__init__(parameters=parameters, **kwargs)


class UpdateCertificateOutlineOperator(ThreeSixtyLearningOperator):
    """Edit a certificate outline.

    ``PATCH /api/v2/certificate-outlines/{certificateOutlineId}``, scope ``certificateOutlines:write``.

    :param certificateOutlineId: The unique ID of the certificate outline. (path, required)
    :param body: Patch Certificate Outline, as a JSON object (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_certificate_outline"

    def __init__(
        self,
        *,
        certificateOutlineId: str | None = None,
        body: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            certificateOutlineId=certificateOutlineId,
            body=body,
        )
        super().__init__(parameters=parameters, **kwargs)
