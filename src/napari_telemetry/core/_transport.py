"""The network seam: a one-method transport. The only module that imports ``requests``.

Certificates are verified as ``_trust`` chooses (an explicit bundle, the system's store, or
certifi); proxies come from ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (``trust_env``). A
request that gets no answer raises :class:`TransportError` whose ``kind`` says what went wrong
in a way a user can act on (a certificate this computer does not trust, a proxy that failed).
"""

from __future__ import annotations

import email.utils
import functools
import os
import re
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from . import _trust
from ._deadline import Deadline, watch_pools
from ._state import state

if TYPE_CHECKING:
    import requests  # with requests: only when a request is made

MAX_ANSWER = 65_536  # a collector's answer is small; never read more
MAX_DOWNLOAD = 50_000_000  # the public plugin index


@dataclass(frozen=True)
class Response:
    """What the uploader needs from an answer: status, Retry-After in seconds, body."""

    status: int
    retry_after: float | None = None
    body: bytes = b""


class TransportError(Exception):
    """The request did not get an HTTP answer (refused, timed out, TLS, DNS...).

    ``kind``: ``certificate`` (the server's certificate is not trusted here), ``tls`` (another
    TLS failure), ``proxy`` (the proxy refused or failed), ``timeout`` or ``connection``.
    """

    def __init__(self, message: str, kind: str = "connection") -> None:
        super().__init__(message)
        self.kind = kind


# What went wrong, in a user's words, by the lowest-level error in the chain (first match).
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "its name could not be looked up (no network, or a DNS problem)"),
    (ConnectionRefusedError, "nothing answers at that address (connection refused)"),
    (ssl.SSLCertVerificationError, "its certificate could not be verified"),
    (ssl.SSLError, "the secure connection failed"),
    (ConnectionResetError, "the connection was cut off"),
    (ConnectionAbortedError, "the connection was cut off"),
    (TimeoutError, "it did not answer in time"),
)
_NOT_HTTP = {"BadStatusLine", "LineTooLong", "ProtocolError", "InvalidChunkLength"}


def plain_reason(error: BaseException) -> str:
    """Why a request got no answer, in plain words, from the causes of *error*."""
    chain: list[BaseException] = []
    seen: BaseException | None = error
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for kind, words in _REASONS:
        if any(isinstance(e, kind) for e in chain):
            return words
    names = {type(e).__name__ for e in chain}
    if names & _NOT_HTTP:
        return "what came back was not an answer a collector gives (not HTTP)"
    if any("Proxy" in name for name in names):
        return "the proxy refused the connection"
    return f"the network connection failed ({type(error).__name__})"


class Transport(Protocol):
    """Posts (or gets) one body; raises TransportError when no HTTP answer came back."""

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Response:
        """POST *body*; the whole request ends within *timeout* seconds."""
        ...

    def get(
        self, url: str, headers: Mapping[str, str], timeout: float, limit: int = ...
    ) -> Response:
        """GET *url* (at most *limit* bytes of body); ends within *timeout* seconds."""
        ...


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
    """The real transport: ``requests`` without retries (the uploader owns backoff).

    *timeout* is a whole-request deadline (connection, TLS, sending, headers and body), not a
    per-read one: a server that drips bytes is cut off when it passes (see ``_deadline``). Each
    request gets its own session, so every connection is opened, and watched, by that request.
    """

    def __init__(self) -> None:
        import requests  # imported here so that napari's start-up never pays for it
        import urllib3  # with requests: only when a request is made

        self._requests = requests
        self._errors = (requests.RequestException, urllib3.exceptions.HTTPError, OSError)

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> Response:
        """POST *body*; TransportError for anything that is not a whole HTTP answer in time."""
        return self._send("POST", url, body, headers, timeout, MAX_ANSWER)

    def get(
        self, url: str, headers: Mapping[str, str], timeout: float, limit: int = MAX_DOWNLOAD
    ) -> Response:
        """GET *url* (at most *limit* bytes); TransportError as for post."""
        return self._send("GET", url, None, headers, timeout, limit)

    def _session(self, trust: _trust.Trust) -> requests.Session:
        from urllib3.util.retry import Retry  # with requests: only when a request is made

        session = self._requests.Session()
        session.trust_env = True  # honour HTTPS_PROXY/NO_PROXY
        context = _trust.system_context() if trust.source == "system" else None
        adapter = _adapter_class()(
            max_retries=Retry(total=0, raise_on_status=False), ssl_context=context
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float,
        limit: int,
    ) -> Response:
        trust = _trust.choose()
        via = self._proxy_words(url)
        with Deadline(timeout) as deadline, self._session(trust) as session:
            try:
                r = session.request(
                    method,
                    url,
                    data=body,
                    headers=dict(headers),
                    timeout=(timeout, timeout),
                    allow_redirects=method == "GET",
                    stream=True,
                    verify=trust.verify,
                )
                with r:
                    content = r.raw.read(limit, decode_content=True) or b""
            except self._errors as e:
                if deadline.expired or isinstance(e, self._requests.Timeout):
                    raise _late(timeout, via) from e
                raise describe(e, via, trust) from e
            if deadline.expired:  # what arrived may be cut short: it is not an answer
                raise _late(timeout, via)
        return Response(r.status_code, parse_retry_after(r.headers.get("Retry-After")), content)

    def _proxy_words(self, url: str) -> str:
        """`` through the proxy set by HTTPS_PROXY`` when one applies to *url*, else ``""``."""
        proxies = self._requests.utils.get_environ_proxies(url)
        scheme = url.split(":", 1)[0].lower()
        if not (proxies.get(scheme) or proxies.get("all")):
            return ""
        names = [n for n in (f"{scheme}_proxy", "all_proxy") if _env(n)]
        return f" through the proxy set by {names[0].upper() if names else 'the environment'}"


