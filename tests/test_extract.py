import pyarrow as pa

from devdata.warcs import article
from filters.extract import Extract, ExtractConfig
from pipeline.core.schema import RECORD_SCHEMA


def records(pages: list[tuple[str, str | None, str | None]]) -> pa.RecordBatch:
    rows = [
        {"id": f"id{i}", "url": url, "html": html, "text": text, "source_file": "f"}
        for i, (url, html, text) in enumerate(pages)
    ]
    return pa.RecordBatch.from_pylist(rows, schema=RECORD_SCHEMA)


def test_extracts_main_text_drops_boilerplate_and_html_column():
    stage = Extract()
    out = stage.process(records([("http://a.example/1", article(1).decode(), None)]))
    (doc,) = out.kept.to_pylist()
    assert "towpath" in doc["text"]
    assert "Home | News" not in doc["text"] and "Copyright" not in doc["text"]
    assert "html" not in out.kept.schema.names and "html" not in out.rejected.schema.names


def test_empty_pages_and_wet_text_rows():
    out = Extract().process(
        records(
            [
                ("http://a.example/empty", "<html><body><script>var x = 1;</script></body></html>", None),
                ("http://a.example/wet", None, "text from a WET file"),
                ("http://a.example/wet-empty", None, "   "),
            ]
        )
    )
    assert [d["url"] for d in out.kept.to_pylist()] == ["http://a.example/wet"]
    assert out.kept.column("text").to_pylist() == ["text from a WET file"]
    assert out.rejected.column("reason").to_pylist() == ["empty", "empty"]


def test_slow_page_is_rejected_as_timeout():
    huge = "<html><body>" + "".join(
        f"<div><p>Paragraph {i} of a very long page.</p></div>" for i in range(20000)
    )
    stage = Extract(ExtractConfig(timeout=0.05))
    out = stage.process(records([("http://a.example/slow", huge + "</body></html>", None)]))
    assert out.rejected.column("reason").to_pylist() == ["timeout"]
    assert out.rejected.column("value").to_pylist() == [0.05]
    assert stage.counters["timeouts"] == 1


def test_dedup_memory_is_per_input_file():
    page = article(7).decode()
    batch = records([(f"http://a.example/{i}", page, None) for i in range(4)])
    stage = Extract()
    stage.start_shard()
    first = stage.process(batch)
    assert first.rejected.num_rows > 0  # trafilatura drops text it has already seen in this file
    stage.start_shard()  # a new input file starts with a fresh memory ...
    again = stage.process(batch)
    assert (
        again.kept.to_pylist() == first.kept.to_pylist()
    )  # ... so a file's result does not depend on history
