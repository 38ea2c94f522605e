"""RFC 9309 (Robots Exclusion Protocol) examples as test data: robots.txt texts, a crawler's product
token, a URL path and the decision the RFC implies. Written from the RFC's rules and examples
(section numbers given); used to compare robots.txt parsers and to test `robots_optout`. Also a
literal reading of the RFC's matching rules (`longest_match`, `rfc_allowed`) to check a parser on
generated files.

Status handling (4xx = unavailable = allow all, 5xx = unreachable = disallow all) is not a parser
matter: `filters.robots_index` applies it before any parser runs, and the stage tests cover it.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class RfcCase:
    name: str
    robots: str
    agent: str
    path: str
    allowed: bool
    section: str


# RFC 9309 section 5.1, the simple example (one `*` group, a single-agent group, a group of two
# agents, an empty group at the end of the file).
SIMPLE_EXAMPLE = """\
User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot
"""

# Section 5.2: the longest match wins.
LONGEST_MATCH = """\
User-Agent: foobot
Allow: /example/page/
Disallow: /example/page/disallowed.gif
"""

# Section 2.2.2: equivalent allow and disallow rules: allow SHOULD be used.
ALLOW_TIE = """\
user-agent: examplebot
disallow: /folder
allow: /folder
"""

# Section 2.2.1: groups matching the same product token are merged.
MERGED_GROUPS = """\
user-agent: ExampleBot
disallow: /foo
disallow: /bar

