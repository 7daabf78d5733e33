"""A fake platform server on 127.0.0.1, shipped beside the real clients (CONVENTIONS.md 7).

Tests and demos point a connector's ``base_url`` at it. Routes map (method, path) to a queue of replies (the
last one repeats) or to a handler; every request is recorded so tests can assert what the connector sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[Seen], Reply]


class FakeServer:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], deque[Reply] | Handler] = {}
        self.sticky: dict[tuple[str, str], Reply] = {}
        self.requests: list[Seen] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the recorded requests are the log

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                server.requests.append(seen)
                reply = server._reply_for(seen)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.encoded()
                try:
                    self.send_response(reply.status)
                    if reply.status != 304:
                        self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(0 if reply.status == 304 else len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.status != 304:
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    return

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def add(self, method: str, path: str, *replies: Reply) -> None:
        """Replies are served in order; the last one repeats."""
        queue = self.routes.get((method, path))
        if not isinstance(queue, deque):
            queue = deque()
            self.routes[(method, path)] = queue
        queue.extend(replies)

    def handle(self, method: str, path: str, handler: Handler) -> None:
        self.routes[(method, path)] = handler

    def _reply_for(self, seen: Seen) -> Reply:
        route = self.routes.get((seen.method, seen.path))
        if route is None:
            return Reply(404, {"error": f"no fake route for {seen.method} {seen.path}"})
        if callable(route):
            return route(seen)
        if len(route) > 1:
            return route.popleft()
        if route:
            return route[0]
        return Reply(500, {"error": "empty route"})

    def seen(self, path: str) -> list[Seen]:
        return [request for request in self.requests if request.path == path]


class FakeWebSocketServer:
    """A WebSocket server on 127.0.0.1 that sends the given text frames to each client, then closes.

    ``paths`` records the request path (with query) of each connection.
    """

    def __init__(self, frames: list[str]) -> None:
        from websockets.sync.server import ServerConnection, serve

        self.frames = frames
        self.paths: list[str] = []

        def handler(connection: ServerConnection) -> None:
            request = connection.request
            self.paths.append(request.path if request is not None else "")
            for frame in self.frames:
                connection.send(frame)
            connection.close()

        self.server = serve(handler, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        port = self.server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    def start(self) -> FakeWebSocketServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
