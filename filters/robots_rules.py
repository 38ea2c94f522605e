"""robots.txt rules for a fixed list of crawlers (RFC 9309), in the compact form the index stores.

A robots.txt is reduced to the rules that can decide for the configured product tokens (and for
`*` when wildcards are respected): every other group, every comment and every other record
(Sitemap, Crawl-delay, ...) is dropped; the groups naming a token are merged into one group headed
by the token itself (RFC 9309 2.2.1: `User-agent: GPTBot/1.0` names the token `gptbot`; groups
matching one token are combined). Group boundaries follow the RFC: a group is one or more
user-agent lines followed by rules, and a user-agent line after a rule starts a new group; other
records do not end a group. Most robots.txt files say nothing about AI crawlers and
reduce to nothing at all, which is what keeps an index of 10 M hosts small.

The reduced text is then parsed by `protego` (Scrapy's robots.txt parser: longest match on the
percent-encoded pattern, allow wins ties, `*` and `$`, `/robots.txt` always allowed), chosen over
`robotspy` (bench/results.md): on the RFC's examples (`devdata/robots_rfc.py`) both miss one
or two, but on 20,000 random rule sets robotspy decided 62 against a literal reading of the RFC and
protego 0 (robotspy reads `?` in a `$`-anchored wildcard as "any character", and its group merging
can hand one agent's rules to another, in an order set by the hash seed). Group selection is ours:
protego picks the longest user-agent that occurs in the crawler's name (so `User-agent: Applebot`
would apply to `Applebot-Extended`); we ask it only for agents that have a group of their own (the
reduced text names the tokens) and ask for `*` by that name. One known difference from the RFC is
protego's: `Allow: /dir/index.html` also allows `/dir/` itself, as Google does.

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
    """The rules of `agents` (and of `*` when `wildcard`), one group per product token with the rules
    of every group naming it merged in file order (RFC 9309 2.2.1); "" when none of them can disallow
    anything (no group, or only empty `Disallow:` lines)."""
    wanted = {a.lower() for a in agents} | ({"*"} if wildcard else set())
    merged: dict[str, list[str]] = {}
    tokens: list[str | None] = []
    rules: list[str] = []

    def close() -> None:
        for token in tokens:
            if token in wanted:
                merged.setdefault(token, []).extend(rules)

    for raw in text.splitlines():
        match = _FIELD.match(raw.split("#", 1)[0].strip())
        if match is None:
            continue  # comments, blank lines, other records: they never end a group
        field, value = match.group(1).lower(), match.group(2).strip()
        if field == "user-agent":
            if rules:
                close()
                tokens, rules = [], []
            tokens.append(product_token(value))
        elif tokens:  # a rule before any user-agent line belongs to no group
            # A path ends at the first space; an empty value is a rule that allows.
            rules.append(f"{field}: {value.split()[0] if value else ''}")
    close()
    if not any(r.startswith("disallow: ") and len(r) > 10 for group in merged.values() for r in group):
        return ""
    # One group per token, in a fixed order (equal files reduce to equal texts, stored once). Tokens
    # without rules come last, together: they obey an empty group, not the `*` one.
    lines: list[str] = []
    for token, group in sorted(merged.items(), key=lambda kv: (not kv[1], kv[0])):
        lines.append(f"user-agent: {token}")
        lines += group
    return "\n".join(lines) + "\n"


def robots_parser() -> Any:
    try:
        from protego import Protego
    except ImportError:
        raise ConfigError(
            "robots_optout needs the `protego` package (a robots.txt parser): pip install protego"
        ) from None
    return Protego


@dataclass
class Verdict:
    """For one page: the configured agents its robots.txt disallows (own groups), and whether the
    `*` group disallows it for the agents that have no group of their own."""

    agents: list[str]
    wildcard: bool


class RobotsRules:
    """One reduced robots.txt, parsed; answers for the configured agents."""

    def __init__(self, reduced: str, agents: Sequence[str]) -> None:
        self.parser = robots_parser().parse(reduced)
        tokens = {
            line[len("user-agent: ") :] for line in reduced.splitlines() if line.startswith("user-agent: ")
        }
        self.own = [a for a in agents if a.lower() in tokens]  # agents with a group of their own
        self.has_wildcard = "*" in tokens and len(self.own) < len(agents)

    def verdict(self, url: str, respect_wildcard: bool) -> Verdict:
        denied = [a for a in self.own if not self.parser.can_fetch(url, a)]
        # Every agent without a group of its own obeys the `*` group: one query answers for all.
        wildcard = respect_wildcard and self.has_wildcard and not self.parser.can_fetch(url, "*")
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
