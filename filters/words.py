"""Words and sentences as the reference FineWeb filters count them, without spaCy.

Word splitting (`split_words`) is a regex/str-method re-implementation of what spaCy 3.8's
`spacy.blank("en")` tokenizer does, as datatrove's `split_into_words` uses it (tokens stripped,
whitespace tokens dropped):
- text is cut on whitespace (`str.isspace`, like spaCy); each chunk is split independently, so the
  result of a chunk is memoised;
- prefixes (opening punctuation, quotes, currency, symbols, `..`), suffixes (closing punctuation,
  quotes, `'s`, `...`, units and currency after digits, a final `.` after a lower-case letter or
  digit or two capitals) and infixes (`...`, `-`/`--`/`~` between letters, `,` between letters,
  `:<>=/` before a letter, `.` between lower and upper case, arithmetic between digits) are split
  off the way spaCy's English rules do;
- English special cases: contractions ("don't" -> "do", "n't"; "I'm" -> "I", "'m"; the
  apostrophe-less "dont", "im"...), common abbreviations that keep their period ("Mr.", "e.g.",
  "Jan.", single letters "a."), clock times ("5pm" -> "5", "pm"), a few emoticons;
- a URL or e-mail address left after affix splitting stays one token.
Known differences from spaCy (they change a count by one token here and there, rarely a decision;
the tests measure the agreement on real pages): letters outside the Basic Multilingual Plane and
title-case letters are classed by Python's `str` methods rather than spaCy's script tables; the
URL pattern is simpler; the emoticon list is shorter; whitespace tokens inside a line are ignored
by the sentence counter. Measured on the shared real pages: 100% of whitespace chunks and of
sentence counts agree, and 99.96% of the chunks of raw HTML (a harder test).

Sentence counting (`count_sentences`) follows spaCy's `sentencizer` (default punctuation list):
a sentence starts at the first token that is neither punctuation nor sentence-final punctuation
after a token that is a sentence-final punctuation character (".", "!", "?" and their kin).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from itertools import chain
from typing import Any

# ------------------------------------------------------------------------------------------------
# Character sets of the reference rules.


def _chars(ranges: Iterable[int | tuple[int, int]]) -> frozenset[str]:
    out: set[str] = set()
    for item in ranges:
        start, end = item if isinstance(item, tuple) else (item, item)
        out.update(chr(c) for c in range(start, end + 1))
    return frozenset(out)


# Characters that end a line for FineWeb's line-punctuation rule: datatrove's TERMINAL_PUNCTUATION
# (datatrove/utils/text.py, v0.10.1), i.e. Unicode's Sentence_Terminal characters plus three Khmer
# signs, written here as code-point ranges.
TERMINAL_PUNCTUATION: frozenset[str] = _chars(
    [
        0x21, 0x2E, 0x3F, 0x589, (0x61D, 0x61F), 0x6D4, (0x700, 0x702), 0x7F9, 0x837, 0x839,
        (0x83D, 0x83E), (0x964, 0x965), (0x104A, 0x104B), 0x1362, (0x1367, 0x1368), 0x166E,
        (0x1735, 0x1736), (0x17D4, 0x17D6), (0x17D9, 0x17DA), 0x1803, 0x1809, (0x1944, 0x1945),
        (0x1AA8, 0x1AAB), (0x1B5A, 0x1B5B), (0x1B5E, 0x1B5F), (0x1B7D, 0x1B7E), (0x1C3B, 0x1C3C),
        (0x1C7E, 0x1C7F), (0x203C, 0x203D), (0x2047, 0x2049), 0x2E2E, 0x2E3C, (0x2E53, 0x2E54),
        0x3002, 0xA4FF, (0xA60E, 0xA60F), 0xA6F3, 0xA6F7, (0xA876, 0xA877), (0xA8CE, 0xA8CF),
        0xA92F, (0xA9C8, 0xA9C9), (0xAA5D, 0xAA5F), (0xAAF0, 0xAAF1), 0xABEB, 0xFE52,
        (0xFE56, 0xFE57), 0xFF01, 0xFF0E, 0xFF1F, 0xFF61, (0x10A56, 0x10A57), (0x10F55, 0x10F59),
        (0x10F86, 0x10F89), (0x11047, 0x11048), (0x110BE, 0x110C1), (0x11141, 0x11143),
        (0x111C5, 0x111C6), 0x111CD, (0x111DE, 0x111DF), (0x11238, 0x11239), (0x1123B, 0x1123C),
        0x112A9, (0x1144B, 0x1144C), (0x115C2, 0x115C3), (0x115C9, 0x115D7), (0x11641, 0x11642),
        (0x1173C, 0x1173E), 0x11944, 0x11946, (0x11A42, 0x11A43), (0x11A9B, 0x11A9C),
        (0x11C41, 0x11C42), (0x11EF7, 0x11EF8), (0x11F43, 0x11F44), (0x16A6E, 0x16A6F), 0x16AF5,
        (0x16B37, 0x16B38), 0x16B44, 0x16E98, 0x1BC9F, 0x1DA88,
    ]
)  # fmt: skip

# A "word" made only of these is a symbol for Gopher quality's word counts: datatrove's
# PUNCTUATION_SET = its PUNCTUATION string (ASCII punctuation, some CJK/fullwidth marks, C0/C1
# control characters except tab and newline) plus TERMINAL_PUNCTUATION. Note it lacks "‘" and "•".
SYMBOL_CHARS: frozenset[str] = (
    frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«´»–—’“”„…∶━►、。〈〉《》「」【】！％（），．１：；？～")
    | _chars([(0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F)])
    | TERMINAL_PUNCTUATION
)
SYMBOL_STRIP = "".join(sorted(SYMBOL_CHARS))

# spaCy's sentencizer splits after these (its default punct_chars): TERMINAL_PUNCTUATION less some
# newer or Khmer/Syriac/Samaritan signs that spaCy's list does not have.
SENTENCE_END_CHARS: frozenset[str] = TERMINAL_PUNCTUATION - _chars(
    [
        (0x61D, 0x61E), 0x837, 0x839, (0x83D, 0x83E), (0x17D4, 0x17D6), (0x17D9, 0x17DA),
        (0x1B7D, 0x1B7E), (0x2E53, 0x2E54), (0x10F55, 0x10F59), (0x10F86, 0x10F89), 0x11944,
        0x11946, (0x11EF7, 0x11EF8), (0x11F43, 0x11F44), 0x16E98,
    ]
)  # fmt: skip

# ------------------------------------------------------------------------------------------------
# spaCy-like English word splitting.

# Quote characters of spaCy's punctuation rules (char_classes.LIST_QUOTES, single characters).
_QUOTES = frozenset("'\"”“`‘´’‚,„»«「」『』（）〔〕【】《》〈〉〈〉⟦⟧")
# Punctuation split off either end of a chunk (char_classes.LIST_PUNCT).
_PUNCT = frozenset("…,:;!?¿؟¡()[]{}<>_#*&。？！，、；：～·।،۔؛٪")
_CURRENCY = frozenset("$£€¥฿₽﷼₴") | _chars([(0x20A0, 0x20BF)])
_CURRENCY_CODES = ("US$", "C$", "A$")
_PREFIX_CHARS = frozenset("§%=—–") | _PUNCT | _QUOTES | _CURRENCY
_SUFFIX_CHARS = _PUNCT | _QUOTES | frozenset("—–")
# Units split off after a number ("10km" -> "10", "km"): the Latin and Cyrillic part of spaCy's list.
_UNITS = (
    "km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m/s "
    "km/h kmh mph hPa Pa mbar mb MB kb KB gb GB tb TB T G M K % км км² км³ м м² м³ дм дм² дм³ см "
    "см² см³ мм мм² мм³ нм кг г мг м/с км/ч кПа Па мбар Кб КБ кб Мб МБ мб Гб ГБ гб Тб ТБ тб"
).split()
_UNITS_BY_LAST_CHAR: dict[str, list[str]] = {}
for _unit in _UNITS:
    _UNITS_BY_LAST_CHAR.setdefault(_unit[-1], []).append(_unit)
# Before a final "." that is split off: a digit, a lower-case letter, %²-+ or punctuation/quotes.
_DOT_SUFFIX_AFTER = frozenset("0123456789%²-+|(?:") | _PUNCT | _QUOTES
_HYPHENS = ("-", "–", "—", "--", "---", "——", "~")
_POSSESSIVES = ("'s", "'S", "’s", "’S")

# A URL or e-mail address stays one token (a simpler form of spaCy's URL_MATCH).
_URL_CHAR = r"[0-9A-Za-z\u00a1-\uffff]"
_URL = re.compile(
    r"(?:[\w+\-.]{2,}://)?"  # scheme
    r"(?:\S+@)?"  # user@
    r"(?:(?:\d{1,3}\.){3}\d{1,3}"  # IPv4
    rf"|(?:(?:{_URL_CHAR}[{_URL_CHAR[1:-1]}_\-]{{0,62}})?{_URL_CHAR}\.)+[a-z\u00a1-\uffff]{{2,63}}\.?)"  # host
    r"(?::\d{2,5})?"  # port
    r"(?:[/?#]\S*)?"  # path
)


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_lower(c: str) -> bool:
    # spaCy's ALPHA_LOWER is lower-case letters plus letters of scripts without case.
    return c.isalpha() and not c.isupper()


def _is_upper(c: str) -> bool:
    return c.isalpha() and not c.islower()


def _is_icon(c: str) -> bool:
    return unicodedata.category(c) == "So"


def _prefix_len(s: str) -> int:
    c = s[0]
    if c == ".":
        run = len(s) - len(s.lstrip("."))
        return run if run >= 2 else 0
    if c == "+":
        return 0 if len(s) > 1 and _is_digit(s[1]) else 1
    if c in _PREFIX_CHARS or _is_icon(c):
        return 1
    for code in _CURRENCY_CODES:
        if s.startswith(code):
            return len(code)
    return 0


def _suffix_len(s: str) -> int:
    """Length of the suffix spaCy would split off `s` (its leftmost-starting suffix match)."""
    n = len(s)
    if not n:
        return 0
    c = s[-1]
    start = n
    if c in _SUFFIX_CHARS or _is_icon(c):
        start = n - 1
    if c == "…" and s.endswith("……"):
        start = n - 2
    if c == "." and n >= 2 and s[-2] == ".":
        start = min(start, len(s.rstrip(".")))  # a run of 2+ dots
    elif c == ".":
        before = s[-2] if n >= 2 else ""
        if (
            (before and (before in _DOT_SUFFIX_AFTER or _is_lower(before)))
            or (n >= 3 and _is_upper(s[-2]) and _is_upper(s[-3]))
            or (n >= 3 and s[-3] == "°" and s[-2] in "FfCcKk")
        ):
            start = min(start, n - 1)
    if s.endswith(_POSSESSIVES):
        start = min(start, n - 2)
    if c == "+" and n >= 2 and _is_digit(s[-2]):
        start = min(start, n - 1)
    # Currency and units directly after a digit.
    for code in _CURRENCY_CODES:
        if s.endswith(code) and n > len(code) and _is_digit(s[-len(code) - 1]):
            start = min(start, n - len(code))
    if c in _CURRENCY and n >= 2 and _is_digit(s[-2]):
        start = min(start, n - 1)
    for unit in _UNITS_BY_LAST_CHAR.get(c, ()):
        k = len(unit)
        if n > k and s.endswith(unit) and _is_digit(s[-k - 1]):
            start = min(start, n - k)
    return n - start


def _infix_at(s: str, i: int) -> int:
    """Length of the infix matching at position i of s (0 if none), trying spaCy's rules in order."""
    c = s[i]
    if c == "." and i + 1 < len(s) and s[i + 1] == ".":
        return len(s) - i - len(s[i:].lstrip("."))
    if c == "…" or _is_icon(c):
        return 1
    before = s[i - 1] if i else ""
    after = s[i + 1] if i + 1 < len(s) else ""
    if not before:
        return 0
    if c in "+-*^" and _is_digit(before) and (_is_digit(after) or after == "-"):
        return 1
    if c == "." and (_is_lower(before) or before in _QUOTES) and (_is_upper(after) or after in _QUOTES):
        return 1
    if c == "," and before.isalpha() and after.isalpha():
        return 1
    if before.isalpha() or _is_digit(before):
        for hyphen in _HYPHENS:
            if s.startswith(hyphen, i):
                nxt = s[i + len(hyphen) : i + len(hyphen) + 1]
                if nxt and nxt.isalpha():
                    return len(hyphen)
        if c in ":<>=/" and after.isalpha():
            return 1
    return 0


