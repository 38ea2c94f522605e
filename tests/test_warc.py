import gzip

import pytest

from devdata.warcs import Page, article, write_warc
from pipeline.io.warc import InputFileError, ReaderConfig, WarcReader


def _read(path, **config):
    reader = WarcReader(str(path), ReaderConfig(**config))
    rows = [row for batch in reader.batches() for row in batch.to_pylist()]
    return reader.stats, rows


def test_only_http_200_html_responses_become_documents(tmp_path):
    path = write_warc(
        tmp_path / "mixed.warc.gz",
        [
            Page("http://a.example/", article(1)),
            Page("http://a.example/logo.png", b"\x89PNG....", content_type="image/png"),
            Page("http://a.example/gone", b"<html>404</html>", status="404 Not Found"),
            Page("http://a.example/x", article(2), content_type="application/xhtml+xml"),
            Page("http://a.example/big", b"<html>" + b"a" * 5000 + b"</html>"),
        ],
    )
    stats, rows = _read(path, max_page_bytes=4000)
    assert [r["url"] for r in rows] == ["http://a.example/", "http://a.example/x"]
    assert stats.read == 5
    assert stats.documents == 2
    assert dict(stats.skipped) == {"non_html": 1, "http_status": 1, "too_large": 1}
    assert stats.read == stats.documents + sum(stats.skipped.values())
    assert rows[0]["id"] and rows[0]["warc_record_id"].startswith("<urn:uuid:")
    assert rows[0]["warc_date"] == "2024-05-18T01:02:03Z"
    assert "walk along the river" in rows[0]["html"]


def test_batches_respect_batch_size_and_limit(tmp_path):
    path = write_warc(
        tmp_path / "many.warc.gz", [Page(f"http://a.example/{i}", article(i)) for i in range(7)]
    )
    reader = WarcReader(str(path), ReaderConfig(batch_size=3))
    assert [b.num_rows for b in reader.batches()] == [3, 3, 1]
    stats, rows = _read(path, limit=4)
    assert len(rows) == 4 and stats.read == 4


def test_wet_conversion_records_carry_text(tmp_path):
    path = write_warc(
        tmp_path / "x.warc.wet.gz", [Page("http://a.example/", b"plain text body", record_type="conversion")]
    )
    stats, rows = _read(path)
    assert rows[0]["text"] == "plain text body" and rows[0]["html"] is None
    assert stats.documents == 1


def test_truncated_gzip_keeps_earlier_records_and_counts_the_loss(tmp_path):
    path = write_warc(tmp_path / "t.warc.gz", [Page(f"http://a.example/{i}", article(i)) for i in range(4)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 300])  # cut into the last gzip member
    stats, rows = _read(path)
    assert len(rows) == 3
    assert stats.skipped["read_error"] == 1
    assert stats.read == stats.documents + sum(stats.skipped.values())
    assert stats.errors and stats.errors[0]["file"] == str(path)


def test_single_gzip_stream_warc_reads_like_a_multi_member_one(tmp_path):
    pages = [Page(f"http://a.example/{i}", article(i)) for i in range(5)]
    pages.insert(2, Page("http://a.example/logo.png", b"\x89PNG", content_type="image/png"))
    members = write_warc(tmp_path / "members.warc.gz", pages)
    single = tmp_path / "single.warc.gz"  # what `gzip file.warc` makes: one stream for all records
    single.write_bytes(gzip.compress(gzip.decompress(members.read_bytes())))
    stats_m, rows_m = _read(members)
    stats_s, rows_s = _read(single)
    strip = [{k: v for k, v in r.items() if k != "source_file"} for r in rows_m]
    assert [{k: v for k, v in r.items() if k != "source_file"} for r in rows_s] == strip
    assert (
        (stats_s.read, dict(stats_s.skipped)) == (stats_m.read, dict(stats_m.skipped)) == (6, {"non_html": 1})
    )
    assert stats_s.info["single_gzip_stream"] == 1 and not stats_s.errors
    single.write_bytes(single.read_bytes()[:-400])  # truncated: earlier records kept, the loss counted
    stats_t, rows_t = _read(single)
    assert 0 < len(rows_t) < 5 and stats_t.skipped["read_error"] == 1
    assert stats_t.read == stats_t.documents + sum(stats_t.skipped.values())


def test_malformed_record_headers_are_a_counted_read_error(tmp_path):
    good = write_warc(tmp_path / "good.warc", [Page("http://a.example/", article(1))], gzip=False)
    broken = b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 20\r\n\r\nHTTP/1.1 200\r\nbroken"
    path = tmp_path / "mixed.warc"  # a response without WARC-Target-URI: warcio raises AttributeError
    path.write_bytes(good.read_bytes() + broken)
    stats, rows = _read(path)
    assert len(rows) == 1 and stats.skipped["read_error"] == 1
    assert stats.read == stats.documents + sum(stats.skipped.values())
    assert "record 2 is malformed" in stats.errors[0]["error"]


