"""Certificate outlines, and the certificates of users: delivered by paths or uploaded (external).

A user's path certificates are its path statistics that carry a ``certificateId``; external ones are
rows of ``user_certificates`` (the uploaded PDF is kept and served back by the PDF endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator

from airflow_provider_360learning.emulator.handlers.base import (
    Reply,
    RequestContext,
    fail,
    handler,
    ok,
    page_items,
    visible,
)
from airflow_provider_360learning.emulator.handlers.crud import Parent, Resource, create_row, crud, get_row
from airflow_provider_360learning.emulator.handlers.sessions import STATS, enrollment
from airflow_provider_360learning.emulator.pagination import Row
from airflow_provider_360learning.emulator.routing import parse_datetime
from airflow_provider_360learning.emulator.tenant import parse_iso

OUTLINES = crud(
    Resource(
        "certificate_outlines",
        "certificateOutlineId",
        "certificateOutlineNotFound",
        "certificate outline",
        defaults=lambda ctx: {"createdAt": ctx.now()},
    ),
    list="get_certificate_outlines",
    create="create_certificate_outline",
    update="update_certificate_outline",
)
EXTERNAL = Resource(
    "user_certificates",
    "certificateId",
    "certificateNotFound",
    "certificate",
    parent=Parent("userId", "userId", "users", "userNotFound", "user"),
)
MAX_PRIVACY_UPDATES = 100
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@handler("delete_certificate_outline")
def delete_certificate_outline(ctx: RequestContext) -> Reply:
    outline = get_row(ctx, OUTLINES)
    users = [p["_id"] for p in ctx.state.rows("paths") if p.get("certificateId") == outline["_id"]]
    if users:
        raise fail(
            ctx, "certificateOutlineStillUsed", f"The outline {outline['_id']} is used by the paths {', '.join(users)}."
        )
    ctx.state.delete_row("certificate_outlines", outline["_id"])
    return ok(ctx)


def path_certificates(ctx: RequestContext, user_id: str) -> Iterator[Row]:
    """Certificates the user earned in path sessions (one per statistics row with a ``certificateId``)."""
    state = ctx.state
    tenant = state.tenant
    rows = [enrollment(state, session_id, user_id) for session_id in tenant.session_ids]
    rows += [r for _, r in state.overlay(STATS).added.values() if r["userId"] == user_id]
    for row in rows:
        path = state.get_row("paths", row["pathId"]) if row is not None and "certificateId" in row else None
        if row is None or path is None:
            continue
        outline = path.get("certificateId", tenant.certificate_id(0))
        yield {
            "_id": row["certificateId"],
            "type": "path",
            "title": path["name"],
            "pathName": path["name"],
            "deliveryDate": row.get("completedAt", row["enrolledAt"]),
            "certificateOutlineId": outline,
            "pathId": path["_id"],
            "pathSessionId": row["sessionId"],
        }


def user_certificates(ctx: RequestContext) -> list[Row]:
    user = get_row(ctx, Resource("users", "userId", "userNotFound", "user"))
    external = [
        visible(ctx, "user_certificates", r) for r in ctx.state.rows("user_certificates") if r["userId"] == user["_id"]
    ]
    return [*path_certificates(ctx, user["_id"]), *external]


@handler("get_user_certificates")
def get_user_certificates(ctx: RequestContext) -> Reply:
    return page_items(ctx, user_certificates(ctx))


@handler("create_user_certificate")
def create_user_certificate(ctx: RequestContext) -> Reply:
    """An uploaded (external) certificate; its validity comes from its outline when it has one."""
    state = ctx.state
    fields = ctx.fields
    upload = fields.pop("file")
    for name in ("deliveryDate", "expirationDate"):
        if name in fields:
            fields[name] = parse_datetime(fields[name])
    get_row(ctx, Resource("users", "userId", "userNotFound", "user"))
    if parse_iso(fields["deliveryDate"]) > state.today():
        raise fail(ctx, "deliveryDateInFuture", f"The delivery date {fields['deliveryDate']} is in the future.")
    if "expirationDate" in fields and fields["expirationDate"] <= fields["deliveryDate"]:
        raise fail(ctx, "expiryDateBeforeDeliveryDate", "The expiration date is not after the delivery date.")
    outline = (
        state.get_row("certificate_outlines", fields["certificateOutlineId"])
        if "certificateOutlineId" in fields
        else None
    )
    if outline is not None and "validityPeriod" in outline:
        if "expirationDate" in fields:
            raise fail(ctx, "unexpectedExpiryDate", "The outline's validity period sets the expiration date.")
        fields["validityPeriod"] = outline["validityPeriod"]
    user_id = ctx.path_params["userId"]
    for other in state.rows("user_certificates"):
        if other["userId"] == user_id and (other["title"], other["deliveryDate"]) == (
            fields["title"],
            fields["deliveryDate"],
        ):
            raise fail(ctx, "CertificateAlreadyImported", f"The certificate {other['_id']} is already imported.")
    row = create_row(ctx, EXTERNAL, {**fields, "type": "external", "isPublic": False})
    state.relation("certificate_files")[row["_id"]] = upload.data or MINIMAL_PDF
    return ok(ctx, visible(ctx, "user_certificates", row))


@handler("get_user_certificate_as_pdf")
def get_user_certificate_as_pdf(ctx: RequestContext) -> Reply:
    certificate_id = ctx.path_params["certificateId"]
    if all(c["_id"] != certificate_id for c in user_certificates(ctx)):
        raise fail(
            ctx, "certificateNotFound", f"The given certificateId {certificate_id} is not a certificate of the user."
        )
    data = ctx.state.relation("certificate_files").get(certificate_id, MINIMAL_PDF)
    return Reply(200, data, media_type="application/pdf")


@handler("update_user_certificates_privacy_level")
def update_user_certificates_privacy_level(ctx: RequestContext) -> Reply:
    """Privacy is kept per certificate (``state.relation("certificate_privacy")``); no DTO shows it."""
    ids = [i.lower() for i in ctx.fields["certificateIds"]]
    if len(ids) > MAX_PRIVACY_UPDATES:
        raise fail(ctx, "tooManyCertificatesToUpdate", f"At most {MAX_PRIVACY_UPDATES} certificates per request.")
    own = {c["_id"] for c in user_certificates(ctx)}
    missing = [i for i in ids if i not in own]
    if missing:
        raise fail(ctx, "certificateNotFound", f"The given certificateIds {', '.join(missing)} are not the user's.")
    privacy = ctx.state.relation("certificate_privacy")
    for oid in ids:
        privacy[oid] = ctx.fields["isPublic"]
    return ok(ctx, {})
