"""What the sample generator plants: page kinds, their descriptions, and `PageSpec` (one fetch)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

# --------------------------------------------------------------------------------------------------
# Kinds: the tag of every page, and what it is there to exercise.

KIND_ARTICLE = "article"
KIND_BOILERPLATE_HEAVY = "boilerplate_heavy"
KIND_NON_HTML = "non_html"
KIND_HTTP_404 = "http_404"
KIND_HTTP_301 = "http_301"
KIND_FRENCH = "french"
KIND_GERMAN = "german"
KIND_SPANISH = "spanish"
KIND_NEAR_DUPLICATE = "near_duplicate"
KIND_EXACT_DUPLICATE = "exact_duplicate"
KIND_PII = "pii"
KIND_BLOCKED_DOMAIN = "blocked_domain"
KIND_BANNED_URL_WORDS = "banned_url_words"
KIND_LOREM_IPSUM = "lorem_ipsum"
KIND_JAVASCRIPT = "javascript_braces"
KIND_SHORT_LINES = "short_lines"
KIND_REPEATED_LINES = "repeated_lines"
KIND_TOO_FEW_WORDS = "too_few_words"
KIND_SYMBOLS = "symbols"
KIND_EMPTY_BODY = "empty_body"
KIND_CHARSET_CP1252 = "charset_cp1252"
KIND_CHARSET_META = "charset_meta_only"
KIND_INVALID_UTF8 = "invalid_utf8"
KIND_OVERSIZED = "oversized"
KIND_TRUNCATED = "truncated"

# kind -> what the page holds and which step is meant to act on it (documentation, machine-readable).
KIND_DESCRIPTIONS: dict[str, str] = {
    KIND_ARTICLE: "normal English article in site boilerplate; should survive every filter",
    KIND_BOILERPLATE_HEAVY: "short English article (6 sentences) inside heavy navigation, sidebars and footer; extract keeps only the article",
    KIND_NON_HTML: "image/png, application/pdf, text/css, application/json responses; skipped as non-HTML",
    KIND_HTTP_404: "HTTP 404 HTML error page; skipped for its status",
    KIND_HTTP_301: "HTTP 301 redirect with a Location header; skipped for its status",
    KIND_FRENCH: "French article; dropped by English language ID",
    KIND_GERMAN: "German article; dropped by English language ID",
    KIND_SPANISH: "Spanish article; dropped by English language ID",
    KIND_NEAR_DUPLICATE: "pair (same group): one article on two sites, one sentence changed; MinHash keeps one",
    KIND_EXACT_DUPLICATE: "pair (same group): identical article text on two sites; exact dedup keeps one",
    KIND_PII: "article with planted email, phone number and IP addresses (see `planted`); PII stage redacts",
    KIND_BLOCKED_DOMAIN: "article on blocked-demo-domain.com; dropped by the URL domain blocklist",
    KIND_BANNED_URL_WORDS: (
        "article whose URL has the words casino and poker; kept: FineWeb's URL word lists (adult terms) "
        "hold neither word, so gambling words alone do not drop a page"
    ),
    KIND_LOREM_IPSUM: "English page with a lorem ipsum paragraph; dropped by the C4 rules",
    KIND_JAVASCRIPT: "article with a 'enable JavaScript' line and curly braces; C4 drops the line / the page",
    KIND_SHORT_LINES: "list of short lines; fails FineWeb's short-line ratio",
    KIND_REPEATED_LINES: "the same few lines repeated; fails Gopher repetition",
    KIND_TOO_FEW_WORDS: "page with fewer than 50 words of text; fails Gopher quality (or extracts to nothing)",
    KIND_SYMBOLS: "social post that is mostly hashtags; fails Gopher's symbol-to-word ratio",
    KIND_EMPTY_BODY: "HTML with an empty <body>; extraction returns nothing",
    KIND_CHARSET_CP1252: "article declared charset=windows-1252 in HTTP with cp1252 bytes (curly quotes, é)",
    KIND_CHARSET_META: "article whose charset (iso-8859-1) is only in a <meta charset> tag",
    KIND_INVALID_UTF8: "article declared utf-8 with a few invalid UTF-8 bytes; decodes with U+FFFD",
    KIND_OVERSIZED: "HTML page over 5 MB uncompressed (a huge repeated table); hits the page size cap",
    KIND_TRUNCATED: "HTML payload cut at 1 MiB with WARC-Truncated: length, as Common Crawl does",
}
KINDS: tuple[str, ...] = tuple(KIND_DESCRIPTIONS)

DEFAULT_SEED = 20240220
DEFAULT_OUTPUT = "data/sample/sample.warc.gz"
N_FIXED_ARTICLES = 50
OVERSIZED_BYTES = 5_600_000  # above both 5 MB and 5 MiB, whichever a page cap uses
TRUNCATE_AT = 1024 * 1024  # Common Crawl's payload limit
CRAWL_START = datetime(2024, 2, 20, 6, 0, 0, tzinfo=timezone.utc)
SECONDS_BETWEEN_FETCHES = 3
_NAMESPACE = uuid.UUID("5f1d0c2e-3b7a-4c8e-9a61-2d4b8f0e7c13")  # ours; fixes every WARC-Record-ID


@dataclass(frozen=True)
class PageSpec:
    """One fetch: what the response record holds and what it was planted for."""

    url: str
    kind: str
    status: int
    content_type: str  # the HTTP Content-Type header value
    body: bytes  # the payload exactly as written (already cut for truncated pages)
    identified_type: str  # WARC-Identified-Payload-Type
    reason: str = "OK"
    extra_headers: tuple[tuple[str, str], ...] = ()  # e.g. Location for a redirect
    language: str | None = None  # language of the page text, None where there is no text
    title: str = ""
    group: str | None = None  # links the two pages of a duplicate pair
    duplicate_of: str | None = None  # on the second page of a pair: the first page's URL
    planted: tuple[str, ...] = ()  # strings the decoded text contains (PII, changed sentence, accents)
    declared_length: int | None = None  # HTTP Content-Length when it differs from len(body) (truncated)
    index: int = -1  # position of the fetch in the WARC (0-based, warcinfo excluded)
    warc_date: str = ""
