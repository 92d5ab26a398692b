"""A scripted HTTP server on 127.0.0.1 shared by the fake Anthropic and OpenAI servers.

Each test queues what the server answers, one item per request, and reads back every request it
received (path, headers, raw body). Items are :class:`Reply` objects: a JSON body, a stream of
server-sent events (optionally cut off mid-way), or an error status with headers.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw) if self.raw else None


@dataclass
class Reply:
    """What the server answers to one request.

    ``events``: (event name or None, data) pairs sent as server-sent events; ``drop_after``: close
    the connection abruptly after that many events, mid chunked body.
    """

    status: int = 200
    json_body: Any = None
    events: list[tuple[str | None, str]] | None = None
    drop_after: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (as the SDKs do after a test) is not an error worth printing."""


class ScriptedServer:
    """A threaded HTTP server answering POSTs from a queue of :class:`Reply`."""

    def __init__(self, *, handles: str) -> None:
        self.handles = handles  # the path this server implements, e.g. "/v1/messages"
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def _next_reply(self) -> Reply:
        with self._lock:
            if self.replies:
                return self.replies.popleft()
        return Reply(status=500, json_body={"error": {"type": "api_error", "message": "fake script exhausted"}})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                with server._lock:
                    server.requests.append(
                        Recorded("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, raw)
                    )
                if self.path.split("?")[0] != server.handles:
                    self._send_json(404, {"error": {"type": "not_found_error", "message": self.path}}, {})
                    return
                reply = server._next_reply()
                if reply.events is None:
                    self._send_json(reply.status, reply.json_body, reply.headers)
                else:
                    self._send_events(reply)

            def _send_json(self, status: int, body: Any, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _send_events(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                for i, (name, data) in enumerate(reply.events or []):
                    if reply.drop_after is not None and i >= reply.drop_after:
                        self.wfile.flush()
                        self.close_connection = True
                        return  # no terminating chunk: the client sees a broken body
                    text = (f"event: {name}\n" if name else "") + f"data: {data}\n\n"
                    chunk = text.encode()
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        return Handler
