"""The network seam: a one-method transport. The only module that imports ``requests``."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import requests

MAX_ANSWER = 65_536  # a collector's answer is small; never read more
MAX_DOWNLOAD = 50_000_000  # the public plugin index


@dataclass(frozen=True)
class Response:
    """What the uploader needs from an answer: status, Retry-After in seconds, body."""

    status: int
    retry_after: float | None = None
    body: bytes = b""


class TransportError(Exception):
    """The request did not get an HTTP answer (refused, timed out, TLS, DNS...)."""


class Transport(Protocol):
    """Posts (or gets) one body; raises TransportError when no HTTP answer came back."""

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> Response: ...

    def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response: ...


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also takes "²", which float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class RequestsTransport:
    """The real transport: one ``requests`` session, no retries (the uploader owns backoff)."""

    def __init__(self) -> None:
        import requests  # imported here so that napari's start-up never pays for it
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        self._requests = requests
        self._session: requests.Session = requests.Session()
        self._session.trust_env = True  # honour HTTPS_PROXY/NO_PROXY and CA settings
        adapter = HTTPAdapter(max_retries=Retry(total=0, raise_on_status=False))
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Response:
        """POST *body*; TransportError for anything that is not an HTTP answer."""
        return self._send("POST", url, body, headers, timeout, MAX_ANSWER)

    def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response:
        """GET *url* (at most MAX_DOWNLOAD bytes); TransportError as for post."""
        return self._send("GET", url, None, headers, timeout, MAX_DOWNLOAD)

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float,
        limit: int,
    ) -> Response:
        try:
            r = self._session.request(
                method,
                url,
                data=body,
                headers=dict(headers),
                timeout=(timeout, timeout),
                allow_redirects=method == "GET",
                stream=True,
            )
            with r:
                content = r.raw.read(limit, decode_content=True) or b""
        except self._requests.RequestException as e:
            raise TransportError(f"{type(e).__name__} while contacting the server") from e
        except OSError as e:
            raise TransportError(f"{type(e).__name__} while contacting the server") from e
        return Response(r.status_code, parse_retry_after(r.headers.get("Retry-After")), content)


@dataclass
class MockTransport:
    """A transport for tests: answers with *handler* and keeps every request it saw."""

    handler: Callable[[str, bytes, Mapping[str, str]], Response]
    requests: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Response:
        """Record the request, then answer (or raise) as *handler* does."""
        if timeout <= 0:
            raise ValueError(f"every request needs a positive timeout, got {timeout!r}")
        self.requests.append((url, body, dict(headers)))
        return self.handler(url, body, headers)

    def get(self, url: str, headers: Mapping[str, str], timeout: float) -> Response:
        """Like post, with an empty body."""
        return self.post(url, b"", headers, timeout)


_default: Transport | None = None


def get_transport() -> Transport:
    """The process-wide real transport."""
    global _default
    if _default is None:
        _default = RequestsTransport()
    return _default
