"""Deterministic sample-WARC generator: a small Common-Crawl-shaped WARC with known, planted cases.

    python -m devdata.sample --output data/sample/sample.warc.gz [--pages N] [--seed S]

Every page is written here, from our own sentence banks, by a seeded `random.Random`; nothing is
fetched. The same (file name, pages, seed) gives byte-identical output: record ids are uuid5 of the
seed and position, dates are fixed, and warcio's gzip members carry mtime 0 (it compresses with
zlib's gzip wrapper, which never stamps a time).

The default page count is exactly the fixed set of planted cases (``DEFAULT_PAGES``): ~50 normal
English articles plus one or more pages of every kind in ``KINDS``. A larger ``--pages`` appends
varied pages (mostly articles, some of every cheap kind) generated one at a time, so
``--pages 10000`` streams to disk in seconds. ``sample_pages()`` yields the same page specs the WARC
is written from, so tests can look pages up by kind (the manifest of what was planted).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import heapq
import io
import itertools
import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from devdata.layout import _mixed_article, _rng, _slug, _topic_article, render_article
from devdata.page_kinds import (
    SHORT_LINES,
    _article_page,
    _bank_paragraphs,
    _boilerplate_heavy_page,
    _charset_pages,
    _custom_page,
    _duplicate_pair,
    _empty_body_page,
    _foreign_page,
    _html_spec,
    _http_301_page,
    _http_404_page,
    _javascript_page,
    _list_page,
    _lorem_page,
    _non_html_pages,
    _oversized_page,
    _pii_pages,
    _repeated_lines,
    _symbols_page,
    _too_few_words_page,
    _truncated_page,
)
from devdata.prose import BLOCKED_SITE, FOREIGN, SITES
from devdata.spec import (
    _NAMESPACE,
    CRAWL_START,
    DEFAULT_OUTPUT,
    DEFAULT_SEED,
    KIND_ARTICLE,
    KIND_BANNED_URL_WORDS,
    KIND_BLOCKED_DOMAIN,
    KIND_BOILERPLATE_HEAVY,
    KIND_EMPTY_BODY,
    KIND_EXACT_DUPLICATE,
    KIND_FRENCH,
    KIND_GERMAN,
    KIND_HTTP_301,
    KIND_HTTP_404,
    KIND_JAVASCRIPT,
    KIND_LOREM_IPSUM,
    KIND_NEAR_DUPLICATE,
    KIND_NON_HTML,
    KIND_PII,
    KIND_REPEATED_LINES,
    KIND_SHORT_LINES,
    KIND_SPANISH,
    KIND_SYMBOLS,
    KIND_TOO_FEW_WORDS,
    N_FIXED_ARTICLES,
    SECONDS_BETWEEN_FETCHES,
    PageSpec,
)

# --------------------------------------------------------------------------------------------------
# The fixed set and the stream of pages


def _fixed_pages(seed: int) -> list[PageSpec]:
    """Every planted case once (or as a pair), mixed in among the normal articles."""
    specs = [_article_page(seed, j) for j in range(N_FIXED_ARTICLES)]
    specs += [_boilerplate_heavy_page(seed, 900), _boilerplate_heavy_page(seed, 901)]
    specs += _non_html_pages(seed, 910)
    specs += [_http_404_page(seed, 920), _http_301_page(921)]
    specs += [_foreign_page(seed, kind, 930 + i) for i, kind in enumerate(FOREIGN)]
    near = _duplicate_pair(seed, 940, near=True)
    exact = _duplicate_pair(seed, 942, near=False)
    specs += [near[0], exact[0]]
    specs += _pii_pages(seed, 950)
    blocked_article = _topic_article(_rng(seed, "blocked"), "news", 3, 11)
    url = f"http://{BLOCKED_SITE.host}/news/2024/02/{_slug(blocked_article.title)}.html"
    specs.append(
        _html_spec(
            url,
            KIND_BLOCKED_DOMAIN,
            render_article(BLOCKED_SITE, blocked_article, url, _rng(seed, "blocked-page")),
            blocked_article.title,
        )
    )
    banned = _custom_page(
        seed,
        961,
        KIND_BANNED_URL_WORDS,
        SITES["news"][0],
        "Card night at the town hall",
        _bank_paragraphs(seed, "banned", "news", 11),
        url="http://www.example-news.com/free-casino-poker-bonus.html",
    )
    specs += [banned, _lorem_page(seed, 962), _javascript_page(seed, 963)]
    specs.append(
        _list_page(seed, 964, KIND_SHORT_LINES, "What's on at the community centre", list(SHORT_LINES))
    )
    specs.append(
        _list_page(seed, 965, KIND_REPEATED_LINES, "Guest book", _repeated_lines(seed, 965), bullets=True)
    )
    specs += [_too_few_words_page(seed, 966), _symbols_page(seed, 967), _empty_body_page(968)]
    specs += _charset_pages(seed, 970)
    specs += [_oversized_page(seed, 980), _truncated_page(seed, 981)]
    _rng(seed, "order").shuffle(specs)
    # The second page of each pair comes after the first, as a later crawl would find it.
    return [*specs, near[1], exact[1]]


DEFAULT_PAGES = 81  # == len(_fixed_pages(seed)) for every seed (tests check it)

# Benchmark pages beyond the fixed set: (kind, weight). Oversized/truncated stay out (size), and
# duplicates are planted as pairs with the copy some pages later.
EXTRA_MIX: tuple[tuple[str, int], ...] = (
    (KIND_ARTICLE, 700),
    (KIND_BOILERPLATE_HEAVY, 60),
    (KIND_NEAR_DUPLICATE, 30),
    (KIND_EXACT_DUPLICATE, 30),
    (KIND_FRENCH, 12),
    (KIND_GERMAN, 12),
    (KIND_SPANISH, 12),
    (KIND_NON_HTML, 30),
    (KIND_HTTP_404, 20),
    (KIND_HTTP_301, 20),
    (KIND_SHORT_LINES, 12),
    (KIND_REPEATED_LINES, 12),
    (KIND_TOO_FEW_WORDS, 12),
    (KIND_SYMBOLS, 8),
    (KIND_LOREM_IPSUM, 4),
    (KIND_JAVASCRIPT, 4),
    (KIND_EMPTY_BODY, 8),
    (KIND_PII, 10),
    (KIND_BLOCKED_DOMAIN, 4),
)


def _extra_page(seed: int, page_id: int, kind: str) -> PageSpec:
    """One varied benchmark page of `kind` (duplicates are handled by the caller)."""
    rng = _rng(seed, "extra", page_id)
    if kind in FOREIGN:
        return _foreign_page(seed, kind, page_id, rng.randint(7, 12))
    if kind == KIND_BOILERPLATE_HEAVY:
        return _boilerplate_heavy_page(seed, page_id)
    if kind == KIND_NON_HTML:
        return rng.choice(_non_html_pages(seed, page_id))
    if kind == KIND_HTTP_404:
        return _http_404_page(seed, page_id)
    if kind == KIND_HTTP_301:
        return _http_301_page(page_id)
    if kind == KIND_SHORT_LINES:
        lines = rng.sample(SHORT_LINES, 24)
        return _list_page(seed, page_id, kind, "What's on at the community centre", lines)
    if kind == KIND_REPEATED_LINES:
        return _list_page(seed, page_id, kind, "Guest book", _repeated_lines(seed, page_id), bullets=True)
    if kind == KIND_TOO_FEW_WORDS:
        return _too_few_words_page(seed, page_id)
    if kind == KIND_SYMBOLS:
        return _symbols_page(seed, page_id)
    if kind == KIND_LOREM_IPSUM:
        return _lorem_page(seed, page_id)
    if kind == KIND_JAVASCRIPT:
        return _javascript_page(seed, page_id)
    if kind == KIND_EMPTY_BODY:
        return _empty_body_page(page_id)
    if kind == KIND_PII:
        return rng.choice(_pii_pages(seed, page_id, vary=True))
    if kind == KIND_BLOCKED_DOMAIN:
        article = _mixed_article(rng, "news")
        url = f"http://{BLOCKED_SITE.host}/news/{_slug(article.title)}-{page_id}.html"
        return _html_spec(url, kind, render_article(BLOCKED_SITE, article, url, rng), article.title)
    return _article_page(seed, page_id, mixed=True)


def _extra_pages(seed: int, start: int, count: int) -> Iterator[PageSpec]:
    """`count` benchmark pages, one at a time; duplicate copies wait in a small queue."""
    kinds = [k for k, _ in EXTRA_MIX]
    weights = [w for _, w in EXTRA_MIX]
    pending: list[tuple[int, int, PageSpec]] = []  # (due position, tie-breaker, copy)
    for position in range(count):
        left = count - position
        if pending and (pending[0][0] <= position or len(pending) >= left):
            yield heapq.heappop(pending)[2]
            continue
        page_id = 10_000 + start + position
        rng = _rng(seed, "extra-kind", page_id)
        kind = rng.choices(kinds, weights)[0]
        if kind in (KIND_NEAR_DUPLICATE, KIND_EXACT_DUPLICATE):
            delay = rng.randint(1, 200)
            if len(pending) + 1 < left - 1 and position + delay < count:
                pair_id = 1_000_000 + 2 * page_id  # its own id range: the copy's URL uses pair_id + 1
                first, second = _duplicate_pair(seed, pair_id, near=kind == KIND_NEAR_DUPLICATE)
                heapq.heappush(pending, (position + delay, page_id, second))
                yield first
                continue
            kind = KIND_ARTICLE
        yield _extra_page(seed, page_id, kind)


def sample_pages(pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED) -> Iterator[PageSpec]:
    """The page specs of the sample, in WARC order, with `index` and `warc_date` set.

    The first DEFAULT_PAGES are the fixed set (every kind in KINDS); more pages add varied benchmark
    pages generated lazily. Look pages up by `kind`; pairs share `group`.
    """
    if pages < DEFAULT_PAGES:
        raise ValueError(f"pages must be at least {DEFAULT_PAGES} (the fixed set of planted cases)")
    fixed = _fixed_pages(seed)
    assert len(fixed) == DEFAULT_PAGES, "update DEFAULT_PAGES with the fixed set"
    stream = _extra_pages(seed, len(fixed), pages - len(fixed))
    for index, spec in enumerate(itertools.chain(fixed, stream)):
        date = CRAWL_START + timedelta(seconds=SECONDS_BETWEEN_FETCHES * index)
        yield replace(spec, index=index, warc_date=date.strftime("%Y-%m-%dT%H:%M:%SZ"))


# --------------------------------------------------------------------------------------------------
# WARC writing


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest as Common Crawl writes it: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _record_id(seed: int, index: int, record_type: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NAMESPACE, f'{seed}:{index}:{record_type}')}>"


def _ip_for(host: str) -> str:
    """A fixed documentation-range address per host (RFC 5737), standing in for the server's IP."""
    digest = hashlib.sha1(host.encode()).digest()
    prefix = ("192.0.2", "198.51.100", "203.0.113")[digest[0] % 3]
    return f"{prefix}.{1 + digest[1] % 254}"


