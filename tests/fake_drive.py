"""A local imitation of Google Drive's download responses, and a requests transport that routes to it.

What is imitated (as gdown 6.5's ``download.py`` / ``download_folder.py`` read it, and as Drive
answered in 2024-2026 per the gdown issues about the usercontent host and the quota page):

* ``GET https://drive.google.com/uc?id=ID`` -> ``303`` to
  ``https://drive.usercontent.google.com/download?id=ID&export=download``;
* small file: ``200`` with ``Content-Disposition: attachment; filename="NAME"`` and the bytes
  (``Range`` honoured with ``If-Range`` against the ETag, so gdown can resume);
* large file: first a ``200 text/html`` "Google Drive can't scan this file for viruses" page whose
  ``<form id="download-form" action="https://drive.usercontent.google.com/download">`` carries hidden
  ``id``, ``export``, ``confirm=t`` and ``uuid`` inputs; the file only with those parameters;
* quota: a ``200 text/html`` page with ``<p class="uc-error-subcaption">Too many users have viewed
  or downloaded this file recently. …</p>``;
* folders: ``GET https://drive.google.com/embeddedfolderview?id=FOLDER`` -> an HTML page whose
  ``<title>`` is the folder name and whose links are ``https://drive.google.com/file/d/ID/view``
  (files) and ``https://drive.google.com/drive/folders/ID`` (subfolders).

gdown has no base-URL option, so :func:`route_google_to` mounts a ``requests`` transport adapter
on every new ``requests.Session`` that rewrites ``https://<google host>/<path>`` to
``http://127.0.0.1:<port>/<google host>/<path>``; any other https host is refused, so nothing
leaves the machine.
"""

from __future__ import annotations

import hashlib
import re
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from requests.adapters import HTTPAdapter

GOOGLE_HOSTS = ("drive.google.com", "drive.usercontent.google.com", "docs.google.com")
UUID = "4c1e7f0e-0000-4000-8000-restbenchtest"

QUOTA_PAGE = (
    '<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head><body><div class="uc-main">'
    '<div id="uc-text"><p class="uc-error-caption">Sorry, you can&#39;t view or download this file at this time.</p>'
    '<p class="uc-error-subcaption">Too many users have viewed or downloaded this file recently. Please try accessing '
    "the file again later. If the file you are trying to access is particularly large or is shared with many people, "
    "it may take up to 24 hours to be able to view or download the file. If you still can&#39;t access a file after 24 "
    "hours, contact your domain administrator.</p></div></div></body></html>"
)


def confirm_page(file_id: str, name: str, size: int) -> str:
    return (
        '<!DOCTYPE html><html><head><title>Google Drive - Virus scan warning</title></head><body><div class="uc-main">'
        '<div id="uc-text"><p class="uc-warning-caption">Google Drive can\'t scan this file for viruses.</p>'
        f'<p class="uc-warning-subcaption"><span class="uc-name-size"><a href="/open?id={file_id}">{name}</a> '
        f"({size // 1024}K)</span> is too large for Google to scan for viruses. Would you still like to download this file?</p>"
        '<form id="download-form" action="https://drive.usercontent.google.com/download" method="get">'
        '<input type="submit" id="uc-download-link" class="goog-inline-block jfk-button jfk-button-action" value="Download anyway"/>'
        f'<input type="hidden" name="id" value="{file_id}"><input type="hidden" name="export" value="download">'
        f'<input type="hidden" name="confirm" value="t"><input type="hidden" name="uuid" value="{UUID}"></form>'
        "</div></div></body></html>"
    )


@dataclass
class DriveFile:
    name: str
    data: bytes
    large: bool = False  # needs the virus-scan confirmation
    quota: bool = False  # answers with the quota page
    cut_first: int | None = None  # first body cut after this many bytes (a broken transfer)


