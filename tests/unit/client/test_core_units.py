"""The client core's pieces on their own: origins, extras, masking, bounded decompression, progress logs."""

from __future__ import annotations

import gzip
import logging
import time
import zlib
from types import SimpleNamespace
from typing import Any

import pytest

from airflow_provider_360learning.client.fields import (
    COMMON_FIELDS,
    EDX_FIELDS,
    SCIM_FIELDS,
    THREE_SIXTY_LEARNING_FIELDS,
)
from airflow_provider_360learning.client.origin import Origin
from airflow_provider_360learning.client.pagination import PROGRESS_EVERY_PAGES, Progress
from airflow_provider_360learning.client.redaction import MASK, Redactor
from airflow_provider_360learning.client.retry import retry_after_seconds
from airflow_provider_360learning.client.services import three_sixty_learning_settings
from airflow_provider_360learning.client.transport import BodyTooLarge, UnsupportedEncoding, _Decoder
from airflow_provider_360learning.exceptions import ThreeSixtyLearningConnectionConfigError


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("https://app.360learning.com", "HTTPS://App.360Learning.com/api/v2/users?x=1", True),
        ("https://app.360learning.com", "https://app.360learning.com:443/", True),
        ("http://localhost", "http://localhost:80/x", True),
        ("https://app.360learning.com", "http://app.360learning.com", False),  # downgrade
        ("https://app.360learning.com", "https://app.360learning.com:8443", False),
        ("https://app.360learning.com", "https://app.360learning.com.evil.example", False),
        ("http://127.0.0.1:8360", "http://localhost:8360", False),
    ],
)
def test_origins_compare_scheme_host_and_port(left: str, right: str, same: bool) -> None:
    assert (Origin.of(left) == Origin.of(right)) is same


@pytest.mark.parametrize("url", ["ftp://x", "//host/path", "/relative", "https://", "http://h:notaport/"])
def test_not_an_http_origin(url: str) -> None:
    with pytest.raises(ValueError):
        Origin.of(url)


def _conn(**fields: Any) -> SimpleNamespace:
    values = {
        "conn_id": "c",
        "login": "id",
        "password": "secret-value",
        "host": "http://127.0.0.1:8360",
        "port": None,
        "schema": None,
        "extra_dejson": {},
    }
    return SimpleNamespace(**{**values, **fields})


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"timout": 5}, "'timout'"),
        ({"timeout": 0}, "'timeout'"),
        ({"total_timeout": -1}, "'total_timeout'"),
        ({"max_response_mb": "lots"}, "'max_response_mb'"),
        ({"max_retries": 1.5}, "'max_retries'"),
        ({"requests_per_second": float("nan")}, "'requests_per_second'"),
        ({"requests_per_second": True}, "'requests_per_second'"),
        ({"region": "asia"}, "'region'"),
        ({"rate_limit_key": 12}, "'rate_limit_key'"),
    ],
)
def test_every_bad_extra_is_named(extra: dict[str, Any], named: str) -> None:
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match=named):
        three_sixty_learning_settings(_conn(extra_dejson=extra))


def test_hook_arguments_are_validated_like_extras() -> None:
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="unknown hook argument 'timout'"):
        three_sixty_learning_settings(_conn(), {"timout": 5})
    settings = three_sixty_learning_settings(
        _conn(extra_dejson={"timeout": "30", "total_timeout": 40}), {"max_retries": 2}
    )
    assert (settings.timeout, settings.total_timeout, settings.max_retries) == (30.0, 40.0, 2)
    assert (settings.requests_per_second, settings.writes_per_second) == (50.0, 10.0)  # the documented budgets
    assert settings.max_response_bytes == 64 * 1024 * 1024 and "secret-value" not in repr(settings)


@pytest.mark.parametrize("host", ["http://user:pw@127.0.0.1:8360", "user@app.360learning.com"])
def test_a_host_with_user_information_is_refused(host: str) -> None:
    with pytest.raises(ThreeSixtyLearningConnectionConfigError, match="user information"):
        three_sixty_learning_settings(_conn(host=host))


