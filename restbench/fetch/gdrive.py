"""Google Drive files and folders, through gdown, with restbench's guarantees on top.

The authors of Restormer and Uformer distribute test sets and checkpoints as Drive file ids.
Drive is not a plain HTTP server: ``https://drive.google.com/uc?id=ID`` redirects to
``drive.usercontent.google.com``, which for a large file answers with an HTML "can't scan this file
for viruses" form that has to be submitted (``confirm=t&uuid=…``), and for a popular file with a
"Too many users have viewed or downloaded this file recently" page (the per-file quota). ``gdown``
knows these pages; this module adds what restbench needs around it:

* **atomic**: gdown writes ``<dest>.gdown<random>.part`` and renames it to ``<dest>.gdown`` when
  complete; only after the sha256 check (when one is known) does ``<dest>.gdown`` become ``dest``.
  ``dest`` therefore never holds a partial or unverified file;
* **resumable**: ``resume=True`` makes gdown continue a ``.part`` left by a killed run with an
  HTTP ``Range`` request (guarded by ``If-Range``); a sidecar ``<dest>.gdown.json`` remembers which
  id the partial bytes belong to, so bytes of another file are never continued;
* **one clear error** per failure: the quota page becomes :class:`DriveQuotaError`, whose message
  says what happened, that it clears within about 24 h, how signed-in cookies get past it, and
  which source restbench tries next; everything else becomes :class:`DriveError`;
* **progress**: one tqdm bar on stderr (bytes, rate, ETA) fed by gdown's progress callback.

Folders are listed with gdown (``download_folder(skip_download=True)``) and every file is then
fetched with :func:`download_file`, so each one gets the same guarantees.

gdown reads cookies from ``~/.cache/gdown/cookies.txt`` (``gdown --cookies-from-browser`` fills
it); ``RESTBENCH_GDRIVE_COOKIES`` points restbench at another cookies file.
"""

from __future__ import annotations

import inspect
import json
import os
import sys
from pathlib import Path
from typing import Any

from restbench.fetch.download import ChecksumError, DownloadError, file_lock, sha256_file

COOKIES_ENV = "RESTBENCH_GDRIVE_COOKIES"
_QUOTA_MARKERS = ("too many users have viewed or downloaded", "quota", "download limit")


class DriveError(DownloadError):
    """Google Drive did not deliver a file; the message says why in words meant for the user."""


class DriveQuotaError(DriveError):
    """Drive refuses the file for now because it was downloaded too often (the per-file quota)."""


def file_url(file_id: str) -> str:
    """The canonical download URL of a Drive file id (what ``gdown`` requests first)."""
    return f"https://drive.google.com/uc?id={file_id}"


def folder_url(folder_id: str) -> str:
    return f"https://drive.google.com/drive/folders/{folder_id}"


def _cookies_file() -> str | None:
    return os.environ.get(COOKIES_ENV, "").strip() or None


def _supported(func: Any, wanted: dict[str, Any]) -> dict[str, Any]:
    """Only the keyword arguments this gdown version accepts (``progress``/``retries`` are 6.x)."""
    params = inspect.signature(func).parameters
    return {k: v for k, v in wanted.items() if k in params}


class _Bar:
    """A tqdm bar on stderr driven by gdown's ``progress(bytes_so_far, total)`` callback."""

    def __init__(self, enabled: bool, desc: str) -> None:
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True)

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is None:
            return
        if total is not None and self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _partials(staging: Path) -> list[Path]:
    """gdown's temporary files for ``staging``: ``<name><8 random chars>.part``."""
    if not staging.parent.is_dir():
        return []
    n = len(staging.name) + 8 + len(".part")
    return [p for p in staging.parent.iterdir() if p.name.startswith(staging.name) and p.name.endswith(".part") and len(p.name) == n]


def _discard(*paths: Path) -> None:
    for p in paths:
        p.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _quota_message(file_id: str, next_source: str | None) -> str:
    then = f"restbench tries the next source: {next_source}" if next_source else "no other source is registered"
    return (
        f"Google Drive refuses {file_url(file_id)} for now: too many users have downloaded it recently "
        f"(Drive's per-file quota, which usually clears within 24 hours). {then}. To get past the quota, sign in to "
        f"Google in a browser and run `gdown --cookies-from-browser <browser>` once (or point {COOKIES_ENV} at a "
        "cookies.txt), or download the file in the browser and place it by hand."
    )


