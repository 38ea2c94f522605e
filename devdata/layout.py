"""Text and HTML of the sample pages: sentences filled from the banks, site layouts with boilerplate."""

from __future__ import annotations

import hashlib
import html
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from devdata.prose import (
    FOREIGN_HEADLINES,
    MONTHS,
    NAMES,
    SENTENCES,
    TITLES,
    TOPICS,
    TOWNS,
    UI,
    WEEKDAYS,
    Site,
)

# --------------------------------------------------------------------------------------------------
# Text generation


@dataclass(frozen=True)
class Article:
    title: str
    paragraphs: tuple[str, ...]
    author: str
    published: datetime
    topic: str
    lang: str = "en"


def _rng(seed: int, *parts: object) -> random.Random:
    """A generator per (seed, purpose): independent of call order and of PYTHONHASHSEED."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _fill(template: str, rng: random.Random, town: str) -> str:
    return template.format(
        town=town,
        name=rng.choice(NAMES),
        num=rng.randint(3, 40),
        weekday=rng.choice(WEEKDAYS),
        month=rng.choice(MONTHS),
        year=rng.randint(1952, 2019),
    )


def _paragraphs(sentences: list[str], rng: random.Random) -> tuple[str, ...]:
    """Group sentences into paragraphs of 2-4, as articles are written."""
    paragraphs, i = [], 0
    while i < len(sentences):
        size = rng.choice((2, 3, 3, 4))
        paragraphs.append(" ".join(sentences[i : i + size]))
        i += size
    return tuple(paragraphs)


def _published(rng: random.Random) -> datetime:
    return datetime(2024, 1, 2, tzinfo=timezone.utc) + timedelta(
        days=rng.randint(0, 45), minutes=rng.randint(0, 1439)
    )


def _topic_article(rng: random.Random, topic: str, title_index: int, n_sentences: int) -> Article:
    """A coherent article: sentences from one topic's bank, no sentence twice."""
    town = rng.choice(TOWNS)
    title = _fill(TITLES[topic][title_index % len(TITLES[topic])], rng, town)
    picked = rng.sample(SENTENCES[topic], n_sentences)
    sentences = [_fill(s, rng, town) for s in picked]
    return Article(title, _paragraphs(sentences, rng), rng.choice(NAMES), _published(rng), topic)


def _mixed_article(rng: random.Random, topic: str) -> Article:
    """For benchmark pages: mostly one topic plus two others, so that thousands of pages stay far apart
    under MinHash (articles from one 36-sentence bank would overlap too much)."""
    town = rng.choice(TOWNS)
    others = rng.sample([t for t in TOPICS if t != topic], 2)
    picked = rng.sample(SENTENCES[topic], rng.randint(6, 8))
    tail = rng.sample(SENTENCES[others[0]], rng.randint(2, 3)) + rng.sample(
        SENTENCES[others[1]], rng.randint(2, 3)
    )
    rng.shuffle(tail)
    sentences = [_fill(s, rng, town) for s in picked[:3] + tail + picked[3:]]
    title = _fill(rng.choice(TITLES[topic]), rng, town)
    return Article(title, _paragraphs(sentences, rng), rng.choice(NAMES), _published(rng), topic)


def _headlines(rng: random.Random, n: int, lang: str = "en") -> list[str]:
    """Sidebar headlines: other articles' titles (or the foreign titles) for link lists."""
    if lang != "en":
        return [rng.choice(FOREIGN_HEADLINES[lang]) for _ in range(n)]
    out = []
    for _ in range(n):
        topic = rng.choice(TOPICS)
        out.append(_fill(rng.choice(TITLES[topic]), rng, rng.choice(TOWNS)))
    return out


def _slug(text: str) -> str:
    # ASCII only: URLs in a WARC are already percent-encoded, and warcio writes headers as ASCII.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = "".join(c.lower() if c.isalnum() else " " for c in text).split()
    return "-".join(words[:8])


def _article_url(site: Site, article: Article, page_id: int) -> str:
    slug, day = _slug(article.title), article.published
    if site.layout == "recipe":
        return f"https://{site.host}/recipes/{slug}-{page_id}/"
    if site.layout == "blog":
        return f"https://{site.host}/{day:%Y/%m}/{slug}-{page_id}/"
    if site.layout == "docs":
        return f"https://{site.host}/posts/{slug}-{page_id}.html"
    return f"https://{site.host}/{article.topic}/{day:%Y/%m/%d}/{slug}-{page_id}.html"


