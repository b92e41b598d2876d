"""Real local receivers for notifications: an HTTP server for json:// and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JsonReceiver:
    """A real http.server in a thread that records every JSON body apprise's json:// posts to it.

    `delay` seconds pass between reading a request and answering it (a slow receiver); `hang` holds
    every answer until the receiver is closed. `got_request` is set when a request has been read."""

    def __init__(self, status: int = 200, port: int = 0, delay: float = 0.0, hang: bool = False):
        self.received: list[dict] = []
        self.paths: list[str] = []
        self.headers: list[dict] = []
        self.status, self.delay, self.hang = status, delay, hang
        self.got_request = threading.Event()
        self._closing = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                receiver.paths.append(self.path)
                receiver.headers.append(dict(self.headers))
                receiver.received.append(json.loads(body))
                receiver.got_request.set()
                if receiver.hang:
                    receiver._closing.wait()
                elif receiver.delay:
                    receiver._closing.wait(receiver.delay)
                try:
                    self.send_response(receiver.status)
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "", query: str = "") -> str:
        return f"json://127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self._closing.set()
        self.server.shutdown()
        self.server.server_close()


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        self.sink.append(
            {"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
             "message": message_from_bytes(envelope.original_content or envelope.content),
             "login": getattr(session, "login_data", None)}
        )
        return "250 OK"


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1 without TLS, requiring AUTH with the given user and password."""

    def __init__(self, user: str = "alerts", password: str = "pa55-w0rd-XYZ"):
        self.user, self.password = user, password
        self.messages: list[dict] = []
        self.port = free_port()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == self.user
                and auth_data.password.decode() == self.password
            )
            return AuthResult(success=ok)

        self.controller = Controller(
            _Handler(self.messages), hostname="127.0.0.1", port=self.port,
            authenticator=authenticator, auth_required=True, auth_require_tls=False,
        )

    def url(self, to: str = "ops@example.com", query: str = "") -> str:
        extra = f"&{query}" if query else ""
        return (f"mailto://{self.user}:{self.password}@127.0.0.1:{self.port}"
                f"?from=fund@example.com&to={to}&mode=insecure{extra}")

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
