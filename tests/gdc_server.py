"""A loopback emulation of the GDC data and files endpoints, with scripted faults."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeGDC:
    """Serves ``files`` (id -> bytes) at /data/<id> and metadata at /files/<id>; an id that
    starts with "/" is served at that path instead (any host of plain files).

    ``faults[id]`` is a list of behaviours consumed one per data request ('ok' once the list
    is empty): 'drop' sends half the body and closes, 'corrupt' flips bytes, 'html' sends a
    200 HTML error page, '500' an HTTP 500, 'norange' ignores the Range header, 'stall' sends
    nothing until ``release()`` (a download that hangs until its job is killed).
    """

    def __init__(self, files: dict[str, bytes], faults: dict[str, list[str]] | None = None, names=None):
        self.files = files
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.names = names or {}
        self.requests: list[tuple[str, str | None]] = []
        self.released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status: int, ctype: str, payload: bytes):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                path = self.path.split("?")[0]
                m = re.match(r"^/(data|files)/([^/?]+)", path)
                if path in server.files:  # a file served at its own path (the Keras weights host)
                    kind, fid = "data", path
                elif not m or m.group(2) not in server.files:
                    self.send_error(404, "Not Found")
                    return
                else:
                    kind, fid = m.groups()
                body = server.files[fid]
                if kind == "files":
                    payload = json.dumps(
                        {
                            "data": {
                                "md5sum": hashlib.md5(body).hexdigest(),
                                "file_size": len(body),
                                "file_name": server.names.get(fid, fid),
                            }
                        }
                    ).encode()
                    self.reply(200, "application/json", payload)
                    return
                rng = self.headers.get("Range")
                server.requests.append((fid, rng))
                queue = server.faults.get(fid, [])
                fault = queue.pop(0) if queue else "ok"
                if fault == "stall":
                    server.released.wait(timeout=900)
                    self.close_connection = True
                    return
                if fault == "500":
                    self.send_error(500, "Internal Server Error")
                    return
                if fault == "html":
                    self.reply(200, "text/html", b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>")
                    return
                if fault == "corrupt":
                    body = bytes(b ^ 0xFF for b in body[:16]) + body[16:]
                start = 0
                if rng and fault != "norange":
                    start = int(re.match(r"bytes=(\d+)-", rng).group(1))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                chunk = body[start:]
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(chunk)))
                self.end_headers()
                if fault == "drop":
                    self.wfile.write(chunk[: len(chunk) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(chunk)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def release(self):
        """End every stalled request."""
        self.released.set()

    def __exit__(self, *exc):
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()
