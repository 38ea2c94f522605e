"""Page-level AI opt-out signals: `noai` / `noimageai` in the `X-Robots-Tag` response header or in a
`<meta name="robots">` (or `<meta name="<crawler>">`) tag, as publishers use them today (DeviantArt
introduced the pair in 2022; several hosting platforms now set them).

Header: `X-Robots-Tag: noai, noimageai`, or scoped to one crawler as `X-Robots-Tag: GPTBot: noai`
(the scoped form of Google's documentation); a header scoped to a crawler we are not configured for
does not apply. Several headers arrive joined by newlines (`pipeline.io.warc`).
Meta: `<meta name="robots" content="noai">`, or `name` = one of the configured crawlers; only tags
before `</head>` count (a tag later in the page is not a robots directive). Directives are
case-insensitive and separated by commas (or spaces, in meta tags).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SIGNALS = ("noai", "noimageai")
# Header directives whose value holds a colon of its own: a prefix before them names no crawler.
_VALUED = {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}

_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")


def header_signals(value: str | None, agents: Iterable[str]) -> set[str]:
    """The AI signals (`noai`, `noimageai`) that `X-Robots-Tag` header lines give these crawlers."""
    if not value:
        return set()
    wanted = {a.lower() for a in agents}
    found: set[str] = set()
    for line in value.split("\n"):
        scope, sep, rest = line.partition(":")
        name = scope.strip().lower()
        if sep and name not in _VALUED and "," not in name and " " not in name:
            if name not in wanted:
                continue  # directives for another crawler
            line = rest
        found.update(_directives(line, ","))
    return found & set(SIGNALS)


def meta_signals(html: str | None, agents: Iterable[str]) -> dict[str, set[str]]:
    """meta name (`robots` or a crawler, lower-cased) -> the AI signals its tags in the page's head give."""
    if not html or "<meta" not in html.lower():
        return {}
    end = _HEAD_END.search(html)
    head = html[: end.start()] if end else html
    names = {a.lower() for a in agents} | {"robots"}
    found: dict[str, set[str]] = {}
    for tag in _META.findall(head):
        attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(tag)}
        name = attrs.get("name", "").strip().lower()
        if name in names:
            signals = _directives(attrs.get("content", ""), ", ") & set(SIGNALS)
            if signals:
                found.setdefault(name, set()).update(signals)
    return found


def _directives(text: str, separators: str) -> set[str]:
    parts = re.split(f"[{re.escape(separators)}]+", text.lower())
    return {d.strip() for d in parts if d.strip()}
