"""Webhook subscriptions (generic CRUD), their signing secrets, and the events they recorded.

The emulator sends no HTTP request: an active subscription records each event of its type
(:mod:`airflow_provider_360learning.emulator.events`) as ``delivered``. A URL is unreachable when its
host is under the reserved ``.invalid`` domain (or it is not an http(s) URL). The signing secret lives
apart from the row (``state.relation("webhook_secrets")``), so no listing or row dump shows it, and the
exchange log redacts it (:data:`SECRET_ANSWERS`).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from airflow_provider_360learning.emulator.events import SUBSCRIPTIONS, events_of
from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok, page_items
from airflow_provider_360learning.emulator.handlers.crud import Resource, create_row, crud, get_row, update_row
from airflow_provider_360learning.emulator.routing import parse_datetime
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import DAY, parse_iso

SUBSCRIPTION = crud(
    Resource(
        SUBSCRIPTIONS,
        "subscriptionId",
        "subscriptionNotFound",
        "subscription",
        unique=((("eventType", "url"), ("subscriptionAlreadyExists",)),),
        defaults=lambda ctx: {"status": "active"},
    ),
    list="get_subscriptions",
    get="get_subscription",
)
MAX_PER_EVENT_TYPE = 10
"""Subscriptions one event type may have (the documents name the limit, not its value)."""
RETRY_WINDOW = 3 * DAY
SECRET_ANSWERS = frozenset({"get_signing_secret", "rotate_signing_secret"})
"""Actions whose answer carries a signing secret: the exchange log redacts it."""


def _check_url(ctx: RequestContext) -> None:
    url = ctx.fields.get("url")
    if url is None:
        return
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host or host == "invalid" or host.endswith(".invalid"):
        raise fail(ctx, "urlUnreachable", f"The URL {url} is unreachable.")


def new_secret(state: EmulatorState, subscription_id: str) -> str:
    secret = "whsec_" + secrets.token_urlsafe(24)
    state.relation("webhook_secrets")[subscription_id] = secret
    return secret


@handler("create_subscription")
def create_subscription(ctx: RequestContext) -> Reply:
    state = ctx.state
    _check_url(ctx)
    with state.lock:
        same_type = [s for s in state.rows(SUBSCRIPTIONS) if s["eventType"] == ctx.fields["eventType"]]
        if len(same_type) >= MAX_PER_EVENT_TYPE:
            raise fail(
                ctx,
                "subscriptionsLimitReached",
                f"The event type {ctx.fields['eventType']} already has {MAX_PER_EVENT_TYPE} subscriptions.",
            )
        row = create_row(ctx, SUBSCRIPTION)
        new_secret(state, row["_id"])
    return ok(ctx, row)


@handler("update_subscription")
def update_subscription(ctx: RequestContext) -> Reply:
    row = get_row(ctx, SUBSCRIPTION)
    _check_url(ctx)
    return ok(ctx, update_row(ctx, SUBSCRIPTION, row, ctx.fields))


@handler("delete_subscription")
def delete_subscription(ctx: RequestContext) -> Reply:
    """The subscription goes with its secret and its events."""
    state = ctx.state
    row = get_row(ctx, SUBSCRIPTION)
    with state.lock:
        state.delete_row(SUBSCRIPTIONS, row["_id"])
        for table in ("webhook_secrets", "webhook_events", "webhook_sequence"):
            state.relation(table).pop(row["_id"], None)
    return ok(ctx)


@handler("get_events")
def get_events(ctx: RequestContext) -> Reply:
    """Oldest first, 250 a page; ``createdAt`` and ``status`` filters."""
    row = get_row(ctx, SUBSCRIPTION)
    return page_items(ctx, events_of(ctx.state, row["_id"]))


@handler("retry_event_failures", "retry_event_successes")
def retry_events(ctx: RequestContext) -> Reply:
    """Nothing fails to deliver here, and delivered events stay delivered: the answer checks the request only."""
    row = ctx.state.get_row(SUBSCRIPTIONS, ctx.path_params["subscriptionId"])
    if row is None or row["status"] != "active":
        raise fail(
            ctx,
            "activeSubscriptionNotFound",
            f"The given subscriptionId {ctx.path_params['subscriptionId']} "
            "does not correspond to any active subscription.",
        )
    start, end = (parse_datetime(ctx.fields[k]) for k in ("startDate", "endDate"))
    if start is None or end is None or not 0 < parse_iso(end) - parse_iso(start) <= RETRY_WINDOW:
        raise fail(ctx, "invalidRetryTimeframe", "endDate must be after startDate, at most 3 days later.")
    return ok(ctx)


@handler("get_signing_secret")
def get_signing_secret(ctx: RequestContext) -> Reply:
    row = get_row(ctx, SUBSCRIPTION)
    secret = ctx.state.relation("webhook_secrets").get(row["_id"]) or new_secret(ctx.state, row["_id"])
    return ok(ctx, {"secret": secret})


@handler("rotate_signing_secret")
def rotate_signing_secret(ctx: RequestContext) -> Reply:
    """A new secret (the previous one would still sign for 24 hours; nothing is signed here)."""
    row = get_row(ctx, SUBSCRIPTION)
    return ok(ctx, {"secret": new_secret(ctx.state, row["_id"])})
