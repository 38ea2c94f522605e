"""Labelled synthetic web text for the quality classifier: well-formed prose vs low-quality pages.

Two families that share no templates and no content vocabulary, so a model trained on one and
measured on the other is judged on what it generalises, not on what it memorised:

- `train`: prose about gardens, kitchens, villages and birds; spam for watches, pills and loans;
  its own boilerplate, keyword lists and navigation menus.
- `test`: prose about laboratories, railways, glaciers and stadiums, written with other sentence
  templates; spam for casinos, sneakers and crypto; other boilerplate, keyword and menu patterns.

Not every document is clear-cut: about 30% of the prose ends with a line of boilerplate, and about
30% of the spam holds a sentence or two of fluent sales copy.

Only the English function words (the, of, and, ...) and the marks of the genre (prose is sentences
with punctuation; spam is short imperative fragments, repeated keywords, menus) are common to both,
as they are between any two real crawls.

Low-quality documents come in four kinds: `spam`, `boilerplate`, `keywords` (keyword stuffing) and
`menu` (navigation menus). Every generated document is distinct (numbers, names and orderings vary),
so deduplication and trafilatura's within-file deduplication leave them in place.

    python -m devdata.quality_text --family train --n 400 --jsonl out.jsonl       # {"text", "label", "kind", "url"}
    python -m devdata.quality_text --family train --n 400 --warc out.warc.gz      # HTML pages in a WARC
    python -m devdata.quality_text --family train --n 400 --txt good.txt bad.txt  # one document per line

Everything is a pure function of (family, n, seed).

Longer than 600 lines because about 330 of them are the word lists and templates of the two
families (data, kept beside the code that fills them); the generator itself is ~250 lines.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

GOOD, BAD = "good", "bad"
BAD_KINDS = ("spam", "boilerplate", "keywords", "menu")
FAMILIES = ("train", "test")


@dataclass(frozen=True)
class LabelledDocument:
    text: str
    label: str  # "good" or "bad"
    kind: str  # "prose" or one of BAD_KINDS
    url: str
    title: str


# -- vocabulary ----------------------------------------------------------------------------------
# Each family's content words; the two lists of every kind are disjoint.

_VOCAB = {
    "train": {
        "subjects": [
            "the old orchard",
            "our neighbour's garden",
            "the village bakery",
            "the parish church",
            "the kitchen garden",
            "the walled garden",
            "the mill by the stream",
            "the farm shop",
            "the allotment society",
            "the hedge along the lane",
            "the greenhouse",
            "the cottage kitchen",
            "the harbour wall",
            "the blackbird",
            "a pair of sparrows",
            "the robin",
            "the thrush",
            "the village green",
            "the market hall",
            "the herb bed",
        ],
        "verbs": [
            "was planted",
            "was rebuilt",
            "was restored",
            "was pruned",
            "was painted",
            "was cleared",
            "was mended",
            "was extended",
            "was watered",
            "was fenced",
            "was visited",
            "was sketched",
        ],
        "actions": [
            "sowed beans",
            "baked bread",
            "picked apples",
            "mended the fence",
            "pruned the roses",
            "fed the hens",
            "dug the potatoes",
            "made plum jam",
            "watched the swallows",
            "cut the hay",
            "repaired the roof",
            "swept the yard",
            "stacked the firewood",
            "brewed nettle tea",
        ],
        "people": [
            "the gardeners",
            "my grandmother",
            "the baker",
            "the vicar",
            "the farmers",
            "our neighbours",
            "the children",
            "the volunteers",
            "the beekeeper",
            "the miller",
            "the shepherd",
        ],
        "times": [
            "in early spring",
            "after the harvest",
            "before the first frost",
            "every Sunday morning",
            "during the long summer",
            "at the end of autumn",
            "on market day",
            "in the last week of May",
        ],
        "reasons": [
            "the soil had finally warmed",
            "the rain had stopped at last",
            "the hedgerows were full of berries",
            "the old oven still worked",
            "the swallows had come back",
            "the roof had begun to leak",
            "the apples were ripe",
            "the frost had killed the dahlias",
        ],
        "things": [
            "a row of runner beans",
            "a loaf of rye bread",
            "a basket of pears",
            "a new compost heap",
            "a nest of twigs and moss",
            "a jar of honey",
            "a bed of onions",
            "a stone path",
            "a wooden bench",
            "a pot of soup",
            "a hedge of hawthorn",
            "a bowl of cherries",
        ],
    },
    "test": {
        "subjects": [
            "the research station",
            "the new telescope",
            "the mountain railway",
            "the glacier",
            "the physics laboratory",
            "the national stadium",
            "the ferry company",
            "the science museum",
            "the climbing club",
            "the rowing team",
            "the volcano observatory",
            "the regional airport",
            "the chemistry department",
            "the cycling federation",
            "the coastal survey",
            "the tram network",
            "the marathon organisers",
            "the seismology group",
            "the planetarium",
            "the night train",
        ],
        "verbs": [
            "has measured",
            "has recorded",
            "has calibrated",
            "has surveyed",
            "has documented",
            "has analysed",
            "has photographed",
            "has timetabled",
            "has renovated",
            "has monitored",
        ],
        "actions": [
            "tested the sensors",
            "logged the temperatures",
            "tracked the comet",
            "timed the sprinters",
            "mapped the fault line",
            "checked the signals",
            "drilled an ice core",
            "trained for the final",
            "inspected the carriages",
            "counted the passengers",
            "sampled the lava",
            "repaired the antenna",
        ],
        "people": [
            "the engineers",
            "the astronomers",
            "a team of geologists",
            "the conductor",
            "the referees",
            "the technicians",
            "the passengers",
            "the coaches",
            "several physicists",
            "the climbers",
        ],
        "times": [
            "during the winter expedition",
            "over the past decade",
            "throughout the season",
            "since the eruption",
            "within the first hour",
            "across three consecutive years",
            "before the championship",
            "while the storm passed",
        ],
        "reasons": [
            "the instruments needed recalibration",
            "the ice sheet had retreated",
            "the timetable changed",
            "the readings were unusual",
            "the track was flooded",
            "the qualifying round was postponed",
            "the satellite link failed",
            "the crater widened",
        ],
        "things": [
            "the melting rate of the ice",
            "the orbit of the comet",
            "the speed of the express",
            "the height of the ash cloud",
            "the results of the trial",
            "the distance of the relay",
            "the tilt of the slope",
            "the strength of the magnetic field",
            "the depth of the borehole",
            "the final score of the match",
            "the noise of the engines",
            "the pressure in the tunnel",
        ],
    },
}

_SPAM = {
    "train": {
        "products": ["watches", "replica watches", "diet pills", "payday loans", "sunglasses", "handbags"],
        "lines": [
            "Buy cheap {p} online!!!",
            "Best {p} deals of {year}",
            "Click here for FREE {p}",
            "{P} discount code {code}",
            "Order now and save {pct}%",
            "Limited offer >>> {p} <<<",
            "Lowest price {p} guaranteed",
            "{P} {P} {P} on sale",
            "Free shipping on all {p}!!",
        ],
    },
    "test": {
        "products": ["casino bonus", "sneakers", "crypto signals", "instagram followers", "essay writing"],
        "lines": [
            "Get {p} instantly",
            "Top rated {p} - unbeatable price",
            "Claim your {p} today",
            "Hurry!! only {n} left",
            "Visit our store >> {p}",
            "100% guaranteed {p}",
            "{P} promo {code} valid now",
            "WIN WIN WIN {p}",
            "Trusted by {n}k customers: {p}",
        ],
    },
}

_BOILERPLATE = {
    "train": [
        "Copyright © {year} {site}. All rights reserved.",
        "Privacy Policy",
        "Terms of Use",
        "We use cookies to improve your experience. Accept cookies",
        "Sign in",
        "Register",
        "Forgot password?",
        "Follow us on Facebook",
        "Share this page",
        "Page {n} of {m}",
        "Skip to main content",
        "Print this page",
    ],
    "test": [
        "© {site} {year} - content protected",
        "Legal notice",
        "Imprint",
        "Cookie preferences",
        "Subscribe to our newsletter",
        "Log in | Create account",
        "Powered by {cms}",
        "Back to top",
        "Related posts",
        "Previous | Next",
        "Last updated {n} minutes ago",
        "Report a problem",
    ],
}

# A sentence of sales copy inside spam: spam is not always fragments.
_SALES_COPY = {
    "train": [
        "Our {p} are the finest you will find anywhere and we deliver them to your door within a day.",
        "Thousands of happy customers have already ordered {p} from us, so why wait any longer?",
    ],
    "test": [
        "We have helped people from all over the world get {p} without any hassle at all.",
        "You deserve the best {p} and our friendly team is ready to help you right now.",
    ],
}

_KEYWORD_PATTERNS = {
    "train": ["cheap {kw}", "{kw} online", "{kw} near me", "{kw} {year}", "best {kw}", "{kw}"],
    "test": ["{kw} review", "{kw} sale", "{kw} usa", "buy {kw}", "{kw} deals", "{kw} free shipping"],
}
_KEYWORDS = {
    "train": ["garden tools", "plant pots", "seed packets", "bird feeder", "kitchen knives", "bread maker"],
    "test": ["running shoes", "gaming laptop", "phone case", "ski goggles", "drone camera", "smart watch"],
}

_MENUS = {
    "train": [
        "Home",
        "About",
        "Services",
        "Blog",
        "Contact",
        "Shop",
        "FAQ",
        "Gallery",
        "News",
        "Login",
        "Cart",
        "Wishlist",
        "Offers",
        "Sitemap",
    ],
    "test": [
        "Start",
        "Products",
        "Support",
        "Careers",
        "Team",
        "Downloads",
        "Partners",
        "Events",
        "Press",
        "Investors",
        "Locations",
        "Help centre",
        "Pricing",
        "Docs",
    ],
}
_SITES = {
    "train": ["gardenstore", "bestbuyz", "shop4u", "megadeals"],
    "test": ["winbig", "kicksplanet", "cryptoz"],
}
_CMS = ["WordPress", "Joomla", "Drupal", "Wix"]


# -- prose --------------------------------------------------------------------------------------


def _capital(s: str) -> str:
    return s[:1].upper() + s[1:]


# Sentence templates: {S} subject, {V} verb, {A} action, {P} people, {T} time, {R} reason, {X} thing.
_TEMPLATES = {
    "train": [
        "{S} {V} {T}, and {P} {A} the same week.",
        "In those days {P} {A} because {R}.",
        "Many of {P} still remember how {S} {V} {T}.",
        "We found {X} next to {S}, which was a pleasant surprise.",
        "When {R}, {P} {A} and left {X} by the door.",
        "It was {T} that {S} {V} for the first time.",
        "Nobody expected that {P} would have {X} ready so soon.",
        "My aunt wrote in her diary that {S} {V} while {P} {A}.",
        "If you walk past {S} {T}, you may see {X} on the wall.",
        "There is a photograph of {P} with {X}, taken {T}.",
        "Some say {S} {V} only because {R}, but that is not the whole story.",
        "Later {P} {A}, and the smell of {X} drifted down the lane.",
    ],
    "test": [
        "According to {P}, {S} {V} {X} {T}.",
        "Although {R}, {P} {A} on schedule.",
        "{S} {V} {X}, which surprised {P}.",
        "It is worth noting that {P} {A} {T}.",
        "Because {R}, {S} {V} {X} again.",
        "Their report explains why {P} {A} {T}.",
        "Critics argued that {S} {V} {X} too quickly.",
        "As a result, {P} {A} and published the data {T}.",
        "Few observers realised how much {X} mattered until {R}.",
        "Since {R}, {S} {V} {X} every month.",
        "The official statement confirmed that {P} {A}.",
        "Without this work, nobody would know {X} as precisely as we do today.",
    ],
}
_SLOTS = {
    "S": "subjects",
    "V": "verbs",
    "A": "actions",
    "P": "people",
    "T": "times",
    "R": "reasons",
    "X": "things",
}


class _Deck:
    """Draws from a list without replacement, reshuffling when it runs out: within one document the
    same phrase comes back as rarely as the list allows (real prose rarely repeats itself)."""

    def __init__(self, rng: random.Random, items: list[str]) -> None:
        self.rng, self.items, self.left = rng, items, []

    def draw(self) -> str:
        if not self.left:
            self.left = self.items[:]
            self.rng.shuffle(self.left)
        return self.left.pop()


def _prose(rng: random.Random, family: str) -> tuple[str, str]:
    vocab = _VOCAB[family]
    templates = _Deck(rng, _TEMPLATES[family])
    decks = {slot: _Deck(rng, vocab[key]) for slot, key in _SLOTS.items()}
    paragraphs = []
    for _ in range(rng.randint(2, 4)):
        sentences = []
        for _ in range(rng.randint(2, 4)):
            template = templates.draw()
            sentence = template.format(**{slot: deck.draw() for slot, deck in decks.items()})
            sentences.append(_capital(sentence))
        paragraphs.append(" ".join(sentences))
    title = _capital(rng.choice(vocab["subjects"]).removeprefix("the ")) + f", part {rng.randint(1, 99)}"
    return title, "\n".join(paragraphs)


# -- low quality ----------------------------------------------------------------------------------


def _fill(rng: random.Random, line: str, family: str, product: str = "") -> str:
    return line.format(
        p=product,
        P=product.upper(),
        year=rng.randint(2015, 2025),
        code=f"{rng.choice('ABCDEFGHKMNPRSTXYZ')}{rng.randint(100, 9999)}",
        pct=rng.randint(10, 90),
        n=rng.randint(2, 500),
        m=rng.randint(500, 900),
        site=f"{rng.choice(_SITES[family])}{rng.randint(1, 999)}.com",
        cms=rng.choice(_CMS),
    )


def _spam(rng: random.Random, family: str) -> str:
    spec = _SPAM[family]
    product = rng.choice(spec["products"])
    return "\n".join(
        _fill(rng, rng.choice(spec["lines"]), family, product) for _ in range(rng.randint(6, 20))
    )


def _boilerplate(rng: random.Random, family: str) -> str:
    lines = rng.sample(_BOILERPLATE[family], k=rng.randint(6, len(_BOILERPLATE[family])))
    return "\n".join(_fill(rng, line, family) for line in lines)


def _keywords(rng: random.Random, family: str) -> str:
    lines = []
    for _ in range(rng.randint(4, 12)):
        kw = rng.choice(_KEYWORDS[family])
        pattern = rng.sample(_KEYWORD_PATTERNS[family], k=rng.randint(3, 6))
        lines.append(", ".join(_fill(rng, p.replace("{kw}", kw), family) for p in pattern))
    return "\n".join(lines)


def _menu(rng: random.Random, family: str) -> str:
    items = _MENUS[family]
    lines = []
    for _ in range(rng.randint(2, 5)):
        section = rng.sample(items, k=rng.randint(4, len(items)))
        sep = rng.choice(["\n", " | ", " / "])
        lines.append(sep.join(section))
    if family == "train":
        lines.append(f"Page {rng.randint(1, 40)} of {rng.randint(41, 90)}")
    else:
        lines.append(f"Showing results {rng.randint(1, 40)}-{rng.randint(41, 90)}")
    return "\n".join(lines)


_BAD = {"spam": _spam, "boilerplate": _boilerplate, "keywords": _keywords, "menu": _menu}


# -- documents -----------------------------------------------------------------------------------


def documents(family: str, n: int, seed: int = 0, good_fraction: float = 0.5) -> list[LabelledDocument]:
    """`n` documents of `family`, about `good_fraction` of them well-formed prose, in a shuffled order."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    rng = random.Random(f"{family}:{seed}")
    docs = []
    for i in range(n):
        if rng.random() < good_fraction:
            title, text = _prose(rng, family)
            kind, label = "prose", GOOD
            if rng.random() < 0.3:  # some good pages keep a line or two of the site's boilerplate
                text += "\n" + _boilerplate(rng, family).split("\n", 2)[rng.randint(0, 1)]
        else:
            kind = BAD_KINDS[i % len(BAD_KINDS)]
            text = _BAD[kind](rng, family)
            title, label = text.split("\n", 1)[0][:60], BAD
        host = f"{kind}{rng.randint(0, 49)}.{family}.example"
        docs.append(LabelledDocument(text, label, kind, f"http://{host}/{seed}/{i}", title))
    return docs