def test_compressed_http_payloads_are_decoded(tmp_path):
    import zlib

    import brotli

    deflate = zlib.compressobj(wbits=-15)
    pages = [
        Page("http://a.example/br", brotli.compress(article(1)), extra_headers=(("Content-Encoding", "br"),)),
        Page("http://a.example/gz", gzip.compress(article(2)), extra_headers=(("Content-Encoding", "gzip"),)),
        Page(
            "http://a.example/df",
            deflate.compress(article(3)) + deflate.flush(),
            extra_headers=(("Content-Encoding", "deflate"),),
        ),
    ]
    pages.append(
        Page("http://a.example/bad", b"not brotli at all", extra_headers=(("Content-Encoding", "br"),))
    )
    pages.append(Page("http://a.example/after", article(4)))
    stats, rows = _read(write_warc(tmp_path / "enc.warc.gz", pages))
    # the undecodable page is read as it is (warcio's fallback) or counted; the file reads on
    assert stats.read == 5 and stats.read == stats.documents + sum(stats.skipped.values())
    rows = [r for r in rows if r["url"] != "http://a.example/bad"]
    assert [r["url"] for r in rows][-1] == "http://a.example/after"
    rows = rows[:3]
    assert [("walk along the river, part" in r["html"]) for r in rows] == [True, True, True]


def test_not_a_warc_is_a_clear_error_naming_the_problem(tmp_path):
    path = tmp_path / "notes.warc.gz"
    path.write_bytes(gzip.compress(b"just some text, not a WARC\n" * 20))
    with pytest.raises(InputFileError, match="not a WARC"):
        _read(path)


def test_empty_file_and_wat_file_are_refused_by_content(tmp_path):
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty file"):
        _read(empty)
    # a WAT (JSON metadata records) under a WARC's name: refused with the reason, not read as 0 pages
    wat = write_warc(
        tmp_path / "renamed.warc.gz",
        [
            Page(
                "http://a.example/",
                b'{"Envelope": {}}',
                record_type="metadata",
                warc_content_type="application/json",
            )
        ],
    )
    with pytest.raises(InputFileError, match="a WAT file: CommonCrawl's metadata"):
        _read(wat)
    # a WARC's own metadata records (warc-fields) after its responses are fine
    ok = write_warc(
        tmp_path / "ok.warc.gz",
        [
            Page("http://a.example/", article(1)),
            Page(
                "http://a.example/",
                b"fetchTimeMs: 12",
                record_type="metadata",
                warc_content_type="application/warc-fields",
            ),
        ],
    )
    stats, rows = _read(ok)
    assert len(rows) == 1 and stats.other_records == {"metadata": 1}


def test_a_file_broken_in_its_first_record_failed_one_broken_later_is_partial(tmp_path):
    pages = [Page(f"http://c.example/{i}", article(i)) for i in range(3)]
    whole = write_warc(tmp_path / "whole.warc.gz", pages).read_bytes()
    first_member = len(write_warc(tmp_path / "one.warc.gz", pages[:1]).read_bytes())
    for name, data, failed in [
        ("late.warc.gz", whole[:-200], False),
        ("early.warc.gz", whole[: first_member // 2], True),
    ]:
        path = tmp_path / name
        path.write_bytes(data)
        reader = WarcReader(str(path))
        rows = [row for batch in reader.batches() for row in batch.to_pylist()]
        assert reader.failed is failed, name
        assert reader.stats.errors and bool(rows) is not failed
        assert reader.stats.read == reader.stats.documents + sum(reader.stats.skipped.values())


def test_uncompressed_warc_and_invalid_charset_bytes(tmp_path):
    body = b"<html><body><p>caf\xc3\xa9 then broken \xff bytes</p></body></html>"
    path = write_warc(tmp_path / "plain.warc", [Page("http://a.example/", body)], gzip=False)
    stats, rows = _read(path)
    assert "café then broken \ufffd bytes" in rows[0]["html"]
    assert stats.info["charset_replaced"] == 1


def test_real_commoncrawl_warc(shared_data):
    stats, rows = _read(shared_data / "warc" / "chatnoir-resiliparse" / "warcfile.warc.gz")
    assert stats.read == 16 and stats.documents == 16  # all 16 responses are HTTP 200 HTML (SOURCES.md)
    assert stats.other_records == {"warcinfo": 1, "request": 17, "metadata": 16}
    assert len({r["id"] for r in rows}) == 16
    assert rows[0]["url"].startswith("http://")