# --------------------------------------------------------------------------------------------------
# HTML layouts. Boilerplate sits outside <article>/<main> content so trafilatura can drop it.


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    return html.escape(text, quote=True)


def _links(items: list[str] | tuple[str, ...], prefix: str = "/") -> str:
    return "".join(f'<li><a href="{prefix}{_slug(item)}/">{_e(item)}</a></li>' for item in items)


def _paragraph_html(paragraphs: tuple[str, ...]) -> str:
    return "\n".join(f"<p>{_e(p)}</p>" for p in paragraphs)


def _document(
    lang: str, title: str, site: Site, body: str, description: str = "", charset: str = "utf-8"
) -> str:
    meta_charset = f'<meta charset="{charset}">\n' if charset else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n{meta_charset}'
        f"<title>{_e(title)} | {_e(site.name)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="description" content="{_a(description[:150])}">\n'
        f'<meta property="og:site_name" content="{_a(site.name)}">\n'
        '<link rel="stylesheet" href="/static/css/main.css">\n'
        "<script>window.dataLayer = window.dataLayer || []; function gtag(){dataLayer.push(arguments);}"
        " gtag('js', new Date());</script>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


def _cookie_banner(ui: dict[str, Any]) -> str:
    return (
        f'<div id="cookie-consent" class="cookie-banner" role="dialog"><p>{_e(ui["cookie"])} '
        f'<a href="/privacy/">{_e(ui["footer"][-1])}</a></p>'
        f'<button class="accept">{_e(ui["accept"])}</button> <button class="manage">{_e(ui["manage"])}</button></div>'
    )


def _share(ui: dict[str, Any], url: str) -> str:
    u = _a(url)
    return (
        f'<div class="share-buttons"><span>{_e(ui["share"])}</span> '
        f'<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u={u}">Facebook</a> '
        f'<a class="share-x" href="https://twitter.com/intent/tweet?url={u}">X</a> '
        f'<a class="share-email" href="mailto:?body={u}">Email</a></div>'
    )


def _footer(ui: dict[str, Any], site: Site, extra: int = 0) -> str:
    links = list(ui["footer"]) + [f"{ui['nav'][i % len(ui['nav'])]} {i + 1}" for i in range(extra)]
    return (
        f'<footer class="site-footer"><ul class="footer-links">{_links(links, "/info/")}</ul>'
        f'<p class="copyright">© 2024 {_e(site.name)}. {_e(ui["rights"])}</p></footer>\n'
        '<script src="/static/js/site.min.js" async></script>'
    )


def _nav(ui: dict[str, Any], extra: list[str] | None = None) -> str:
    return f'<nav class="main-nav"><ul>{_links(list(ui["nav"]) + (extra or []))}</ul></nav>'


