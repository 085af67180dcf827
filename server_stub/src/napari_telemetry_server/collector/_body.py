"""Reading a request body within limits: JSON only, optional gzip, inflated size bounded."""

from __future__ import annotations

import zlib

from starlette.requests import ClientDisconnect, Request


class BodyError(Exception):
    """A body the collector refuses; ``status`` is the HTTP answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class _Inflater:
    """Gzip inflater that stops as soon as the output would pass *limit* bytes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._z = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> bytes:
        try:
            out = self._z.decompress(data, self._limit + 1 - self._size)
        except zlib.error as e:
            raise BodyError(400, f"body is not valid gzip: {e}") from e
        self._size += len(out)
        if self._size > self._limit:
            raise BodyError(413, f"inflated body is larger than {self._limit} bytes")
        return out

    def finish(self) -> None:
        if not self._z.eof:
            raise BodyError(400, "gzip body is truncated")
        if self._z.unused_data:
            raise BodyError(400, "unexpected data after the gzip stream")


def _check_content_type(value: str | None) -> None:
    media, _, params = (value or "").partition(";")
    if media.strip().lower() != "application/json":
        raise BodyError(415, f"content type must be application/json, got {value!r}")
    charset = params.strip().lower().removeprefix("charset=").strip('"')
    if params.strip() and charset not in ("utf-8", "utf8"):
        raise BodyError(415, f"JSON must be UTF-8, got {params.strip()!r}")


async def read_json_body(request: Request, limit: int) -> bytes:
    """The (inflated) body, at most *limit* bytes raw and inflated; BodyError otherwise."""
    _check_content_type(request.headers.get("content-type"))
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise BodyError(415, f"content encoding must be gzip or identity, got {encoding!r}")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyError(413, f"body is larger than {limit} bytes")
    inflater = _Inflater(limit) if encoding == "gzip" else None
    received = 0
    parts: list[bytes] = []
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise BodyError(413, f"body is larger than {limit} bytes")
            parts.append(inflater.feed(chunk) if inflater else chunk)
    except ClientDisconnect as e:  # nobody is left to answer; nothing was stored
        raise BodyError(400, "client disconnected before the body was complete") from e
    if inflater:
        inflater.finish()
    return b"".join(parts)
