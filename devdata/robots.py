"""Test data for `robots_optout`: robots.txt WARCs (as CommonCrawl publishes them) and pages on the
same hosts, each page labelled with the decision RFC 9309 and the default agents imply.

`write_robots_warcs(dir)` writes two robots.txt WARCs (hosts split between them, as a crawl's are);
`write_pages_warc(path)` writes the pages. `PAGES[i].expected` is the reason with the default
settings (`respect_wildcard: false`), `expected_wildcard` with `respect_wildcard: true`; None = kept.
`bulk_robots(n, seed)` makes many varied robots.txt bodies for the benchmark.

    python -m devdata.robots --output DIR      # DIR/robots/*.warc.gz and DIR/pages.warc.gz
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from devdata.warcs import Page, article, write_warc

CRAWL_DAY = "2024-02-20T10:00:00Z"  # when most robots.txt files were fetched
PAGE_DAY = "2024-02-21T08:00:00Z"  # when most pages were fetched


@dataclass(frozen=True)
class Capture:
    """One robots.txt fetch (or a redirect target) as a `response` record of a robots.txt WARC."""

    url: str
    status: str = "200 OK"
    body: str = ""
    location: str | None = None
    date: str = CRAWL_DAY
    file: int = 0  # which of the two robots WARCs holds it


@dataclass(frozen=True)
class TestPage:
    url: str
    expected: str | None  # reason with the default settings, None = kept
    expected_wildcard: str | None  # with respect_wildcard: true
    date: str = PAGE_DAY
    headers: tuple[tuple[str, str], ...] = ()
    head: str = ""  # extra markup inside <head>
    body_extra: str = ""  # extra markup after the article


A_ROBOTS = """\
User-agent: *
Disallow: /admin/

User-agent: GPTBot
Disallow: /news/