def split_by_label(docs: list[LabelledDocument]) -> tuple[list[str], list[str]]:
    """(good texts, bad texts)."""
    return [d.text for d in docs if d.label == GOOD], [d.text for d in docs if d.label == BAD]


def write_jsonl(path: Path, docs: list[LabelledDocument]) -> Path:
    with open(path, "w", encoding="utf-8") as sink:
        for d in docs:
            sink.write(json.dumps({"text": d.text, "label": d.label, "kind": d.kind, "url": d.url}) + "\n")
    return path


def write_txt(path: Path, texts: list[str]) -> Path:
    """One document per line (newlines inside a document become spaces)."""
    path.write_text("".join(" ".join(t.split("\n")) + "\n" for t in texts), encoding="utf-8")
    return path


def _html(doc: LabelledDocument) -> bytes:
    from html import escape

    body = "".join(f"<p>{escape(line)}</p>" for line in doc.text.split("\n"))
    page = (
        f"<html><head><title>{escape(doc.title)}</title></head><body>"
        f"<article><h1>{escape(doc.title)}</h1>{body}</article></body></html>"
    )
    return page.encode("utf-8")


def write_warc(path: Path, docs: list[LabelledDocument]) -> Path:
    """The documents as HTML responses in a gzipped WARC (one page per document)."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True)
    for doc in docs:
        body = _html(doc)
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        headers = {
            "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, doc.url)}>",
            "WARC-Date": "2024-05-18T01:02:03Z",
        }
        record = writer.create_warc_record(
            doc.url, "response", payload=io.BytesIO(body), http_headers=http, warc_headers_dict=headers
        )
        writer.write_record(record)
    Path(path).write_bytes(buffer.getvalue())
    return Path(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", choices=FAMILIES, default="train")
    parser.add_argument("--n", type=int, default=400, help="documents to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jsonl", type=Path, help="write {text, label, kind, url} lines here")
    parser.add_argument("--warc", type=Path, help="write the documents as HTML pages in a WARC here")
    parser.add_argument("--txt", type=Path, nargs=2, metavar=("GOOD", "BAD"), help="one document per line")
    args = parser.parse_args(argv)
    docs = documents(args.family, args.n, args.seed)
    if args.jsonl:
        write_jsonl(args.jsonl, docs)
    if args.warc:
        write_warc(args.warc, docs)
    if args.txt:
        good, bad = split_by_label(docs)
        write_txt(args.txt[0], good)
        write_txt(args.txt[1], bad)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
