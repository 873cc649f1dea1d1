"""Tags, and the tags of paths and courses (``replace`` then ``list`` reads them back)."""

from __future__ import annotations

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok, page_items
from airflow_provider_360learning.emulator.handlers.crud import Resource, check_references, crud, delete_row, get_row
from airflow_provider_360learning.emulator.pagination import Row

TAGS = crud(
    Resource(
        "tags",
        "tagId",
        "tagNotFound",
        "tag",
        unique=((("name",), ("tagNameNotAvailable",)),),
        defaults=lambda ctx: {"source": "native"},
    ),
    list="list_tags",
    get="get_tag",
    create="create_tag",
    replace="replace_tag",
)
_OWNERS = {  # action -> (collection, path parameter, 404 code, label)
    "list_path_tags": ("paths", "pathId", "pathNotFound", "path"),
    "replace_path_tags": ("paths", "pathId", "pathNotFound", "path"),
    "get_course_tags": ("courses", "courseId", "courseNotFound", "course"),
    "replace_course_tags": ("courses", "courseId", "courseNotFound", "course"),
}


@handler("delete_tag")
def delete_tag(ctx: RequestContext) -> Reply:
    """Deleting a tag removes it from paths and courses too (their tag lists skip deleted tags)."""
    return delete_row(ctx, TAGS)


def _owner(ctx: RequestContext) -> Row:
    collection, param, code, label = _OWNERS[ctx.action.name]
    return get_row(ctx, Resource(collection, param, code, label))


def tag_ids(ctx: RequestContext, owner: Row) -> list[str]:
    """Current tags of a path or course: a path's are a side table, a course's its ``tagIds`` field."""
    ids = (
        owner.get("tagIds", [])
        if "courseId" in ctx.path_params
        else ctx.state.relation("path_tags").get(owner["_id"], [])
    )
    return [t for t in ids if ctx.state.get_row("tags", t) is not None]


@handler("list_path_tags", "get_course_tags")
def list_owner_tags(ctx: RequestContext) -> Reply:
    owner = _owner(ctx)
    items = [{"tagId": t, "source": (ctx.state.get_row("tags", t) or {}).get("source")} for t in tag_ids(ctx, owner)]
    return page_items(ctx, items)


@handler("replace_path_tags", "replace_course_tags")
def replace_owner_tags(ctx: RequestContext) -> Reply:
    owner = _owner(ctx)
    ids = list(dict.fromkeys(t.lower() for t in ctx.fields["tagIds"]))
    if owner.get("status") == "archived" and "pathId" in ctx.path_params:
        raise fail(ctx, "pathArchived", f"The path {owner['_id']} is archived: its tags cannot change.")
    check_references(ctx, {"tagIds": ids})
    if "courseId" in ctx.path_params:
        ctx.state.patch_row("courses", owner["_id"], {"tagIds": ids})
    else:
        ctx.state.relation("path_tags")[owner["_id"]] = ids
    return ok(ctx, ids)
