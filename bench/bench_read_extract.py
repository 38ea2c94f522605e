"""Reading and extraction speed per core on real CommonCrawl WARCs.

Reference in the same run: plain warcio iteration (what any reader must do at least) for reading,
and a direct trafilatura call on the raw bytes (what datatrove's extractor does) for extraction.
"""

from __future__ import annotations

import trafilatura
from warcio.archiveiterator import ArchiveIterator

from bench.common import real_warcs, timed, write_result
from filters.extract import Extract
from pipeline.io.warc import WarcReader


def _plain_warcio(paths) -> int:
    n = 0
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type == "response":
                    record.content_stream().read()
                    n += 1
    return n


def _our_reader(paths) -> int:
    n = 0
    for path in paths:
        reader = WarcReader(str(path))
        for _ in reader.batches():
            pass
        n += reader.stats.read
    return n


def main() -> None:
    paths = real_warcs()
    if not paths:
        write_result("read_extract", "## Reading and extraction\n\nskipped: ../shared/data/warc not found\n")
        return
    ref_n, ref_s = timed(lambda: _plain_warcio(paths))
    our_n, our_s = timed(lambda: _our_reader(paths))

    batches = [b for p in paths for b in WarcReader(str(p)).batches()]
    pages = [
        (html, url)
        for b in batches
        for html, url in zip(b.column("html").to_pylist(), b.column("url").to_pylist())
        if html is not None
    ]
    stage = Extract()
    stage.start_shard()

    def ours() -> int:
        stage.start_shard()
        for batch in batches:
            stage.process(batch)
        return sum(b.num_rows for b in batches)

    def direct() -> int:
        for html, url in pages:
            trafilatura.extract(
                html.encode(), url=url, favor_precision=True, include_comments=False, deduplicate=True
            )
        return len(pages)

    ext_n, ext_s = timed(ours, 5.0)
    dir_n, dir_s = timed(direct, 5.0)
    size_kb = sum(len(h.encode()) for h, _ in pages) / max(len(pages), 1) / 1024
    write_result(
        "read_extract",
        f"""## Reading and extraction (real WARCs, {len(paths)} files, {len(pages)} HTML pages, mean {size_kb:.0f} KB)

| step | items/s per core | reference in the same run |
|---|---|---|
| read: response records (our reader: charset decode, batching, skip accounting) | {our_n / our_s:,.0f} | plain warcio iteration: {ref_n / ref_s:,.0f} |
| extract: `extract` stage (trafilatura, FineWeb settings) | {ext_n / ext_s:,.1f} | direct `trafilatura.extract` on bytes: {dir_n / dir_s:,.1f} |
""",
    )


if __name__ == "__main__":
    main()
