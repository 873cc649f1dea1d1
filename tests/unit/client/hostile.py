"""A small hostile HTTP/1.1 server for the client core's hardening tests (issue 14, rules 1 to 7).

Plain sockets, one thread per connection, one request per connection (every answer says
``Connection: close``), so a test controls the bytes exactly: raw ``Location`` and ``Link`` headers,
a status line trickled one byte at a time, a body trickled after its headers, a gzip bomb streamed in
chunks. Every request received is recorded (method, target, headers with ``Authorization``, body, the
raw bytes) for the test to assert on; so is every connection accepted, so "nothing was sent there"
can be asserted as "no connection was even opened".

Routes are programmable per test: ``server.route("/path", answer, method="GET")`` where ``answer`` is a
:class:`Reply`, a callable ``(Received) -> Reply`` or a list of them played in order (the last one then
repeats). A route keyed with a query string (``/api/v2/users?cursor=b``) wins over the bare path.
"""

from __future__ import annotations

import contextlib
import functools
import json
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Union
from urllib.parse import parse_qs, urlsplit

MAX_HEAD_LINE = 65_536
READ_TIMEOUT = 30.0


class Stopped(Exception):
    """The server is stopping (or the client went away): a trickling answer ends here."""


@dataclass(frozen=True)
class Received:
    """One request as the server read it."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    raw: bytes
    at: float = field(default_factory=time.monotonic)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def authorization(self) -> str | None:
        return self.header("Authorization")

    @property
    def credential(self) -> str | None:
        """The token of ``Authorization: Bearer <token>`` (or ``JWT <token>``), else the header's value."""
        value = self.authorization
        if value is None:
            return None
        scheme, _, rest = value.partition(" ")
        return rest.strip() if scheme.lower() in ("bearer", "jwt") and rest else value

    @property
    def line(self) -> str:
        return f"{self.method} {self.target}"

    def json(self) -> Any:
        return json.loads(self.body)


