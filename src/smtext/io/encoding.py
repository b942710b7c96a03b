"""Text encodings of exported files: a BOM, else UTF-8, GBK or GB18030 (CSMAR and Wind on Chinese Windows
write GBK), never a raw UnicodeDecodeError."""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import SMError

__all__ = ["detect_encoding", "decode_text"]

_ENCODINGS = ("utf-8", "gbk", "gb18030")   # tried in this order; GB18030 is a superset of GBK


def detect_encoding(path: str | Path, encoding: str | None = None) -> str:
    """The text encoding of ``path``: a BOM, else the first of UTF-8, GBK, GB18030 that decodes every byte.

    The file is decoded in 1 MB blocks (nothing is kept), so a GBK byte near the end is
    found without reading the file into memory.

    Raises
    ------
    SMError
        SM013 when ``encoding`` is given and does not decode the file, or when none of the
        encodings does.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4)
    if encoding is None and head.startswith(codecs.BOM_UTF8):
        encoding_list = ("utf-8-sig",)
    elif encoding is None and head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        encoding_list = ("utf-16",)
    else:
        encoding_list = (encoding,) if encoding else _ENCODINGS
    errors = []
    for enc in encoding_list:
        try:
            dec = codecs.getincrementaldecoder(enc)()
        except LookupError:
            raise SMError("SM013", f"encoding={enc!r} is not a known text encoding.",
                          "use utf-8, utf-8-sig, gbk or gb18030, or leave it out to detect it.") from None
        pos = 0
        try:
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    dec.decode(block)
                    pos += len(block)
                dec.decode(b"", final=True)
            return "utf-8-sig" if enc == "utf-8" and head.startswith(codecs.BOM_UTF8) else enc
        except UnicodeDecodeError as e:
            errors.append(f"{enc} fails at byte {pos + e.start:,}")
    if encoding:
        raise SMError("SM013", f"{path.name} is not {encoding} text ({errors[0]}).",
                      "leave encoding out to detect it, or give the encoding the file was saved in.")
    raise SMError("SM013", f"{path.name} is not UTF-8, GBK or GB18030 text ({'; '.join(errors)}).",
                  "open it in a spreadsheet and save it as 'CSV UTF-8', or pass encoding= if you know it.")


def decode_text(raw: bytes, encoding: str | None, what: str) -> tuple[str, str]:
    """Decode a small text file (a description file) with the same rules as :func:`detect_encoding`."""
    if raw.startswith(codecs.BOM_UTF8) and encoding is None:
        return raw.decode("utf-8-sig"), "utf-8-sig"
    for enc in (encoding,) if encoding else _ENCODINGS:
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
        except LookupError:
            break
    raise SMError("SM013", f"{what} cannot be decoded as {encoding or 'UTF-8, GBK or GB18030'}.",
                  "save it as UTF-8 or pass the right encoding.")
