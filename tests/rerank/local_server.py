"""Tiny HTTP servers on 127.0.0.1 for exercising the HTTP backend's success and failure paths."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# handler(method, path, headers, body) -> one of
#   (status, content_type, body bytes)
#   (status, content_type, body bytes, {extra header: value})
#   a callable(wfile) that writes the raw response itself (status line included)
Answer = tuple | Callable
Handler = Callable[[str, str, dict, bytes], Answer]


def free_port() -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """`with LocalServer(handler) as server:` serves on `server.url`; `server.requests` logs
    calls and `server.times` their arrival (time.monotonic()).

    At exit `release` is set (stalling handlers wait on it), the server stops and every handler
    thread is joined, so nothing outlives the `with` block. With `tls` (a server-side
    `ssl.SSLContext`) it serves https.
    """

    def __init__(self, handler: Handler, port: int = 0, tls: ssl.SSLContext | None = None):
        self.handler = handler
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.times: list[float] = []
        self.release = threading.Event()  # stalling handlers wait on this; set at exit
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            timeout = 10  # a handler blocked on a silent client gives up after this

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.command, self.path, headers, body))
                outer.times.append(time.monotonic())
                try:
                    answer = outer.handler(self.command, self.path, headers, body)
                    if callable(answer):
                        answer(self.wfile)
                        return
                    status, ctype, payload, *extra = answer
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in (extra[0] if extra else {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.daemon_threads = False  # with block_on_close, server_close() joins them
        self._server.block_on_close = True
        if tls is not None:  # the handshake runs in accept(); a client that refuses it is dropped there
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"{'https' if tls is not None else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()  # joins the handler threads
        self._thread.join(timeout=5)


def json_answer(data, status: int = 200, headers: dict | None = None) -> tuple:
    return status, "application/json", json.dumps(data).encode(), headers or {}


def raw_json(text: str, status: int = 200) -> tuple:
    """An answer whose body is `text` as is (e.g. `NaN`, which json.dumps would not write)."""
    return status, "application/json", text.encode()


def trickle(head: bytes, body: bytes, every: float, release: threading.Event) -> Callable:
    """A raw answer: `head` at once, then `body` one byte every `every` seconds (until
    `release` is set; the loop is bounded by the body's length)."""

    def write(wfile) -> None:
        wfile.write(head)
        for byte in body:
            if release.wait(every):
                return
            wfile.write(bytes([byte]))

    return write


class InFlight:
    """Counts a server's requests in flight: `enter()`/`leave()` around a handler's work;
    `most` is the largest number seen at once."""

    def __init__(self):
        self._lock = threading.Lock()
        self.now = 0
        self.most = 0

    def __enter__(self):
        with self._lock:
            self.now += 1
            self.most = max(self.most, self.now)
        return self

    def __exit__(self, *exc):
        with self._lock:
            self.now -= 1
