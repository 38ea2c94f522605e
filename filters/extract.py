"""The `extract` stage: HTML -> main text with trafilatura, using FineWeb's settings.

FineWeb (datatrove's Trafilatura step) extracts with favour-precision on, comments off and
deduplication on. Trafilatura's deduplication remembers text segments it has seen; we give it a
fresh cache per input file instead of its process-wide one, so the result does not depend on which
files a worker (or a Spark executor) happened to see before: the same file gives the same text on
any engine.
"""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass

import pyarrow as pa
import trafilatura
from trafilatura.deduplication import LRUCache

from pipeline.core.registry import register
from pipeline.core.stage import Rejection, Stage, StageOutput, split_batch


class ExtractionTimeout(BaseException):  # BaseException: trafilatura must not swallow it
    pass


@dataclass
class ExtractConfig:
    favour_precision: bool = True  # trafilatura's favor_precision: less boilerplate, some text lost
    include_comments: bool = False  # keep the comment sections of pages
    include_tables: bool = True  # keep the text of tables
    deduplicate: bool = True  # trafilatura drops text segments it has already seen in this input file
    timeout: float = 1.0  # CPU seconds per page; a page that takes longer is rejected as `timeout`
    dedup_cache_size: int = 4096  # text segments the deduplication remembers (trafilatura's default)


def _raise_timeout(signum: int, frame: object) -> None:
    raise ExtractionTimeout


class _Deadline:
    """A per-call limit on CPU time via SIGPROF (only possible in a process's main thread).

    CPU time, not wall-clock time: a page's cost then does not depend on how loaded the machine is
    (other workers, a JVM beside a Spark worker), so the same page times out, or not, on every engine.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.enabled = seconds > 0 and threading.current_thread() is threading.main_thread()

    def __enter__(self) -> None:
        if self.enabled:
            self.previous = signal.signal(signal.SIGPROF, _raise_timeout)
            signal.setitimer(signal.ITIMER_PROF, self.seconds)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, self.previous)


@register
class Extract(Stage):
    name = "extract"
    Config = ExtractConfig
    needs = "html"
    reasons = ("empty", "timeout", "error")

    def start_shard(self) -> None:
        self._dedup = LRUCache(maxsize=self.config.dedup_cache_size) if self.config.deduplicate else False

    def extract_one(self, html: str, url: str | None) -> str | None:
        if not hasattr(self, "_dedup"):
            self.start_shard()
        return trafilatura.extract(
            html,
            url=url,
            favor_precision=self.config.favour_precision,
            include_comments=self.config.include_comments,
            include_tables=self.config.include_tables,
            deduplicate=self._dedup,
            output_format="txt",
        )

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        htmls = batch.column("html").to_pylist()
        urls = batch.column("url").to_pylist()
        texts = batch.column("text").to_pylist()
        verdicts: list[Rejection | None] = []
        for i, html in enumerate(htmls):
            if html is None:  # WET input: the text is already there
                verdicts.append(None if texts[i] and texts[i].strip() else Rejection("empty"))
                continue
            verdicts.append(self._extract_into(texts, i, html, urls[i]))
        out = split_batch(batch, verdicts, texts)
        return StageOutput(kept=_drop_html(out.kept), rejected=_drop_html(out.rejected))

    def _extract_into(self, texts: list[str | None], i: int, html: str, url: str | None) -> Rejection | None:
        try:
            with _Deadline(self.config.timeout):
                text = self.extract_one(html, url)
        except ExtractionTimeout:
            self.counters["timeouts"] += 1
            return Rejection("timeout", self.config.timeout)
        except Exception as err:  # a parser crash on one page must not stop the file
            self.counters[f"error:{type(err).__name__}"] += 1
            return Rejection("error")
        if not text or not text.strip():
            return Rejection("empty")
        texts[i] = text
        return None


def _drop_html(batch: pa.RecordBatch) -> pa.RecordBatch:
    index = batch.schema.get_field_index("html")
    return batch if index < 0 else batch.remove_column(index)