@dataclass
class FakeDrive:
    """Context manager serving ``files`` (id -> DriveFile) and ``folders`` (id -> (name, [(kind, id, name)]))."""

    files: dict[str, DriveFile] = field(default_factory=dict)
    folders: dict[str, tuple[str, list[tuple[str, str, str]]]] = field(default_factory=dict)
    log: list[tuple[str, str, dict]] = field(default_factory=list)

    def __enter__(self) -> "FakeDrive":
        owner = self
        self._lock = threading.Lock()

        class Handler(_DriveHandler):
            drive = owner

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def requests_for(self, file_id: str) -> list[tuple[str, str, dict]]:
        with self._lock:
            return [r for r in self.log if f"id={file_id}" in r[1]]


class _DriveHandler(BaseHTTPRequestHandler):
    drive: FakeDrive

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        host, _, rest = self.path.lstrip("/").partition("/")
        parts = urllib.parse.urlsplit("/" + rest)
        query = urllib.parse.parse_qs(parts.query)
        with self.drive._lock:
            self.drive.log.append((host, self.path, dict(self.headers.items())))
        fid = (query.get("id") or [""])[0]
        if host == "drive.google.com" and parts.path == "/uc":
            return self._send(303, headers={"Location": f"https://drive.usercontent.google.com/download?id={fid}&export=download"})
        if host == "drive.google.com" and parts.path == "/embeddedfolderview":
            return self._folder(fid)
        if host == "drive.usercontent.google.com" and parts.path == "/download":
            return self._file(fid, query)
        self._send(404, b"not found", {"Content-Type": "text/html"})

    def _folder(self, folder_id: str) -> None:
        if folder_id not in self.drive.folders:
            return self._send(404, b"", {"Content-Type": "text/html"})
        name, children = self.drive.folders[folder_id]
        links = []
        for kind, cid, cname in children:
            href = f"https://drive.google.com/drive/folders/{cid}" if kind == "folder" else f"https://drive.google.com/file/d/{cid}/view"
            links.append(f'<div class="flip-entry"><a href="{href}" target="_blank"><div class="flip-entry-title">{cname}</div></a></div>')
        page = f"<!DOCTYPE html><html><head><title>{name}</title></head><body>{''.join(links)}</body></html>"
        self._send(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})

    def _file(self, fid: str, query: dict) -> None:
        f = self.drive.files.get(fid)
        if f is None:
            return self._send(404, b"<html>not found</html>", {"Content-Type": "text/html"})
        if f.quota:
            return self._send(200, QUOTA_PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
        if f.large and not (query.get("confirm") == ["t"] and query.get("uuid") == [UUID]):
            return self._send(200, confirm_page(fid, f.name, len(f.data)).encode(), {"Content-Type": "text/html; charset=utf-8"})
        etag = '"' + hashlib.sha256(f.data).hexdigest() + '"'
        start = 0
        m = re.match(r"bytes=(\d+)-$", self.headers.get("Range", ""))
        status = 200
        headers = {"Content-Type": "application/octet-stream", "Content-Disposition": f'attachment; filename="{f.name}"',
                   "ETag": etag, "Accept-Ranges": "bytes"}
        if m and self.headers.get("If-Range") in (None, etag):
            start = int(m.group(1))
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(f.data) - 1}/{len(f.data)}"
        body = f.data[start:]
        if f.cut_first is not None:
            cut, f.cut_first = f.cut_first, None
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(status, body, headers)


class _ToLoopback(HTTPAdapter):
    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request, **kwargs):  # type: ignore[override]
        parts = urllib.parse.urlsplit(request.url)
        if parts.hostname not in GOOGLE_HOSTS:
            raise requests.ConnectionError(f"test transport: refusing to contact {parts.hostname}")
        request.url = f"{self.base}/{parts.hostname}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def route_google_to(monkeypatch, base: str) -> None:
    """Every requests.Session created from now on sends https:// traffic to ``base`` (Google hosts only)."""
    original = requests.Session.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.mount("https://", _ToLoopback(base))

    monkeypatch.setattr(requests.Session, "__init__", init)