def _host_and_path(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host, "/" + path


def _http_date(warc_date: str) -> str:
    when = datetime.strptime(warc_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return format_datetime(when, usegmt=True)


def _response_headers(spec: PageSpec) -> list[tuple[str, str]]:
    server = "nginx" if spec.index % 3 else "Apache/2.4.57 (Debian)"
    headers = [
        ("Date", _http_date(spec.warc_date)),
        ("Server", server),
        ("Content-Type", spec.content_type),
        ("Content-Length", str(spec.declared_length or len(spec.body))),
    ]
    headers += list(spec.extra_headers)
    headers += [("Cache-Control", "max-age=600"), ("Vary", "Accept-Encoding"), ("Connection", "close")]
    return headers


def _metadata_fields(spec: PageSpec) -> bytes:
    fields = [f"fetchTimeMs: {40 + (spec.index * 37) % 400}"]
    if spec.identified_type == "text/html":
        charset = "UTF-8" if "utf-8" in spec.content_type else "windows-1252"
        fields.append(f"charset-detected: {charset}")
    if spec.language:
        cld = {"reliable": True, "languages": [{"code": spec.language, "text-covered": 0.98}]}
        fields.append("languages-cld2: " + json.dumps(cld, sort_keys=True))
    return ("\r\n".join(fields) + "\r\n").encode("utf-8")


def _warcinfo_record(writer: WARCWriter, filename: str, seed: int, pages: int) -> Any:
    info = (
        "isPartOf: curate-sample\r\n"
        "publisher: curate (synthetic sample written by devdata/sample.py; no page was fetched)\r\n"
        f"description: deterministic sample WARC, seed {seed}, {pages} fetches\r\n"
        "software: curate devdata.sample\r\n"
        "format: WARC File Format 1.0\r\n"
    ).encode()
    headers = {
        "WARC-Type": "warcinfo",
        "WARC-Date": CRAWL_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "WARC-Record-ID": _record_id(seed, -1, "warcinfo"),
        "Content-Length": "0",  # placeholder keeps Common Crawl's header order; warcio sets it
        "Content-Type": "application/warc-fields",
        "WARC-Filename": filename,
    }
    return writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(info), length=len(info), warc_headers_dict=headers
    )


def _fetch_records(writer: WARCWriter, spec: PageSpec, seed: int, warcinfo_id: str) -> list[Any]:
    """request, response and metadata records for one fetch, linked as Common Crawl links them."""
    host, path = _host_and_path(spec.url)
    ip = _ip_for(host)
    ids = {t: _record_id(seed, spec.index, t) for t in ("request", "response", "metadata")}

    def warc_headers(record_type: str, content_type: str, **more: str) -> dict[str, str]:
        headers = {
            "WARC-Type": record_type,
            "WARC-Date": spec.warc_date,
            "WARC-Record-ID": ids[record_type],
            "Content-Length": "0",
            "Content-Type": content_type,
            "WARC-Warcinfo-ID": warcinfo_id,
        }
        headers.update(more)
        headers["WARC-Target-URI"] = spec.url
        return headers

    request_http = StatusAndHeaders(
        f"GET {path} HTTP/1.1",
        [
            ("User-Agent", "curate-sample-bot/1.0 (synthetic sample)"),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Encoding", "br,gzip"),
            ("Host", host),
        ],
        is_http_request=True,
    )
    request = writer.create_warc_record(
        spec.url,
        "request",
        http_headers=request_http,
        warc_headers_dict=warc_headers(
            "request", "application/http; msgtype=request", **{"WARC-IP-Address": ip}
        ),
    )

    response_extra = {"WARC-Concurrent-To": ids["request"], "WARC-IP-Address": ip}
    response_headers = warc_headers("response", "application/http; msgtype=response", **response_extra)
    response_headers["WARC-Payload-Digest"] = payload_digest(spec.body)
    if spec.declared_length is not None:
        response_headers["WARC-Truncated"] = "length"
    response_headers["WARC-Identified-Payload-Type"] = spec.identified_type
    response = writer.create_warc_record(
        spec.url,
        "response",
        payload=io.BytesIO(spec.body),
        length=len(spec.body),
        http_headers=StatusAndHeaders(
            f"{spec.status} {spec.reason}", _response_headers(spec), protocol="HTTP/1.1"
        ),
        warc_headers_dict=response_headers,
    )

    fields = _metadata_fields(spec)
    metadata = writer.create_warc_record(
        spec.url,
        "metadata",
        payload=io.BytesIO(fields),
        length=len(fields),
        warc_headers_dict=warc_headers(
            "metadata", "application/warc-fields", **{"WARC-Concurrent-To": ids["response"]}
        ),
    )
    return [request, response, metadata]


def write_sample_warc(
    path: str | os.PathLike[str], pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """Write the sample WARC to `path` (atomically) and return counts of what it holds."""
    if pages < DEFAULT_PAGES:
        raise ValueError(f"pages must be at least {DEFAULT_PAGES} (the fixed set of planted cases)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    records: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    try:
        with open(tmp, "wb") as fh:
            _write(fh, path.name, pages, seed, records, kinds)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {
        "path": str(path),
        "pages": pages,
        "seed": seed,
        "bytes": path.stat().st_size,
        "records": dict(sorted(records.items())),
        "responses_by_kind": dict(sorted(kinds.items())),
    }


def _write(
    fh: BinaryIO, filename: str, pages: int, seed: int, records: Counter[str], kinds: Counter[str]
) -> None:
    # warcio gzips each record as its own member (zlib gzip wrapper: mtime 0, so reruns are identical).
    writer = WARCWriter(fh, gzip=True, warc_version="1.0")
    info = _warcinfo_record(writer, filename, seed, pages)
    writer.write_record(info)
    records["warcinfo"] += 1
    warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
    for spec in sample_pages(pages, seed):
        for record in _fetch_records(writer, spec, seed, warcinfo_id):
            writer.write_record(record)
            records[record.rec_type] += 1
        kinds[spec.kind] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devdata.sample", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--output", default=DEFAULT_OUTPUT, help=f"WARC file to write (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--pages", type=int, default=DEFAULT_PAGES, help=f"fetches to write (>= {DEFAULT_PAGES})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of all generated text")
    args = parser.parse_args(argv)
    if args.pages < DEFAULT_PAGES:
        parser.error(f"--pages must be at least {DEFAULT_PAGES} (the fixed set of planted cases)")
    counts = write_sample_warc(args.output, pages=args.pages, seed=args.seed)
    json.dump(counts, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
