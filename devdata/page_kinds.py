"""One builder per planted kind of page: each returns a `PageSpec` without index and date.

Longer than 600 lines because there are 25 planted kinds, each a short builder sharing the layout
helpers; a module per kind would scatter them.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import replace
from typing import Any

from devdata.layout import (
    Article,
    _a,
    _article_url,
    _cookie_banner,
    _document,
    _e,
    _fill,
    _footer,
    _headlines,
    _links,
    _mixed_article,
    _nav,
    _paragraphs,
    _published,
    _rng,
    _slug,
    _topic_article,
    render_article,
)
from devdata.prose import (
    AGGREGATOR_SITE,
    FOREIGN,
    FOREIGN_SITES,
    NAMES,
    SENTENCES,
    SITES,
    SYNDICATION_SITE,
    TOPICS,
    TOWNS,
    UI,
    WEEKDAYS,
    Site,
)
from devdata.spec import (
    KIND_ARTICLE,
    KIND_BOILERPLATE_HEAVY,
    KIND_CHARSET_CP1252,
    KIND_CHARSET_META,
    KIND_EMPTY_BODY,
    KIND_EXACT_DUPLICATE,
    KIND_HTTP_301,
    KIND_HTTP_404,
    KIND_INVALID_UTF8,
    KIND_JAVASCRIPT,
    KIND_LOREM_IPSUM,
    KIND_NEAR_DUPLICATE,
    KIND_NON_HTML,
    KIND_OVERSIZED,
    KIND_PII,
    KIND_SYMBOLS,
    KIND_TOO_FEW_WORDS,
    KIND_TRUNCATED,
    OVERSIZED_BYTES,
    TRUNCATE_AT,
    PageSpec,
)

# --------------------------------------------------------------------------------------------------
# Page builders: each returns a PageSpec without index and date (added when the order is fixed).


def _html_spec(
    url: str,
    kind: str,
    page: str,
    title: str,
    *,
    lang: str | None = "en",
    encoding: str = "utf-8",
    content_type: str = "text/html; charset=utf-8",
    **fields: Any,
) -> PageSpec:
    return PageSpec(
        url=url,
        kind=kind,
        status=200,
        content_type=content_type,
        body=page.encode(encoding),
        identified_type="text/html",
        language=lang,
        title=title,
        **fields,
    )


def _article_page(seed: int, page_id: int, kind: str = KIND_ARTICLE, mixed: bool = False) -> PageSpec:
    rng = _rng(seed, "article", page_id)
    topic = TOPICS[page_id % len(TOPICS)]
    if mixed:
        article = _mixed_article(rng, topic)
    else:
        article = _topic_article(rng, topic, page_id // len(TOPICS), rng.randint(10, 13))
    site = rng.choice(SITES[topic])
    url = _article_url(site, article, page_id)
    return _html_spec(url, kind, render_article(site, article, url, rng), article.title)


def _boilerplate_heavy_page(seed: int, page_id: int) -> PageSpec:
    rng = _rng(seed, "heavy", page_id)
    topic = rng.choice(("news", "science", "travel"))
    article = _topic_article(rng, topic, page_id, 6)  # >= 5 sentences: C4 keeps it
    site = SITES[topic][0]
    url = _article_url(site, article, page_id)
    page = render_article(site, article, url, rng, heavy=True)
    return _html_spec(url, KIND_BOILERPLATE_HEAVY, page, article.title)


def _duplicate_pair(seed: int, page_id: int, near: bool) -> tuple[PageSpec, PageSpec]:
    """The same article on its own site and on a second site with other boilerplate; for `near`, the
    copy has one sentence swapped for another (so 5-gram Jaccard stays high, ~0.85)."""
    rng = _rng(seed, "duplicate", page_id, near)
    topic = "news" if near else "travel"
    # Long enough that one changed sentence keeps 5-gram Jaccard near 0.9 (FineWeb's MinHash, 14x8
    # bands, then finds the pair with near certainty; at ~0.8 it would miss it one time in eight).
    article = _topic_article(rng, topic, page_id, 24 if near else 12)
    site = SITES[topic][0]
    url = _article_url(site, article, page_id)
    kind = KIND_NEAR_DUPLICATE if near else KIND_EXACT_DUPLICATE
    group = f"{kind}-{page_id}"
    first = _html_spec(url, kind, render_article(site, article, url, rng), article.title, group=group)
    copy_site = SYNDICATION_SITE if near else AGGREGATOR_SITE
    planted: tuple[str, ...] = ()
    copy_article = article
    if near:
        sentences = [s for p in article.paragraphs for s in _split_sentences(p)]
        unused = [s for s in SENTENCES[topic] if "{" not in s and s not in sentences]
        target = len(sentences) // 2
        replacement = rng.choice(unused)
        planted = (replacement,)
        first = replace(first, planted=(sentences[target],))
        sentences[target] = replacement
        copy_article = replace(article, paragraphs=_regroup(article.paragraphs, sentences))
    copy_url = _article_url(copy_site, copy_article, page_id + 1)
    second = _html_spec(
        copy_url,
        kind,
        render_article(copy_site, copy_article, copy_url, _rng(seed, "duplicate-copy", page_id), heavy=True),
        copy_article.title,
        group=group,
        duplicate_of=url,
        planted=planted,
    )
    return first, second


def _split_sentences(paragraph: str) -> list[str]:
    # Bank sentences end with ". " boundaries and contain no inner full stops followed by a space.
    parts = paragraph.split(". ")
    return [p if p.endswith(".") else p + "." for p in parts]


def _regroup(paragraphs: tuple[str, ...], sentences: list[str]) -> tuple[str, ...]:
    """Put `sentences` back into paragraphs of the original sizes."""
    out, i = [], 0
    for p in paragraphs:
        n = len(_split_sentences(p))
        out.append(" ".join(sentences[i : i + n]))
        i += n
    return tuple(out)


def _foreign_page(seed: int, kind: str, page_id: int, n_sentences: int | None = None) -> PageSpec:
    rng = _rng(seed, "foreign", kind, page_id)
    lang, title, bank = FOREIGN[kind]
    sentences = list(bank) if n_sentences is None else rng.sample(bank, n_sentences)
    site = FOREIGN_SITES[lang]
    article = Article(title, _paragraphs(sentences, rng), rng.choice(NAMES), _published(rng), "news", lang)
    url = f"https://{site.host}/actualite/{_slug(title)}-{page_id}.html"
    return _html_spec(url, kind, render_article(site, article, url, rng), title, lang=lang)


def _custom_page(
    seed: int,
    page_id: int,
    kind: str,
    site: Site,
    title: str,
    paragraphs: tuple[str, ...],
    url: str | None = None,
    **fields: Any,
) -> PageSpec:
    """A page whose article text is given (not drawn from the banks)."""
    rng = _rng(seed, kind, page_id)
    article = Article(title, paragraphs, rng.choice(NAMES), _published(rng), "news")
    url = url or _article_url(site, article, page_id)
    return _html_spec(url, kind, render_article(site, article, url, rng), title, **fields)


def _bank_paragraphs(seed: int, purpose: str, topic: str, n: int) -> tuple[str, ...]:
    rng = _rng(seed, purpose)
    town = rng.choice(TOWNS)
    sentences = [_fill(s, rng, town) for s in rng.sample(SENTENCES[topic], n)]
    return _paragraphs(sentences, rng)


def _pii_values(seed: int, page_id: int, vary: bool) -> dict[str, str]:
    """The fixed set plants well-known values; benchmark pages get their own (trafilatura's
    deduplication would otherwise strip a paragraph seen on more than two pages)."""
    if not vary:
        return {
            "person": "Jane Doe",
            "email": "jane.doe@example.com",
            "phone": "(415) 555-0132",
            "public_ip": "93.184.216.34",
            "private_ip": "192.168.1.1",
            "ops": "ops-team@example.org",
        }
    rng = _rng(seed, "pii-values", page_id)
    person = rng.choice(NAMES)
    first, last = person.lower().split()
    return {
        "person": person,
        "email": f"{first}.{last}@example.com",
        "phone": f"({rng.choice((212, 312, 415, 617))}) 555-01{rng.randint(0, 99):02d}",
        "public_ip": f"{rng.choice((81, 93, 151, 185))}.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}",
        "private_ip": f"192.168.{rng.randint(0, 9)}.{rng.randint(1, 254)}",
        "ops": f"ops-{rng.randint(1, 99)}@example.org",
    }


def _pii_pages(seed: int, page_id: int, vary: bool = False) -> list[PageSpec]:
    v = _pii_values(seed, page_id, vary)
    garden = (
        "The community garden on Station Road is looking for new members to take over six empty plots this spring. "
        f"Anyone who would like to rent a plot can write to the organiser, {v['person']}, at {v['email']} "
        "before the end of the month. "
        f"Applications can also be made by telephone on {v['phone']} between nine in the morning and five in the afternoon.",
        *_bank_paragraphs(seed, f"pii-garden-{page_id}", "gardening", 9),
    )
    server = (
        f"The new download mirror is hosted at {v['public_ip']} and should be used by anyone whose connection "
        "to the main site is slow. "
        f"If your home router still uses the address {v['private_ip']}, you will need to change the firewall rule "
        "described below. "
        f"Questions about the migration can be sent to {v['ops']}, and the team will reply within two working days.",
        *_bank_paragraphs(seed, f"pii-server-{page_id}", "software", 9),
    )
    site_g, site_s = SITES["gardening"][0], SITES["software"][0]
    title_g, title_s = "Plots available at the community garden", "Our download mirror is moving"
    planted_g = (v["email"], v["phone"])
    planted_s = (v["public_ip"], v["private_ip"], v["ops"])
    return [
        _custom_page(seed, page_id, KIND_PII, site_g, title_g, garden, planted=planted_g),
        _custom_page(seed, page_id + 1, KIND_PII, site_s, title_s, server, planted=planted_s),
    ]


LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip "
    "ex ea commodo consequat."
)


def _lorem_page(seed: int, page_id: int) -> PageSpec:
    rng = _rng(seed, "lorem-text", page_id)
    # The placeholder paragraph ends with a page-specific sentence: trafilatura's deduplication drops
    # a paragraph it has seen on more than two pages of a file, and benchmark files repeat this kind.
    placeholder = f"{LOREM} {_fill(rng.choice(SENTENCES['history']), rng, rng.choice(TOWNS))}"
    paragraphs = (
        "Welcome to the preview of our new website design, which we hope to launch before the end of the month. "
        "The layout has been simplified so that articles are easier to read on small screens.",
        "We have also chosen a larger font and stronger colours to make the text more accessible to everyone. "
        "The paragraph below is placeholder text that will be replaced with real content before the launch.",
        placeholder,
        "Please let us know what you think of the new design by using the feedback form at the bottom of the page. "
        "Every comment will be read by the small team that has worked on the project over the last few months.",
        "We are grateful to the readers who tested the early versions and sent us so many useful suggestions.",
    )
    site = SITES["history"][0]
    return _custom_page(
        seed,
        page_id,
        KIND_LOREM_IPSUM,
        site,
        "A preview of our new website",
        paragraphs,
        planted=("Lorem ipsum dolor sit amet",),
    )


def _javascript_page(seed: int, page_id: int) -> PageSpec:
    rng = _rng(seed, "js-settings", page_id)
    js_line = "Please enable JavaScript in your browser to see the interactive chart on this page."
    setting = json.dumps(
        {"theme": rng.choice(("dark", "light", "contrast")), "font_size": rng.randint(10, 20)}
    )
    braces = f"The settings file uses a simple format, so a line such as {setting} is all you need."
    paragraphs = (js_line, *_bank_paragraphs(seed, f"js-{page_id}", "software", 8), braces)
    site = SITES["software"][0]
    return _custom_page(
        seed,
        page_id,
        KIND_JAVASCRIPT,
        site,
        "Charting your build times",
        paragraphs,
        planted=(js_line, setting),
    )


# Whole words and one full stop per line: datatrove's Gopher counts punctuation tokens as non-alpha
# words, so colon-heavy listings would fail Gopher's alpha ratio before FineWeb's short-line rule.
SHORT_LINES = (
    "Yoga on Monday at nine.",
    "Coffee and cake at ten.",
    "Chess club meets at four.",
    "A toddler group on Tuesday.",
    "The knitting circle at two.",
    "Choir practice is at seven.",
    "The library van calls by.",
    "Lunch club for our seniors.",
    "Table tennis in the hall.",
    "A walking group on Thursday.",
    "Meet at the church gate.",
    "Bring boots and a warm coat.",
    "Quiz night starts at eight.",
    "The youth club is on Friday.",
    "Film night with free popcorn.",
    "Repair cafe on Saturday.",
    "Bring broken toys and lamps.",
    "Volunteers fix them for free.",
    "A car boot sale in the yard.",
    "The hall is closed on Sunday.",
    "Room hire is now available.",
    "Ask at the front desk.",
    "Prices start at ten pounds.",
    "Parking is free on weekdays.",
    "The lift is working again.",
    "Lost property is at reception.",
    "Dogs on leads are welcome.",
    "Please recycle your cups.",
    "Thank you to our volunteers.",
    "See you all again next week.",
)


def _list_page(
    seed: int, page_id: int, kind: str, title: str, lines: list[str], bullets: bool = False
) -> PageSpec:
    """An article whose body is a list of lines (what's-on listings, guest books)."""
    rng = _rng(seed, kind, page_id)
    site = SITES["news"][1]
    article = Article(title, (), rng.choice(NAMES), _published(rng), "news")
    url = _article_url(site, article, page_id)
    page = render_article(site, article, url, rng)
    if bullets:
        items = '<ul class="listing">\n' + "\n".join(f"<li>{_e(line)}</li>" for line in lines) + "\n</ul>"
    else:  # one <p> per line: trafilatura would prefix <li> with "- ", which Gopher counts as bullets
        items = "\n".join(f'<p class="listing">{_e(line)}</p>' for line in lines)
    page = page.replace("</time></div>\n", f"</time></div>\n{items}\n", 1)
    return _html_spec(url, kind, page, title)


def _repeated_lines(seed: int, page_id: int) -> list[str]:
    rng = _rng(seed, "repeated", page_id)
    base = [
        "Thank you for a lovely weekend, we will be back soon.",
        "The rooms were clean and the breakfast was excellent.",
        "Great location, close to the beach and the shops.",
        "Friendly staff and a very warm welcome.",
        "We loved the view from the garden in the evening.",
    ]
    lines = base * 6
    rng.shuffle(lines)
    return lines


def _too_few_words_page(seed: int, page_id: int) -> PageSpec:
    rng = _rng(seed, "few-words", page_id)
    event = rng.choice(("harvest fair", "spring fete", "charity run", "flower show"))
    paragraphs = (
        f"Thank you to everyone who came to the {event} on {rng.choice(WEEKDAYS)}. "
        f"All {rng.randint(12, 90)} photographs from the day are now on our gallery page.",
    )
    site = SITES["news"][1]
    return _custom_page(seed, page_id, KIND_TOO_FEW_WORDS, site, f"The {event} in pictures", paragraphs)


HASHTAGS = (
    "#sunset #harbour #photography #travel #nofilter #summer #coast #boats #evening #goldenhour "
    "#seaside #sky #clouds #photooftheday #instatravel #wanderlust #beautiful #nature #ocean #waves "
    "#lighthouse #fishing #village #weekend #holiday #explore #view #landscape #sea #calm "
    "#reflection #colours #orange #pink #dusk #quiet #peaceful #happy #memories #home"
)


def _symbols_page(seed: int, page_id: int) -> PageSpec:
    rng = _rng(seed, "hashtags", page_id)
    tags = HASHTAGS.split()
    paragraphs = (
        "Sunset over the harbour tonight and the light was perfect for photos of the boats.",
        "Walked along the wall with the dog and stayed until the lighthouse came on.",
        " ".join(rng.sample(tags, 32)),
        "#️⃣ ★★★★★ ♥♥♥ ☀☀☀ ✔✔✔ ➜➜➜ ### *** ~~~ ### *** ~~~",
    )
    site = SITES["travel"][0]
    return _custom_page(seed, page_id, KIND_SYMBOLS, site, "Golden hour at the harbour", paragraphs)


def _empty_body_page(page_id: int) -> PageSpec:
    page = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Loading...</title>\n'
        '<script src="/static/js/app.bundle.js" defer></script>\n</head>\n<body></body>\n</html>\n'
    )
    url = f"https://app.example-dev.io/dashboard/{page_id}"
    return _html_spec(url, KIND_EMPTY_BODY, page, "Loading...")