class Out:
    """What an answer writes to: the client's socket, with pauses that end when the server stops."""

    def __init__(self, conn: socket.socket, stopping: threading.Event) -> None:
        self._conn = conn
        self._stopping = stopping

    def send(self, data: bytes) -> None:
        if self._stopping.is_set():
            raise Stopped
        try:
            self._conn.sendall(data)
        except OSError:
            raise Stopped from None

    def pause(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise Stopped


@dataclass
class Reply:
    """An answer: status line, raw headers (sent exactly as given, in order) and a body.

    ``body`` is bytes (sent in ``chunk_size`` pieces) or an iterable of pieces; ``chunk_delay`` pauses
    before each piece. A ``Content-Length`` is added for a bytes body unless ``chunked`` (then the body goes
    out with ``Transfer-Encoding: chunked``) or ``content_length=False``. ``raw`` replaces all of it: a
    callable that writes the whole answer itself.
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | Iterable[bytes] = b""
    reason: str | None = None
    chunk_size: int = 65_536
    chunk_delay: float = 0.0
    chunked: bool = False
    content_length: bool = True
    raw: Callable[[Out], None] | None = None

    def pieces(self) -> Iterator[bytes]:
        if isinstance(self.body, bytes):
            for start in range(0, len(self.body), self.chunk_size):
                yield self.body[start : start + self.chunk_size]
        else:
            yield from self.body

    def write(self, out: Out) -> None:
        if self.raw is not None:
            self.raw(out)
            return
        reason = self.reason if self.reason is not None else _reason(self.status)
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        names = {name.lower() for name, _ in self.headers}
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        elif self.content_length and isinstance(self.body, bytes) and "content-length" not in names:
            lines.append(f"Content-Length: {len(self.body)}")
        lines.append("Connection: close")
        out.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for piece in self.pieces():
            out.pause(self.chunk_delay)
            if not piece:
                continue
            out.send(b"%x\r\n%s\r\n" % (len(piece), piece) if self.chunked else piece)
        if self.chunked:
            out.send(b"0\r\n\r\n")


Answer = Union[Reply, Callable[[Received], Reply]]  # noqa: UP007 - a runtime alias


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Whatever"


class _Route:
    def __init__(self, answers: Answer | list[Answer]) -> None:
        self._answers = list(answers) if isinstance(answers, list) else [answers]
        self._next = 0
        self._lock = threading.Lock()

    def reply(self, request: Received) -> Reply:
        with self._lock:
            answer = self._answers[min(self._next, len(self._answers) - 1)]
            self._next += 1
        return answer(request) if callable(answer) else answer


class HostileServer:
    """An HTTP/1.1 server on ``host`` (a free port unless ``port`` is given), in daemon threads.

    ``requests`` lists every request read; ``connections`` counts every connection accepted (a client that
    connects and sends nothing counts there only). ``issued_tokens`` collects what token endpoints served.
    """

    def __init__(self, name: str = "hostile", *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name = name
        self.requests: list[Received] = []
        self.connections = 0
        self.issued_tokens: list[str] = []
        self.errors: list[str] = []
        self.default: Answer = lambda request: json_reply({"error": {"code": "notFound", "message": request.path}}, 404)
        self._routes: dict[tuple[str, str], _Route] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._sock = socket.create_server((host, port), backlog=64)
        self._sock.settimeout(0.2)
        self.host, self.port = self._sock.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept_loop, name=f"{name}-accept", daemon=True)
        self._thread.start()

    # --- what a test reads ----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def netloc(self) -> str:
        return f"{self.host}:{self.port}"

    def received(self, method: str | None = None, path: str | None = None) -> list[Received]:
        """Requests received, optionally only those with that method and path (query ignored)."""
        with self._lock:
            found = list(self.requests)
        return [r for r in found if (method is None or r.method == method) and (path is None or r.path == path)]

    def lines(self) -> list[str]:
        """``"METHOD target"`` of every request, in order."""
        return [r.line for r in self.received()]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.received(method, path))

    def targets(self, method: str = "GET") -> list[str]:
        return [r.target for r in self.received(method)]

    # --- what a test programs -------------------------------------------------------------------------
    def route(self, target: str, answer: Answer | list[Answer], *, method: str | None = None) -> None:
        """Answer requests to ``target`` (a path, or a path with its query string) with ``answer``."""
        key = ((method or "*").upper(), target)
        self._routes.pop(key, None)
        self._routes[key] = _Route(answer)  # last registered is last in the dict: it wins below

    def _reply(self, request: Received) -> Reply:
        """The route of the exact target (path and query) if any, else of the path; among the routes of that
        target, the one registered last wins (so a test overrides a fixture's route, whatever its method)."""
        for target in (request.target, request.path):
            matching = [
                route
                for (method, key), route in self._routes.items()
                if key == target and method in (request.method, "*")
            ]
            if matching:
                return matching[-1].reply(request)
        default = self.default
        return default(request) if callable(default) else default

    # --- the server -----------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):  # wakes the accept() at once instead of at its next timeout
            self._sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)
        self._sock.close()
        with self._lock:
            still_open = list(self._open)
        for conn in still_open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), name=f"{self.name}-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(READ_TIMEOUT)
            request = _read_request(conn)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            try:
                reply = self._reply(request)
            except Exception as exc:  # a test's handler failed: answer 599 and keep the reason
                self.errors.append(f"{request.line}: {type(exc).__name__}: {exc}")
                reply = json_reply({"error": {"code": "handlerFailed", "message": type(exc).__name__}}, 599)
            reply.write(Out(conn, self._stopping))
        except (Stopped, OSError):
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_WR)
            conn.close()