# Characters at which an infix can match (the rest never starts one).
_INFIX_CANDIDATE = re.compile(r"[.…+\-*^,–—~:<>=/\u0080-\U0010ffff]")


def _split_infixes(s: str) -> list[str]:
    if ("." in s or "@" in s) and _URL.fullmatch(s):
        return [s]
    pieces: list[str] = []
    start = end = 0
    for match in _INFIX_CANDIDATE.finditer(s):
        i = match.start()
        if i < end:
            continue
        k = _infix_at(s, i)
        if not k:
            continue
        end = i + k
        if i != 0:  # spaCy ignores an infix at the very start
            if i != start:
                pieces.append(s[start:i])
            pieces.append(s[i:end])
            start = end
    if start < len(s):
        pieces.append(s[start:])
    return pieces


def _tokenize_chunk(chunk: str, specials: dict[str, tuple[str, ...]]) -> list[str]:
    """spaCy's affix loop on one whitespace-free chunk, then special cases, URLs and infixes."""
    special = specials.get(chunk)
    if special is not None:
        return list(special)
    prefixes: list[str] = []
    suffixes: list[str] = []
    s = chunk
    last = -1
    while s and len(s) != last:
        if s in specials:
            break
        last = len(s)
        pre = _prefix_len(s)
        if pre and s[pre:] in specials:
            prefixes.append(s[:pre])
            s = s[pre:]
            break
        suf = _suffix_len(s[pre:])
        if suf and s[:-suf] in specials:
            suffixes.append(s[-suf:])
            s = s[:-suf]
            break
        if pre and suf and pre + suf <= len(s):
            prefixes.append(s[:pre])
            suffixes.append(s[-suf:])
            s = s[pre:-suf]
        elif pre:
            prefixes.append(s[:pre])
            s = s[pre:]
        elif suf:
            suffixes.append(s[-suf:])
            s = s[:-suf]
        if s in specials:
            break
    middle: Sequence[str] = ()
    if s:
        middle = specials.get(s) or _split_infixes(s)
    return [*prefixes, *middle, *reversed(suffixes)]


