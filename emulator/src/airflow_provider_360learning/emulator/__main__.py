"""``python -m airflow_provider_360learning.emulator``: serve the 360Learning API emulator with uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from airflow_provider_360learning.emulator.config import (
    DEFAULT_EDX_CLIENT_ID,
    DEFAULT_EDX_CLIENT_SECRET,
    DEFAULT_SCIM_TOKEN,
    FAULT_KINDS,
    SERVICES,
    EmulatorConfig,
)
from airflow_provider_360learning.emulator.rate_limit import RateLimit, parse_rate_limit


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number within 0..1, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text}")
    return value


def _rate_limit(text: str) -> RateLimit:
    try:
        return parse_rate_limit(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number >= 0 or 'documented', got {text}") from None


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


SCRIPT = "360learning-emulator"
"""The console script of the emulator's distribution: the same command line as ``python -m`` this package."""


def build_parser() -> argparse.ArgumentParser:
    script = os.path.basename(sys.argv[0]) == SCRIPT
    parser = argparse.ArgumentParser(
        prog=SCRIPT if script else "python -m airflow_provider_360learning.emulator",
        description=(
            "Local emulator of the 360Learning API v2 (OAuth2 client credentials, Link pagination, bracket "
            "filters) serving deterministic seeded data. The API is under /api/v2, the control interface "
            "under /_emulator (reset, stats, tokens/revoke, rows, config, exchanges, info)."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (use 0.0.0.0 only on purpose)")
    parser.add_argument("--port", type=int, default=8360, help="TCP port to listen on (0 picks a free port)")
    parser.add_argument("--client-id", default="emulator-client-id", help="accepted OAuth client id")
    parser.add_argument("--client-secret", default="emulator-client-secret", help="accepted OAuth client secret")
    parser.add_argument(
        "--scopes",
        default=None,
        help="comma-separated OAuth scopes granted to the client (default: every scope the API documents)",
    )
    parser.add_argument("--seed", type=int, default=42, help="seed of the generated data and of fault injection")
    parser.add_argument(
        "--scale",
        type=_positive_int,
        default=1,
        help="data volume multiplier: 200 users, 60 courses, 1,250 course stats per unit; the onboarding "
        "session enrols every user (scale 500 = 100k user stats)",
    )
    parser.add_argument("--latency-ms", type=_non_negative, default=0.0, help="delay added to every API response")
    parser.add_argument(
        "--fault-rate",
        type=_fraction,
        default=0.0,
        help="share of /api/v2 requests (token endpoint excluded) answered by a fault: 500, 502, 503 and a "
        "dropped connection in rotation, chosen deterministically from the seed and the request sequence",
    )
    parser.add_argument(
        "--fault-kinds",
        default=",".join(FAULT_KINDS),
        help="comma-separated fault kinds that --fault-rate rotates through",
    )
    parser.add_argument(
        "--rate-limit",
        type=_rate_limit,
        default=0.0,
        help="requests per second per client id (0 = unlimited; excess requests get 429 with Retry-After), or "
        "'documented': 360Learning's documented limits per company, all clients together (50 GET/s, 10 writes/s, "
        "1/s on the endpoints whose description says so, at most 3 unfinished bulk operations; 429 without "
        "Retry-After)",
    )
    parser.add_argument("--token-ttl", type=float, default=3600.0, help="lifetime of access tokens in seconds")
    parser.add_argument("--service", choices=SERVICES, default="all", help="which emulated service(s) to mount")
    parser.add_argument(
        "--scim-token",
        default=DEFAULT_SCIM_TOKEN,
        help="initial bearer token of the SCIM server (/scim/v2); POST /_emulator/scim/token issues a new one "
        "and revokes it (one active token, as in 360Learning)",
    )
    parser.add_argument(
        "--response-cache-mb",
        type=_non_negative,
        default=512.0,
        help="memory for the encoded answers of GET list actions (course stats...), served again until the "
        "state changes; requests are still authenticated, validated, counted, rate limited and faulted (0 = off)",
    )
    parser.add_argument(
        "--bulk-seconds-per-state",
        type=_non_negative,
        default=1.0,
        help="seconds a bulk operation spends in each of pending, queued and running before it completes "
        "(0 = completed at the first read)",
    )
    parser.add_argument("--edx-client-id", default=DEFAULT_EDX_CLIENT_ID, help="client id the edX emulator accepts")
    parser.add_argument(
        "--edx-client-secret", default=DEFAULT_EDX_CLIENT_SECRET, help="client secret the edX emulator accepts"
    )
    parser.add_argument(
        "--record-exchanges", action="store_true", help="keep the last 10,000 exchanges at /_emulator/exchanges"
    )
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> EmulatorConfig:
    args = build_parser().parse_args(argv)
    scopes = None if args.scopes is None else tuple(s.strip() for s in args.scopes.split(",") if s.strip())
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        scopes=scopes,
        seed=args.seed,
        scale=args.scale,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        fault_kinds=tuple(k.strip() for k in args.fault_kinds.split(",") if k.strip()),
        rate_limit=args.rate_limit,
        token_ttl=args.token_ttl,
        service=args.service,
        record_exchanges=args.record_exchanges,
        scim_token=args.scim_token,
        edx_client_id=args.edx_client_id,
        edx_client_secret=args.edx_client_secret,
        bulk_seconds_per_state=args.bulk_seconds_per_state,
        response_cache_mb=args.response_cache_mb,
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        config = config_from_args(argv)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    from airflow_provider_360learning.emulator.app import create_app

    app = create_app(config)
    summary = app.state.emulator.tenant.summary()
    print(
        f"360Learning emulator on http://{config.host}:{config.port}/api/v2 "
        f"(client id {config.client_id!r}, seed {config.seed}, scale {config.scale}: {summary['counts']})",
        file=sys.stderr,
    )
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
