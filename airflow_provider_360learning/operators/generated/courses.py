"""Operators for the 360Learning Courses actions, one per action of the official spec.

Generated from the action registry by ``scripts/generate_operators.py``: do not edit by hand.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_360learning.operators.three_sixty_learning import ThreeSixtyLearningOperator, merge_parameters

__all__ = [
    "ArchiveRestoreCourseOperator",
    "CreateELearningStandardCourseOperator",
    "GenerateFromPromptOperator",
    "GetCourseCustomFieldValuesOperator",
    "GetCourseOperator",
    "GetCourseTagsOperator",
    "ListCoursesOperator",
    "ListCoursesStatisticsOperator",
    "ReplaceCourseTagsOperator",
    "UpdateCourseCustomFieldValuesOperator",
    "UpdateELearningStandardCourseOperator",
]


class ArchiveRestoreCourseOperator(ThreeSixtyLearningOperator):
    """Archive or restore a course.

    ``PUT /api/v2/courses/{courseId}/archive``, scope ``courses:write``.

    :param courseId: The unique ID of the course. (path, required)
    :param body: Archive Course Body, as a JSON object; required: archived (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "archive_restore_course"

    def __init__(self, *, courseId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class CreateELearningStandardCourseOperator(ThreeSixtyLearningOperator):
    """Create an eLearning standard course.

    ``POST /api/v2/courses/elearning-standard``, scope ``courses:write``.

    :param body: Create E Learning Standard Course Body, as a form fields (files as bytes, a path or a storage URL);
        required: name, sourceLang, authorId, groupId, estdFile (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "create_e_learning_standard_course"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class GenerateFromPromptOperator(ThreeSixtyLearningOperator):
    """Generate a course from a prompt (internal only).

    ``POST /api/v2/courses/generate-from-prompt``, scope ``courses:internal``.

    :param body: Generate From Prompt Body, as a JSON object; required: prompt, authorId (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "generate_from_prompt"

    def __init__(self, *, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), body=body)
        super().__init__(parameters=parameters, **kwargs)


class GetCourseCustomFieldValuesOperator(ThreeSixtyLearningOperator):
    """List all custom field values for a course.

    ``GET /api/v2/courses/{courseId}/custom-fields/values``, scope ``courses:read``.

    :param courseId: The unique ID of the course. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_course_custom_field_values"

    def __init__(self, *, courseId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId)
        super().__init__(parameters=parameters, **kwargs)


class GetCourseOperator(ThreeSixtyLearningOperator):
    """Retrieve a course.

    ``GET /api/v2/courses/{courseId}``, scope ``courses:read``.

    :param courseId: The unique ID of the course. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_course"

    def __init__(self, *, courseId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId)
        super().__init__(parameters=parameters, **kwargs)


class GetCourseTagsOperator(ThreeSixtyLearningOperator):
    """List all tags in a course.

    ``GET /api/v2/courses/{courseId}/tags``, scope ``tags:read``, pages of 500 (every page is read).

    :param courseId: The unique ID of the course. (path, required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "get_course_tags"

    def __init__(self, *, courseId: str | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId)
        super().__init__(parameters=parameters, **kwargs)


class ListCoursesOperator(ThreeSixtyLearningOperator):
    """List all courses.

    ``GET /api/v2/courses``, scope ``courses:read``, pages of 500 (every page is read).

    :param createdAt: Filter on **createdAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param modifiedAt: Filter on **modifiedAt** property with LHS bracket notation. (filter: a mapping of lt, gte to
        values)
    :param status: Filter on **status** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param type: Filter on **type** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param authorId: Filter on **authorId** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param groupId: Filter on **groupId** property with LHS bracket notation. (filter: a mapping of eq to values)
    :param originalAuthorId: Filter on **originalAuthorId** property with LHS bracket notation. (filter: a mapping
        of eq to values)
    :param tagIds: Filter on **tagIds** property with LHS bracket notation. (filter: a mapping of in to values)
    :param coAuthorIds: Filter on **coAuthorIds** property with LHS bracket notation. (filter: a mapping of in to
        values)
    :param sourceLang: Filter on **sourceLang** property with LHS bracket notation. (filter: a mapping of eq, in to
        values)
    :param collaborativeLearning: Filter on **collaborativeLearning** property with LHS bracket notation. (filter: a
        mapping of eq to values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_courses"

    def __init__(
        self,
        *,
        createdAt: dict[str, Any] | None = None,
        modifiedAt: dict[str, Any] | None = None,
        status: dict[str, Any] | None = None,
        type: dict[str, Any] | None = None,
        authorId: dict[str, Any] | None = None,
        groupId: dict[str, Any] | None = None,
        originalAuthorId: dict[str, Any] | None = None,
        tagIds: dict[str, Any] | None = None,
        coAuthorIds: dict[str, Any] | None = None,
        sourceLang: dict[str, Any] | None = None,
        collaborativeLearning: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            createdAt=createdAt,
            modifiedAt=modifiedAt,
            status=status,
            type=type,
            authorId=authorId,
            groupId=groupId,
            originalAuthorId=originalAuthorId,
            tagIds=tagIds,
            coAuthorIds=coAuthorIds,
            sourceLang=sourceLang,
            collaborativeLearning=collaborativeLearning,
        )
        super().__init__(parameters=parameters, **kwargs)


class ListCoursesStatisticsOperator(ThreeSixtyLearningOperator):
    """List all courses statistics.

    ``GET /api/v2/courses/stats``, scope ``courseStats:read``, pages of 500 (every page is read).

    :param completedAt: Filter on **completedAt** property with LHS bracket notation. (filter: a mapping of lt, gte
        to values)
    :param courseId: Filter on **courseId** property with LHS bracket notation. (filter: a mapping of eq, ne, in,
        nin to values)
    :param userId: Filter on **userId** property with LHS bracket notation. (filter: a mapping of eq, ne, in, nin to
        values)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "list_courses_statistics"

    def __init__(
        self,
        *,
        completedAt: dict[str, Any] | None = None,
        courseId: dict[str, Any] | None = None,
        userId: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parameters = merge_parameters(
            kwargs.pop("parameters", None),
            completedAt=completedAt,
            courseId=courseId,
            userId=userId,
        )
        super().__init__(parameters=parameters, **kwargs)


class ReplaceCourseTagsOperator(ThreeSixtyLearningOperator):
    """Replace all tags in a course.

    ``PUT /api/v2/courses/{courseId}/tags``, scope ``courses:write``.

    :param courseId: The unique ID of the course. (path, required)
    :param body: Update Course Tags Body, as a JSON object; required: tagIds (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "replace_course_tags"

    def __init__(self, *, courseId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class UpdateCourseCustomFieldValuesOperator(ThreeSixtyLearningOperator):
    """Replace all custom field values for a course.

    ``PUT /api/v2/courses/{courseId}/custom-fields/values``, scope ``courses:write``.

    :param courseId: The unique ID of the course. (path, required)
    :param body: Update Course Custom Field Values Body, as a JSON object; required: customValues (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_course_custom_field_values"

    def __init__(self, *, courseId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId, body=body)
        super().__init__(parameters=parameters, **kwargs)


class UpdateELearningStandardCourseOperator(ThreeSixtyLearningOperator):
    """Edit an eLearning standard course.

    ``PATCH /api/v2/courses/elearning-standard/{courseId}``, scope ``courses:write``.

    :param courseId: The unique ID of the course. (path, required)
    :param body: Update E Learning Standard Course Body, as a form fields (files as bytes, a path or a storage URL)
        (required)
    :param parameters: the same parameters as a mapping (e.g. from XCom or a mapped task).
    """

    action_name = "update_e_learning_standard_course"

    def __init__(self, *, courseId: str | None = None, body: dict[str, Any] | None = None, **kwargs: Any) -> None:
        parameters = merge_parameters(kwargs.pop("parameters", None), courseId=courseId, body=body)
        super().__init__(parameters=parameters, **kwargs)
