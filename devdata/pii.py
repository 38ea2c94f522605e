"""Deterministic labelled PII sentences: our own test and benchmark set for the `pii` stage.

    python -m devdata.pii [--n 20] [--seed 0]      # print records as JSON lines

`generate(n, seed)` returns `n` records `{"text", "spans", "negatives"}`. Every record is a few realistic
English sentences from our own templates, filled by a seeded `random.Random`, so the same (n, seed)
always gives the same records. Nothing is fetched and no third-party data is used.

- `spans`: the PII the default `pii` stage must scrub, `{entity_type, start, end, value}` with character
  offsets into `text` (end exclusive): EMAIL_ADDRESS, PHONE_NUMBER (US and international formats, all
  valid numbers, not fictional 555 ones), IP_ADDRESS (public IPv4 and IPv6 only), CREDIT_CARD (valid
  Luhn: Visa, Mastercard, Amex, Discover), IBAN_CODE (valid mod-97: GB, DE, FR, NL, ES), US_SSN.
- `negatives`: look-alikes that must stay untouched, `{kind, start, end, value}`: private, loopback,
  link-local, CGNAT and multicast IPs, version strings, dates, years, prices, times, order numbers,
  counts, percentages, ISBNs and zip codes.
About a fifth of the records carry no PII at all.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import random
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# -- value makers: each returns the planted string -------------------------------------------------
FIRST = ["james", "maria", "wei", "olivia", "ahmed", "sofia", "liam", "chen", "emma", "raj", "noah", "zoe"]
LAST = ["smith", "garcia", "nguyen", "mueller", "okafor", "rossi", "kowalski", "tanaka", "brown", "silva"]
EMAIL_DOMAINS = [
    "gmail.com",
    "yahoo.co.uk",
    "outlook.com",
    "acme-widgets.com",
    "cs.stanford.edu",
    "mail.harborbank.org",
    "t-online.de",
    "orange.fr",
    "protonmail.ch",
    "startup.io",
]
# Real US area codes with real exchanges (the 555 range is fictional and phonenumbers calls it invalid).
US_AREA = ["212", "415", "617", "312", "206", "303", "512", "404", "713", "602", "503", "919"]
# International numbers in the formats people write, each valid per libphonenumber's metadata
# (tests check this); N is a random digit, M a random digit 2-9.
INTL_PHONES = [
    "+44 20 7946 0NNN",  # London
    "+44 161 496 0NNN",  # Manchester
    "+49 30 NNNNNNNN",  # Berlin
    "+49 89 NNNNNNN",  # Munich
    "+33 1 NN NN NN NN",  # Paris
    "+91 98NNN NNNNN",  # Indian mobile
    "+61 2 9NNN NNNN",  # Sydney
    "+1 416 MNN NNNN",  # Toronto
    "+55 11 9NNNN-NNNN",  # Sao Paulo mobile
    "+972 3 MNN NNNN",  # Tel Aviv
]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def make_email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice(
        [f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}", f"{first}+news", last]
    )
    if rng.random() < 0.2:
        local = local.capitalize()
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def make_us_phone(rng: random.Random) -> str:
    area = rng.choice(US_AREA)
    exchange = f"{rng.randint(2, 9)}{rng.randint(2, 9)}{rng.randint(0, 9)}"  # never N11 or 555
    line = _digits(rng, 4)
    fmt = rng.choice(
        ["({a}) {e}-{l}", "{a}-{e}-{l}", "{a}.{e}.{l}", "+1 {a} {e} {l}", "+1-{a}-{e}-{l}", "1-{a}-{e}-{l}"]
    )
    return fmt.format(a=area, e=exchange, l=line)


def make_intl_phone(rng: random.Random) -> str:
    pattern = rng.choice(INTL_PHONES)
    return "".join(
        str(rng.randint(0, 9)) if ch == "N" else str(rng.randint(2, 9)) if ch == "M" else ch for ch in pattern
    )


def make_phone(rng: random.Random) -> str:
    return make_us_phone(rng) if rng.random() < 0.6 else make_intl_phone(rng)


def make_public_ipv4(rng: random.Random) -> str:
    while True:
        ip = ipaddress.IPv4Address(rng.randrange(1 << 24, 224 << 24))  # below multicast
        if ip.is_global and not (ip.is_reserved or ip.is_private):
            return str(ip)


def make_public_ipv6(rng: random.Random) -> str:
    while True:
        # Global unicast space 2000::/3, away from documentation (2001:db8::/32) and other special blocks.
        ip = ipaddress.IPv6Address((rng.randrange(0x2400, 0x2C00) << 112) | rng.getrandbits(112))
        if ip.is_global and not (ip.is_reserved or ip.is_private):
            if rng.random() < 0.5:  # a zero run, written compressed as people do
                ip = ipaddress.IPv6Address(int(ip) & ~((1 << 64) - 1) | rng.randrange(1, 0xFFFF))
            return ip.compressed


def make_public_ip(rng: random.Random) -> str:
    return make_public_ipv4(rng) if rng.random() < 0.75 else make_public_ipv6(rng)


def luhn_complete(prefix_and_body: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(prefix_and_body)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return prefix_and_body + str((10 - total % 10) % 10)


def make_credit_card(rng: random.Random) -> str:
    kind = rng.choice(["visa", "mastercard", "amex", "discover"])
    if kind == "amex":
        number = luhn_complete(rng.choice(["34", "37"]) + _digits(rng, 12))
        sep = rng.choice([" ", "-", ""])
        return sep.join([number[:4], number[4:10], number[10:]])  # 4-6-5, as printed on the card
    prefix = {"visa": "4", "mastercard": str(rng.randint(51, 55)), "discover": "6011"}[kind]
    number = luhn_complete(prefix + _digits(rng, 15 - len(prefix)))
    sep = rng.choice([" ", "-", ""])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


IBAN_BBAN: dict[str, Callable[[random.Random], str]] = {
    "GB": lambda r: r.choice(["NWBK", "BARC", "HBUK", "LOYD"]) + _digits(r, 14),
    "DE": lambda r: _digits(r, 18),
    "FR": lambda r: _digits(r, 10) + _digits(r, 11) + _digits(r, 2),
    "NL": lambda r: r.choice(["ABNA", "INGB", "RABO"]) + _digits(r, 10),
    "ES": lambda r: _digits(r, 20),
}


def iban_check_digits(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    number = int("".join(str(int(ch, 36)) for ch in rearranged))
    return f"{98 - number % 97:02d}"


def make_iban(rng: random.Random) -> str:
    country = rng.choice(sorted(IBAN_BBAN))
    bban = IBAN_BBAN[country](rng)
    iban = country + iban_check_digits(country, bban) + bban
    if rng.random() < 0.7:  # the printed form, in groups of four
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


def make_ssn(rng: random.Random) -> str:
    while True:
        area = rng.randint(1, 899)
        if area != 666:
            break
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


MAKERS: dict[str, Callable[[random.Random], str]] = {
    "EMAIL_ADDRESS": make_email,
    "PHONE_NUMBER": make_phone,
    "IP_ADDRESS": make_public_ip,
    "CREDIT_CARD": make_credit_card,
    "IBAN_CODE": make_iban,
    "US_SSN": make_ssn,
}


# -- negatives: look-alikes that are not PII (or, for private IPs, not worth scrubbing) --------------
def _private_ip(rng: random.Random) -> str:
    return rng.choice(
        [
            f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "127.0.0.1",
            f"169.254.{rng.randint(1, 254)}.{rng.randint(1, 254)}",
            f"100.{rng.randint(64, 127)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            f"224.0.0.{rng.randint(1, 254)}",
            "0.0.0.0",
            "::1",
            f"fe80::{rng.randint(1, 0xFFFF):x}",
            f"fd00::{rng.randint(1, 0xFFFF):x}",
        ]
    )


def _version(rng: random.Random) -> str:
    version = f"{rng.randint(0, 12)}.{rng.randint(0, 30)}.{rng.randint(0, 40)}"
    if rng.random() < 0.3:
        # Four parts read as an IPv4; written as v1.2.3.4 (or after the word "version") it is not one.
        return f"v{version}.{rng.randint(1, 9)}"
    return rng.choice(["", "v"]) + version + rng.choice(["", "-beta", "-rc1", "b2"])


NEGATIVES: dict[str, Callable[[random.Random], str]] = {
    "private_ip": _private_ip,
    "version": _version,
    "date": lambda r: r.choice(
        [
            f"{r.randint(1995, 2025)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            f"{r.randint(1, 12):02d}/{r.randint(1, 28):02d}/{r.randint(1995, 2025)}",
            f"{r.randint(1, 28)}.{r.randint(1, 12):02d}.{r.randint(1995, 2025)}",
            f"{r.randint(1, 28):02d}/{r.randint(1, 12):02d}/{r.randint(10, 25)}",
        ]
    ),
    "year": lambda r: str(r.randint(1890, 2030)),
    "price": lambda r: r.choice(
        [
            f"${r.randint(1, 9)},{r.randint(0, 999):03d}.{r.randint(0, 99):02d}",
            f"${r.randint(1, 999)}.{r.randint(0, 99):02d}",
            f"€{r.randint(1, 999)},{r.randint(0, 99):02d}",
            f"£{r.randint(1, 99)}",
            f"USD {r.randint(100, 9999)}",
        ]
    ),
    "time": lambda r: (
        f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}" + r.choice(["", f":{r.randint(0, 59):02d}"])
    ),
    "order_number": lambda r: r.choice(
        [
            f"#{r.randint(10000, 999999)}",
            f"A-{r.randint(1000, 99999)}",
            f"{r.randint(2019, 2025)}-{r.randint(1, 99999):05d}",
            f"PO {r.randint(1000, 9999)}",
        ]
    ),
    "count": lambda r: r.choice(
        [
            f"{r.randint(1, 999)},{r.randint(0, 999):03d}",
            f"{r.randint(1, 99)},{r.randint(0, 999):03d},{r.randint(0, 999):03d}",
        ]
    ),
    "percent": lambda r: f"{r.randint(0, 99)}.{r.randint(0, 9)}%",
    "isbn": lambda r: (
        f"978-{r.randint(0, 1)}-{r.randint(100, 999)}-{r.randint(10000, 99999)}-{r.randint(0, 9)}"
    ),
    "zip": lambda r: f"{r.randint(10000, 99999)}" + r.choice(["", f"-{r.randint(1000, 9999)}"]),
    "score": lambda r: f"{r.randint(0, 150)}-{r.randint(0, 150)}",
}

# -- templates: {KIND} slots; PII slots use entity names, negatives their kind --------------------------
PII_TEMPLATES: dict[str, list[str]] = {
    "EMAIL_ADDRESS": [
        "For questions about your order, write to {EMAIL_ADDRESS} and we will answer within two days.",
        "You can reach the author at {EMAIL_ADDRESS}.",
        "Send your application (CV and cover letter) to {EMAIL_ADDRESS} before the end of the month.",
        "Contact: {EMAIL_ADDRESS}",
        "If you spot an error in this article, email {EMAIL_ADDRESS}, and please include the page link.",
    ],
    "PHONE_NUMBER": [
        "Call us on {PHONE_NUMBER} between 9am and 5pm, Monday to Friday.",
        "For bookings phone {PHONE_NUMBER} or visit the front desk.",
        "Tel: {PHONE_NUMBER}",
        "My mobile is {PHONE_NUMBER} if anything changes.",
        "The clinic can be reached at {PHONE_NUMBER}; after hours, leave a message.",
    ],
    "IP_ADDRESS": [
        "The attack traffic came from {IP_ADDRESS} and was blocked by the firewall.",
        "Our mail server at {IP_ADDRESS} was briefly listed on a spam blacklist.",
        "Posted by anonymous ({IP_ADDRESS}) on the forum.",
        "Ping {IP_ADDRESS} to check whether the host is up.",
    ],
    "CREDIT_CARD": [
        "Please charge the deposit to my card {CREDIT_CARD}, expiry 08/27.",
        "Card number: {CREDIT_CARD}",
        "I paid with card {CREDIT_CARD} but the refund never arrived.",
    ],
    "IBAN_CODE": [
        "Transfer the rent to IBAN {IBAN_CODE} by the first of each month.",
        "Bank details: {IBAN_CODE} (account holder: the association).",
        "Donations can be made to {IBAN_CODE}; thank you for your support.",
    ],
    "US_SSN": [
        "The form asked for my social security number, so I wrote {US_SSN} on it.",
        "SSN: {US_SSN}",
        "Her SSN {US_SSN} was exposed in the breach.",
    ],
}
NEGATIVE_TEMPLATES: dict[str, list[str]] = {
    "private_ip": [
        "Open the router settings at {private_ip} in your browser.",
        "The service listens on {private_ip} by default, so it is not reachable from outside.",
        "Set the DNS server to {private_ip} in the configuration file.",
    ],
    "version": [
        "Version {version} fixes the memory leak reported last week.",
        "Upgrade to {version} or later before installing the plugin.",
        "Tested with Python {version} on Ubuntu.",
    ],
    "date": ["The event took place on {date} in the main hall.", "Last updated: {date}", "Filed on {date}."],
    "year": [
        "The bridge was completed in {year} after a decade of work.",
        "Founded in {year}, the club has grown.",
    ],
    "price": ["The laptop now costs {price} after the discount.", "Tickets are {price} at the door."],
    "time": ["Doors open at {time} and the show starts an hour later.", "The train leaves at {time}."],
    "order_number": [
        "Your order {order_number} has shipped.",
        "Please quote reference {order_number} in all emails.",
    ],
    "count": ["The stadium holds {count} people.", "The video has been viewed {count} times."],
    "percent": ["Turnout was {percent}, the highest in years.", "Inflation rose to {percent} in March."],
    "isbn": ["ISBN {isbn}, paperback, 320 pages."],
    "zip": ["Mail it to the office, zip code {zip}."],
    "score": ["The home team won {score} in overtime."],
}
FILLER = [
    "The weather was mild for the time of year.",
    "Many readers wrote in after the first part of the series.",
    "The committee will meet again next week.",
    "Prices have risen steadily since the spring.",
    "The new library opens to the public on Saturday.",
    "Volunteers cleaned the beach over the weekend.",
    "Parking is free for the first two hours.",
]


def _append(
    record: dict[str, Any], template: str, slot: str = "", value: str = "", label: dict | None = None
) -> None:
    """Append a sentence to the record's text; with a label, fill `slot` with `value` and label its span."""
    text = record["text"]
    if text:
        text += " " if record["rng"].random() < 0.8 else "\n"
    if label is None:
        record["text"] = text + template
        return
    before, after = template.split("{" + slot + "}")
    start = len(text) + len(before)
    record["text"] = text + before + value + after
    key = "spans" if "entity_type" in label else "negatives"
    record[key].append({**label, "start": start, "end": start + len(value), "value": value})


