"""robots.txt rules for a fixed list of crawlers (RFC 9309), in the compact form the index stores.

A robots.txt is reduced to the groups that can decide for the configured product tokens (and the
`*` groups when wildcards are respected): every other group, every comment and every other record
(Sitemap, Crawl-delay, ...) is dropped, and each kept `user-agent` line is rewritten to the product
token it names (RFC 9309 2.2.1: `GPTBot/1.0` is the token `gptbot`). Group boundaries follow the RFC:
a group is one or more user-agent lines followed by rules, and a user-agent line after a rule starts a
new group; other records do not end a group. Most robots.txt files say nothing about AI crawlers and
reduce to nothing at all, which is what keeps an index of 10 M hosts small.

The reduced text is then parsed by `robotspy` (an RFC 9309 parser: longest match, allow wins ties,
`*` and `$`, merged groups, case-insensitive product tokens), chosen over `protego` on the RFC's
examples (`devdata/robots_rfc.py`; protego matches `User-agent: Applebot` for `Applebot-Extended`
and lets `Allow: /dir/index.html` allow `/dir/`). Rewriting the user-agent lines also keeps robotspy
off a regex slip of its own (a user-agent line holding an `s` after the token, as in
`Some bot (see https://...)`, is not read as a user-agent line). `/robots.txt` itself is always
allowed (RFC 9309 2.2.2), which robotspy does not do on its own.

Statuses at crawl time (RFC 9309 2.3.1): 2xx = the rules; 3xx = follow the redirect (up to five
hops, `filters.robots_build`); 4xx = unavailable, everything allowed; 5xx = unreachable, everything
disallowed.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pipeline.core.config import ConfigError

# What a capture of a host's robots.txt says, as stored in the index (uint8).
RULES = 0  # 2xx with rules for the configured agents: parse the stored text
NO_RULES = 1  # 2xx with nothing that can disallow a configured agent
UNAVAILABLE = 2  # 4xx (or more than five redirects): everything allowed
UNREACHABLE = 3  # 5xx: everything disallowed
REDIRECT = 4  # 3xx: resolved at build time to what its target says
OTHER = 5  # another status (1xx, a 3xx without Location): not a usable capture
KIND_NAMES = {
    RULES: "rules",
    NO_RULES: "no_rules",
    UNAVAILABLE: "unavailable",
    UNREACHABLE: "unreachable",
    REDIRECT: "redirect",
    OTHER: "other",
}

# RFC 9309 2.5: crawlers MUST parse at least the first 500 KiB.
MAX_ROBOTS_BYTES = 500 * 1024

_FIELD = re.compile(r"^(user-agent|allow|disallow)\s*(?::\s*|\s+|$)(.*)$", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z_-]+")


def status_kind(status: int) -> int:
    if 200 <= status < 300:
        return RULES  # refined to NO_RULES by `reduce_robots`
    if 300 <= status < 400:
        return REDIRECT
    if 400 <= status < 500:
        return UNAVAILABLE
    if 500 <= status < 600:
        return UNREACHABLE
    return OTHER


def product_token(value: str) -> str | None:
    """The product token a user-agent line names, lower-cased (`*` for the wildcard), or None."""
    if value.startswith("*"):
        return "*"
    match = _TOKEN.match(value)
    return match.group(0).lower() if match else None


def decode_robots(body: bytes, limit: int = MAX_ROBOTS_BYTES) -> str:
    """The first `limit` bytes as text (RFC 9309: UTF-8; a byte-order mark is dropped)."""
    return body[:limit].decode("utf-8", errors="replace").removeprefix("\ufeff")


def reduce_robots(text: str, agents: Iterable[str], wildcard: bool) -> str:
    """The groups of `agents` (and of `*` when `wildcard`), as clean lines; "" when none of them
    can disallow anything (no group, or only empty `Disallow:` lines)."""
    wanted = {a.lower() for a in agents} | ({"*"} if wildcard else set())
    groups: list[tuple[list[str | None], list[str]]] = []
    tokens: list[str | None] = []
    rules: list[str] = []
    for raw in text.splitlines():
        match = _FIELD.match(raw.split("#", 1)[0].strip())
        if match is None:
            continue  # comments, blank lines, other records: they never end a group
        field, value = match.group(1).lower(), match.group(2).strip()
        if field == "user-agent":
            if rules:
                groups.append((tokens, rules))
                tokens, rules = [], []
            tokens.append(product_token(value))
        elif tokens:  # a rule before any user-agent line belongs to no group
            # robotspy reads a path up to the first space; an empty value is a rule that allows.
            rules.append(f"{field}: {value.split()[0] if value else ''}")
    if tokens:
        groups.append((tokens, rules))
    lines: list[str] = []
    can_disallow = False
    for group_tokens, group_rules in groups:
        kept = [t for t in dict.fromkeys(group_tokens) if t in wanted]
        if not kept:
            continue
        lines += [f"user-agent: {t}" for t in kept]
        # An empty group (only ever the last one) still matters: its agents obey no `*` rules.
        lines += group_rules
        can_disallow = can_disallow or any(r.startswith("disallow: ") and len(r) > 10 for r in group_rules)
    return "\n".join(lines) + "\n" if can_disallow else ""


def _robots_parser() -> Any:
    try:
        from robots import RobotsParser
    except ImportError:
        raise ConfigError(
            "robots_optout needs the `robotspy` package (an RFC 9309 robots.txt parser): pip install robotspy"
        ) from None
    return RobotsParser


@dataclass
class Verdict:
    """For one page: the configured agents its robots.txt disallows (own groups), and whether the
    `*` group disallows it for the agents that have no group of their own."""

    agents: list[str]
    wildcard: bool


class RobotsRules:
    """One reduced robots.txt, parsed; answers for the configured agents."""

    def __init__(self, reduced: str, agents: Sequence[str]) -> None:
        self.parser = _robots_parser().from_string(reduced)
        groups = self.parser.agents_rules
        self.own = [a for a in agents if a.lower() in groups]  # agents with a group of their own
        self.others = next((a for a in agents if a.lower() not in groups), None)
        self.has_wildcard = "*" in groups

    def verdict(self, url: str, respect_wildcard: bool) -> Verdict:
        if urlsplit(url).path == "/robots.txt":
            return Verdict([], False)
        denied = [a for a in self.own if not self.parser.can_fetch(a, url)]
        wildcard = False
        if respect_wildcard and self.has_wildcard and self.others is not None:
            # Every agent without a group of its own obeys the `*` group: one query answers for all.
            wildcard = not self.parser.can_fetch(self.others, url)
        return Verdict(denied, wildcard)


class RulesCache:
    """Parsed robots.txt by index blob id, least recently used first out (a bounded memo per worker)."""

    def __init__(self, size: int, agents: Sequence[str]) -> None:
        self.size = size
        self.agents = list(agents)
        self._items: OrderedDict[int, RobotsRules] = OrderedDict()
        self.parsed = 0

    def get(self, blob: int, text: Any) -> RobotsRules:
        """`text` is called for the reduced robots.txt only when blob is not cached."""
        rules = self._items.get(blob)
        if rules is not None:
            self._items.move_to_end(blob)
            return rules
        rules = RobotsRules(text(), self.agents)
        self.parsed += 1
        self._items[blob] = rules
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return rules
