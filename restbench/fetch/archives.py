"""Unpacking downloaded test-set archives without trusting them.

An archive is data from the internet: a member named ``../../.bashrc`` or ``/etc/passwd``
(zip/tar slip), a symlink to ``/`` followed by a file written "through" it, a hard link to a
file outside, or a device node must never touch anything outside the destination. Python's
``tarfile`` only gained a safe ``filter='data'`` in 3.11.4/3.12, and ``zipfile`` has no notion of
links at all, so the checks are done here, the same way for both formats:

* every member name is split on ``/`` and ``\\`` and refused if it is absolute (``/x``, ``C:x``,
  ``\\\\server``) or has a ``..`` component;
* links (tar symlinks and hard links, zip entries whose Unix mode is ``S_IFLNK``) are refused
  when their target leaves the archive; links that stay inside are written as plain copies of
  their target's bytes, so no link is ever created on disk;
* devices, FIFOs and other special members are refused;
* before each write the real (symlink-resolved) parent folder is checked to be inside the
  destination, so nothing already on disk can redirect a write either;
* the declared and the written sizes are capped (``max_bytes``) against decompression bombs.

Nothing is written unless the whole member list passed the name checks. After extraction the
result can be verified against an expected file count and expected paths
(:func:`verify_tree`), which is what :mod:`restbench.datasets` does after every download.
"""

from __future__ import annotations

import lzma
import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

DEFAULT_MAX_BYTES = 64 * 1024**3  # the largest standard test set (SIDD val .mat pair) is ~0.5 GB
_CHUNK = 1 << 20


class ExtractError(Exception):
    """The archive is unsafe, unreadable, too large, or did not contain what was expected."""


@dataclass
class ExtractReport:
    """What was written: files relative to the destination (posix separators), and link copies."""

    files: list[str] = field(default_factory=list)
    link_copies: list[str] = field(default_factory=list)
    skipped_links: list[str] = field(default_factory=list)  # inside links to folders: not needed, not made
    bytes_written: int = 0


@dataclass(frozen=True)
class _Member:
    name: str  # normalised, relative, posix
    kind: str  # 'file', 'dir', 'link'
    size: int
    link_to: str | None  # normalised archive path of the link target (for kind == 'link')
    handle: object  # TarInfo or ZipInfo


def _normalise(raw: str, archive: Path) -> str:
    """A member name as a safe relative posix path, or ExtractError saying why it is not."""
    if not raw or "\x00" in raw:
        raise ExtractError(f"{archive.name}: member with an empty or NUL-containing name")
    unified = raw.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise ExtractError(f"{archive.name}: member {raw!r} has an absolute path; refusing to extract")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ExtractError(f"{archive.name}: member {raw!r} climbs out of the destination ('..'); refusing to extract")
    return "/".join(parts)


def _resolve_link(member_name: str, target: str, archive: Path, hard: bool) -> str:
    """Where a link points, as an archive-relative path; ExtractError if it leaves the archive.

    Symlink targets are relative to the link's folder, tar hard-link targets to the archive root.
    """
    unified = target.replace("\\", "/")
    if not unified or unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise ExtractError(f"{archive.name}: link {member_name!r} -> {target!r} points outside the destination")
    base = "" if hard else posixpath.dirname(member_name)
    joined = posixpath.normpath(posixpath.join(base, unified))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        raise ExtractError(f"{archive.name}: link {member_name!r} -> {target!r} points outside the destination")
    return "" if joined == "." else joined


def _tar_members(tf: tarfile.TarFile, archive: Path) -> list[_Member]:
    out = []
    for ti in tf.getmembers():
        name = _normalise(ti.name, archive)
        if ti.isdir():
            out.append(_Member(name, "dir", 0, None, ti))
        elif ti.isfile():
            out.append(_Member(name, "file", ti.size, None, ti))
        elif ti.issym() or ti.islnk():
            target = _resolve_link(name, ti.linkname, archive, hard=ti.islnk())
            out.append(_Member(name, "link", 0, target, ti))
        else:
            raise ExtractError(f"{archive.name}: member {ti.name!r} is a device/FIFO/special file; refusing to extract")
    return out


def _zip_members(zf: zipfile.ZipFile, archive: Path) -> list[_Member]:
    out = []
    for zi in zf.infolist():
        name = _normalise(zi.filename, archive)
        mode = zi.external_attr >> 16
        if zi.is_dir():
            out.append(_Member(name, "dir", 0, None, zi))
        elif stat.S_ISLNK(mode):
            target = zf.read(zi).decode("utf-8", "replace")
            out.append(_Member(name, "link", 0, _resolve_link(name, target, archive, hard=False), zi))
        elif mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG):
            raise ExtractError(f"{archive.name}: member {zi.filename!r} is a special file; refusing to extract")
        else:
            out.append(_Member(name, "file", zi.file_size, None, zi))
    return out


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _copy_stream(src, dst: Path, limit: int, written: int, archive: Path) -> int:
    with open(dst, "wb") as fh:
        while True:
            chunk = src.read(_CHUNK)
            if not chunk:
                break
            written += len(chunk)
            if written > limit:
                fh.close()
                dst.unlink(missing_ok=True)
                raise ExtractError(f"{archive.name}: more than {limit} bytes unpacked; refusing (decompression bomb?)")
            fh.write(chunk)
    return written