User-agent: CCBot
Disallow: /private/
Allow: /private/public/
Sitemap: https://a.example/sitemap.xml
"""

E_ROBOTS = """\
User-agent: ClaudeBot
Allow: /docs/
Disallow: /docs/internal
Disallow: /*.pdf$

user-agent: anthropic-ai
disallow: /drafts

User-Agent: ANTHROPIC-AI
Crawl-delay: 10
Disallow: /archive/
"""

# A byte-order mark, CRLF line ends, lower/upper case field names, a product token with a version,
# and a group for `Applebot` (Apple's search crawler), which is not `Applebot-Extended`.
K_ROBOTS = (
    "\ufeffuser-agent: gptbot\r\ndisallow: /g/\r\nUSER-AGENT: Google-Extended/1.0\r\nDisallow: /ge/\r\n"
    "User-agent: Applebot\r\nDisallow: /\r\n"
)

GPT_ALL = "User-agent: GPTBot\nDisallow: /\n"


def _chain(host: str, hops: int, final: str) -> list[Capture]:
    """host/robots.txt redirecting `hops` times (/r1, /r2, ...), the last target answering `final`."""
    names = ["/robots.txt"] + [f"/r{i}" for i in range(1, hops + 1)]
    captures = [
        Capture(f"https://{host}{a}", "301 Moved Permanently", location=b, file=i % 2)
        for i, (a, b) in enumerate(pairwise(names))
    ]
    return [*captures, Capture(f"https://{host}{names[-1]}", body=final, file=1)]


CAPTURES: list[Capture] = [
    Capture("https://a.example/robots.txt", body=A_ROBOTS),
    Capture("http://b.example/robots.txt", body="User-agent: *\nDisallow: /\n", file=1),
    # 4xx: unavailable, everything allowed (the body is not read, whatever it says).
    Capture("https://c.example/robots.txt", "404 Not Found", body="User-agent: *\nDisallow: /\n"),
    # 5xx: unreachable, everything disallowed (RFC 9309 2.3.1.4).
    Capture("https://d.example/robots.txt", "503 Service Unavailable", file=1),
    Capture("https://e.example/robots.txt", body=E_ROBOTS),
    # A redirect to another host's robots.txt, captured in the other file.
    Capture(
        "http://f.example/robots.txt", "301 Moved Permanently", location="https://www.f.example/robots.txt"
    ),
    Capture("https://www.f.example/robots.txt", body="User-agent: GPTBot\nDisallow: /news/\n", file=1),
    # A redirect to an HTML page (CommonCrawl stores such targets too): parsed as robots.txt, no rules.
    Capture("http://g.example/robots.txt", "302 Found", location="/welcome"),
    Capture("http://g.example/welcome", body="<html><body><h1>Welcome</h1>Disallow nothing</body></html>"),
    # Two captures: the page takes the latest one not after its own fetch, else the earliest.
    Capture("https://h.example/robots.txt", body=GPT_ALL, date="2024-02-10T00:00:00Z"),
    Capture(
        "https://h.example/robots.txt", body="User-agent: GPTBot\nDisallow:\n", date="2024-02-25T00:00:00Z"
    ),
    # A redirect whose target was not captured: the host has no usable robots.txt.
    Capture(
        "https://i.example/robots.txt",
        "301 Moved Permanently",
        location="https://elsewhere.example/robots.txt",
    ),
    # A non-default port is another host.
    Capture("http://j.example:8080/robots.txt", body="User-agent: CCBot\nDisallow: /\n", file=1),
    Capture("https://k.example/robots.txt", body=K_ROBOTS),
    # Six redirects: one more than RFC 9309 asks to follow, so unavailable (allowed).
    *_chain("m.example", 6, GPT_ALL),
    # Five redirects: followed to the end.
    *_chain("n.example", 5, GPT_ALL),
]


def _meta(name: str, content: str) -> str:
    return f'<meta name="{name}" content="{content}">'


NOAI = (("X-Robots-Tag", "noai"),)
PAGES: list[TestPage] = [
    TestPage("https://a.example/news/1", "robots:GPTBot", "robots:GPTBot"),
    TestPage("https://a.example/private/x", "robots:CCBot", "robots:CCBot"),
    TestPage("https://a.example/private/public/y", None, None),  # the longer Allow wins
    TestPage("https://a.example/admin/x", None, "robots:*"),
    TestPage("https://a.example/about", None, None),
    TestPage("http://b.example/page", None, "robots:*"),
    TestPage("https://c.example/x", None, None),
    TestPage("https://d.example/x", "robots:unreachable", "robots:unreachable"),
    TestPage("https://e.example/docs/guide", None, None),
    TestPage("https://e.example/docs/internal/x", "robots:ClaudeBot", "robots:ClaudeBot"),
    TestPage("https://e.example/files/report.pdf", "robots:ClaudeBot", "robots:ClaudeBot"),
    TestPage("https://e.example/files/report.pdf?download=1", None, None),  # `$` anchors the end
    TestPage("https://e.example/docs/a.pdf", "robots:ClaudeBot", "robots:ClaudeBot"),  # 7 > 6 octets
    TestPage("https://e.example/archive/2020", "robots:anthropic-ai", "robots:anthropic-ai"),  # merged
    TestPage("https://e.example/drafts/1", "robots:anthropic-ai", "robots:anthropic-ai"),
    TestPage("https://f.example/news/1", "robots:GPTBot", "robots:GPTBot"),
    TestPage("https://www.f.example/news/2", "robots:GPTBot", "robots:GPTBot"),
    TestPage("https://f.example/other", None, None),
    TestPage("https://g.example/x", None, None),
    TestPage("https://h.example/a", "robots:GPTBot", "robots:GPTBot", date="2024-02-15T00:00:00Z"),
    TestPage("https://h.example/b", None, None, date="2024-02-26T00:00:00Z"),
    TestPage("https://h.example/c", "robots:GPTBot", "robots:GPTBot", date="2024-02-01T00:00:00Z"),
    TestPage("https://i.example/x", None, None),
    TestPage("http://j.example:8080/x", "robots:CCBot", "robots:CCBot"),
    TestPage("http://j.example/x", None, None),
    TestPage("https://k.example/g/1", "robots:GPTBot", "robots:GPTBot"),
    TestPage("https://k.example/ge/1", "robots:Google-Extended", "robots:Google-Extended"),
    TestPage("https://k.example/other", None, None),
    TestPage("https://m.example/x", None, None),
    TestPage("https://n.example/x", "robots:GPTBot", "robots:GPTBot"),
    # Page-level signals on a host without a robots.txt.
    TestPage("https://l.example/h1", "robots:noai", "robots:noai", headers=NOAI),
    TestPage("https://l.example/h2", None, None, headers=(("X-Robots-Tag", "noimageai"),)),
    TestPage("https://l.example/h3", None, None, headers=(("X-Robots-Tag", "otherbot: noai"),)),
    TestPage(
        "https://l.example/h4",
        "robots:noai",
        "robots:noai",
        headers=(("X-Robots-Tag", "GPTBot: noai, noimageai"),),
    ),
    TestPage(
        "https://l.example/h5",
        "robots:noai",
        "robots:noai",
        headers=(("X-Robots-Tag", "noindex"), ("x-robots-tag", "NoAI")),
    ),
    TestPage("https://l.example/m1", "robots:noai", "robots:noai", head=_meta("robots", "noai, noimageai")),
    TestPage("https://l.example/m2", "robots:noai", "robots:noai", head=_meta("CCBot", "noai")),
    TestPage("https://l.example/m3", None, None, head=_meta("googlebot", "noai")),
    TestPage("https://l.example/m4", None, None, body_extra=_meta("robots", "noai")),  # not in <head>
    TestPage("https://l.example/m5", None, None, head=_meta("robots", "noimageai")),
    # robots.txt decides first; the page's noai is still counted.
    TestPage("https://a.example/news/2", "robots:GPTBot", "robots:GPTBot", headers=NOAI),
]


def page_html(page: TestPage, n: int) -> bytes:
    body = article(n).decode()
    body = body.replace("<head>", f"<head>{page.head}", 1)
    return body.replace("</body>", f"{page.body_extra}</body>", 1).encode()


def write_robots_warcs(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in (0, 1):
        records = [
            Page(
                c.url,
                c.body.encode(),
                status=c.status,
                content_type="text/plain",
                extra_headers=(("Location", c.location),) if c.location else (),
                date=c.date,
            )
            for c in CAPTURES
            if c.file == number
        ]
        paths.append(write_warc(directory / f"robotstxt-{number}.warc.gz", records))
    return paths


def write_pages_warc(path: Path) -> Path:
    pages = [Page(p.url, page_html(p, i), extra_headers=p.headers, date=p.date) for i, p in enumerate(PAGES)]
    return write_warc(path, pages)


# -- many robots.txt files, for the benchmark -------------------------------------------------------
_PATHS = ["/admin/", "/wp-admin/", "/cart", "/search", "/private/", "/tmp/", "/*.pdf$", "/*?", "/api/"]
_AI_AGENTS = ["GPTBot", "CCBot", "Google-Extended", "anthropic-ai", "ClaudeBot", "Bytespider"]


def bulk_robots(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(status, body) of n robots.txt fetches: mostly `*` groups (a CMS default or a few random
    paths), ~15% with AI-crawler groups (the share Longpre et al. 2024 report for the most-used
    domains is higher; the long tail of hosts has fewer), ~10% 404, ~1% 5xx."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.10:
            out.append(("404 Not Found", ""))
            continue
        if roll < 0.11:
            out.append(("503 Service Unavailable", ""))
            continue
        lines = ["User-agent: *"]
        if rng.random() < 0.4:
            lines += ["Disallow: /wp-admin/", "Allow: /wp-admin/admin-ajax.php"]
        else:
            lines += [f"Disallow: {p}" for p in rng.sample(_PATHS, rng.randint(0, 4))]
            lines.append(f"Disallow: /site-{i % 997}/")
        if rng.random() < 0.15:
            for agent in rng.sample(_AI_AGENTS, rng.randint(1, 3)):
                lines += ["", f"User-agent: {agent}", rng.choice(["Disallow: /", f"Disallow: /p{i % 53}/"])]
        lines.append(f"Sitemap: https://host{i}.example/sitemap.xml")
        out.append(("200 OK", "\n".join(lines) + "\n"))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args(argv)
    for path in [
        *write_robots_warcs(args.output / "robots"),
        write_pages_warc(args.output / "pages.warc.gz"),
    ]:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