def _merge_specials(tokens: list[str]) -> list[str]:
    """spaCy's second pass: a run of tokens spelling a special case that contains punctuation
    ("Ph", ".", "D." or ")", ":") becomes that special case again."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for pattern, replacement in _MERGE_PATTERNS.get(tokens[i], ()):
            k = len(pattern)
            if tuple(tokens[i : i + k]) == pattern:
                out.extend(replacement)
                i += k
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _split_chunk(chunk: str) -> tuple[str, ...]:
    tokens = _tokenize_chunk(chunk, SPECIAL_CASES)
    if chunk not in SPECIAL_CASES and any(t in _MERGE_PATTERNS for t in tokens):
        tokens = _merge_specials(tokens)
    return tuple(tokens)


# -- English special cases -------------------------------------------------------------------------


def _contractions() -> dict[str, tuple[str, ...]]:
    """Contractions split the way spaCy's English exceptions split them."""
    # Pronoun-like words and the clitics spaCy splits after them.
    hosts = {
        "i": ("m", "d", "ll", "ve"),
        "you": ("d", "ll", "re", "ve"),
        "he": ("d", "ll", "s"),
        "she": ("d", "ll", "s"),
        "it": ("d", "ll", "s"),
        "we": ("d", "ll", "re", "ve"),
        "they": ("d", "ll", "re", "ve"),
        "that": ("d", "ll", "s"),
        "this": ("d", "ll", "s"),
        "these": ("d", "ll", "re", "ve"),
        "those": ("d", "ll", "re", "ve"),
        **{w: ("d", "ll", "re", "s", "ve") for w in ("there", "what", "when", "where", "who", "why", "how")},
    }
    # Verb stems before "n't" ("ca" as in can't, "wo" as in won't); those marked True take "n't've".
    negated = {
        "ai": False, "are": False, "ca": True, "could": True, "dare": False, "did": True,
        "does": True, "do": True, "had": True, "has": False, "have": False, "is": False,
        "may": True, "might": True, "must": True, "need": True, "ought": True, "sha": True,
        "should": True, "was": False, "were": False, "wo": True, "would": True,
    }  # fmt: skip
    modal_ve = ("could", "might", "must", "should", "would", "not")
    # Apostrophe-less forms that are ordinary words stay whole.
    no_apostrophe_words = {"ill", "its", "hell", "shell", "shed", "were", "well", "whore"}

    forms: list[tuple[str, ...]] = []
    for host, clitics in hosts.items():
        for clitic in clitics:
            forms.append((host, "'" + clitic))
            if clitic in ("d", "ll"):
                forms.append((host, "'" + clitic, "'ve"))
    for verb, takes_ve in negated.items():
        forms.append((verb, "n't"))
        if takes_ve:
            forms.append((verb, "n't", "'ve"))
    forms.extend((verb, "'ve") for verb in modal_ve)

    table: dict[str, tuple[str, ...]] = {}
    for parts in forms:
        for apostrophe in ("'", "’", ""):
            pieces = tuple(p.replace("'", apostrophe) for p in parts)
            for cased in (pieces, (pieces[0].capitalize(), *pieces[1:])):
                key = "".join(cased)
                if apostrophe == "" and key.lower() in no_apostrophe_words:
                    continue
                table[key] = cased
    return table