def _read_request(conn: socket.socket) -> Received | None:
    """One HTTP/1.1 request (``Content-Length`` or chunked body); ``None`` when the client sent nothing."""
    reader = conn.makefile("rb")
    raw = bytearray()
    line = reader.readline(MAX_HEAD_LINE)
    while line in (b"\r\n", b"\n"):
        line = reader.readline(MAX_HEAD_LINE)
    if not line:
        return None
    raw += line
    method, target, *_ = [*line.decode("latin-1").split(" "), "", ""]
    headers: list[tuple[str, str]] = []
    while True:
        line = reader.readline(MAX_HEAD_LINE)
        raw += line
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.decode("latin-1").partition(":")
        headers.append((name.strip(), value.strip()))
    lowered = {name.lower(): value for name, value in headers}
    if lowered.get("expect", "").lower() == "100-continue":
        conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    body = bytearray()
    if "chunked" in lowered.get("transfer-encoding", "").lower():
        while True:
            size_line = reader.readline(MAX_HEAD_LINE)
            raw += size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (trailer := reader.readline(MAX_HEAD_LINE)) not in (b"\r\n", b"\n", b""):
                    raw += trailer
                break
            piece = reader.read(size + 2)
            raw += piece
            body += piece[:size]
    elif lowered.get("content-length"):
        piece = reader.read(int(lowered["content-length"]))
        raw += piece
        body += piece
    return Received(
        method=method.upper(), target=target.strip(), headers=tuple(headers), body=bytes(body), raw=bytes(raw)
    )


# --- answers -------------------------------------------------------------------------------------------
def json_reply(
    document: Any, status: int = 200, *, headers: Iterable[tuple[str, str]] = (), content_type: str = "application/json"
) -> Reply:
    return Reply(status, [("Content-Type", content_type), *headers], json.dumps(document).encode())


def redirect(location: str, status: int = 302) -> Reply:
    """A redirect with exactly this ``Location`` (and a small JSON body, as some servers send)."""
    return Reply(status, [("Location", location), ("Content-Type", "application/json")], b"{}")


def trickle_body(*, every: float = 0.5, size: int = 400, content_type: str = "application/json") -> Reply:
    """Headers at once (with a ``Content-Length`` of ``size``), then one body byte every ``every`` seconds."""
    body = b"[" + b" " * (size - 2) + b"]"
    return Reply(200, [("Content-Type", content_type)], body, chunk_size=1, chunk_delay=every)


