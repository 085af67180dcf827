"""uvicorn's HTTP/1.1 protocol (h11) with a whole-request deadline and a 400 that never raises."""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

REQUEST_SECONDS = 10.0


class DeadlineProtocol(H11Protocol):
    """Drops a connection whose request has not arrived in full within ``request_seconds``.

    uvicorn closes idle keep-alive connections but waits for ever for a request that arrives
    slowly: a few hundred connections that never finish their headers hold every slot of
    ``limit_concurrency``, and every other request, health checks included, is answered 503.
    The clock starts at a request's first byte (or the connection, for the first request) and
    stops when the request is complete; the app's own time does not count.
    """

    request_seconds = REQUEST_SECONDS
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clock()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        # A protocol error after the app has answered (a bad chunk after an early 415 or 413)
        # made uvicorn send a second response, which h11 refuses: a 40-line traceback in the
        # log for every such request. The client already has its answer; just hang up.
        if self.conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            super().send_400_response(msg)
        else:
            self.transport.close()

    def _follow(self) -> None:
        arriving = self.conn.their_state in (h11.IDLE, h11.SEND_BODY)
        if not arriving or self.transport.is_closing():
            self._stop_clock()
        elif self._deadline is None:
            self._deadline = self.loop.call_later(self.request_seconds, self._too_slow)

    def _stop_clock(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state in (h11.IDLE, h11.SEND_BODY):
            self.transport.close()


def deadline_protocol(request_seconds: float) -> type[DeadlineProtocol]:
    """The protocol class for uvicorn's ``http`` option, with *request_seconds* as deadline."""
    return type("DeadlineProtocol", (DeadlineProtocol,), {"request_seconds": request_seconds})
