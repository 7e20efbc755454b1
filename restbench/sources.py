"""Where a remote file comes from, as a record: a URL, a Google Drive id or a Hugging Face file,
with its sha256 pin and size, and the path it has inside a mirror (``RESTBENCH_MIRROR``).

Pure data and string rules, no I/O: the registry's records (weights, test sets) describe their
sources with :class:`Remote`, and the fetch stage (:mod:`restbench.fetch.mirror`) downloads them.
The mirror layout (docs/weights.md):

* ``https://HOST/PATH?QUERY`` → ``HOST/PATH`` (query dropped);
* Google Drive id ``ID`` → ``drive.google.com/uc/ID``;
* a file known only by its path ``P`` in a shared Drive folder ``F`` → ``drive.google.com/drive/folders/F/P``;
* Hugging Face → ``huggingface.co/[datasets/]REPO/resolve/REVISION/FILE`` (``main`` when unpinned);
* GitHub contents-API listings → ``api.github.com/repos/OWNER/REPO/contents/PATH``.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

KINDS = ("url", "gdrive", "hf")


def _clean_rel(rel: str, what: str) -> str:
    parts = [p for p in rel.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." or "\\" in p or "\x00" in p for p in parts):
        raise ValueError(f"{what} cannot be placed in a mirror (empty path, '..', or a backslash): {rel!r}")
    return "/".join(parts)


def url_mirror_path(url: str) -> str:
    """``https://HOST/PATH?QUERY`` -> ``HOST/PATH``: the query (and fragment) are dropped."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    path = urllib.parse.unquote(parts.path)
    if not path.strip("/"):
        raise ValueError(f"URL has no file path to mirror: {url!r}")
    return _clean_rel(f"{host}/{path}", url)


def gdrive_mirror_path(file_id: str) -> str:
    return _clean_rel(f"drive.google.com/uc/{file_id}", f"Drive id {file_id}")


def gdrive_folder_mirror_path(folder_id: str, path: str) -> str:
    return _clean_rel(f"drive.google.com/drive/folders/{folder_id}/{path}", f"Drive folder {folder_id} file {path}")


def hf_mirror_path(repo: str, filename: str, revision: str | None = None, repo_type: str = "model") -> str:
    prefix = {"dataset": "datasets/", "space": "spaces/"}.get(repo_type, "")
    return _clean_rel(f"huggingface.co/{prefix}{repo}/resolve/{revision or 'main'}/{filename}", f"hf://{repo}/{filename}")


def github_listing_mirror_path(owner: str, repo: str, path: str) -> str:
    """Where a GitHub contents-API folder listing lives (its ``?ref=`` query is dropped)."""
    return url_mirror_path(f"https://api.github.com/repos/{owner}/{repo}/contents/{path}")


@dataclass(frozen=True)
class Remote:
    """One place a file can be fetched from: a URL, a Drive file id, or a Hugging Face file.

    A Drive file can also be named by ``gdrive_folder`` + ``gdrive_path`` when its authors share
    only a folder (HAT's checkpoints): the folder is listed at fetch time to find the file's id.

    ``sha256`` pins the bytes (checked wherever they come from, mirror included); ``size`` is the
    expected size in bytes when known (for ``--dry-run`` style reports; not enforced).
    """

    kind: str
    url: str = ""
    gdrive_id: str = ""
    gdrive_folder: str = ""
    gdrive_path: str = ""
    hf_repo: str = ""
    hf_filename: str = ""
    hf_revision: str | None = None
    hf_repo_type: str = "model"
    sha256: str | None = None
    size: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown remote kind {self.kind!r}; one of {', '.join(KINDS)}")
        needed = {"url": self.url, "gdrive": self.gdrive_id or (self.gdrive_folder and self.gdrive_path),
                  "hf": self.hf_repo and self.hf_filename}[self.kind]
        if not needed:
            raise ValueError(f"a {self.kind!r} remote needs {'url' if self.kind == 'url' else 'gdrive_id (or gdrive_folder and gdrive_path)' if self.kind == 'gdrive' else 'hf_repo and hf_filename'}")
        if self.sha256:
            object.__setattr__(self, "sha256", self.sha256.lower())

    @property
    def canonical_url(self) -> str:
        """The URL a browser would use: Drive as ``https://drive.google.com/uc?id=ID`` (a folder file: the folder's URL)."""
        if self.kind == "gdrive" and not self.gdrive_id:
            return f"https://drive.google.com/drive/folders/{self.gdrive_folder}"
        if self.kind == "gdrive":
            return f"https://drive.google.com/uc?id={self.gdrive_id}"
        if self.kind == "hf":
            prefix = {"dataset": "datasets/", "space": "spaces/"}.get(self.hf_repo_type, "")
            name = urllib.parse.quote(self.hf_filename)
            return f"https://huggingface.co/{prefix}{self.hf_repo}/resolve/{self.hf_revision or 'main'}/{name}"
        return self.url

    @property
    def mirror_path(self) -> str:
        """Relative path of this file inside a mirror (see the module docstring)."""
        if self.kind == "gdrive" and not self.gdrive_id:
            return gdrive_folder_mirror_path(self.gdrive_folder, self.gdrive_path)
        if self.kind == "gdrive":
            return gdrive_mirror_path(self.gdrive_id)
        if self.kind == "hf":
            return hf_mirror_path(self.hf_repo, self.hf_filename, self.hf_revision, self.hf_repo_type)
        return url_mirror_path(self.url)

    def describe(self) -> str:
        if self.kind == "hf":
            prefix = "datasets/" if self.hf_repo_type == "dataset" else ""
            return f"hf://{prefix}{self.hf_repo}/{self.hf_filename}"
        if self.kind == "gdrive" and not self.gdrive_id:
            return f"{self.canonical_url} ({self.gdrive_path})"
        return self.canonical_url



__all__ = ["KINDS", "Remote", "gdrive_folder_mirror_path", "gdrive_mirror_path", "github_listing_mirror_path", "hf_mirror_path", "url_mirror_path"]