# Emoticons kept whole (a selection of spaCy's list; "):" and "8)" matter in ordinary text such as
# "(University):" and "(1-8)").
_EMOTICONS = (
    "): (: :) :( ;) =) =( :/ :| :] :[ :} :* :> =/ =] =[ =| [: [= ]= (= (; (-: (-; )-: [-: :(( :)) "
    ":((( :))) :-) :-( :-/ :-| :-] :-} :-* :-> :-)) :-(( :'( :') :’( :’) ;-) ;_; <3 </3 <33 ^_^ "
    "^__^ -_- -__- o_O O_o o_o O_O o_0 0_o 0_0 xD XD xDD XDD :D :P :p :o :O :x :X :3 :0 :1 8) 8-) "
    "8D 8-D =D =3 :-D :-P :-p :-O :-o :-X :-x :-0 :-3 ;-D ;D >:( >:o >.< <.< >.> @_@ ._. (._.) :o) "
    "(^_^) (-_-) (>_<) (*_*) v_v V_V"
).split()


def _capitalized(word: str) -> str:
    """Upper-case the first letter ("'cause" -> "'Cause")."""
    i = 1 if word[0] in "'’" else 0
    return word[:i] + word[i : i + 1].upper() + word[i + 1 :]


def _special_cases() -> dict[str, tuple[str, ...]]:
    table = _contractions()
    two_part = {"cannot": ("can", "not"), "gonna": ("gon", "na"), "gotta": ("got", "ta")}
    for word, parts in two_part.items():
        table[word] = parts
        table[word.capitalize()] = (parts[0].capitalize(), parts[1])
    for apostrophe in ("'", "’"):
        table[f"y{apostrophe}all"] = (f"y{apostrophe}", "all")
        # Words with an apostrophe that stay whole, in lower case and capitalised...
        for word in ("ma'am", "o'clock", "c'mon", "doin'", "goin'", "havin'", "lovin'", "nothin'",
                     "nuthin'", "somethin'", "ol'", "'cause", "'cos", "'coz", "'cuz"):  # fmt: skip
            word = word.replace("'", apostrophe)
            table[word] = (word,)
            table[_capitalized(word)] = (_capitalized(word),)
        # ...and in lower case only.
        for word in ("'bout", "'nuff", "'em", "'s", "'S", "'d", "'ll", "'re", "'", "''"):
            word = word.replace("'", apostrophe)
            table[word] = (word,)
    table["yall"] = ("y", "all")
    table["‘s"], table["‘S"] = ("‘s",), ("‘S",)
    # Abbreviations that keep their final period (only those whose period would otherwise split).
    abbreviations = (
        "Adm. Ak. Ala. Apr. Ariz. Ark. Aug. Bros. Calif. Co. Colo. Conn. Corp. Dec. Del. Dr. E.g. "
        "Feb. Fla. Ga. Gen. Gov. I.e. Ia. Id. Ill. Inc. Ind. Jan. Jr. Jul. Jun. Kan. Kans. Ky. La. "
        "Ltd. Mar. Mass. Md. Messrs. Mich. Minn. Miss. Mo. Mont. Mr. Mrs. Ms. Mt. Neb. Nebr. Nev. "
        "Nov. Oct. Okla. Ore. Pa. Prof. Rep. Rev. Sen. Sep. Sept. St. Tenn. Va. Wash. Wis. a.m. "
        "p.m. Ph.D. co. e.g. i.e. v.s. vs. ä. ö. ü."
    ).split()
    abbreviations += [f"{letter}." for letter in "abcdefghijklmnopqrstuvwxyz"]
    for word in abbreviations:
        table[word] = (word,)
    for hour in range(1, 13):
        for suffix in ("am", "pm", "a.m.", "p.m."):
            table[f"{hour}{suffix}"] = (str(hour), suffix)
    for word in ("and/or", "w/o", "C++", *_EMOTICONS):
        table[word] = (word,)
    return table