def _env(name: str) -> str:
    return os.environ.get(name) or os.environ.get(name.upper()) or ""


def _late(timeout: float, via: str = "") -> TransportError:
    return TransportError(f"no complete answer{via} within the {timeout:g} s deadline", "timeout")


def describe(error: BaseException, via: str, trust: _trust.Trust) -> TransportError:
    """A :class:`TransportError` that says what went wrong, in words a user can act on.

    Never names a host or an address (these words are kept in the uploader's state).
    """
    found = _cause(error, ssl.SSLCertVerificationError)
    if isinstance(found, ssl.SSLCertVerificationError):
        why = _QUOTED.sub("…", found.verify_message or found.reason or "verification failed")
        return TransportError(
            f"the collector's certificate is not trusted by this computer ({why}; "
            f"verified with {trust.words()}); if your network inspects HTTPS, its CA must be "
            "in the system's trust store, REQUESTS_CA_BUNDLE or the site policy's ca_bundle "
            "(`napari-telemetry check` tests the connection)",
            "certificate",
        )
    name = type(error).__name__
    if name == "ProxyError" or (via and _cause(error, ConnectionRefusedError)):
        return TransportError(f"no answer{via or ' through a proxy'}: the proxy failed", "proxy")
    if isinstance(_cause(error, ssl.SSLError), ssl.SSLError):
        return TransportError(f"the secure connection failed{via} (TLS)", "tls")
    reason = plain_reason(error)
    return TransportError(f"{reason} ({via.strip()})" if via else reason)


_QUOTED = re.compile(r"'[^']*'")


def _cause(error: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of *kind* in *error*'s causes, contexts and arguments."""
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, kind):
            return item
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None), *item.args]
    return None


@functools.cache
def _adapter_class() -> type[Any]:
    from requests.adapters import HTTPAdapter  # with requests: only when a request is made

    class WatchedAdapter(HTTPAdapter):
        """An adapter whose connections (direct or through a proxy) obey the Deadline, and
        verify with *ssl_context* (the system's store) when one is given, as pip does."""

        def __init__(self, *, ssl_context: Any = None, **kwargs: Any) -> None:
            self._context = ssl_context  # read by init_poolmanager, inside super().__init__
            super().__init__(**kwargs)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            if self._context is not None:
                kwargs.setdefault("ssl_context", self._context)
            super().init_poolmanager(*args, **kwargs)
            watch_pools(self.poolmanager)

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            known = proxy in self.proxy_manager
            if self._context is not None:
                kwargs.setdefault("ssl_context", self._context)
            manager = super().proxy_manager_for(proxy, **kwargs)
            return manager if known else watch_pools(manager)

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)  # type: ignore[no-untyped-call]
            if self._context is not None and verify is True:  # the store only, not certifi too
                conn.ca_certs = conn.ca_cert_dir = None

    return WatchedAdapter


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

    def get(
        self, url: str, headers: Mapping[str, str], timeout: float, limit: int = MAX_DOWNLOAD
    ) -> Response:
        """Like post, with an empty body."""
        return self.post(url, b"", headers, timeout)


def get_transport() -> Transport:
    """The process-wide real transport."""
    if state.transport is None:
        state.transport = RequestsTransport()
    return state.transport
