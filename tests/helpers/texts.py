"""Texts for the filter and dedup tests: real pages of the shared data (extracted as FineWeb does),
generated English-like text, and the spaCy-based reference word and sentence splitting."""

from __future__ import annotations

import gzip
import random
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


SHARED_DATA = REPO.parent / "shared" / "data"


def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared reference data not found at {SHARED_DATA} (real-page tests skipped)")
    return SHARED_DATA


def _extract(html: bytes | str) -> str | None:
    import trafilatura

    # FineWeb's extraction settings (datatrove's Trafilatura step: favour precision, no comments).
    return trafilatura.extract(html, favor_precision=True, include_comments=False, deduplicate=True)


def _warc_texts(paths: list[Path]) -> list[str]:
    """The extracted text ('' where nothing is extracted) of every response record in `paths`."""
    pytest.importorskip("trafilatura")
    archive = pytest.importorskip("warcio.archiveiterator")
    texts = []
    for path in paths:
        with path.open("rb") as stream:
            for record in archive.ArchiveIterator(stream):
                if record.rec_type == "response":
                    texts.append(_extract(record.content_stream().read()) or "")
    return texts


@lru_cache(maxsize=1)
def real_texts() -> tuple[str, ...]:
    """Main text of the real pages in the shared data: the dolma CommonCrawl WARC samples and the
    Scrapinghub article-extraction benchmark pages."""
    data = shared_data()
    texts = _warc_texts(sorted((data / "warc" / "dolma").glob("*.warc.gz")))
    for path in sorted((data / "extraction" / "scrapinghub-aeb" / "html").glob("*.html.gz")):
        texts.append(_extract(gzip.decompress(path.read_bytes()).decode("utf-8", "replace")) or "")
    texts = [t for t in texts if t.strip()]
    if not texts:
        pytest.skip("no text could be extracted from the shared data")
    return tuple(texts)


@lru_cache(maxsize=1)
def real_text_variants() -> tuple[str, ...]:
    """The real texts plus their first and last few lines and a copy with its first quarter
    repeated: real text that lands near every threshold (word counts, sentence counts, repeats)."""
    out: list[str] = []
    for text in real_texts():
        lines = text.split("\n")
        out.append(text)
        for k in (3, 8, 20):
            if len(lines) > k:
                out.append("\n".join(lines[:k]))
                out.append("\n".join(lines[-k:]))
        if len(lines) > 4:
            out.append("\n".join(lines + lines[: len(lines) // 4]))
    return tuple(out)


@lru_cache(maxsize=1)
def spacy_nlp():  # type: ignore[no-untyped-def]
    spacy = pytest.importorskip("spacy", reason="spaCy (dev extra) is needed for the reference splitting")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


@lru_cache(maxsize=20_000)
def spacy_words(text: str) -> tuple[str, ...]:
    """datatrove's split_into_words: spaCy tokens, stripped, empty ones dropped."""
    tokens = (token.text.strip() for token in spacy_nlp()(text))
    return tuple(t for t in tokens if t)


def spacy_sentence_count(text: str) -> int:
    """len(datatrove's split_into_sentences(text)): spaCy sentencizer sentences, at least 1."""
    return max(len(list(spacy_nlp()(text).sents)), 1)


def agreement(pairs: list[tuple[object, object]]) -> float:
    return sum(a == b for a, b in pairs) / len(pairs)


SHARED_WARCS = SHARED_DATA / "warc" / "dolma"


_SYLLABLES = "ka ro mi ta ne su lo pa ri ve do ma li no te sa gu fe bi zo ra ni ku".split()


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[list[str], list[float]]:
    """~3,000 pseudo-words with Zipf-like frequencies, like the words of a natural language."""
    rng = random.Random(0)
    vocab = sorted({"".join(rng.choices(_SYLLABLES, k=rng.randint(1, 4))) for _ in range(4000)})
    rng.shuffle(vocab)
    return vocab, [1.0 / (rank + 1) for rank in range(len(vocab))]


def generated_sentences(count: int, seed: int) -> list[str]:
    """Deterministic English-looking sentences: capital, 6-20 words, some numbers, punctuation."""
    rng = random.Random(seed)
    vocab, weights = _vocabulary()
    out = []
    for _ in range(count):
        w = rng.choices(vocab, weights, k=rng.randint(6, 20))
        if rng.random() < 0.2:
            w[rng.randrange(len(w))] = str(rng.randint(1, 5000))
        if rng.random() < 0.3:
            w[rng.randrange(len(w))] += ","
        out.append(" ".join(w).capitalize() + rng.choice(".!?"))
    return out


def generated_texts(count: int, seed: int, sentences: tuple[int, int] = (8, 40)) -> list[str]:
    """Deterministic documents of generated sentences, a few sentences per paragraph."""
    rng = random.Random(seed)
    texts = []
    for i in range(count):
        body = generated_sentences(rng.randint(*sentences), seed=seed * 1_000_003 + i)
        texts.append("\n\n".join(" ".join(body[j : j + 4]) for j in range(0, len(body), 4)))
    return texts


@lru_cache(maxsize=1)
def dolma_texts() -> tuple[str, ...]:
    """Main text (trafilatura, FineWeb's settings) of the pages in the shared dolma CommonCrawl WARCs."""
    if not SHARED_WARCS.is_dir():
        pytest.skip(f"shared WARC data not found at {SHARED_WARCS}: real-page test skipped")
    texts = [t for t in _warc_texts(sorted(SHARED_WARCS.glob("*.warc.gz"))) if t.strip()]
    if not texts:
        pytest.skip("no text could be extracted from the shared WARCs")
    return tuple(texts)