def download_file(
    file_id: str,
    dest: str | os.PathLike[str],
    sha256: str | None = None,
    progress: bool = True,
    *,
    next_source: str | None = None,
    retries: int = 3,
) -> Path:
    """Download Drive file ``file_id`` to ``dest`` atomically and resumably; return ``dest``.

    If ``dest`` exists with ``sha256``, nothing is requested. A sha256 mismatch discards the bytes
    and raises :class:`~restbench.fetch.download.ChecksumError`. Drive's quota page raises
    :class:`DriveQuotaError` naming ``next_source``; any other failure :class:`DriveError` (the
    partial file is kept so the next call resumes it).
    """
    import gdown
    import requests

    dest = Path(dest)
    want = sha256.lower() if sha256 else None
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.with_name(dest.name + ".gdown")
    sidecar = dest.with_name(dest.name + ".gdown.json")
    url = file_url(file_id)
    with file_lock(dest):
        if want and dest.is_file() and sha256_file(dest) == want:
            return dest
        try:
            owner = json.loads(sidecar.read_text()).get("id")
        except (OSError, ValueError, AttributeError):
            owner = None
        if owner != file_id:  # partial bytes of unknown origin: never continue them with this file
            _discard(staging, *_partials(staging))
            sidecar.write_text(json.dumps({"id": file_id}))
        bar = _Bar(progress, dest.name)
        kwargs = _supported(
            gdown.download,
            dict(
                id=file_id,
                output=str(staging),
                quiet=True,
                resume=True,
                use_cookies=True,
                cookies_file=_cookies_file(),
                progress=bar,
                retries=retries,
            ),
        )
        try:
            try:
                gdown.download(**kwargs)
            finally:
                if not staging.exists() and not _partials(staging):
                    _discard(sidecar)  # nothing to resume: leave nothing behind
        except gdown.exceptions.FileURLRetrievalError as exc:
            text = _reason(exc)
            if any(m in text.lower() for m in _QUOTA_MARKERS):
                raise DriveQuotaError(_quota_message(file_id, next_source), url) from None
            raise DriveError(f"Google Drive did not hand out {url}: {text}", url) from None
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else "?"
            if status in (403, 429):
                raise DriveQuotaError(_quota_message(file_id, next_source), url) from None
            raise DriveError(f"Google Drive answered HTTP {status} for {url}", url) from None
        except (gdown.exceptions.DownloadError, requests.RequestException, OSError) as exc:
            kept = " The partial file is kept; the next attempt resumes it." if _partials(staging) else ""
            raise DriveError(f"download of {url} failed: {_reason(exc)}.{kept}", url) from None
        finally:
            bar.close()
        if not staging.is_file():
            raise DriveError(f"gdown finished without writing {staging.name} for {url}", url)
        if want:
            got = sha256_file(staging)
            if got != want:
                _discard(staging, sidecar)
                raise ChecksumError(url, want, got)
        os.replace(staging, dest)
        _discard(sidecar)
        return dest


def list_folder(folder_id: str) -> list[tuple[str, str]]:
    """``(file id, relative path)`` of every file in a Drive folder and its subfolders."""
    import gdown
    import requests

    try:
        entries = gdown.download_folder(id=folder_id, quiet=True, skip_download=True, use_cookies=True,
                                        **_supported(gdown.download_folder, dict(cookies_file=_cookies_file())))
    except (gdown.exceptions.DownloadError, requests.RequestException) as exc:
        raise DriveError(f"could not list Google Drive folder {folder_url(folder_id)}: {_reason(exc)}", folder_url(folder_id)) from None
    out = []
    for e in entries or []:
        rel = Path(e.path).as_posix()
        if rel.startswith("/") or ".." in rel.split("/"):
            raise DriveError(f"Google Drive folder {folder_id} lists an unsafe path {rel!r}", folder_url(folder_id))
        out.append((e.id, rel))
    return out


def download_folder(folder_id: str, dest: str | os.PathLike[str], progress: bool = True) -> list[Path]:
    """Download every file of a Drive folder into ``dest`` (created), keeping its sub-structure.

    Files already complete in ``dest`` from an earlier run are kept; the others are fetched with
    :func:`download_file` (atomic, resumable, quota reported clearly). The folder is filled in
    place, so a failure leaves complete files and resumable partials, never a truncated file.
    """
    dest = Path(dest)
    files = list_folder(folder_id)
    out = []
    for i, (fid, rel) in enumerate(files):
        target = dest / rel
        if not target.is_file():
            nxt = f"the remaining {len(files) - i - 1} file(s) of the folder" if i + 1 < len(files) else None
            download_file(fid, target, progress=progress, next_source=nxt)
        out.append(target)
    return out


def remove_partials(dest: str | os.PathLike[str]) -> None:
    """Forget an unfinished Drive download of ``dest`` (its partial bytes and sidecar)."""
    dest = Path(dest)
    staging = dest.with_name(dest.name + ".gdown")
    _discard(staging, dest.with_name(dest.name + ".gdown.json"), *_partials(staging))


__all__ = [
    "COOKIES_ENV",
    "DriveError",
    "DriveQuotaError",
    "download_file",
    "download_folder",
    "file_url",
    "folder_url",
    "list_folder",
    "remove_partials",
]
