"""Decode an HTML payload to text: HTTP header charset, then <meta> tag, then UTF-8, then cp1252.

Follows what browsers do (WHATWG encoding labels): ISO-8859-1 and ASCII labels mean windows-1252.
Bytes invalid in the chosen charset become U+FFFD and are reported, never an exception.
"""

from __future__ import annotations

import codecs
import re

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_SNIFF_BYTES = 4096
# WHATWG: these labels are decoded as windows-1252 by every browser.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso8859-1": "cp1252",
    "l1": "cp1252",
    "x-user-defined": "cp1252",
}


def _normalise(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return _normalise(match.group(1)) if match else None


def charset_from_meta(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_SNIFF_BYTES])
    return _normalise(match.group(1).decode("ascii", "ignore")) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str, bool]:
    """Return (text, charset used, whether invalid bytes were replaced)."""
    declared = charset_from_content_type(content_type) or charset_from_meta(body)
    if declared is not None:
        try:
            return body.decode(declared), declared, False
        except UnicodeDecodeError:
            # A wrong declaration is common (UTF-8 declared, cp1252 sent); try UTF-8 before replacing.
            if declared != "utf-8":
                try:
                    return body.decode("utf-8"), "utf-8", False
                except UnicodeDecodeError:
                    pass
            return body.decode(declared, errors="replace"), declared, True
    try:
        return body.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252", True