user-agent: ExampleBot
disallow: /baz
"""

# Section 2.2.3: `$` ends a pattern, `*` matches any sequence of characters (also `/`).
SPECIAL_CHARACTERS = """\
user-agent: *
disallow: /
allow: /this/path/exactly$
allow: /this/*/exactly
disallow: /*.php$
"""

# Section 2.2.2, table 1 and the percent-encoding rules: a rule and a URL path match when equal
# after both are percent-encoded (UTF-8) and unreserved characters decoded.
PERCENT_ENCODING = """\
user-agent: *
disallow: /path/file-with-a-%2A.html
disallow: /path/foo-%24
disallow: /foo/bar/ツ
disallow: /enc/%E3%83%84
disallow: /foo/bar/%62%61%7A
"""

# Section 2.1/2.2: comments, blank lines inside a group, rules before any user-agent line, a
# user-agent line after rules starting a new group, empty disallow, case-sensitive paths.
SYNTAX = """\
Disallow: /orphan
# a comment line
User-agent: alphabot   # trailing comment

Disallow: /blank-line-inside-group
Disallow: /Private
User-agent: betabot
Disallow: /beta-only # comment after a rule
Disallow:
user-agent: gammabot
USER-AGENT: DeltaBot
disallow: /shared
"""

# Section 2.2.1: no group matches and there is no `*` group: no rules apply.
NO_MATCHING_GROUP = """\
user-agent: otherbot
disallow: /
"""

# Section 2.2.1: the group is matched on the whole product token, case-insensitively (a group for
# `anthropic` is not a group for `anthropic-ai`, nor `bot` for `GPTBot`).
WHOLE_TOKEN = """\
user-agent: anthropic
disallow: /
user-agent: bot
disallow: /
user-agent: *
disallow: /wild
"""

# Section 2.2.2: longest match; an allow for a file does not allow its folder.
NO_INDEX_ALIAS = """\
user-agent: *
disallow: /dir/
allow: /dir/index.html
allow: /public
disallow: /*
"""

# Section 2.2.2: `/robots.txt` is implicitly allowed.
ROBOTS_ITSELF = """\
user-agent: *
disallow: /
"""


def _cases() -> list[RfcCase]:
    table = [
        # 5.1
        (SIMPLE_EXAMPLE, "foobot", "/example/page.html", True, "5.1"),
        (SIMPLE_EXAMPLE, "foobot", "/example/allowed.gif", True, "5.1"),
        (SIMPLE_EXAMPLE, "foobot", "/example/other.html", False, "5.1"),
        (SIMPLE_EXAMPLE, "foobot", "/", False, "5.1"),
        (SIMPLE_EXAMPLE, "foobot", "/publications/", False, "5.1 (own group, no * fallback)"),
        (SIMPLE_EXAMPLE, "FooBot", "/", False, "2.2.1 (case-insensitive token)"),
        (SIMPLE_EXAMPLE, "barbot", "/example/page.html", False, "5.1"),
        (SIMPLE_EXAMPLE, "bazbot", "/example/page.html", False, "5.1"),
        (SIMPLE_EXAMPLE, "barbot", "/example/page.html.bak", False, "5.1 (prefix)"),
        (SIMPLE_EXAMPLE, "barbot", "/example/other.html", True, "5.1"),
        (SIMPLE_EXAMPLE, "barbot", "/image.gif", True, "5.1 (own group, no * fallback)"),
        (SIMPLE_EXAMPLE, "quxbot", "/example/", True, "5.1 (empty group)"),
        (SIMPLE_EXAMPLE, "otherbot", "/example/x", False, "5.1 (* group)"),
        (SIMPLE_EXAMPLE, "otherbot", "/publications/x", True, "5.1 (* group)"),
        (SIMPLE_EXAMPLE, "otherbot", "/images/cat.gif", False, "5.1 (*.gif$)"),
        (SIMPLE_EXAMPLE, "otherbot", "/images/cat.gif?size=2", True, "2.2.3 ($ anchors the end)"),
        (SIMPLE_EXAMPLE, "otherbot", "/publications/cat.gif", True, "2.2.2 (longest match)"),
        # 5.2
        (LONGEST_MATCH, "foobot", "/example/page/disallowed.gif", False, "5.2"),
        (LONGEST_MATCH, "foobot", "/example/page/other.gif", True, "5.2"),
        # 2.2.2 ties
        (ALLOW_TIE, "examplebot", "/folder/page", True, "2.2.2 (allow wins a tie)"),
        # 2.2.1 merging
        (MERGED_GROUPS, "ExampleBot", "/baz/x", False, "2.2.1 (merged groups)"),
        (MERGED_GROUPS, "examplebot", "/foo", False, "2.2.1 (merged groups)"),
        (MERGED_GROUPS, "ExampleBot", "/qux", True, "2.2.1 (merged groups)"),
        # 2.2.3 special characters
        (SPECIAL_CHARACTERS, "a", "/this/path/exactly", True, "2.2.3 ($)"),
        (SPECIAL_CHARACTERS, "a", "/this/path/exact", False, "2.2.3 ($)"),
        (SPECIAL_CHARACTERS, "a", "/this/is/exactly/more", True, "2.2.3 (* matches /)"),
        (SPECIAL_CHARACTERS, "a", "/this/a/b/exactly", True, "2.2.3 (* matches /)"),
        (SPECIAL_CHARACTERS, "a", "/that", False, "2.2.3"),
        (SPECIAL_CHARACTERS, "a", "/index.php?x=1", False, "2.2.3 (`disallow: /` still applies)"),
        # percent-encoding
        (PERCENT_ENCODING, "a", "/path/file-with-a-*.html", False, "2.2.2 table 1 (%2A)"),
        (PERCENT_ENCODING, "a", "/path/foo-$", False, "2.2.2 table 1 (%24)"),
        (PERCENT_ENCODING, "a", "/foo/bar/%E3%83%84", False, "2.2.2 table 1 (UTF-8 rule)"),
        (PERCENT_ENCODING, "a", "/enc/ツ", False, "2.2.2 table 1 (encoded rule, UTF-8 URL)"),
        (PERCENT_ENCODING, "a", "/foo/bar/baz", False, "2.2.2 table 1 (unreserved decoded)"),
        (PERCENT_ENCODING, "a", "/foo/bar/other", True, "2.2.2"),
        # syntax
        (SYNTAX, "alphabot", "/orphan", True, "2.1 (rule before any group ignored)"),
        (SYNTAX, "alphabot", "/blank-line-inside-group", False, "2.1 (blank line does not end a group)"),
        (SYNTAX, "alphabot", "/Private/x", False, "2.2.2 (case-sensitive paths)"),
        (SYNTAX, "alphabot", "/private/x", True, "2.2.2 (case-sensitive paths)"),
        (SYNTAX, "alphabot", "/beta-only", True, "2.1 (user-agent after rules starts a group)"),
        (SYNTAX, "betabot", "/beta-only/x", False, "2.1 (comment after a rule)"),
        (SYNTAX, "betabot", "/Private", True, "2.1 (groups are separate)"),
        (SYNTAX, "gammabot", "/shared/1", False, "2.1 (two user-agent lines, one group)"),
        (SYNTAX, "deltabot", "/shared/1", False, "2.2.1 (case-insensitive user-agent line)"),
        # no group
        (NO_MATCHING_GROUP, "examplebot", "/", True, "2.2.1 (no matching group, no *)"),
        # whole token
        (WHOLE_TOKEN, "anthropic-ai", "/x", True, "2.2.1 (whole token: not `anthropic`)"),
        (WHOLE_TOKEN, "anthropic-ai", "/wild", False, "2.2.1 (falls back to *)"),
        (WHOLE_TOKEN, "GPTBot", "/x", True, "2.2.1 (whole token: not `bot`)"),
        (WHOLE_TOKEN, "Anthropic", "/x", False, "2.2.1 (case-insensitive)"),
        # longest match, no aliasing
        (NO_INDEX_ALIAS, "a", "/dir/", False, "2.2.2 (allow of a file is not its folder)"),
        (NO_INDEX_ALIAS, "a", "/dir/index.html", True, "2.2.2"),
        (NO_INDEX_ALIAS, "a", "/public/x", True, "2.2.2 (longer allow beats /*)"),
        (NO_INDEX_ALIAS, "a", "/other", False, "2.2.2"),
        # robots.txt itself
        (ROBOTS_ITSELF, "a", "/robots.txt", True, "2.2.2 (/robots.txt implicitly allowed)"),
        (ROBOTS_ITSELF, "a", "/page", False, "2.2.2"),
    ]
    return [
        RfcCase(f"{section}: {agent} {path}", robots, agent, path, allowed, section)
        for robots, agent, path, allowed, section in table
    ]


RFC_CASES: list[RfcCase] = _cases()


# -- a literal reading of the RFC, to check parsers against on generated files ---------------------
def longest_match(rules: list[tuple[bool, str]], path: str) -> bool:
    """RFC 9309 2.2.2 by the letter: the matching rule with the most octets wins, allow on a tie.
    Octets of the percent-encoded pattern (the form rules and paths are compared in): `?` is `%3F`."""
    best: tuple[int, bool] | None = None
    for allow, pattern in rules:
        body, anchored = (pattern[:-1], True) if pattern.endswith("$") else (pattern, False)
        regex = "".join(".*" if c == "*" else re.escape(c) for c in body) + (r"\Z" if anchored else "")
        octets = len(pattern) + 2 * pattern.count("?")
        if re.match(regex, path) and (best is None or (octets, allow) > best):
            best = (octets, allow)
    return True if best is None else best[1]


def rfc_allowed(text: str, agent: str, path: str) -> bool:
    """RFC 9309 read literally: groups, merged per token, else `*`, then the longest match."""
    groups: list[tuple[set[str], list[tuple[bool, str]]]] = []
    open_group = False  # the last group still takes user-agent lines (no rule seen yet)
    for line in text.splitlines():
        key, colon, value = line.split("#")[0].partition(":")
        key, value = key.strip().lower(), value.strip()
        if not colon:
            continue
        if key == "user-agent":
            if not open_group:
                groups.append((set(), []))
                open_group = True
            groups[-1][0].add(
                "*" if value.startswith("*") else re.match(r"[A-Za-z_-]*", value).group(0).lower()
            )
        elif key in ("allow", "disallow") and groups:
            open_group = False
            if value:
                groups[-1][1].append((key == "allow", value))
    own = [rule for tokens, rules in groups if agent.lower() in tokens for rule in rules]
    if not any(agent.lower() in tokens for tokens, _ in groups):
        own = [rule for tokens, rules in groups if "*" in tokens for rule in rules]
    return longest_match(own, path)


def random_rule_sets(n: int, seed: int = 0) -> list[tuple[list[tuple[bool, str]], str]]:
    """n (rules, path) pairs over a small alphabet with `*`, `$`, `?` and `=`, for parser comparisons."""
    rng = random.Random(seed)

    def pattern() -> str:
        body = "/" + "".join(rng.choice("/ab.*?=-") for _ in range(rng.randint(0, 7)))
        return body + ("$" if rng.random() < 0.3 else "")

    out = []
    for _ in range(n):
        rules = [(rng.random() < 0.5, pattern()) for _ in range(rng.randint(1, 5))]
        path = re.sub("/+", "/", "/" + "".join(rng.choice("/ab.?=-") for _ in range(rng.randint(0, 9))))
        out.append((rules, path))
    return out