def trickle_head(*, every: float = 0.5, size: int = 400, content_type: str = "application/json") -> Reply:
    """The status line and headers themselves, one byte every ``every`` seconds (then the body, likewise)."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    everything = head.encode() + b"[" + b" " * (size - 2) + b"]"

    def write(out: Out) -> None:
        for byte in everything:
            out.pause(every)
            out.send(bytes([byte]))

    return Reply(raw=write)


def large_json_array(megabytes: float, *, row: dict[str, Any] | None = None) -> bytes:
    """A JSON array of padded rows, about ``megabytes`` long."""
    sample = dict(row or {"_id": "0" * 24, "mail": "big@example.com"})
    sample["pad"] = "x" * 1000
    item = json.dumps(sample).encode()
    count = max(1, int(megabytes * 1024 * 1024) // (len(item) + 1))
    return b"[" + b",".join([item] * count) + b"]"


def large_reply(megabytes: float = 3, *, chunked: bool = False, body: bytes | None = None) -> Reply:
    """A plain (uncompressed) JSON answer of about ``megabytes``; with ``chunked`` its length is not announced."""
    return Reply(200, [("Content-Type", "application/json")], body or large_json_array(megabytes), chunked=chunked)


@functools.cache
def compressed_zeros(megabytes: int = 200, encoding: str = "gzip") -> bytes:
    """``megabytes`` MB of zero bytes, compressed once per process (gzip: about 200 KB for 200 MB)."""
    wbits = {"gzip": 31, "deflate": 15}[encoding]
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = bytes(1024 * 1024)
    parts = [compressor.compress(block) for _ in range(megabytes)]
    parts.append(compressor.flush())
    return b"".join(parts)


def bomb_reply(megabytes: int = 200, *, encoding: str = "gzip", content_type: str = "application/json") -> Reply:
    """A compression bomb: ``Content-Encoding: gzip`` (or ``deflate``) whose body inflates to ``megabytes`` MB."""
    body = compressed_zeros(megabytes, encoding)
    return Reply(200, [("Content-Type", content_type), ("Content-Encoding", encoding)], body, chunk_size=16_384)


def echo_credentials_error(status: int, secret: str, *, shape: str = "360", code_length: int = 0) -> Answer:
    """An error answer that copies the request's credential (and the client secret) into its fields.

    ``shape``: ``"360"`` ``{"error": {"code", "message"}}``, ``"edx"`` ``{"error", "error_description",
    "detail"}``, ``"scim"`` (an RFC 7644 error). ``code_length`` pads the echoed code to that many characters.
    """

    def answer(request: Received) -> Reply:
        token = request.credential or "no-credential-sent"
        code = token if not code_length else (token + "-" + "c" * code_length)[:code_length]
        message = f"bad token {token} and secret {secret} (Authorization: {request.authorization})"
        if shape == "edx":
            document: Any = {"error": code, "error_description": message, "detail": message}
        elif shape == "scim":
            document = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": str(status),
                "scimType": code,
                "detail": message,
            }
            return json_reply(document, status, content_type="application/scim+json")
        else:
            document = {"error": {"code": code, "message": message}}
        return json_reply(document, status)

    return answer


# --- token endpoints -----------------------------------------------------------------------------------
def new_token(server: HostileServer, prefix: str) -> str:
    token = f"{prefix}-{secrets.token_hex(16)}"
    server.issued_tokens.append(token)
    return token


def oauth_360(server: HostileServer) -> Answer:
    """360Learning's ``POST /api/v2/oauth2/token``: a random bearer token for an hour."""

    def answer(request: Received) -> Reply:
        token = new_token(server, "hostile360")
        return json_reply({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    return answer


def oauth_edx(server: HostileServer) -> Answer:
    """edX's ``POST /oauth2/v1/access_token`` (form body): a JWT (HS256, any key), ``token_type: "jwt"``."""
    import jwt

    def answer(request: Received) -> Reply:
        claims = {"exp": int(time.time()) + 3600, "iat": int(time.time()), "jti": secrets.token_hex(8), "roles": []}
        token = jwt.encode(claims, "hostile-signing-key-of-at-least-32-bytes", algorithm="HS256")
        server.issued_tokens.append(token)
        return json_reply({"access_token": token, "expires_in": 3600, "token_type": "jwt", "scope": "read write"})

    return answer


# --- a service under test: its connection, credentials and what may be sent where -----------------------
HOSTILE_EXTRAS: dict[str, Any] = {
    "timeout": 5,
    "total_timeout": 10,
    "max_retries": 0,
    "max_retry_wait": 5,
    "backoff_initial": 0.01,
    "backoff_max": 0.05,
    "requests_per_second": 0,
    "writes_per_second": 0,
    "rate_limit_backend": "memory",
}
"""Extras of every hostile test's connection: fast, no retries, no shared rate-limit budget."""


@dataclass
class Service:
    """One hook's connection pointing at a hostile server: ``connect()`` (re)writes the ``AIRFLOW_CONN_*``
    variable; ``credentials()`` is everything that must never leave the origin or show in a message."""

    name: str
    server: HostileServer
    setenv: Callable[[str, str], None]
    env: str
    conn_type: str
    client_id: str | None
    secret: str
    token_path: str | None
    """Where the client secret may go (``None``: a static token, the connection's password)."""
    base_path: str = ""
    static_token: str | None = None

    @property
    def url(self) -> str:
        """The base URL the connection names (``host``)."""
        return self.server.url + self.base_path

    @property
    def tokens(self) -> list[str]:
        return [self.static_token] if self.static_token else list(self.server.issued_tokens)

    def credentials(self) -> set[str]:
        return {self.secret, *self.tokens}

    def connect(self, *, host: str | None = None, **extra: Any) -> None:
        """Point the hook's default connection at ``host`` (default: this server), with the hostile extras
        changed by ``extra`` (a value of ``None`` removes that key)."""
        merged = {**HOSTILE_EXTRAS, **extra}
        document: dict[str, Any] = {
            "conn_type": self.conn_type,
            "host": host if host is not None else self.url,
            "password": self.secret if self.static_token is None else self.static_token,
            "extra": {key: value for key, value in merged.items() if value is not None},
        }
        if self.client_id is not None:
            document["login"] = self.client_id
        self.setenv(self.env, json.dumps(document))


def short(secret: str) -> str:
    return f"{secret[:8]}..."


def _request_text(request: Received) -> str:
    from urllib.parse import unquote_plus

    text = request.raw.decode("latin-1")
    return text + "\n" + unquote_plus(text)


def assert_untouched(server: HostileServer) -> None:
    """Nothing at all reached ``server``: no connection opened, no request read."""
    assert server.requests == [] and server.connections == 0, (
        f"{server.name} ({server.url}) must receive nothing, got {server.connections} connection(s) and "
        f"requests {server.lines()}"
    )


def assert_no_secret(server: HostileServer, secret: str, tokens: Iterable[str] = ()) -> None:
    """No request ``server`` received carries the secret or any token (anywhere: line, headers, body)."""
    found = []
    for request in server.received():
        text = _request_text(request)
        found.extend(f"{request.line}: {short(value)}" for value in (secret, *tokens) if value and value in text)
    assert not found, f"{server.name} ({server.url}) received credentials: {found}"


def assert_credentials_only_where_due(service: Service) -> None:
    """The secret only in requests to the token endpoint; a token only in an ``Authorization`` header (a static
    token, such as SCIM's, is the secret: it may only be in ``Authorization``)."""
    problems = []
    for request in service.server.received():
        text = _request_text(request)
        if service.static_token is not None:
            pass  # the secret is the token itself: checked as a token below
        elif service.secret in text and not (request.method == "POST" and request.path == service.token_path):
            problems.append(f"client secret in {request.line}")
        for token in service.tokens:
            outside = text.replace(request.authorization or "\0", "")
            if token in outside:
                problems.append(f"token {short(token)} outside Authorization in {request.line}")
    assert not problems, problems


def exception_texts(exc: BaseException) -> str:
    """Everything a user or a log can see of ``exc``: the formatted chain (causes, notes), ``repr``,
    ``args`` and every attribute value, along the chain as it is shown (a context suppressed by
    ``raise ... from None`` is not followed, as ``traceback``, logging and error trackers do not)."""
    import traceback

    texts = ["".join(traceback.format_exception(exc))]
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts.append(repr(current))
        texts.extend(repr(arg) for arg in current.args)
        texts.extend(f"{name}={value!r}" for name, value in vars(current).items())
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n".join(texts)


def leaks(text: str, credentials: Iterable[str]) -> list[str]:
    """Which credentials appear in ``text`` (shortened, so the report leaks nothing)."""
    return sorted(short(value) for value in credentials if value and value in text)


def assert_exception_clean(exc: BaseException, credentials: Iterable[str]) -> None:
    found = leaks(exception_texts(exc), credentials)
    assert not found, f"{type(exc).__name__} shows credentials: {found}"


def page_360(rows: list[dict[str, Any]], next_url: str | None = None, *, raw_link: str | None = None) -> Reply:
    """A 360Learning list page: a JSON array, with ``Link: <next_url>; rel="next"`` (or ``raw_link`` verbatim)."""
    headers = []
    if raw_link is not None:
        headers.append(("Link", raw_link))
    elif next_url is not None:
        headers.append(("Link", f'<{next_url}>; rel="next"'))
    return json_reply(rows, headers=headers)


def page_edx(results: list[Any], next_url: Any = None, *, count: int | None = None) -> Reply:
    """An edX gateway page ``{count, next, previous, results}``."""
    return json_reply(
        {"count": len(results) if count is None else count, "next": next_url, "previous": None, "results": results}
    )


def scim_list(resources: list[dict[str, Any]], *, total: int | None = None, start: int = 1) -> Reply:
    """An RFC 7644 ``ListResponse``."""
    document = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(resources) if total is None else total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
    return json_reply(document, content_type="application/scim+json")


def scim_user(n: int) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": f"user-{n}",
        "userName": f"user{n}@example.com",
        "emails": [{"value": f"user{n}@example.com", "primary": True}],
        "active": True,
        "meta": {"resourceType": "User"},
    }