def test_empty_values_mean_the_default_and_forms_come_from_the_same_table() -> None:
    settings = three_sixty_learning_settings(_conn(extra_dejson={"timeout": "", "rate_limit_backend": None}))
    assert settings.timeout == 60.0 and settings.rate_limit_backend is None
    for table in (THREE_SIXTY_LEARNING_FIELDS, EDX_FIELDS, SCIM_FIELDS):
        common = {f.name for f in COMMON_FIELDS}
        assert common <= {f.name for f in table}
        for field in table:
            form = field.form_field()
            assert form["label"] and form["description"] and form["schema"]["default"] == field.default


def test_redactor_masks_before_it_truncates() -> None:
    token = "tok-" + "a" * 40
    redactor = Redactor("client-secret-1")
    redactor.add(token)
    text = f"bad {token} and client-secret-1 " + "x" * 1000
    cleaned = redactor.clean(text)
    assert cleaned is not None and token not in cleaned and "client-secret-1" not in cleaned
    assert cleaned.count(MASK) == 2 and len(cleaned) < 400
    # a secret cut by the limit leaks no head either: masking comes first
    assert "tok-aaaa" not in (redactor.clean("y" * 295 + token, 300) or "")


def test_decoder_stops_a_gzip_bomb_at_the_cap() -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    decoder = _Decoder("gzip", cap=1024 * 1024)
    with pytest.raises(BodyTooLarge):
        for start in range(0, len(bomb), 4096):
            decoder.feed(bomb[start : start + 4096])
        decoder.finish()
    assert decoder.size <= 1024 * 1024 + 1


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "identity", ""])
def test_decoder_reads_a_body_under_the_cap(encoding: str) -> None:
    body = b'[{"a": 1}]' * 1000
    data = {"gzip": gzip.compress, "deflate": zlib.compress}.get(encoding, lambda b: b)(body)
    decoder = _Decoder(encoding, cap=len(body))
    decoder.feed(data[:7])
    decoder.feed(data[7:])
    assert decoder.finish() == body


def test_decoder_refuses_an_encoding_it_did_not_ask_for() -> None:
    with pytest.raises(UnsupportedEncoding):
        _Decoder("br", cap=10)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    import datetime as dt

    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Thu, 01 Jan 2026 00:00:09 GMT", now) == 9.0
    assert retry_after_seconds("Wed, 31 Dec 2025 23:00:00 GMT", now) == 0.0
    assert retry_after_seconds("later") is None and retry_after_seconds("") is None


def test_progress_logs_every_n_pages_at_info(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.progress")
    progress = Progress(log, "360Learning list_users")
    with caplog.at_level(logging.DEBUG, logger="test.progress"):
        for _ in range(PROGRESS_EVERY_PAGES * 2 + 3):
            progress.add(500, 1000)
        progress.finish()
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(infos) == 3, infos  # two progress lines and the final one
    assert "20 page(s), 10,000 rows" in infos[1] and "rows/s" in infos[1] and "elapsed" in infos[1]
    assert infos[2].startswith("360Learning list_users: done, 23 page(s), 11,500 rows")


def test_iterate_sync_reads_one_item_ahead_and_closes_cleanly_when_stopped_early() -> None:
    import asyncio
    import threading

    from airflow_provider_360learning.client import transport

    started: list[int] = []
    closed = threading.Event()

    async def items() -> Any:
        try:
            for i in range(5):
                started.append(i)
                await asyncio.sleep(0.01)
                yield i
        finally:
            closed.set()

    ahead = transport.iterate_sync(items(), read_ahead=True)
    assert next(ahead) == 0
    deadline = time.monotonic() + 5
    while len(started) < 2 and time.monotonic() < deadline:  # item 1 is read without being asked for
        time.sleep(0.005)
    assert started == [0, 1]
    ahead.close()  # the read in flight ends, then the generator closes
    assert closed.wait(5) and started == [0, 1]

    plain = transport.iterate_sync(items())
    started.clear()
    assert next(plain) == 0
    time.sleep(0.1)
    assert started == [0]  # without read-ahead, nothing is read before it is asked for
    plain.close()
    assert list(transport.iterate_sync(items(), read_ahead=True)) == [0, 1, 2, 3, 4]


def test_iterate_sync_read_ahead_raises_the_error_of_the_item_asked_for() -> None:
    from airflow_provider_360learning.client import transport

    async def failing() -> Any:
        yield 1
        raise RuntimeError("page 2 failed")

    reader = transport.iterate_sync(failing(), read_ahead=True)
    assert next(reader) == 1
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(reader)