def make_record(rng: random.Random) -> dict[str, Any]:
    record: dict[str, Any] = {"text": "", "spans": [], "negatives": [], "rng": rng}
    parts: list[tuple[str, str]] = []  # (kind, "pii" | "neg" | "filler")
    n_pii = rng.choices([0, 1, 2, 3], weights=[2, 4, 3, 1])[0]
    parts += [(rng.choice(sorted(MAKERS)), "pii") for _ in range(n_pii)]
    parts += [(rng.choice(sorted(NEGATIVES)), "neg") for _ in range(rng.randint(0, 2))]
    parts += [("", "filler") for _ in range(rng.randint(0, 2))]
    rng.shuffle(parts)
    for kind, role in parts:
        if role == "filler":
            _append(record, rng.choice(FILLER))
        elif role == "pii":
            _append(record, rng.choice(PII_TEMPLATES[kind]), kind, MAKERS[kind](rng), {"entity_type": kind})
        else:
            _append(record, rng.choice(NEGATIVE_TEMPLATES[kind]), kind, NEGATIVES[kind](rng), {"kind": kind})
    if not record["text"]:
        record["text"] = rng.choice(FILLER)
    del record["rng"]
    return record


def generate(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """`n` labelled records; the same (n, seed) always gives the same records."""
    rng = random.Random(f"curate-pii-sample:{seed}")
    return [make_record(rng) for _ in range(n)]


# -- scoring ---------------------------------------------------------------------------------------
def load_presidio_research(path: str | Path) -> list[dict[str, Any]]:
    """presidio-research's synth_dataset_v2.json as records in our format (text, spans)."""
    records = json.loads(Path(path).read_text())
    return [
        {
            "text": r["full_text"],
            "spans": [
                {
                    "entity_type": s["entity_type"],
                    "start": s["start_position"],
                    "end": s["end_position"],
                    "value": s["entity_value"],
                }
                for s in r["spans"]
            ],
        }
        for r in records
    ]


def score_spans(
    gold: Sequence[Sequence[dict[str, Any]]],
    predicted: Sequence[Sequence[dict[str, Any]]],
    entities: Sequence[str],
) -> dict[str, dict[str, float]]:
    """Span-level recall and precision per entity type (and "ALL"), one list of spans per document.

    A gold span is found when a predicted span of the same type overlaps it; a predicted span is
    right when it overlaps a gold span of its type. Overlap rather than exact offsets: what matters
    for scrubbing is that the value is gone, and libraries differ on including `+1-` or `(0)`."""
    counts = {e: Counter() for e in (*entities, "ALL")}
    for gold_spans, pred_spans in zip(gold, predicted):
        for entity in entities:
            g = [s for s in gold_spans if s["entity_type"] == entity]
            p = [s for s in pred_spans if s["entity_type"] == entity]
            found = sum(any(_overlap(a, b) for b in p) for a in g)
            right = sum(any(_overlap(a, b) for b in g) for a in p)
            for key in (entity, "ALL"):
                counts[key].update(gold=len(g), predicted=len(p), found=found, right=right)
    return {
        e: {
            **c,
            "recall": c["found"] / c["gold"] if c["gold"] else 1.0,
            "precision": c["right"] / c["predicted"] if c["predicted"] else 1.0,
        }
        for e, c in counts.items()
    }


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for record in generate(args.n, args.seed):
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
