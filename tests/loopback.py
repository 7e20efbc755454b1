"""A tiny file server on 127.0.0.1 for download tests: plain HTTP, or just enough of the HF hub.

It serves ``files`` (URL path -> bytes), logs every request so tests can count them, and can
misbehave on purpose: ignore ``Range``, or cut the first N GET bodies short.

Hub mode implements only what ``huggingface_hub.hf_hub_download`` needs (checked against
huggingface_hub 2.4's ``file_download.get_hf_file_metadata`` / ``_get_metadata_or_catch_error``):
``HEAD`` and ``GET`` on ``/{repo_id}/resolve/{revision}/{filename}`` answering with
``X-Repo-Commit`` (required, else FileMetadataError), ``ETag`` / ``X-Linked-Etag`` (required;
the linked one wins, as for LFS files whose etag is the sha256) and ``Content-Length`` /
``X-Linked-Size``; a missing file is a 404 with ``X-Error-Code: EntryNotFound``, which
huggingface_hub maps to RemoteEntryNotFoundError without retrying.

The server binds 127.0.0.1 only, runs in one daemon thread, and stops on ``__exit__``.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


class LoopbackServer:
    """Context manager: ``with LoopbackServer({"/f.bin": data}) as srv: srv.url + "/f.bin"``."""

    def __init__(
        self,
        files: dict[str, bytes],
        *,
        hub: bool = False,
        honour_range: bool = True,
        truncate_at: int | None = None,
        truncate_times: int = 0,
    ) -> None:
        self.files = dict(files)
        self.hub = hub
        self.honour_range = honour_range
        self.truncate_at = truncate_at
        self.truncate_left = truncate_times
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle
    def __enter__(self) -> "LoopbackServer":
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- bookkeeping
    def log(self, req: Request) -> None:
        with self._lock:
            self.requests.append(req)

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if method is None or r.method == method)

    def take_truncation(self) -> bool:
        with self._lock:
            if self.truncate_at is not None and self.truncate_left > 0:
                self.truncate_left -= 1
                return True
            return False


_RANGE = re.compile(r"bytes=(\d+)-$")


class _Handler(BaseHTTPRequestHandler):
    server_owner: LoopbackServer

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def do_GET(self) -> None:
        self._serve(body=True)

    def _serve(self, body: bool) -> None:
        srv = self.server_owner
        srv.log(Request(self.command, self.path, dict(self.headers.items())))
        data = srv.files.get(self.path)
        if data is None:
            self.send_response(404)
            if srv.hub:
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = '"' + hashlib.sha256(data).hexdigest() + '"'
        start = 0
        m = _RANGE.match(self.headers.get("Range", ""))
        if_range = self.headers.get("If-Range")
        if m and srv.honour_range and (if_range is None or if_range == etag):
            start = int(m.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        payload = data[start:]
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Accept-Ranges", "bytes" if srv.honour_range else "none")
        self.send_header("ETag", etag)
        if srv.hub:
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("X-Linked-Etag", etag)
            self.send_header("X-Linked-Size", str(len(data)))
        self.end_headers()
        if not body:
            return
        if srv.take_truncation():
            # Announce the full length, send part of it, hang up: a broken transfer.
            self.wfile.write(payload[: srv.truncate_at])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)
