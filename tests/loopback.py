"""A tiny file server on 127.0.0.1 for download tests: plain HTTP, or just enough of the HF hub.

It serves ``files`` (URL path -> bytes), logs every request so tests can count them, and can
misbehave on purpose: ignore ``Range``, cut the first N GET bodies short, or send slowly
(``throttle=(chunk bytes, seconds per chunk)``, so a test can kill a client mid-transfer).

Hub mode implements only what ``huggingface_hub.hf_hub_download`` needs (checked against
huggingface_hub 2.4's ``file_download.get_hf_file_metadata`` / ``_get_metadata_or_catch_error``):
``HEAD`` and ``GET`` on ``/{repo_id}/resolve/{revision}/{filename}`` answering with
``X-Repo-Commit`` (required, else FileMetadataError), ``ETag`` / ``X-Linked-Etag`` (required;
the linked one wins, as for LFS files whose etag is the sha256) and ``Content-Length`` /
``X-Linked-Size``; a missing file is a 404 with ``X-Error-Code: EntryNotFound``, which
huggingface_hub maps to RemoteEntryNotFoundError without retrying.

``HubUploadServer`` is the write side: just enough of the hub for ``HfApi.create_repo`` and
``upload_folder`` (see its docstring), recording every repo, preupload and commit it received.

The server binds 127.0.0.1 only, runs in one daemon thread, and stops on ``__exit__``.
"""

from __future__ import annotations

import base64
import hashlib
import json
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
        throttle: tuple[int, float] | None = None,
    ) -> None:
        self.files = dict(files)
        self.throttle = throttle
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

        class Handler(self._handler_base()):  # type: ignore[misc]
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

    def _handler_base(self) -> type[BaseHTTPRequestHandler]:
        """The request handler; subclasses serving other routes return their own."""
        return _Handler

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
        if srv.throttle:
            import time

            step, pause = srv.throttle
            try:
                for i in range(0, len(payload), step):
                    self.wfile.write(payload[i : i + step])
                    self.wfile.flush()
                    time.sleep(pause)
            except (BrokenPipeError, ConnectionResetError):  # the client was killed mid-transfer
                self.close_connection = True
            return
        self.wfile.write(payload)


# ---------------------------------------------------------------- hub upload (create_repo + upload_folder)

UPLOAD_ROUTE = re.compile(r"^/api/(model|dataset|space)s/(.+)/(preupload|commit)/([^/]+)$")


@dataclass
class Commit:
    """One commit as the fake hub received it: the ndjson header and the decoded files."""

    repo_type: str
    repo_id: str
    revision: str
    header: dict
    files: dict[str, bytes]
    other_lines: list[dict]
    oid: str


class HubUploadServer(LoopbackServer):
    """Just enough of the HF hub's write API for ``HfApi.create_repo`` + ``upload_folder``.

    Checked against huggingface_hub 2.4 (``hf_api.create_repo``, ``_commit_api._fetch_upload_modes``
    / ``_send_commit``, and ``_upload_pipeline``, the path taken when hf_xet is installed):

    - ``POST /api/repos/create`` with JSON ``{name, organization, type, ...}`` -> ``{"url": ...}``;
      a repo created before answers 409, which ``exist_ok=True`` accepts.
    - ``POST /api/validate-yaml`` with ``{content, repoType}``: ``upload_folder`` sends a README.md's
      text here first to check its metadata -> no errors, no warnings.
    - ``POST /api/{type}s/{repo_id}/preupload/{revision}`` with ``{"files": [{path, sample, size}]}``
      -> every file ``uploadMode: "regular"`` (so no LFS/xet transfer is needed), ``shouldIgnore:
      false`` and no ``oid`` (so nothing is dropped as unchanged).
    - ``POST /api/{type}s/{repo_id}/commit/{revision}``, an ndjson body: a ``header`` line
      (summary, description) then one ``file`` line per file with base64 ``content`` ->
      ``{commitUrl, commitOid}``.

    ``fail_status`` makes every ``/api`` route answer that status with a JSON error body, as the
    hub does for a bad token (401) or an outage (5xx). Anything else is a 404 and is kept in
    ``unrouted`` so a test notices when huggingface_hub starts calling something new.
    """

    def __init__(self, *, fail_status: int | None = None) -> None:
        super().__init__({}, hub=True)
        self.fail_status = fail_status
        self.repos: dict[str, dict] = {}
        self.validated: list[dict] = []
        self.preuploads: list[dict] = []
        self.commits: list[Commit] = []
        self.unrouted: list[Request] = []

    def _handler_base(self) -> type[BaseHTTPRequestHandler]:
        return _UploadHandler


class _UploadHandler(BaseHTTPRequestHandler):
    server_owner: HubUploadServer
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects from a real hub

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _reply(self, status: int, doc: dict, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        srv = self.server_owner
        body = self._body() if method == "POST" else b""
        path = self.path.split("?", 1)[0]
        req = Request(method, self.path, dict(self.headers.items()))
        srv.log(req)
        if srv.fail_status is not None:
            return self._reply(srv.fail_status, {"error": "Invalid credentials in Authorization header"
                                                 if srv.fail_status == 401 else "Internal Error"})
        if method == "POST" and path == "/api/repos/create":
            doc = json.loads(body)
            repo_id = f"{doc['organization']}/{doc['name']}" if doc.get("organization") else doc["name"]
            prefix = {"dataset": "datasets/", "space": "spaces/"}.get(doc.get("type") or "model", "")
            with srv._lock:
                existed = repo_id in srv.repos
                srv.repos.setdefault(repo_id, doc)
            if existed:
                return self._reply(409, {"error": "You already created this dataset repo", "url": f"{srv.url}/{prefix}{repo_id}"})
            return self._reply(200, {"url": f"{srv.url}/{prefix}{repo_id}", "name": repo_id})
        if method == "POST" and path == "/api/validate-yaml":
            with srv._lock:
                srv.validated.append(json.loads(body))
            return self._reply(200, {"errors": [], "warnings": []})
        m = UPLOAD_ROUTE.match(path)
        if method == "POST" and m:
            repo_type, repo_id, action, revision = m.groups()
            if repo_id not in srv.repos:
                return self._reply(404, {"error": "Repository not found"}, {"X-Error-Code": "RepoNotFound"})
            if action == "preupload":
                doc = json.loads(body)
                with srv._lock:
                    srv.preuploads.append(doc)
                files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in doc["files"]]
                return self._reply(200, {"files": files, "commitOid": COMMIT})
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            header = next(line["value"] for line in lines if line["key"] == "header")
            files = {line["value"]["path"]: base64.b64decode(line["value"]["content"])
                     for line in lines if line["key"] == "file" and line["value"].get("encoding") == "base64"}
            others = [line for line in lines if line["key"] not in ("header", "file")]
            oid = hashlib.sha1(body).hexdigest()
            with srv._lock:
                srv.commits.append(Commit(repo_type, repo_id, revision, header, files, others, oid))
            return self._reply(200, {"commitUrl": f"{srv.url}/{repo_type}s/{repo_id}/commit/{oid}",
                                     "commitOid": oid, "success": True})
        with srv._lock:
            srv.unrouted.append(req)
        return self._reply(404, {"error": f"no route for {method} {path}"})
