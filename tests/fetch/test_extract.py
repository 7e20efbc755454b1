"""Safe archive extraction: slips, absolute paths, links and specials are refused; good archives unpack."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from restbench.fetch.archives import ExtractError, safe_extract, verify_tree


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tuple[tarfile.TarInfo, None]:
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.linkname = target
    return ti, None


def _zip_symlink(zf: zipfile.ZipFile, name: str, target: str) -> None:
    zi = zipfile.ZipInfo(name)
    zi.create_system = 3
    zi.external_attr = (stat.S_IFLNK | 0o777) << 16
    zf.writestr(zi, target)


@pytest.fixture
def box(tmp_path):
    """A destination folder inside a parent we can check for stray files."""
    dest = tmp_path / "box" / "dest"
    dest.parent.mkdir()
    return dest


def _outside_untouched(box: Path) -> None:
    stray = [p for p in box.parent.parent.rglob("*") if p.is_file() and box not in p.parents and p.suffix not in (".zip", ".gz", ".tar")]
    assert stray == []


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "..\\evil.txt", "/tmp/evil.txt", "C:/evil.txt"])
def test_zip_slip_and_absolute_names_are_refused(tmp_path, box, name):
    arc = tmp_path / "bad.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("ok/first.png", b"fine")
        zf.writestr(name, b"pwned")
    with pytest.raises(ExtractError, match="absolute|climbs out"):
        safe_extract(arc, box)
    assert not (box / "ok" / "first.png").exists()  # checked before anything is written
    _outside_untouched(box)


@pytest.mark.parametrize("name", ["../evil.txt", "sub/../../evil.txt", "/etc/evil.txt"])
def test_tar_slip_is_refused(tmp_path, box, name):
    arc = _tar(tmp_path / "bad.tar.gz", [_file("ok.png", b"fine"), _file(name, b"pwned")])
    with pytest.raises(ExtractError):
        safe_extract(arc, box)
    assert not (box / "ok.png").exists()
    _outside_untouched(box)


def test_tar_symlink_outside_then_write_through_it_is_refused(tmp_path, box):
    outside = tmp_path / "box" / "victim"
    outside.mkdir()
    arc = _tar(tmp_path / "bad.tar", [_link("escape", str(outside)), _file("escape/owned.txt", b"pwned")], mode="w")
    with pytest.raises(ExtractError, match="outside"):
        safe_extract(arc, box)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd", "a/../../../x"])
def test_tar_links_pointing_outside_are_refused(tmp_path, box, target):
    for kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
        arc = _tar(tmp_path / "bad.tar", [_file("sub/a.png", b"img"), _link("sub/link", target, kind)], mode="w")
        with pytest.raises(ExtractError, match="outside"):
            safe_extract(arc, box)
        assert not box.exists() or not any(box.rglob("*"))


def test_zip_symlink_outside_is_refused(tmp_path, box):
    arc = tmp_path / "bad.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        _zip_symlink(zf, "link", "../../outside")
    with pytest.raises(ExtractError, match="outside"):
        safe_extract(arc, box)


def test_tar_device_is_refused(tmp_path, box):
    dev = tarfile.TarInfo("dev/sda")
    dev.type = tarfile.BLKTYPE
    arc = _tar(tmp_path / "bad.tar", [(dev, None)], mode="w")
    with pytest.raises(ExtractError, match="device"):
        safe_extract(arc, box)


def test_existing_symlink_in_destination_cannot_redirect_writes(tmp_path, box):
    outside = tmp_path / "box" / "victim"
    outside.mkdir()
    box.mkdir()
    (box / "sub").symlink_to(outside, target_is_directory=True)
    arc = _tar(tmp_path / "ok.tar", [_file("sub/a.png", b"img")], mode="w")
    with pytest.raises(ExtractError, match="outside"):
        safe_extract(arc, box)
    assert list(outside.iterdir()) == []


def test_good_tar_and_zip_extract_with_inside_links_copied(tmp_path, box):
    arc = _tar(
        tmp_path / "good.tar.gz",
        [_file("Set/HR/a.png", b"AAAA"), _file("Set/HR/b.png", b"BB"), _link("Set/HR/c.png", "a.png"),
         _link("Set/HR/d.png", "Set/HR/b.png", tarfile.LNKTYPE), _link("Set/alias", "HR")],
    )
    rep = safe_extract(arc, box)
    assert sorted(rep.files) == ["Set/HR/a.png", "Set/HR/b.png", "Set/HR/c.png", "Set/HR/d.png"]
    assert sorted(rep.link_copies) == ["Set/HR/c.png", "Set/HR/d.png"]
    assert rep.skipped_links == ["Set/alias"]
    assert (box / "Set/HR/c.png").read_bytes() == b"AAAA" and not (box / "Set/HR/c.png").is_symlink()
    assert (box / "Set/HR/d.png").read_bytes() == b"BB"
    assert rep.bytes_written == 4 + 2 + 4 + 2
    assert verify_tree(box, expected_count=4, suffixes=[".png"], expected_paths=["Set/HR/a.png"]) == 4

    zarc = tmp_path / "good.zip"
    with zipfile.ZipFile(zarc, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("x/one.png", b"1")
        zf.writestr("x/two.PNG", b"22")
        _zip_symlink(zf, "x/three.png", "one.png")
    zdest = tmp_path / "z"
    rep = safe_extract(zarc, zdest)
    assert (zdest / "x/three.png").read_bytes() == b"1"
    assert verify_tree(zdest, expected_count=3, suffixes=[".png"]) == 3


def test_verify_tree_reports_wrong_count_and_missing_paths(tmp_path):
    (tmp_path / "a.png").write_bytes(b"1")
    (tmp_path / "b.txt").write_bytes(b"1")
    with pytest.raises(ExtractError, match="expected 2 .png .*found 1"):
        verify_tree(tmp_path, expected_count=2, suffixes=[".png"])
    with pytest.raises(ExtractError, match="HR/x.png"):
        verify_tree(tmp_path, expected_paths=["HR/x.png"])


def test_size_cap_stops_decompression_bombs(tmp_path, box):
    arc = tmp_path / "bomb.zip"
    with zipfile.ZipFile(arc, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\0" * 200_000)
    assert arc.stat().st_size < 5_000
    with pytest.raises(ExtractError, match="limit"):
        safe_extract(arc, box, max_bytes=100_000)


def test_not_an_archive(tmp_path, box):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"definitely not an archive")
    with pytest.raises(ExtractError, match="not a zip or tar"):
        safe_extract(junk, box)


def test_format_comes_from_the_content_not_the_name(tmp_path, box):
    """Drive and mirrors serve files under ids; a zip called .tar.gz (or nothing) still unpacks."""
    from restbench.fetch.archives import archive_format

    zipped = tmp_path / "uc_ID.tar.gz"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("test/GoPro/input/a.png", b"zip bytes")
    tarred = _tar(tmp_path / "test.zip", [_file("test/x.txt", b"tar bytes")])
    plain = _tar(tmp_path / "noext", [_file("y.txt", b"plain tar")], mode="w")
    assert [archive_format(p) for p in (zipped, tarred, plain)] == ["zip", "tar.gz", "tar"]
    safe_extract(zipped, box / "z")
    safe_extract(tarred, box / "t")
    safe_extract(plain, box / "p")
    assert (box / "z" / "test/GoPro/input/a.png").read_bytes() == b"zip bytes"
    assert (box / "t" / "test/x.txt").read_bytes() == b"tar bytes" and (box / "p" / "y.txt").read_bytes() == b"plain tar"
    html = tmp_path / "test.zip.html"
    html.write_bytes(b"<!DOCTYPE html><html>Google Drive - Quota exceeded</html>")
    assert archive_format(html) is None
    seven = tmp_path / "a.zip"
    seven.write_bytes(b"7z\xbc\xaf\x27\x1c" + b"\0" * 100)
    with pytest.raises(ExtractError, match="a 7z archive; restbench unpacks only zip and tar"):
        safe_extract(seven, box / "s")


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_truncated_or_corrupt_archives_are_named_as_such(tmp_path, box, kind):
    arc = tmp_path / f"a.{kind}"
    payload = bytes(range(256)) * 2000
    if kind == "zip":
        with zipfile.ZipFile(arc, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("big.bin", payload)
    else:
        _tar(arc, [_file("big.bin", payload)])
    data = arc.read_bytes()
    arc.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractError, match=f"the {kind} archive is truncated or corrupt"):
        safe_extract(arc, box / "cut")
    arc.write_bytes(data[:60] + bytes(b ^ 0x5A for b in data[60:90]) + data[90:])
    with pytest.raises(ExtractError, match=f"the {kind} archive is truncated or corrupt"):
        safe_extract(arc, box / "bad")
