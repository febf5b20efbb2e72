"""Opening AIS input: a path or a byte stream, gzip or plain (told by its magic bytes), read
in large blocks cut at line ends so that memory stays flat whatever the input's size."""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
BLOCK_BYTES = 1 << 20


class AisFormatError(ValueError):
    """The input as a whole cannot be read as AIS; `reason` says why, for the caller to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Counted(io.RawIOBase):
    """A raw stream over `inner` that first replays `head` (bytes already read to sniff the
    input) and counts the bytes taken from `inner`, for a progress display."""

    def __init__(self, inner: BinaryIO, head: bytes = b"") -> None:
        super().__init__()
        self._inner = inner
        self._head = head
        self.consumed = len(head)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        size = len(buffer)
        if self._head:
            n = min(size, len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._inner.read(size)
        if not data:
            return 0
        n = len(data)
        buffer[:n] = data
        self.consumed += n
        return n


class OpenedSource:
    """Decompressed bytes of one input, with its first block already read (for sniffing the
    format) and a count of the raw bytes taken from the source so far."""

    def __init__(self, source: Path | BinaryIO) -> None:
        self._owned: BinaryIO | None = None
        if isinstance(source, Path | str):
            raw: BinaryIO = Path(source).open("rb")  # noqa: SIM115 - closed by close()
            self._owned = raw
        else:
            raw = source
        magic = _read_at_least(raw, 2)
        self._counted = _Counted(raw, magic)
        buffered = io.BufferedReader(self._counted, BLOCK_BYTES)
        stream: BinaryIO = buffered
        self.compressed = magic.startswith(GZIP_MAGIC)
        if self.compressed:
            stream = gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[assignment]
        self._stream = stream
        try:
            self.head = stream.read(BLOCK_BYTES)
        except (OSError, EOFError) as exc:
            self.close()
            raise AisFormatError(f"cannot decompress the gzip input: {exc}") from exc

    @property
    def bytes_read(self) -> int:
        """Bytes taken from the source itself (compressed bytes for gzip)."""
        return self._counted.consumed

    def blocks(self) -> Iterator[bytes]:
        """The decompressed input in blocks of whole lines (the last may lack its line end)."""
        carry = self.head
        self.head = b""
        while True:
            try:
                data = self._stream.read(BLOCK_BYTES)
            except (OSError, EOFError) as exc:
                raise AisFormatError(f"the gzip input is corrupt or cut short: {exc}") from exc
            if not data:
                if carry:
                    yield carry
                return
            data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            carry = data[cut:]
            yield data[:cut]

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None


def _read_at_least(raw: BinaryIO, n: int) -> bytes:
    """Up to `n` bytes, looping because a pipe or socket may return fewer per read."""
    data = b""
    while len(data) < n:
        more = raw.read(n - len(data))
        if not more:
            break
        data += more
    return data