def render_article(
    site: Site, article: Article, url: str, rng: random.Random, heavy: bool = False, charset: str = "utf-8"
) -> str:
    """A whole HTML page for `article` in `site`'s layout; `heavy` multiplies the boilerplate."""
    ui = UI[site.lang]
    date = f"{article.published:%d %B %Y}"
    iso = f"{article.published:%Y-%m-%dT%H:%M:%SZ}"
    body_html = _paragraph_html(article.paragraphs)
    sidebar_n = 12 if heavy else 5
    if site.layout == "blog":
        main = (
            f'<header id="site-header"><div class="site-title"><a href="/">{_e(site.name)}</a></div>'
            f"{_nav(ui)}</header>\n"
            '<div id="content"><main id="primary">\n<article class="post">\n'
            f'<header class="entry-header"><h1 class="entry-title">{_e(article.title)}</h1>'
            f'<p class="entry-meta">Posted on <time datetime="{iso}">{date}</time> by '
            f'<a href="/author/{_slug(article.author)}/">{_e(article.author)}</a></p></header>\n'
            f'<div class="entry-content">\n{body_html}\n</div>\n'
            f'<footer class="entry-footer">Posted in <a href="/category/{article.topic}/">'
            f"{_e(article.topic.title())}</a></footer>\n</article>\n"
            '<nav class="post-navigation"><a href="/previous/">Previous post</a> <a href="/next/">Next post</a></nav>\n'
            '<div id="respond"><h3>Leave a reply</h3><form action="/comment"><textarea name="comment"></textarea>'
            "<button>Post comment</button></form></div>\n</main>\n"
            f'<aside id="secondary" class="widget-area"><section class="widget"><h2>Recent posts</h2>'
            f"<ul>{_links(_headlines(rng, sidebar_n))}</ul></section>"
            '<section class="widget"><h2>Archives</h2><ul><li><a href="/2024/02/">February 2024</a></li>'
            '<li><a href="/2024/01/">January 2024</a></li><li><a href="/2023/12/">December 2023</a></li></ul>'
            "</section></aside></div>\n"
        )
    elif site.layout == "docs":
        sections = "\n".join(
            f"<h2>{_e(heading)}</h2>\n<p>{_e(p)}</p>" if heading else f"<p>{_e(p)}</p>"
            for heading, p in zip(("", "", "Details", "", "Notes", "", "", ""), article.paragraphs)
        )
        sections += "".join(f"\n<p>{_e(p)}</p>" for p in article.paragraphs[8:])
        main = (
            f'<header class="topbar"><a class="brand" href="/">{_e(site.name)}</a>{_nav(ui)}</header>\n'
            f'<div class="docs"><nav class="toc" aria-label="Table of contents"><ul>'
            f"{_links(_headlines(rng, sidebar_n), '/posts/')}</ul></nav>\n"
            f'<main><div class="breadcrumbs"><a href="/">Home</a> / <a href="/posts/">Posts</a></div>\n'
            f'<article class="doc">\n<h1>{_e(article.title)}</h1>\n'
            f'<p class="meta">{_e(article.author)} · {date}</p>\n{sections}\n</article>\n'
            '<div class="feedback">Was this page helpful? <button>Yes</button> <button>No</button></div>\n'
            '<a class="edit" href="/edit/">Edit this page</a></main></div>\n'
        )
    else:  # news and recipe share a newspaper-like frame
        extra = ""
        if site.layout == "recipe":
            extra = (
                '<div class="recipe-tools"><a href="#recipe">Jump to recipe</a> <a href="#print">Print recipe</a>'
                ' <span class="rating">Rated 4.8 from 120 reviews</span></div>\n'
            )
        main = (
            f'<header class="masthead"><a class="logo" href="/">{_e(site.name)}</a>'
            f'<form class="search" action="/search"><input type="text" name="q" placeholder="{_a(ui["search"])}">'
            f"</form>\n{_nav(ui)}</header>\n"
            f'<main class="layout">\n<article class="story">\n<h1>{_e(article.title)}</h1>\n'
            f'<div class="byline"><span class="author">{_e(ui["by"])} {_e(article.author)}</span> '
            f'<time datetime="{iso}">{date}</time></div>\n{extra}{body_html}\n</article>\n'
            f"{_share(ui, url)}\n"
            f'<aside class="sidebar"><h2>{_e(ui["most_read"])}</h2><ol>{_links(_headlines(rng, sidebar_n, site.lang))}</ol>\n'
            f'<div class="newsletter"><h2>{_e(ui["newsletter"])}</h2><form action="/subscribe">'
            f'<input type="email" name="email"><button>{_e(ui["subscribe"])}</button></form></div></aside>\n'
            "</main>\n"
        )
    if heavy:
        ticker = " | ".join(_e(h) for h in _headlines(rng, 6))
        main = (
            f'<div class="ticker"><strong>Breaking:</strong> {ticker}</div>\n'
            f'<nav class="mega-menu"><ul>{_links(_headlines(rng, 24), "/topics/")}</ul></nav>\n'
            '<div class="ad-slot">Advertisement</div>\n'
            f"{main}"
            f'<aside class="latest"><h2>{_e(ui["latest"])}</h2><ul>{_links(_headlines(rng, 12))}</ul></aside>\n'
            f'<section class="related"><h2>{_e(ui["related"])}</h2><ul>{_links(_headlines(rng, 8))}</ul></section>\n'
            '<div class="ad-slot">Advertisement</div>\n'
        )
    footer = _footer(ui, site, extra=24 if heavy else 0)
    description = article.paragraphs[0] if article.paragraphs else ""
    return _document(
        site.lang, article.title, site, f"{_cookie_banner(ui)}\n{main}{footer}", description, charset
    )
