"""Safe extraction of LaTeX source archives (arXiv ``.tar.gz``/``.tgz``/``.tar``, ``.zip``, or a
single gzipped ``.tex`` file, which arXiv also serves under ``.tar.gz``).

Refused, with an :class:`agent.errors.IngestError` for the whole archive: members whose path is
absolute or climbs out with ``..``, symbolic and hard links, devices and FIFOs, encrypted zip
members, more than ``limits.max_archive_members`` members, and more than
``limits.max_archive_bytes`` of content, checked against the declared sizes before anything is
written and again while the bytes are counted out (archive bombs lie about their sizes).
"""

from __future__ import annotations

import gzip
import lzma
import os
import re
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from agent.errors import IngestError
from agent.types import IngestLimits

CHUNK = 1 << 16
_SKIPPED_TOP = {"__MACOSX", ".DS_Store"}


def extract_archive(path: Path, dest: Path, *, limits: IngestLimits) -> Path:
    """Extract ``path`` into the empty folder ``dest``; return the source root inside it.

    The root is ``dest`` itself, or the single top-level folder when everything sits in one.
    """
    path, dest = Path(path), Path(dest)
    try:
        with open(path, "rb") as handle:
            magic = handle.read(512)
    except OSError as exc:
        raise IngestError(f"{path}: cannot read the archive ({exc.strerror or exc})") from exc
    dest.mkdir(parents=True, exist_ok=True)
    writer = _Writer(path, dest, limits)
    try:
        if magic.startswith(b"PK\x03\x04") or magic.startswith(b"PK\x05\x06"):
            _extract_zip(path, writer)
        elif magic.startswith(b"\x1f\x8b"):
            _extract_gzip(path, writer)
        elif magic.startswith(b"BZh"):
            _extract_tar(path, writer, "r:bz2")
        elif magic.startswith(b"\xfd7zXZ\x00"):
            _extract_tar(path, writer, "r:xz")
        elif magic[257:262] == b"ustar" or path.name.lower().endswith(".tar"):
            _extract_tar(path, writer, "r:")
        else:
            raise IngestError(f"{path}: not a recognised archive (expected tar, tar.gz or zip)")
    except IngestError:
        raise
    except (tarfile.TarError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, gzip.BadGzipFile) as exc:
        raise IngestError(f"{path}: corrupt or truncated archive ({exc})") from exc
    except (OSError, ValueError, RuntimeError, NotImplementedError) as exc:
        raise IngestError(f"{path}: the archive could not be extracted ({exc})") from exc
    if writer.members == 0:
        raise IngestError(f"{path}: the archive is empty")
    return _source_root(dest)


class _Writer:
    """Writes members under ``dest`` while enforcing the member-count and size caps."""

    def __init__(self, archive: Path, dest: Path, limits: IngestLimits) -> None:
        self.archive = archive
        self.dest = dest.resolve()
        self.limits = limits
        self.members = 0
        self.declared = 0
        self.written = 0

    def _fail(self, message: str) -> IngestError:
        return IngestError(f"{self.archive}: {message}")

    def count(self, name: str, declared_size: int) -> None:
        self.members += 1
        if self.members > self.limits.max_archive_members:
            raise self._fail(f"more than {self.limits.max_archive_members} members; refusing it")
        self.declared += max(declared_size, 0)
        if self.declared > self.limits.max_archive_bytes:
            raise self._fail(
                f"declares more than {self.limits.max_archive_bytes} bytes of content (an archive bomb?); refusing it"
            )

    def target(self, name: str) -> Path | None:
        """Where member ``name`` goes; None for entries with nothing to write (``./``)."""
        if "\x00" in name:
            raise self._fail(f"member {name!r} has a NUL byte in its name")
        unified = name.replace("\\", "/")
        if unified.startswith("/") or re.match(r"^[A-Za-z]:", unified):
            raise self._fail(f"member {name!r} has an absolute path; refusing the archive")
        parts = [p for p in PurePosixPath(unified).parts if p not in ("", ".")]
        if any(p == ".." for p in parts):
            raise self._fail(f"member {name!r} leaves the extraction folder (path traversal); refusing the archive")
        if not parts:
            return None
        target = self.dest.joinpath(*parts)
        parent = target.parent
        parent.mkdir(parents=True, exist_ok=True)
        if not parent.resolve().is_relative_to(self.dest):
            raise self._fail(f"member {name!r} leaves the extraction folder; refusing the archive")
        return target

    def directory(self, name: str) -> None:
        target = self.target(name)
        if target is not None:
            target.mkdir(parents=True, exist_ok=True)

    def file(self, name: str, stream: BinaryIO) -> None:
        target = self.target(name)
        if target is None:
            return
        if target.is_symlink() or target.is_dir():
            raise self._fail(f"member {name!r} collides with an existing entry; refusing the archive")
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(target, flags, 0o644)
        with os.fdopen(fd, "wb") as out:
            for chunk in _chunks(stream):
                self.written += len(chunk)
                if self.written > self.limits.max_archive_bytes:
                    raise self._fail(
                        f"expands past {self.limits.max_archive_bytes} bytes (an archive bomb?); refusing it"
                    )
                out.write(chunk)


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            return
        yield chunk


