"""Paths: create and edit (multipart), archive and restore, delete, steps, translations and tokens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import (
    Resource,
    check_references,
    create_row,
    crud,
    get_row,
    update_row,
)
from airflow_provider_360learning.emulator.handlers.sessions import is_open
from airflow_provider_360learning.emulator.pagination import Row
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import parse_iso

OPTIONS = (
    "linearProgression",
    "mandatoryReplay",
    "displayForum",
    "displayClassroomMessages",
    "automatedReminders",
    "notificationOnStepCreation",
)
PATHS = crud(
    Resource(
        "paths",
        "pathId",
        "pathNotFound",
        "path",
        stamps=True,
        defaults=lambda ctx: {
            "coAuthorIds": [],
            "defaultLang": "en",
            "status": "published",
            "steps": [],
            "translations": [],
        },
    ),
    list="list_paths",
    get="get_path",
)
STEP_TARGETS = {
    "course": ("courses", "courseStepNotFound"),
    "classroom": ("classrooms", "classroomStepNotFound"),
    "path": ("paths", "pathStepNotFound"),
}
"""Step types whose ``_id`` names an emulated object; other steps (messages, assessments, programs) are kept as given."""
MESSAGE_STEPS = frozenset({"email", "slackMessage", "teamsMessage"})


def _path_fields(ctx: RequestContext, current: Row | None) -> dict[str, Any]:
    """Body of create/edit: options merged, author not co-author.

    ``coverPicture`` is a media id: the documents allow a file in a ``oneOf`` but pin the property to the
    ObjectId pattern next to it, so a file never validates.
    """
    fields = ctx.fields
    check_references(ctx, fields)
    if "options" in fields:
        fields["options"] = {**dict.fromkeys(OPTIONS, False), **(current or {}).get("options", {}), **fields["options"]}
    merged = {**(current or {}), **fields}
    if merged.get("authorId") in merged.get("coAuthorIds", []):
        raise fail(ctx, "mainAuthorAsCoAuthor", f"The author {merged['authorId']} cannot also be a co-author.")
    return fields


@handler("create_path")
def create_path(ctx: RequestContext) -> Reply:
    fields = _path_fields(ctx, None)
    fields.setdefault("options", dict.fromkeys(OPTIONS, False))
    fields["sourceLang"] = fields.get("defaultLang", "en")
    return ok(ctx, create_row(ctx, PATHS, fields))


@handler("edit_path")
def edit_path(ctx: RequestContext) -> Reply:
    row = get_row(ctx, PATHS)
    return ok(ctx, update_row(ctx, PATHS, row, _path_fields(ctx, row)))


def path_sessions(state: EmulatorState, path_id: str) -> list[Row]:
    """Current sessions of a path: generated ones by plan, added ones by scan."""
    tenant = state.tenant
    ids = [tenant.session_ids[p.index] for p in tenant.sessions if tenant.path_ids[p.path] == path_id]
    rows = [r for r in (state.get_row("path_sessions", i) for i in ids) if r is not None]
    return rows + [r for _, r in state.overlay("path_sessions").added.values() if r["pathId"] == path_id]


@handler("archive_restore_path")
def archive_restore_path(ctx: RequestContext) -> Reply:
    """``archived: true`` moves a path to ``archived`` unless a session runs now; ``false`` publishes it again."""
    state = ctx.state
    row = get_row(ctx, PATHS)
    archive = ctx.fields["archived"]
    if archive:
        now = state.today()
        running = [
            s["_id"] for s in path_sessions(state, row["_id"]) if parse_iso(s["startDate"]) <= now and is_open(s, now)
        ]
        if running:
            raise fail(
                ctx, "pathHasRunningSessions", f"The path {row['_id']} has running sessions: {', '.join(running)}."
            )
    update_row(ctx, PATHS, row, {"status": "archived" if archive else "published"})
    return ok(ctx)


@handler("delete_path")
def delete_path(ctx: RequestContext) -> Reply:
    """409 while another path has this one as a step; otherwise its sessions and statistics go with it."""
    state = ctx.state
    row = get_row(ctx, PATHS)
    for other in state.rows("paths"):
        if any(s["type"] == "path" and s["_id"] == row["_id"] for s in other["steps"]):
            raise fail(ctx, "pathIsUsedAsATraining", f"The path {row['_id']} is a step of the path {other['_id']}.")
    state.delete_row("paths", row["_id"])
    state.relation("path_tags").pop(row["_id"], None)
    return ok(ctx)


def _check_steps(ctx: RequestContext, path: Row, steps: list[dict[str, Any]]) -> None:
    state = ctx.state
    seen: set[str] = set()
    for step in steps:
        step["_id"] = step["_id"].lower()
        if step["_id"] in seen:
            raise fail(ctx, "duplicatedStep", f"The step {step['_id']} appears twice.")
        seen.add(step["_id"])
        if step["type"] == "path" and step["_id"] == path["_id"]:
            raise fail(ctx, "pathCycle", f"The path {path['_id']} cannot be a step of itself.")
        target = STEP_TARGETS.get(step["type"])
        if target is not None and state.get_row(target[0], step["_id"]) is None:
            raise fail(
                ctx,
                target[1],
                f"The given {step['type']} step {step['_id']} does not correspond to any existing {step['type']}.",
            )
    learning = [s for s in steps if s["type"] not in MESSAGE_STEPS]
    if learning and all(s["options"].get("optional") for s in learning):
        raise fail(ctx, "onlyOptionalSteps", "A path needs at least one mandatory step.")


@handler("replace_path_steps")
def replace_path_steps(ctx: RequestContext) -> Reply:
    row = get_row(ctx, PATHS)
    if row["status"] == "archived":
        raise fail(ctx, "pathArchived", f"The path {row['_id']} is archived: its steps cannot change.")
    steps = ctx.fields["steps"]
    _check_steps(ctx, row, steps)
    return ok(ctx, update_row(ctx, PATHS, row, {"steps": steps})["steps"])


@handler("replace_path_translations")
def replace_path_translations(ctx: RequestContext) -> Reply:
    row = get_row(ctx, PATHS)
    translations: list[Mapping[str, Any]] = ctx.fields["translations"]
    langs = [t["lang"] for t in translations]
    if len(set(langs)) != len(langs):
        raise fail(ctx, "nonUniqueLangEntries", f"Each language may have one translation; got {langs}.")
    if any(t["lang"] == row["defaultLang"] and not t["published"] for t in translations):
        raise fail(ctx, "unpublishingDefaultLang", f"The default language {row['defaultLang']} must stay published.")
    return ok(ctx, update_row(ctx, PATHS, row, {"translations": translations})["translations"])


@handler("add_tokens")
def add_tokens(ctx: RequestContext) -> Reply:
    """Tokens bought for a path in a group accumulate (``state.relation("path_tokens")``)."""
    fields = ctx.fields
    check_references(ctx, fields)
    key = (fields["pathId"].lower(), fields["groupId"].lower())
    with ctx.state.lock:
        tokens = ctx.state.relation("path_tokens")
        tokens[key] = tokens.get(key, 0) + fields["numberTokensBought"]
    return ok(ctx)
