"""Safe extraction of source archives (agent.ingest.archive), with hostile archives built on the fly."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from agent.errors import IngestError
from agent.ingest import load_paper
from agent.ingest.archive import extract_archive
from agent.types import IngestLimits

MAIN = rb"""\documentclass{article}
\newcommand{\model}{TinyNet}
\title{A \model{} paper}
\begin{document}
\section{Method}\input{sections/eq}
\end{document}
"""
SECTION = rb"""We use \model. \begin{equation}\label{eq:y} y = W x \end{equation}"""


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return path


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def _special(name: str, kind: bytes, **attrs: object) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type = kind
    for key, value in attrs.items():
        setattr(info, key, value)
    return info, None


def _source_members(prefix: str = "") -> list[tuple[tarfile.TarInfo, bytes | None]]:
    return [_file(prefix + "main.tex", MAIN), _file(prefix + "sections/eq.tex", SECTION)]


# ------------------------------------------------------------------------------------------ good


def test_tar_gz_with_a_single_top_folder_is_descended(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "src.tar.gz", _source_members("paper-v2/"))
    root = extract_archive(archive, tmp_path / "out", limits=IngestLimits())
    assert root == (tmp_path / "out" / "paper-v2").resolve() or root == tmp_path / "out" / "paper-v2"
    assert (root / "sections" / "eq.tex").read_bytes() == SECTION
    assert stat.S_IMODE((root / "main.tex").stat().st_mode) == 0o644


def test_plain_tar_and_tgz_and_zip(tmp_path: Path) -> None:
    plain = _tar(tmp_path / "src.tar", _source_members(), mode="w")
    assert (extract_archive(plain, tmp_path / "a", limits=IngestLimits()) / "main.tex").exists()
    tgz = _tar(tmp_path / "src.tgz", _source_members())
    assert (extract_archive(tgz, tmp_path / "b", limits=IngestLimits()) / "sections" / "eq.tex").exists()
    with zipfile.ZipFile(tmp_path / "src.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("main.tex", MAIN)
        zf.writestr("sections/", b"")
        zf.writestr("sections/eq.tex", SECTION)
    root = extract_archive(tmp_path / "src.zip", tmp_path / "c", limits=IngestLimits())
    assert (root / "sections" / "eq.tex").read_bytes() == SECTION


def test_bare_gzipped_tex_file(tmp_path: Path) -> None:
    archive = tmp_path / "2101.00001.tar.gz"
    archive.write_bytes(gzip.compress(MAIN.replace(rb"\input{sections/eq}", b"Text.")))
    root = extract_archive(archive, tmp_path / "out", limits=IngestLimits())
    assert (root / "main.tex").read_bytes().startswith(rb"\documentclass")


def test_load_paper_reads_an_archive_end_to_end(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "src.tar.gz", _source_members("paper/"))
    paper = load_paper(archive)
    assert paper.title == "A TinyNet paper"
    assert paper.source == "latex" and paper.path == str(archive)
    (eq,) = paper.equations
    assert (eq.number, eq.label, eq.latex) == ("1", "eq:y", "y = W x")
    assert "We use TinyNet." in paper.sections[0].text


# ---------------------------------------------------------------------------------------- hostile


@pytest.mark.parametrize("name", ["../evil.tex", "a/../../evil.tex", "/tmp/evil.tex", "..\\evil.tex", "C:/evil.tex"])
def test_tar_path_traversal_and_absolute_paths_are_refused(tmp_path: Path, name: str) -> None:
    archive = _tar(tmp_path / "bad.tar.gz", [*_source_members(), _file(name, b"pwned")])
    dest = tmp_path / "out" / "inner"
    with pytest.raises(IngestError, match="refusing|absolute|leaves"):
        extract_archive(archive, dest, limits=IngestLimits())
    assert not (tmp_path / "out" / "evil.tex").exists() and not (tmp_path / "evil.tex").exists()
    assert not Path("/tmp/evil.tex").exists() or Path("/tmp/evil.tex").read_bytes() != b"pwned"


@pytest.mark.parametrize(
    "member",
    [
        _special("link.tex", tarfile.SYMTYPE, linkname="/etc/passwd"),
        _special("hard.tex", tarfile.LNKTYPE, linkname="main.tex"),
        _special("dev", tarfile.CHRTYPE, devmajor=1, devminor=3),
        _special("blk", tarfile.BLKTYPE, devmajor=8, devminor=0),
        _special("pipe", tarfile.FIFOTYPE),
    ],
    ids=["symlink", "hardlink", "char-device", "block-device", "fifo"],
)
def test_links_devices_and_fifos_are_refused(tmp_path: Path, member: tuple[tarfile.TarInfo, None]) -> None:
    archive = _tar(tmp_path / "bad.tar.gz", [*_source_members(), member])
    with pytest.raises(IngestError, match="link|device|FIFO"):
        extract_archive(archive, tmp_path / "out", limits=IngestLimits())
    assert not any(p.is_symlink() for p in (tmp_path / "out").rglob("*"))


def test_too_many_members(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "many.tar.gz", [_file(f"f{i}.tex", b"x") for i in range(30)])
    with pytest.raises(IngestError, match="more than 10 members"):
        extract_archive(archive, tmp_path / "out", limits=IngestLimits(max_archive_members=10))


def test_bomb_by_declared_size_is_refused_before_writing(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "bomb.tar.gz", [_file("main.tex", MAIN), _file("zeros.bin", bytes(3_000_000))])
    assert archive.stat().st_size < 20_000
    with pytest.raises(IngestError, match="declares more than"):
        extract_archive(archive, tmp_path / "out", limits=IngestLimits(max_archive_bytes=1_000_000))
    assert not (tmp_path / "out" / "zeros.bin").exists()


def test_gzip_bomb_is_stopped_while_counting_bytes(tmp_path: Path) -> None:
    archive = tmp_path / "bomb.tar.gz"  # one gzipped "tex" file: no size is declared anywhere
    archive.write_bytes(gzip.compress(b"\\documentclass{article}" + b" " * 5_000_000))
    with pytest.raises(IngestError, match="expands past"):
        extract_archive(archive, tmp_path / "out", limits=IngestLimits(max_archive_bytes=1_000_000))
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= 1_000_000


def test_zip_whose_header_lies_about_its_size(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.tex", b"a" * 4_000_000)
    data = bytearray(buffer.getvalue())
    # rewrite the uncompressed size (4 bytes) in the local header and the central directory to 10
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (10).to_bytes(4, "little")
    archive = tmp_path / "liar.zip"
    archive.write_bytes(bytes(data))
    with pytest.raises(IngestError):
        extract_archive(archive, tmp_path / "out", limits=IngestLimits(max_archive_bytes=1_000_000))
    written = sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written <= 1_000_000


def test_zip_traversal_symlink_and_encryption_are_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "trav.zip", "w") as zf:
        zf.writestr("main.tex", MAIN)
        zf.writestr("../../evil.tex", b"pwned")
    with pytest.raises(IngestError, match="path traversal"):
        extract_archive(tmp_path / "trav.zip", tmp_path / "o1", limits=IngestLimits())
    assert not (tmp_path / "evil.tex").exists()

    link = zipfile.ZipInfo("link.tex")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as zf:
        zf.writestr(link, "/etc/passwd")
    with pytest.raises(IngestError, match="link"):
        extract_archive(tmp_path / "link.zip", tmp_path / "o2", limits=IngestLimits())

    with zipfile.ZipFile(tmp_path / "enc.zip", "w") as zf:
        zf.writestr("main.tex", MAIN)
    data = bytearray((tmp_path / "enc.zip").read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + offset] |= 0x1  # the "encrypted" flag bit
    (tmp_path / "enc.zip").write_bytes(bytes(data))
    with pytest.raises(IngestError, match="encrypted"):
        extract_archive(tmp_path / "enc.zip", tmp_path / "o3", limits=IngestLimits())


@pytest.mark.parametrize(
    "name, payload",
    [
        ("random.tar.gz", os.urandom(4096)),
        ("truncated.tar.gz", None),
        ("bad.zip", b"PK\x03\x04" + os.urandom(200)),
        ("text.tar", b"hello, not an archive at all" * 40),
        ("empty.tar.gz", gzip.compress(b"")),
        ("pdf.tar.gz", gzip.compress(b"%PDF-1.5\n" + os.urandom(100))),
    ],
)
def test_corrupt_or_wrong_archives(tmp_path: Path, name: str, payload: bytes | None) -> None:
    archive = tmp_path / name
    if payload is None:
        good = _tar(tmp_path / "good.tar.gz", [_file("main.tex", MAIN * 200)]).read_bytes()
        payload = good[: len(good) // 2]
    archive.write_bytes(payload)
    with pytest.raises(IngestError) as info:
        extract_archive(archive, tmp_path / "out", limits=IngestLimits())
    assert str(archive) in str(info.value) and "\n" not in str(info.value)


def test_empty_tar_is_refused(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "empty.tar", [], mode="w")
    with pytest.raises(IngestError, match="empty|neither"):
        extract_archive(archive, tmp_path / "out", limits=IngestLimits())


def test_hostile_archive_through_load_paper(tmp_path: Path) -> None:
    archive = _tar(tmp_path / "bad.tar.gz", [*_source_members(), _file("../../escape.tex", b"x")])
    with pytest.raises(IngestError, match="path traversal"):
        load_paper(archive)
    assert not (tmp_path / "escape.tex").exists()