def _charset_pages(seed: int, page_id: int) -> list[PageSpec]:
    site = SITES["cooking"][0]
    cp_sentence = "The new café on Mill Street serves crème brûlée and what the owner calls “proper” coffee – strong, dark and cheap."
    cp_paras = (cp_sentence, *_bank_paragraphs(seed, "cp1252", "cooking", 10))
    rng = _rng(seed, KIND_CHARSET_CP1252, page_id)
    article = Article("A new café on Mill Street", cp_paras, rng.choice(NAMES), _published(rng), "cooking")
    url = _article_url(site, article, page_id)
    page = render_article(site, article, url, rng, charset="")  # no <meta>: the HTTP header decides
    cp1252 = _html_spec(
        url,
        KIND_CHARSET_CP1252,
        page,
        article.title,
        encoding="cp1252",
        content_type="text/html; charset=windows-1252",
        planted=("café", "“proper”", "crème brûlée", "–"),
    )

    site = SITES["travel"][0]
    meta_sentence = (
        "The festival in Saint-Étienne featured a piñata, a naïve painting contest and crêpes for everyone."
    )
    meta_paras = (meta_sentence, *_bank_paragraphs(seed, "meta", "travel", 10))
    rng = _rng(seed, KIND_CHARSET_META, page_id)
    article = Article("A weekend of festivals", meta_paras, rng.choice(NAMES), _published(rng), "travel")
    url = _article_url(site, article, page_id + 1)
    page = render_article(site, article, url, rng, charset="iso-8859-1")
    meta = _html_spec(
        url,
        KIND_CHARSET_META,
        page,
        article.title,
        encoding="iso-8859-1",
        content_type="text/html",
        planted=("Saint-Étienne", "piñata", "naïve", "crêpes"),
    )

    site = SITES["news"][0]
    marker = "@@INVALID@@"
    bad_sentence = (
        f"The price list was copied from an old spreadsheet and a few symbols {marker} came out wrong."
    )
    bad_paras = (bad_sentence, *_bank_paragraphs(seed, "invalid", "news", 10))
    rng = _rng(seed, KIND_INVALID_UTF8, page_id)
    article = Article("Market prices this week", bad_paras, rng.choice(NAMES), _published(rng), "news")
    url = _article_url(site, article, page_id + 2)
    page = render_article(site, article, url, rng)
    # A lone 0xff, a lead byte without its continuation, and a stray continuation byte.
    body = page.encode("utf-8").replace(marker.encode(), b"\xff\xe2\x80 \x9d")  # also in <meta description>
    invalid = replace(
        _html_spec(url, KIND_INVALID_UTF8, page, article.title),
        body=body,
        planted=("came out wrong",),
    )
    return [cp1252, meta, invalid]


