"""Tiny HTTP servers on 127.0.0.1 for exercising the HTTP backend's success and failure paths."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# handler(method, path, headers, body) -> (status, content_type, body bytes)
Handler = Callable[[str, str, dict, bytes], tuple[int, str, bytes]]


def free_port() -> int:
    """A port nothing listens on (bound, read, released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """`with LocalServer(handler) as server:` serves on `server.url`; `server.requests` logs calls."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.release = threading.Event()  # stalling handlers wait on this; set at exit
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.command, self.path, headers, body))
                try:
                    status, ctype, payload = outer.handler(self.command, self.path, headers, body)
                except (BrokenPipeError, ConnectionResetError):
                    return
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = _serve

            def log_message(self, *args):  # keep test output quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def json_answer(data, status: int = 200) -> tuple[int, str, bytes]:
    return status, "application/json", json.dumps(data).encode()