SPECIAL_CASES: dict[str, tuple[str, ...]] = _special_cases()


def _merge_patterns() -> dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]]:
    """Special cases holding a prefix, suffix or infix, keyed by the first token they split into."""
    patterns: dict[str, list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for key, replacement in SPECIAL_CASES.items():
        has_affix = _prefix_len(key) or _suffix_len(key) or any(_infix_at(key, i) for i in range(len(key)))
        if has_affix:
            pattern = tuple(_tokenize_chunk(key, {}))
            patterns.setdefault(pattern[0], []).append((pattern, replacement))
    for options in patterns.values():
        options.sort(key=lambda option: -len(option[0]))
    return patterns


_MERGE_PATTERNS = _merge_patterns()
# Special cases made of letters only: looked up on the fast path of `split_words`.
_ALPHA_SPECIALS = {k: v for k, v in SPECIAL_CASES.items() if k.isalpha()}

_CHUNK_CACHE: dict[str, tuple[str, ...]] = {}
_CHUNK_CACHE_MAX = 100_000  # cleared when full; web text repeats its chunks (Zipf), so it hits


def _tokens_of(chunk: str) -> tuple[str, ...]:
    special = SPECIAL_CASES.get(chunk)
    if special is not None:
        return special
    if chunk.isalpha() or chunk.isdigit():  # most chunks: no rule splits them
        return (chunk,)
    return _one_affix(chunk) or _split_chunk(chunk)


def _one_affix(chunk: str) -> tuple[str, ...] | None:
    """The common shapes "word," / "word." / "(word" without running the general loop; None when
    the chunk is not one of them or a special case could be involved."""
    core, last = chunk[:-1], chunk[-1]
    if core.isalpha():
        if last in _SUFFIX_CHARS or (
            last == "." and (not core[-1].isupper() or (len(core) > 1 and not core[-2].islower()))
        ):
            if core in _MERGE_PATTERNS:
                return None
            return (*(_ALPHA_SPECIALS.get(core) or (core,)), last)
        return None
    first, rest = chunk[0], chunk[1:]
    if rest.isalpha() and first in _PREFIX_CHARS and first not in _MERGE_PATTERNS:
        return (first, *(_ALPHA_SPECIALS.get(rest) or (rest,)))
    return None


def fill_memo(cache: dict, keys: list[str], compute: Callable[[str], Any]) -> dict:
    """`cache` holding every key of `keys` (the new ones computed now); cleared when it would outgrow
    its bound, so memory stays flat on an endless stream of documents."""
    missing = set(keys).difference(cache)
    if missing:
        if len(cache) + len(missing) > _CHUNK_CACHE_MAX:
            cache.clear()
            missing = set(keys)
        cache.update({key: compute(key) for key in missing})
    return cache


def _known_chunks(chunks: list[str]) -> dict[str, tuple[str, ...]]:
    """The chunk memo, holding every chunk of `chunks` (the new ones split now)."""
    return fill_memo(_CHUNK_CACHE, chunks, _tokens_of)


def split_chunk(chunk: str) -> tuple[str, ...]:
    """The tokens of one whitespace-free chunk (memoised: equal words then share one string
    object, which keeps cached analyses small and makes their hashing cheap)."""
    tokens = _CHUNK_CACHE.get(chunk)
    return tokens if tokens is not None else _known_chunks([chunk])[chunk]


def split_words(text: str) -> list[str]:
    """The words of `text` as spaCy's blank English tokenizer gives them (stripped, no whitespace)."""
    chunks = text.split()
    return list(chain.from_iterable(map(_known_chunks(chunks).__getitem__, chunks)))


def count_words(text: str) -> int:
    """len(split_words(text)) without building the list."""
    chunks = text.split()
    return sum(map(len, map(_known_chunks(chunks).__getitem__, chunks)))


# -- sentences ---------------------------------------------------------------------------------------

# For each chunk: the number of sentence starts it makes and the sentencizer state it leaves, for
# both incoming states (after a sentence-final mark or not).
_SentenceEffect = tuple[int, bool, int, bool]
_SENTENCE_CACHE: dict[str, _SentenceEffect] = {}
_WORD_EFFECT: _SentenceEffect = (0, False, 1, False)


def _is_punct(token: str) -> bool:
    # spaCy's IS_PUNCT: every character is in a Unicode punctuation category.
    return all(unicodedata.category(ch).startswith("P") for ch in token)


def _sentence_effect(chunk: str) -> _SentenceEffect:
    effect = _SENTENCE_CACHE.get(chunk)
    if effect is not None:
        return effect
    tokens = split_chunk(chunk)
    result = []
    for seen in (False, True):
        starts = 0
        for token in tokens:
            is_end = token in SENTENCE_END_CHARS
            if seen and not is_end and not _is_punct(token):
                starts += 1
                seen = False
            elif is_end:
                seen = True
        result += [starts, seen]
    effect = (result[0], result[1], result[2], result[3])
    if len(_SENTENCE_CACHE) >= _CHUNK_CACHE_MAX:
        _SENTENCE_CACHE.clear()
    _SENTENCE_CACHE[chunk] = effect
    return effect


def count_sentences(text: str, chunks: Sequence[str] | None = None) -> int:
    """Number of sentences spaCy's sentencizer finds in `text` (one line; pass `text.split()` as
    `chunks` when already at hand). Like datatrove's `split_into_sentences`, never less than 1."""
    if chunks is None:
        chunks = text.split()
    sentences = 1
    seen = False
    for chunk in chunks:
        effect = _WORD_EFFECT if chunk.isalpha() else _sentence_effect(chunk)
        if seen:
            sentences += effect[2]
            seen = effect[3]
        else:
            sentences += effect[0]
            seen = effect[1]
    return sentences


def clear_word_caches() -> None:
    """Forget the memoised word splits and sentence effects of whitespace chunks."""
    _CHUNK_CACHE.clear()
    _SENTENCE_CACHE.clear()