def _big_page(seed: int, page_id: int, kind: str, size: int, as_script: bool = False) -> bytes:
    """An article followed by a huge, repetitive price table: large uncompressed, tiny gzipped.

    With `as_script` the bulk is an inline JSON data blob instead (as many real pages carry), which
    parsers skip cheaply: extraction then stays far below the 1 s limit on any engine or load.
    """
    rng = _rng(seed, kind, page_id)
    article = _topic_article(rng, "news", page_id, 10)
    site = SITES["news"][0]
    page = render_article(site, article, _article_url(site, article, page_id), rng)
    row = "<tr><td>Item</td><td>Price per kilo</td><td>Market stall</td><td>Updated weekly</td></tr>\n"
    head, tail = page.split("</article>", 1)
    filler = size - len(page.encode()) - len("<table>\n</table>\n")
    if as_script:
        item = '{"item": "Price per kilo", "stall": "Market stall", "updated": "weekly"},\n'
        blob = '<script type="application/json">[\n' + item * (filler // len(item) + 1) + "{}]</script>\n"
        return f"{head}</article>\n{blob}{tail}".encode()
    table = "<table>\n" + row * (filler // len(row) + 1) + "</table>\n"
    return f"{head}</article>\n{table}{tail}".encode()


def _oversized_page(seed: int, page_id: int) -> PageSpec:
    body = _big_page(seed, page_id, KIND_OVERSIZED, OVERSIZED_BYTES)
    url = f"https://www.example-news.com/archive/market-prices-full-history-{page_id}.html"
    return PageSpec(
        url,
        KIND_OVERSIZED,
        200,
        "text/html; charset=utf-8",
        body,
        "text/html",
        language="en",
        title="Market prices: the full history",
    )


def _truncated_page(seed: int, page_id: int) -> PageSpec:
    full = _big_page(seed, page_id, KIND_TRUNCATED, 1_500_000, as_script=True)
    url = f"https://www.example-news.com/archive/market-prices-2023-{page_id}.html"
    return PageSpec(
        url,
        KIND_TRUNCATED,
        200,
        "text/html; charset=utf-8",
        full[:TRUNCATE_AT],
        "text/html",
        language="en",
        title="Market prices in 2023",
        declared_length=len(full),
    )


# -- non-HTML payloads, built byte by byte so they are valid and deterministic


def _png(width: int = 16, height: int = 16) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 16, y * 16, 160)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _pdf(text: str) -> bytes:
    content = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


CSS = """/* main stylesheet */
body { margin: 0; font-family: Georgia, serif; color: #222; background: #fff; }
.masthead { display: flex; align-items: center; padding: 1rem 2rem; border-bottom: 1px solid #ddd; }
.main-nav ul { list-style: none; display: flex; gap: 1rem; margin: 0; padding: 0; }
.story h1 { font-size: 2.2rem; line-height: 1.2; }
.story p { font-size: 1.1rem; line-height: 1.6; max-width: 40em; }
.sidebar { width: 300px; float: right; }
.cookie-banner { position: fixed; bottom: 0; width: 100%; background: #333; color: #fff; padding: 1rem; }
.site-footer { font-size: 0.9rem; color: #666; padding: 2rem; }
@media (max-width: 700px) { .sidebar { float: none; width: auto; } }
"""


def _non_html_pages(seed: int, page_id: int) -> list[PageSpec]:
    host = "https://www.example-news.com"
    feed = {
        "page": 2,
        "articles": [
            {"title": title, "url": f"{host}/news/{_slug(title)}.html"}
            for title in _headlines(_rng(seed, "json", page_id), 5)
        ],
    }
    body_json = json.dumps(feed, sort_keys=True, indent=2).encode()
    return [
        PageSpec(
            f"{host}/static/img/logo-{page_id}.png", KIND_NON_HTML, 200, "image/png", _png(), "image/png"
        ),
        PageSpec(
            f"{host}/files/annual-report-2023-{page_id}.pdf",
            KIND_NON_HTML,
            200,
            "application/pdf",
            _pdf("Annual report 2023"),
            "application/pdf",
        ),
        PageSpec(
            f"{host}/static/css/main-{page_id}.css",
            KIND_NON_HTML,
            200,
            "text/css; charset=utf-8",
            CSS.encode(),
            "text/css",
        ),
        PageSpec(
            f"{host}/api/v1/articles?page=2&id={page_id}",
            KIND_NON_HTML,
            200,
            "application/json; charset=utf-8",
            body_json,
            "application/json",
        ),
    ]


def _http_404_page(seed: int, page_id: int) -> PageSpec:
    rng = _rng(seed, KIND_HTTP_404, page_id)
    site = SITES["news"][0]
    ui = UI["en"]
    body = (
        f'{_cookie_banner(ui)}\n<header class="masthead"><a class="logo" href="/">{_e(site.name)}</a>'
        f"{_nav(ui)}</header>\n<main><h1>Page not found</h1>\n"
        "<p>Sorry, the page you are looking for has moved or no longer exists.</p>\n"
        f"<p>Try the search box, or read one of these instead:</p><ul>{_links(_headlines(rng, 5))}</ul></main>\n"
        f"{_footer(ui, site)}"
    )
    page = _document("en", "Page not found", site, body)
    url = f"https://{site.host}/news/2019/03/story-that-was-removed-{page_id}.html"
    return replace(_html_spec(url, KIND_HTTP_404, page, "Page not found"), status=404, reason="Not Found")


def _http_301_page(page_id: int) -> PageSpec:
    target = f"https://www.example-news.com/local/footbridge-plans-{page_id}.html"
    page = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>301 Moved Permanently</title>\n'
        f'</head><body>\n<h1>Moved Permanently</h1>\n<p>The document has moved <a href="{_a(target)}">here</a>.</p>\n'
        "</body></html>\n"
    )
    return PageSpec(
        url=f"http://example-news.com/local/footbridge-plans-{page_id}",
        kind=KIND_HTTP_301,
        status=301,
        reason="Moved Permanently",
        content_type="text/html; charset=iso-8859-1",
        body=page.encode("iso-8859-1"),
        identified_type="text/html",
        extra_headers=(("Location", target),),
        title="301 Moved Permanently",
    )
