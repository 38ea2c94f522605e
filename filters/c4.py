"""C4's line- and page-level cleaning (Raffel et al. 2020, section 2.2), as FineWeb ran it.

Reference: datatrove's C4QualityFilter (v0.10.1) with FineWeb's setting
`filter_no_terminal_punct=False`; everything else at its defaults. Semantics kept from it:
- lines are `text.splitlines()`, each stripped; a line's words are its whitespace-separated
  pieces, counted before citation marks are removed;
- in this order per line: a word over `max_word_length` chars drops the line; citation marks
  ("[1]", "[]", "[edit]", "[citation needed]") are deleted; (optionally) a line not ending in
  terminal punctuation, or ending in "...", is dropped; fewer than `min_words_per_line` words
  drops the line; "lorem ipsum" (any case) drops the document; "javascript" (any case) drops the
  line; "{" drops the document; a policy phrase (any case) drops the line;
- the sentences of every kept line (spaCy's sentencizer, here `filters.words.count_sentences`)
  add up; fewer than `min_num_sentences` drops the document;
- the kept lines, joined by "\\n" and stripped, become the text.
Not carried over: the reference's `split_paragraph=False` mode (FineWeb did not use it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from filters.words import count_sentences
from pipeline.core.registry import register
from pipeline.core.stage import Document, DocumentFilter, Rejection, Signal

# Wikipedia-style citation marks (datatrove's CITATION_REGEX; note "[]" matches too).
CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
# C4's terminal punctuation, only used when filter_no_terminal_punct is on.
END_PUNCTUATION = (".", "?", "!", '"', "'")
# Cookie and terms-of-use boilerplate (datatrove's POLICY_SUBSTRINGS), matched lower-cased.
POLICY_SUBSTRINGS = (
    "terms of use",
    "privacy policy",
    "cookie policy",
    "uses cookies",
    "use of cookies",
    "use cookies",
)


@dataclass
class C4QualityConfig:
    remove_citations: bool = True  # remove Wikipedia-style citation marks such as [1] or [citation needed]
    # remove lines that do not end in terminal punctuation (C4 keeps only such lines; FineWeb turned it off)
    filter_no_terminal_punct: bool = False
    min_num_sentences: int = 5  # drop pages with fewer sentences left; -1 turns it off
    min_words_per_line: int = 3  # remove lines with fewer words; -1 turns it off
    max_word_length: int = 1000  # remove lines holding a longer word; -1 turns it off
    filter_lorem_ipsum: bool = True  # drop pages containing "lorem ipsum"
    filter_javascript: bool = True  # remove lines that mention "javascript"
    filter_curly_bracket: bool = True  # drop pages containing "{" (code, templates)
    filter_policy: bool = True  # remove cookie / privacy-policy / terms-of-use lines
    # the phrases that mark a policy line (lower case)
    policy_substrings: list[str] = field(default_factory=lambda: list(POLICY_SUBSTRINGS))

    def __post_init__(self) -> None:
        for name in ("min_num_sentences", "min_words_per_line", "max_word_length"):
            if getattr(self, name) < -1:
                raise ValueError(f"{name} must be >= -1 (-1 turns the rule off), got {getattr(self, name)}")
        self.policy_substrings = [p.lower() for p in self.policy_substrings]


@register
class C4Quality(DocumentFilter):
    """Removes boilerplate lines (C4 rules) and drops pages with code, placeholder text or too few
    sentences left."""

    name = "c4_quality"
    Config = C4QualityConfig
    reasons = ("c4_quality:lorem_ipsum", "c4_quality:curly_bracket", "c4_quality:too_few_sentences")
    # Observed for pages that reach the sentence rule (not those dropped for lorem ipsum or "{").
    signals = (
        Signal(
            "sentences",
            1,
            10_000,
            bins=40,
            log=True,
            thresholds=("min_num_sentences",),
            label="sentences kept",
        ),
    )

    def __init__(self, config: C4QualityConfig | None = None) -> None:
        super().__init__(config)
        # One search for all phrases (a phrase-free pattern never matches).
        phrases = self.config.policy_substrings
        self._policy = re.compile("|".join(map(re.escape, phrases)) if phrases else r"(?!)")

    def filter(self, doc: Document) -> Rejection | None:
        cfg: C4QualityConfig = self.config
        removed = {
            "too_long_word": 0,
            "no_terminal_punct": 0,
            "too_few_words": 0,
            "javascript": 0,
            "policy": 0,
        }
        policy = self._policy
        kept: list[str] = []
        sentences = 0
        seen = 0
        verdict: Rejection | None = None
        for raw in (doc.text or "").splitlines():
            seen += 1
            line = raw.strip()
            words = line.split()
            if cfg.max_word_length != -1 and words and max(map(len, words)) > cfg.max_word_length:
                removed["too_long_word"] += 1
                continue
            chunks: list[str] | None = words
            if cfg.remove_citations and "[" in line:
                stripped = CITATION.sub("", line)
                if stripped != line:
                    line, chunks = stripped, None  # re-split for the sentence count
            if cfg.filter_no_terminal_punct and (not line.endswith(END_PUNCTUATION) or line.endswith("...")):
                removed["no_terminal_punct"] += 1
                continue
            if len(words) < cfg.min_words_per_line:
                removed["too_few_words"] += 1
                continue
            lower = line.lower()
            if cfg.filter_lorem_ipsum and "lorem ipsum" in lower:
                verdict = Rejection(f"{self.name}:lorem_ipsum")
                break
            if cfg.filter_javascript and "javascript" in lower:
                removed["javascript"] += 1
                continue
            if cfg.filter_curly_bracket and "{" in line:
                verdict = Rejection(f"{self.name}:curly_bracket")
                break
            if cfg.filter_policy and policy.search(lower):
                removed["policy"] += 1
                continue
            if cfg.min_num_sentences != -1:
                sentences += count_sentences(line, chunks)
            kept.append(line)
        self._count(seen, len(kept), removed)
        if verdict is not None:
            return verdict
        if cfg.min_num_sentences != -1:
            self.observe("sentences", sentences)
        if sentences < cfg.min_num_sentences:
            return Rejection(f"{self.name}:too_few_sentences", sentences)
        doc.text = "\n".join(kept).strip()
        return None

    def _count(self, seen: int, kept: int, removed: dict[str, int]) -> None:
        counters = self.counters
        counters["lines_total"] += seen
        counters["lines_kept"] += kept
        for reason, count in removed.items():
            if count:
                counters[f"lines_removed:{reason}"] += count
