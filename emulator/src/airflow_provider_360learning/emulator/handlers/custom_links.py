"""Custom links of the company, and the links of each user to them (one per custom link and user)."""

from __future__ import annotations

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok, visible
from airflow_provider_360learning.emulator.handlers.crud import (
    Parent,
    Resource,
    create_row,
    crud,
    delete_row,
    get_row,
    update_row,
)

LINKS = crud(
    Resource(
        "custom_links",
        "customLinkId",
        "customLinkNotFound",
        "custom link",
        unique=(
            (("name",), ("nameAlreadyUsed",)),
            (("order",), ("orderAlreadyUsed",)),
            (("type",), ("typeAlreadyUsed",)),
        ),
    ),
    list="get_custom_links_by_company",
    create="create_custom_link",
    replace="replace_custom_link",
)
USER_LINKS = crud(
    Resource(
        "user_custom_links",
        "customUserLinkId",
        "customUserLinkNotFound",
        "custom user link",
        parent=Parent("userId", "userId", "users", "userNotFound", "user"),
    ),
    list="get_custom_user_links",
    delete="delete_custom_user_link",
)


def _check_free(ctx: RequestContext, link_id: str, own: str | None = None) -> None:
    """A user has at most one link per custom link: 409 ``customLinkAlreadyUsed`` otherwise."""
    user = ctx.path_params["userId"]
    for row in ctx.state.rows("user_custom_links"):
        if row["userId"] == user and row["customLinkId"] == link_id.lower() and row["_id"] != own:
            raise fail(ctx, "customLinkAlreadyUsed", f"The user {user} already has a link for custom link {link_id}.")


@handler("create_custom_user_link")
def create_custom_user_link(ctx: RequestContext) -> Reply:
    _check_free(ctx, ctx.fields["customLinkId"])
    row = create_row(ctx, USER_LINKS, {**ctx.fields, "customLinkId": ctx.fields["customLinkId"].lower()})
    return ok(ctx, visible(ctx, "user_custom_links", row))


@handler("update_custom_user_link")
def update_custom_user_link(ctx: RequestContext) -> Reply:
    row = get_row(ctx, USER_LINKS)
    _check_free(ctx, ctx.fields["customLinkId"], row["_id"])
    row = update_row(ctx, USER_LINKS, row, {**ctx.fields, "customLinkId": ctx.fields["customLinkId"].lower()})
    return ok(ctx, visible(ctx, "user_custom_links", row))


@handler("delete_custom_link")
def delete_custom_link(ctx: RequestContext) -> Reply:
    """Deleting a custom link deletes the users' links to it."""
    reply = delete_row(ctx, LINKS)
    state = ctx.state
    with state.lock:
        for row in list(state.rows("user_custom_links")):
            if row["customLinkId"] == ctx.path_params["customLinkId"]:
                state.delete_row("user_custom_links", row["_id"])
    return reply