def _extract_tar(path: Path, writer: _Writer, mode: str) -> None:
    with tarfile.open(path, mode) as tar:
        while True:
            member = tar.next()
            if member is None:
                break
            writer.count(member.name, member.size if member.isfile() else 0)
            if member.issym() or member.islnk():
                raise writer._fail(f"member {member.name!r} is a link; refusing the archive")
            if member.isdev() or member.isfifo() or not (member.isfile() or member.isdir()):
                raise writer._fail(f"member {member.name!r} is a device, FIFO or special file; refusing the archive")
            if member.isdir():
                writer.directory(member.name)
                continue
            stream = tar.extractfile(member)
            if stream is None:
                raise writer._fail(f"member {member.name!r} cannot be read")
            with stream:
                writer.file(member.name, stream)


def _extract_zip(path: Path, writer: _Writer) -> None:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            writer.count(info.filename, info.file_size)
            mode = info.external_attr >> 16
            if mode and (
                stat.S_ISLNK(mode)
                or stat.S_ISCHR(mode)
                or stat.S_ISBLK(mode)
                or stat.S_ISFIFO(mode)
                or stat.S_ISSOCK(mode)
            ):
                raise writer._fail(f"member {info.filename!r} is a link or special file; refusing the archive")
            if info.flag_bits & 0x1:
                raise writer._fail(f"member {info.filename!r} is encrypted")
            if info.is_dir():
                writer.directory(info.filename)
                continue
            with archive.open(info) as stream:
                writer.file(info.filename, stream)


def _extract_gzip(path: Path, writer: _Writer) -> None:
    """A gzipped tar, or (arXiv) a single gzipped .tex file."""
    try:
        with tarfile.open(path, "r:gz") as tar:
            first = tar.next()
        is_tar = first is not None
    except tarfile.ReadError:
        is_tar = False
    if is_tar:
        _extract_tar(path, writer, "r:gz")
        return
    writer.count("main.tex", 0)
    with gzip.open(path, "rb") as stream:
        head = stream.read(4096)
        if not head.strip():
            raise writer._fail("the gzipped file is empty")
        if head.startswith(b"%PDF"):
            raise writer._fail("the archive holds a PDF, not LaTeX source; pass the PDF itself")
        if b"\x00" in head:
            raise writer._fail("the gzipped file is neither a tar archive nor LaTeX text")
        writer.file("main.tex", _Prefixed(head, stream))


class _Prefixed:
    """A stream that first replays ``head`` (already read to sniff the content)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if self.head:
            out, self.head = self.head, b""
            return out
        return self.stream.read(size)


def _source_root(dest: Path) -> Path:
    """``dest``, or the single folder it holds (descending while there is only one)."""
    root = dest
    for _ in range(8):
        entries = [e for e in root.iterdir() if e.name not in _SKIPPED_TOP]
        if len(entries) == 1 and entries[0].is_dir() and not entries[0].is_symlink():
            root = entries[0]
        else:
            break
    return root
