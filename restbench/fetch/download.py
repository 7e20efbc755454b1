"""Plain HTTP(S) downloads that survive broken transfers and never leave a half file in place.

``download_url`` streams into ``<dest>.part`` (with ``<dest>.part.json`` remembering the URL and
the server's validators), resumes an interrupted transfer with an HTTP ``Range`` request, starts
over when the server ignores ``Range`` (answers 200) or the file changed (``If-Range`` fails),
checks the sha256 when one is given, and only then renames the file onto ``dest`` in one atomic
``os.replace``. So ``dest`` either does not exist or is complete (and verified, when a sha256
was given); a leftover ``.part`` is only ever a resume point.

It uses the standard library's ``urllib`` rather than ``requests``: the core then needs no HTTP
dependency of its own (``requests`` is only an optional extra), and urllib already does what is
needed here: redirects (GitHub release assets redirect to a storage host, and the ``Range``
header is carried across), proxies from the environment, and streaming reads.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

CHUNK = 1 << 20
# Seconds before the first retry; doubled each time, capped at 8 s. Tests set it to 0.
BACKOFF_BASE = 0.5
# An interrupted transfer that still made progress does not use up a retry, but the number of
# requests for one file is bounded all the same (a server that drops every connection after a
# few bytes must not keep us busy forever).
MAX_REQUESTS = 50
_RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")


class DownloadError(Exception):
    """A download failed; the message says why in words meant for the user."""

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.url = url


class HTTPStatusError(DownloadError):
    """The server answered with an error status that retrying will not fix (404, 403, ...)."""

    def __init__(self, url: str, status: int, reason: str = "") -> None:
        super().__init__(f"HTTP {status} {reason}".strip() + f" for {url}", url)
        self.status = status


class ChecksumError(DownloadError):
    """The downloaded bytes do not have the expected sha256; the file has been discarded."""

    def __init__(self, url: str, expected: str, actual: str) -> None:
        super().__init__(
            f"sha256 mismatch for {url}: expected {expected}, got {actual}; the download was discarded",
            url,
        )
        self.expected = expected
        self.actual = actual


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _user_agent() -> str:
    from restbench.version import __version__

    return f"restbench/{__version__} (+python-urllib)"


@contextlib.contextmanager
def file_lock(dest: Path) -> Iterator[None]:
    """Serialise downloads of the same file across processes (two runs sharing one cache).

    ``filelock`` comes with huggingface_hub, a core dependency; without it we go unlocked, which
    at worst costs a duplicated download (the final rename is atomic either way).
    """
    try:
        from filelock import FileLock
    except ImportError:  # pragma: no cover - filelock ships with huggingface_hub
        yield
        return
    with FileLock(str(dest.parent / f".{dest.name}.lock")):
        yield


def _part_paths(dest: Path) -> tuple[Path, Path]:
    return dest.with_name(dest.name + ".part"), dest.with_name(dest.name + ".part.json")


def _read_meta(path: Path) -> dict | None:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def _discard(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def _if_range(meta: dict | None) -> str | None:
    """The validator proving the partial bytes belong to the file the server has now.

    Only a strong ETag (not ``W/...``) or a Last-Modified date is allowed in ``If-Range``
    (RFC 9110 13.1.5); with neither, we resume on faith and let the sha256 catch a change.
    """
    if not meta:
        return None
    etag = meta.get("etag")
    if etag and not etag.startswith("W/"):
        return etag
    return meta.get("last_modified")


def _backoff(failures: int) -> None:
    if BACKOFF_BASE > 0:
        time.sleep(min(BACKOFF_BASE * 2 ** (failures - 1), 8.0))


class _Progress:
    """One tqdm bar (on stderr) across all the attempts for a file; a no-op when disabled."""

    def __init__(self, enabled: bool, desc: str) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(
                desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True
            )

    def restart(self, total: int | None, have: int) -> None:
        if self.bar is not None:
            self.bar.reset(total=total)
            self.bar.update(have)

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _fetch_into(url: str, part: Path, meta_path: Path, *, retries: int, timeout: float, bar: _Progress) -> bool:
    """Make ``part`` hold the complete body of ``url``; return True if any bytes were resumed."""
    meta = _read_meta(meta_path)
    if part.exists() and (meta is None or meta.get("url") != url):
        _discard(part)  # bytes of unknown origin: never splice them onto this URL's body
    best = part.stat().st_size if part.exists() else 0
    # Cookies set along a redirect chain are sent on the next hop (SharePoint/OneDrive "?download=1"
    # links set an access cookie on the first redirect and refuse the second request without it).
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    resumed = False
    failures = 0
    last_reason = ""

    def failed(reason: str) -> None:
        nonlocal failures, last_reason
        failures += 1
        last_reason = reason
        if failures > retries:
            kept = f"; the partial file {part} is kept and the next attempt resumes from it" if part.exists() else ""
            raise DownloadError(f"download of {url} gave up after {failures} failed attempt(s): {reason}{kept}", url)
        _backoff(failures)

    for _ in range(MAX_REQUESTS):
        have = part.stat().st_size if part.exists() else 0
        headers = {"User-Agent": _user_agent(), "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
            validator = _if_range(meta)
            if validator:
                headers["If-Range"] = validator
        try:
            resp = opener.open(urllib.request.Request(url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as e:
            e.close()
            if e.code == 416 and have:
                m = _UNSATISFIED_RANGE.search(e.headers.get("Content-Range", ""))
                if m and int(m.group(1)) == have:
                    return True  # the previous run had already received every byte
                _discard(part)
                failed("the server refused to resume (HTTP 416); starting over")
                continue
            if e.code in _RETRY_STATUS:
                failed(f"HTTP {e.code} {e.reason}")
                continue
            raise HTTPStatusError(url, e.code, str(e.reason)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            reason = getattr(e, "reason", None) or e
            failed(f"could not connect ({reason})")
            continue

        error: str | None = None
        with resp:
            status = resp.status or 200  # file:// responses carry no status
            total: int | None
            if have and status == 206:
                m = _CONTENT_RANGE.search(resp.headers.get("Content-Range", ""))
                if not m or int(m.group(1)) != have:
                    _discard(part)
                    failed(f"the server resumed at the wrong offset ({resp.headers.get('Content-Range')!r})")
                    continue
                total = None if m.group(3) == "*" else int(m.group(3))
                mode = "ab"
                resumed = True
            else:
                # 200 to a Range request: the server ignores Range or the file changed → restart.
                have = 0
                length = resp.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
                mode = "wb"
                meta = {
                    "url": url,
                    "etag": resp.headers.get("ETag"),
                    "last_modified": resp.headers.get("Last-Modified"),
                    "total": total,
                }
                meta_path.write_text(json.dumps(meta))
            bar.restart(total, have)
            with open(part, mode) as f:
                try:
                    for block in iter(lambda: resp.read(CHUNK), b""):
                        f.write(block)
                        bar.update(len(block))
                except (OSError, http.client.HTTPException) as e:
                    error = f"the transfer broke off ({type(e).__name__}: {e})"
                f.flush()
                os.fsync(f.fileno())

        size = part.stat().st_size
        if total is not None and size > total:
            _discard(part)
            failed(f"the server sent {size} bytes where it announced {total}; starting over")
            continue
        if error is None and (total is None or size == total):
            return resumed
        error = error or f"the connection closed after {size} of {total} bytes"
        if size > best:  # progress was made: resuming is working, do not count it as a failure
            best = size
            last_reason = error
            continue
        failed(error)
    raise DownloadError(f"download of {url} did not complete after {MAX_REQUESTS} requests: {last_reason}", url)


def download_url(
    url: str,
    dest: str | os.PathLike[str],
    sha256: str | None = None,
    progress: bool = True,
    *,
    retries: int = 3,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``dest`` atomically, resuming broken transfers; return ``dest``.

    * ``dest`` appears only once complete and, if ``sha256`` is given, verified. If ``dest``
      already exists with that sha256, nothing is requested at all. Without a sha256 the file is
      always fetched again (callers that cache decide that themselves).
    * A broken transfer is resumed with ``Range`` (or restarted if the server ignores it), also
      across runs via ``<dest>.part``. ``retries`` bounds consecutive attempts that made no
      progress; errors that retrying cannot fix (404, 403, ...) raise :class:`HTTPStatusError`.
    * A sha256 mismatch removes the downloaded bytes and raises :class:`ChecksumError` (after one
      clean re-download if the bad file had been stitched together from a resumed transfer).
    * ``progress`` shows a tqdm bar on stderr.

    Any URL urllib can open is accepted (https, http, file); this function does not insist on
    https, so the checksum is what guarantees integrity.
    """
    dest = Path(dest)
    want = sha256.lower() if sha256 else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    part, meta_path = _part_paths(dest)
    with file_lock(dest):
        if want and dest.is_file() and sha256_file(dest) == want:
            return dest
        bar = _Progress(progress, dest.name)
        try:
            for clean_retry in (False, True):
                resumed = _fetch_into(url, part, meta_path, retries=retries, timeout=timeout, bar=bar)
                if want:
                    got = sha256_file(part)
                    if got != want:
                        _discard(part, meta_path)
                        if resumed and not clean_retry:
                            continue  # a stale prefix from an earlier transfer could explain it
                        raise ChecksumError(url, want, got)
                os.replace(part, dest)
                _discard(meta_path)
                return dest
        finally:
            bar.close()
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["ChecksumError", "DownloadError", "HTTPStatusError", "download_url", "sha256_file"]
