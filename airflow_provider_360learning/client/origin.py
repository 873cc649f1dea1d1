"""Origins (scheme, host, port): a credential only ever goes to the connection's origin.

Scheme and host compare case-insensitively and a default port equals an absent one, so
``HTTPS://App.360learning.com:443/x`` and ``https://app.360learning.com/y`` are the same origin, while
``http://`` (a downgrade) or another port is another.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @classmethod
    def of(cls, url: str) -> Origin:
        """The origin of an absolute ``http``/``https`` URL; ``ValueError`` for anything else."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValueError(f"not an absolute http(s) URL: {url[:200]!r}")
        port = parts.port  # ValueError for a malformed port
        return cls(scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme])

    def __str__(self) -> str:
        default = DEFAULT_PORTS[self.scheme] == self.port
        return f"{self.scheme}://{self.host}" + ("" if default else f":{self.port}")


def host_of(url: str) -> str:
    """The host (and port) a URL names, for messages: never its path or query, which may carry tokens."""
    try:
        parts = urlsplit(url.strip())
        return (parts.hostname or "?") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "?"


def resolve(base: str, reference: str) -> str:
    """An absolute URL for ``reference`` (a ``Link``, ``next`` or ``Location`` value) read on page ``base``."""
    return urljoin(base, reference.strip())