def safe_extract(archive: str | os.PathLike[str], dest: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> ExtractReport:
    """Unpack a zip or tar (plain, gz, bz2, xz) archive into ``dest`` with the checks above.

    ``dest`` is created if needed. Raises :class:`ExtractError` before writing anything if a member
    name or link is unsafe, and during writing if a size limit is hit or a write would land
    outside ``dest``.
    """
    archive = Path(archive)
    dest = Path(dest)
    fmt = archive_format(archive)
    if fmt is None:
        raise ExtractError(f"{archive}: not a zip or tar archive (its first bytes match no known archive format)")
    if fmt in _UNSUPPORTED:
        raise ExtractError(f"{archive}: a {fmt} archive; restbench unpacks only zip and tar (plain, gz, bz2, xz)")
    kind = "zip" if fmt == "zip" else "tar"
    try:
        return _extract(archive, dest, kind, max_bytes)
    except ExtractError:
        raise
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError) as exc:
        if isinstance(exc, OSError) and not _is_decode_error(exc):
            raise
        raise ExtractError(f"{archive.name}: the {fmt} archive is truncated or corrupt ({type(exc).__name__}: {exc})") from exc


def _is_decode_error(exc: OSError) -> bool:
    """gzip/bz2 raise plain OSError/EOFError subclasses for bad data; disk errors must pass through."""
    return exc.errno is None


# Magic bytes at offset 0 (tar's "ustar" sits at 257). Names for the ones we refuse to guess at.
_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # empty zip
    (b"\x1f\x8b", "tar.gz"),
    (b"BZh", "tar.bz2"),
    (b"\xfd7zXZ\x00", "tar.xz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_UNSUPPORTED = ("7z", "rar", "zstd")


def archive_format(path: str | os.PathLike[str]) -> str | None:
    """The archive format read from the file's first bytes ("zip", "tar", "tar.gz", ...), or None.

    The name is never consulted: Drive and mirrors serve files under ids (``uc/ID``), and a
    ``test.zip`` that is really an HTML error page must be recognised as not an archive at all.
    """
    with open(path, "rb") as fh:
        head = fh.read(512)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def _extract(archive: Path, dest: Path, kind: str, max_bytes: int) -> ExtractReport:
    opener = zipfile.ZipFile if kind == "zip" else tarfile.open
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    report = ExtractReport()
    with opener(archive) as af:
        members = _tar_members(af, archive) if kind == "tar" else _zip_members(af, archive)
        declared = sum(m.size for m in members)
        if declared > max_bytes:
            raise ExtractError(f"{archive.name}: declares {declared} bytes, over the {max_bytes}-byte limit")
        by_name = {m.name: m for m in members}
        folders = {m.name for m in members if m.kind == "dir"} | {
            posixpath.dirname(m.name) for m in members
        } | {""}
        folders |= {"/".join(f.split("/")[:i]) for f in list(folders) for i in range(1, f.count("/") + 1)}

        def open_member(m: _Member, seen: tuple[str, ...] = ()):
            if m.kind == "file":
                return af.extractfile(m.handle) if kind == "tar" else af.open(m.handle)
            target = by_name.get(m.link_to or "")
            if target is None or target.kind == "dir" or m.name in seen:
                raise ExtractError(f"{archive.name}: link {m.name!r} -> {m.link_to!r} does not point to a file in the archive")
            return open_member(target, seen + (m.name,))

        written = 0
        for m in members:
            if not m.name:
                continue
            out = root / m.name
            if m.kind == "link" and m.link_to in folders:
                report.skipped_links.append(m.name)
                continue
            if m.kind == "dir":
                out.mkdir(parents=True, exist_ok=True)
                if not _inside(out.resolve(), root):
                    raise ExtractError(f"{archive.name}: folder {m.name!r} resolves outside the destination")
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            if not _inside(out.parent.resolve(), root) or out.is_symlink():
                raise ExtractError(f"{archive.name}: member {m.name!r} would be written outside the destination")
            src = open_member(m)
            try:
                written = _copy_stream(src, out, max_bytes, written, archive)
            finally:
                src.close()
            report.files.append(m.name)
            if m.kind == "link":
                report.link_copies.append(m.name)
        report.bytes_written = written
    return report


def verify_tree(
    root: str | os.PathLike[str],
    *,
    expected_count: int | None = None,
    suffixes: Iterable[str] = (),
    expected_paths: Iterable[str] = (),
) -> int:
    """Check an unpacked tree: files with ``suffixes`` (case-insensitive, recursive) number
    exactly ``expected_count``, and every path in ``expected_paths`` exists. Returns the count.
    """
    root = Path(root)
    suffixes = tuple(s.lower() for s in suffixes)
    files = [p for p in root.rglob("*") if p.is_file() and (not suffixes or p.suffix.lower() in suffixes)]
    missing = [p for p in expected_paths if not (root / p).exists()]
    if missing:
        raise ExtractError(f"{root}: expected {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''} after unpacking; not found")
    if expected_count is not None and len(files) != expected_count:
        what = "/".join(suffixes) or "files"
        raise ExtractError(f"{root}: expected {expected_count} {what} after unpacking, found {len(files)}")
    return len(files)


def move_tree(src: Path, dest: Path) -> None:
    """Move the contents of ``src`` into ``dest`` (created), replacing files of the same name."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in src.iterdir():
        target = dest / item.name
        if target.is_dir() and item.is_dir():
            move_tree(item, target)
            continue
        if target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        shutil.move(str(item), str(target))


__all__ = [
    "DEFAULT_MAX_BYTES",
    "ExtractError",
    "ExtractReport",
    "archive_format",
    "move_tree",
    "safe_extract",
    "verify_tree",
]
