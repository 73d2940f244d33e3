"""Sans-I/O request flows: a client describes its requests, a driver sends them.

A flow is a generator that yields a ``Request`` and receives the checked answer
(an httpx.Response, or ``Answer`` from the async driver); a failed answer is
thrown into the generator as the PlatformError it means, so the flow handles
errors where the request was made (Deezer's "not found", TIDAL's duplicates).
Its return value is the flow's result. ``Http.run`` (httpx, sync) and
``app.platforms.aio.AsyncHttp.run`` (aiohttp) drive the same flows, so every
platform writes its save requests once.
"""
import json as jsonlib
from dataclasses import dataclass, field

from app.platforms.errors import PlatformError


@dataclass(frozen=True)
class Request:
    method: str
    url: str  # a path under endpoints.api, or an absolute URL
    params: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)
    content: bytes | str | None = None

    def __repr__(self):  # headers carry tokens; Deezer's params too
        return f"Request({self.method} {self.url})"


class Answer:
    """What the async driver read: the parts of httpx.Response the error mapping uses."""

    def __init__(self, status_code, headers, content):
        self.status_code = status_code
        self.headers = headers  # case-insensitive (aiohttp's CIMultiDictProxy)
        self.content = content

    @property
    def is_success(self):
        return 200 <= self.status_code < 300

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        return jsonlib.loads(self.content)


def body_json(answer):
    """The answer's JSON body, None when it is empty."""
    return answer.json() if answer.content else None


def drive(flow, send):
    """Run a flow with a sync ``send(request) -> answer`` that raises PlatformError."""
    try:
        request = next(flow)
        while True:
            try:
                answer = send(request)
            except PlatformError as exc:
                request = flow.throw(exc)
            else:
                request = flow.send(answer)
    except StopIteration as stop:
        return stop.value


async def drive_async(flow, send):
    """The same with ``async send(request)``."""
    try:
        request = next(flow)
        while True:
            try:
                answer = await send(request)
            except PlatformError as exc:
                request = flow.throw(exc)
            else:
                request = flow.send(answer)
    except StopIteration as stop:
        return stop.value
