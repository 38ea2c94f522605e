"""Deterministic sample-WARC generator: a small Common-Crawl-shaped WARC with known, planted cases.

    python -m pipeline.sample --output data/sample/sample.warc.gz [--pages N] [--seed S]

Every page is written here, from our own sentence banks, by a seeded `random.Random`; nothing is
fetched. The same (file name, pages, seed) gives byte-identical output: record ids are uuid5 of the
seed and position, dates are fixed, and warcio's gzip members carry mtime 0 (it compresses with
zlib's gzip wrapper, which never stamps a time).

The default page count is exactly the fixed set of planted cases (``DEFAULT_PAGES``): ~50 normal
English articles plus one or more pages of every kind in ``KINDS``. A larger ``--pages`` appends
varied pages (mostly articles, some of every cheap kind) generated one at a time, so
``--pages 10000`` streams to disk in seconds. ``sample_pages()`` yields the same page specs the WARC
is written from, so tests can look pages up by kind (the manifest of what was planted).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import heapq
import html
import io
import itertools
import json
import os
import random
import struct
import sys
import unicodedata
import uuid
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any, BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# --------------------------------------------------------------------------------------------------
# Kinds: the tag of every page, and what it is there to exercise.

KIND_ARTICLE = "article"
KIND_BOILERPLATE_HEAVY = "boilerplate_heavy"
KIND_NON_HTML = "non_html"
KIND_HTTP_404 = "http_404"
KIND_HTTP_301 = "http_301"
KIND_FRENCH = "french"
KIND_GERMAN = "german"
KIND_SPANISH = "spanish"
KIND_NEAR_DUPLICATE = "near_duplicate"
KIND_EXACT_DUPLICATE = "exact_duplicate"
KIND_PII = "pii"
KIND_BLOCKED_DOMAIN = "blocked_domain"
KIND_BANNED_URL_WORDS = "banned_url_words"
KIND_LOREM_IPSUM = "lorem_ipsum"
KIND_JAVASCRIPT = "javascript_braces"
KIND_SHORT_LINES = "short_lines"
KIND_REPEATED_LINES = "repeated_lines"
KIND_TOO_FEW_WORDS = "too_few_words"
KIND_SYMBOLS = "symbols"
KIND_EMPTY_BODY = "empty_body"
KIND_CHARSET_CP1252 = "charset_cp1252"
KIND_CHARSET_META = "charset_meta_only"
KIND_INVALID_UTF8 = "invalid_utf8"
KIND_OVERSIZED = "oversized"
KIND_TRUNCATED = "truncated"

# kind -> what the page holds and which step is meant to act on it (documentation, machine-readable).
KIND_DESCRIPTIONS: dict[str, str] = {
    KIND_ARTICLE: "normal English article in site boilerplate; should survive every filter",
    KIND_BOILERPLATE_HEAVY: "short English article (6 sentences) inside heavy navigation, sidebars and footer; extract keeps only the article",
    KIND_NON_HTML: "image/png, application/pdf, text/css, application/json responses; skipped as non-HTML",
    KIND_HTTP_404: "HTTP 404 HTML error page; skipped for its status",
    KIND_HTTP_301: "HTTP 301 redirect with a Location header; skipped for its status",
    KIND_FRENCH: "French article; dropped by English language ID",
    KIND_GERMAN: "German article; dropped by English language ID",
    KIND_SPANISH: "Spanish article; dropped by English language ID",
    KIND_NEAR_DUPLICATE: "pair (same group): one article on two sites, one sentence changed; MinHash keeps one",
    KIND_EXACT_DUPLICATE: "pair (same group): identical article text on two sites; exact dedup keeps one",
    KIND_PII: "article with planted email, phone number and IP addresses (see `planted`); PII stage redacts",
    KIND_BLOCKED_DOMAIN: "article on blocked-demo-domain.com; dropped by the URL domain blocklist",
    KIND_BANNED_URL_WORDS: "article whose URL has the words casino and poker; dropped by URL word rules",
    KIND_LOREM_IPSUM: "English page with a lorem ipsum paragraph; dropped by the C4 rules",
    KIND_JAVASCRIPT: "article with a 'enable JavaScript' line and curly braces; C4 drops the line / the page",
    KIND_SHORT_LINES: "list of short lines; fails FineWeb's short-line ratio",
    KIND_REPEATED_LINES: "the same few lines repeated; fails Gopher repetition",
    KIND_TOO_FEW_WORDS: "page with fewer than 50 words of text; fails Gopher quality (or extracts to nothing)",
    KIND_SYMBOLS: "social post that is mostly hashtags; fails Gopher's symbol-to-word ratio",
    KIND_EMPTY_BODY: "HTML with an empty <body>; extraction returns nothing",
    KIND_CHARSET_CP1252: "article declared charset=windows-1252 in HTTP with cp1252 bytes (curly quotes, é)",
    KIND_CHARSET_META: "article whose charset (iso-8859-1) is only in a <meta charset> tag",
    KIND_INVALID_UTF8: "article declared utf-8 with a few invalid UTF-8 bytes; decodes with U+FFFD",
    KIND_OVERSIZED: "HTML page over 5 MB uncompressed (a huge repeated table); hits the page size cap",
    KIND_TRUNCATED: "HTML payload cut at 1 MiB with WARC-Truncated: length, as Common Crawl does",
}
KINDS: tuple[str, ...] = tuple(KIND_DESCRIPTIONS)

DEFAULT_SEED = 20240220
DEFAULT_OUTPUT = "data/sample/sample.warc.gz"
N_FIXED_ARTICLES = 50
OVERSIZED_BYTES = 5_600_000  # above both 5 MB and 5 MiB, whichever a page cap uses
TRUNCATE_AT = 1024 * 1024  # Common Crawl's payload limit
CRAWL_START = datetime(2024, 2, 20, 6, 0, 0, tzinfo=timezone.utc)
SECONDS_BETWEEN_FETCHES = 3
_NAMESPACE = uuid.UUID("5f1d0c2e-3b7a-4c8e-9a61-2d4b8f0e7c13")  # ours; fixes every WARC-Record-ID


@dataclass(frozen=True)
class PageSpec:
    """One fetch: what the response record holds and what it was planted for."""

    url: str
    kind: str
    status: int
    content_type: str  # the HTTP Content-Type header value
    body: bytes  # the payload exactly as written (already cut for truncated pages)
    identified_type: str  # WARC-Identified-Payload-Type
    reason: str = "OK"
    extra_headers: tuple[tuple[str, str], ...] = ()  # e.g. Location for a redirect
    language: str | None = None  # language of the page text, None where there is no text
    title: str = ""
    group: str | None = None  # links the two pages of a duplicate pair
    duplicate_of: str | None = None  # on the second page of a pair: the first page's URL
    planted: tuple[str, ...] = ()  # strings the decoded text contains (PII, changed sentence, accents)
    declared_length: int | None = None  # HTTP Content-Length when it differs from len(body) (truncated)
    index: int = -1  # position of the fetch in the WARC (0-based, warcinfo excluded)
    warc_date: str = ""


# --------------------------------------------------------------------------------------------------
# Prose banks. Original sentences; {town}, {name}, {num}, {weekday}, {month}, {year} are filled per
# sentence so that articles sharing a sentence still differ in places.

TOPICS: tuple[str, ...] = ("science", "cooking", "news", "travel", "history", "software", "gardening")

SENTENCES: dict[str, tuple[str, ...]] = {
    "science": (
        "Researchers at the university in {town} have spent {num} years measuring how quickly the glacier above the valley is shrinking.",
        "Their latest survey suggests that the ice lost more mass last summer than in any season since records began.",
        "The team used a combination of satellite images and stakes drilled into the ice to check each other's results.",
        "According to {name}, who leads the project, the most surprising finding was how much the melt depended on dust.",
        "Dark particles blown in from distant deserts settle on the surface and absorb sunlight that clean snow would reflect.",
        "Scientists have known about this effect for decades, but it has rarely been measured with such care.",
        "The study, which was published this week, is based on more than {num} thousand individual measurements.",
        "Other groups have welcomed the work, although some caution that a single glacier cannot tell the whole story.",
        "In a separate experiment, biologists tracked the movement of small fish between two connected lakes.",
        "They attached tiny tags to the fish and listened for the signals with receivers placed along the shore.",
        "The results show that the fish travel much farther at night than anyone had expected.",
        "Understanding these journeys matters because new dams and weirs could cut the lakes off from each other.",
        "Astronomers are preparing for a rare chance to observe a comet that returns only once every few centuries.",
        "The comet should be visible with a small pair of binoculars for about two weeks in {month}.",
        "Amateur observers are being asked to share their photographs so that professionals can track changes in the tail.",
        "A good experiment starts with a clear question and a plan for what would count as an answer.",
        "Many of the most useful discoveries come from careful observation rather than from expensive equipment.",
        "The new microscope allows the team to watch living cells divide without damaging them with strong light.",
        "{name} explained that the instrument cost less than a family car and was assembled from standard parts.",
        "Soil samples collected from the edge of the forest contained far more fungal species than the open fields nearby.",
        "The researchers believe that the fungi help young trees find water during dry summers.",
        "Funding for the project comes from a national science council and from a small charitable trust.",
        "Students from local schools will be invited to visit the laboratory and take part in simple measurements.",
        "It is important to remember that a correlation between two things does not prove that one causes the other.",
        "The next stage of the work will test whether the same pattern appears in colder regions farther north.",
        "Weather stations on the hills above {town} recorded the warmest spring nights since the stations were installed.",
        "Each station sends a reading every ten minutes, which adds up to an enormous amount of data over a year.",
        "The scientists hope to publish all of the raw data so that others can check their conclusions.",
        "The measurements were repeated three times, and each repetition gave almost exactly the same answer.",
        "Some of the equipment had to be carried up the mountain on foot, because the path is too narrow for vehicles.",
        "A new telescope on the roof of the physics building is now open to the public on clear evenings.",
        "Volunteers helped to count the birds that nested on the island, which gave the researchers a much larger sample.",
        "The findings could help farmers decide when to plant crops in years when the spring is unusually dry.",
        "{name} said that the biggest challenge was keeping the sensors working through the long and freezing winter.",
        "Young scientists are encouraged to explain their work in plain language so that the public can follow it.",
        "The laboratory shares its equipment with two smaller colleges that could not afford to buy their own.",
    ),
    "cooking": (
        "The secret to a good loaf of bread is patience, because the dough needs time to develop flavour.",
        "Mix the flour, water and salt in a large bowl and leave it covered for about thirty minutes.",
        "After the rest, fold the dough over itself several times until it feels smooth and slightly springy.",
        "{name}, who has baked bread in {town} for {num} years, prefers a long, slow rise in a cool kitchen.",
        "A heavy pot with a lid traps steam in the first part of baking and gives the crust its shine.",
        "If you do not have a pot, a tray of hot water on the bottom shelf of the oven works almost as well.",
        "Soup is one of the most forgiving dishes to cook, and it is a good way to use vegetables that are past their best.",
        "Start by softening onions, carrots and celery in a little butter over a low heat.",
        "Add the stock slowly and let everything simmer until the vegetables are tender enough to crush with a spoon.",
        "Season the soup at the end, because the flavour becomes stronger as the liquid reduces.",
        "Fresh herbs should be added just before serving so that they keep their colour and scent.",
        "Many home cooks are nervous about making pastry, but the rules are simple once you understand them.",
        "Keep the butter cold, handle the dough as little as possible and let it rest in the fridge before rolling.",
        "A pinch of sugar in a tomato sauce balances the acidity of the fruit without making it sweet.",
        "Roasting vegetables at a high temperature brings out their natural sugars and gives them crisp edges.",
        "Spread them in a single layer on the tray, since crowded vegetables steam instead of browning.",
        "For this recipe you will need two large eggs, a cup of milk and a generous handful of grated cheese.",
        "Whisk the eggs and milk together, then pour the mixture over the vegetables in a greased dish.",
        "Bake for about twenty-five minutes, or until the top is golden and the centre is just set.",
        "Leftovers keep well in the fridge for two days and can be eaten cold with a green salad.",
        "The market in {town} is the best place to find fresh produce at the start of the week.",
        "Several stallholders grow their own fruit and are happy to explain how each variety should be cooked.",
        "A sharp knife is safer than a blunt one, because it does not slip when you cut through firm vegetables.",
        "Rice should be rinsed until the water runs clear, which removes the loose starch that makes it sticky.",
        "Cooking with children takes longer, but it teaches them where food comes from and how to measure carefully.",
        "The recipe below serves four people and can easily be doubled for a larger family meal.",
        "If the sauce is too thick, add a splash of water and stir it in over a gentle heat.",
        "Taste the dish as you go, and trust your own judgement more than the timings in any book.",
        "Good stock is the foundation of many dishes, and it is easy to make from vegetable peelings and bones.",
        "Let the meat rest for ten minutes after cooking, so that the juices settle back into the flesh.",
        "A squeeze of lemon juice at the end brightens almost any dish that tastes a little flat.",
        "Dried beans are cheap and nutritious, but they need to be soaked overnight before they are cooked.",
        "{name} recommends buying whole spices and grinding them just before use for the strongest flavour.",
        "When frying onions, be patient and keep the heat low until they turn soft and golden.",
        "Homemade jam needs only fruit, sugar and a little lemon, and it keeps for months in a cool cupboard.",
        "Clean as you cook, and the washing up will never feel like a mountain at the end of the evening.",
    ),
    "news": (
        "The town council in {town} voted on {weekday} evening to keep the public library open on Sunday afternoons.",
        "The decision followed a petition that was signed by more than {num} hundred residents over the winter.",
        "Councillor {name} said the library was one of the few warm and quiet places left for families and students.",
        "The extra hours will be paid for by reducing the budget for new signs and decorations in the town centre.",
        "Work on the new footbridge over the river is expected to begin in {month} and take about six months.",
        "During construction, pedestrians will have to use the road bridge, which has a narrow pavement on one side.",
        "Residents who live near the site have been invited to a meeting at the community hall to ask questions.",
        "The local primary school has raised enough money to plant a small orchard behind the playground.",
        "Pupils chose the varieties themselves after visiting a farm on the edge of {town} last autumn.",
        "Police are asking drivers to take extra care on the hill road after a series of minor accidents.",
        "Nobody was seriously hurt, but the junction near the old mill has become known as a difficult spot.",
        "A temporary speed limit will remain in place until the road surface has been repaired.",
        "The annual summer fair returns to the park next month with food stalls, music and a dog show.",
        "Organisers said they were still looking for volunteers to help with parking and litter collection.",
        "{name}, who has run the hardware shop on the high street for {num} years, will retire at the end of the year.",
        "Customers have been leaving cards and flowers at the counter since the news was announced.",
        "The shop will stay open under new owners, who have promised to keep the same friendly service.",
        "Bus services between {town} and the city will run every twenty minutes from the start of next month.",
        "The operator said the change was made possible by a grant that covers the cost of two new drivers.",
        "Some residents of the outlying villages say their routes have been forgotten in the new timetable.",
        "The swimming pool will close for three weeks in the summer so that the changing rooms can be rebuilt.",
        "Members of the rowing club spent the weekend clearing fallen branches from the riverbank.",
        "A spokesperson for the council said that the work would not have been possible without their help.",
        "Plans for a new housing estate on the former factory site will be discussed at a public meeting.",
        "Supporters argue that the town needs more homes for young families who cannot afford to buy.",
        "Opponents are worried about traffic and about whether the local doctors can cope with more patients.",
        "A final decision is not expected until the planning committee has received a report on drainage.",
        "The market square will be closed to traffic on Saturday morning for the farmers market.",
        "The fire service was called to a small blaze at the recycling centre early on {weekday} morning.",
        "Crews had the fire under control within an hour, and the centre reopened the following day.",
        "A new crossing outside the secondary school will be installed during the summer holidays.",
        "Parents have campaigned for the crossing since a pupil was nearly hit by a van two years ago.",
        "The town band will celebrate its hundredth anniversary with a free concert in the market square.",
        "{name}, the band's longest serving member, has played the trumpet with the group for {num} years.",
        "Local businesses have been asked to take part in a survey about parking charges in the town centre.",
        "The results will be published in the autumn and will help the council decide whether to change the fees.",
    ),
    "travel": (
        "The coastal path north of {town} is one of the most rewarding walks in the region, especially in early autumn.",
        "It follows the cliffs for about twelve miles and passes through three small fishing villages.",
        "Each village has a café or a pub where walkers can rest and refill their water bottles.",
        "The trains from the capital run twice an hour and the journey takes a little under three hours.",
        "Booking a seat in advance is usually cheaper, although the fares on weekdays are reasonable even on the day.",
        "We stayed in a family-run guesthouse that was close to the harbour and the old market hall.",
        "{name}, the owner, served breakfast in a bright room with a view across the water to the lighthouse.",
        "The museum in the old customs house tells the story of the port from the medieval period to the present day.",
        "Entry is free on the first {weekday} of each month, but the building can be busy at lunchtime.",
        "If you have a spare afternoon, take the small ferry across the estuary to the sandy beach on the other side.",
        "The crossing takes ten minutes and runs every half hour when the tide is high enough.",
        "Pack a light waterproof jacket, because the weather on the coast can change very quickly.",
        "In the mountains, the best way to get around is the network of regional buses that connect the valleys.",
        "A day ticket covers all the routes and can be bought from the driver with cash or a card.",
        "The old town is small enough to explore on foot, and most of the streets are closed to cars.",
        "Visitors often miss the quiet courtyard behind the cathedral, where a fountain has stood for five hundred years.",
        "Travelling outside the main holiday season means fewer crowds and lower prices for rooms.",
        "However, some attractions open only in the summer, so it is worth checking the dates before you go.",
        "We hired bicycles for two days and rode along the canal towpath between the two largest towns.",
        "The route is almost completely flat, which makes it suitable for families with young children.",
        "Local guides say that the views from the ridge are at their best in the hour before sunset.",
        "Remember to carry a paper map, since the phone signal disappears in the deeper parts of the valley.",
        "The regional cooking is simple and filling, with plenty of potatoes, cheese and smoked fish.",
        "Many travellers now choose to arrive by train rather than fly, even when the journey takes a little longer.",
        "The sleeper service leaves in the evening and arrives shortly after breakfast the next morning.",
        "Our cabin was small but clean, and the staff brought hot drinks and a newspaper before we arrived.",
        "Before leaving, we spent an hour in the botanical garden, which is home to more than {num} hundred species of plants.",
        "It is the kind of place that rewards a slow visit and a willingness to talk to the people who live there.",
        "The hostel near the station offers simple rooms at a fraction of the price of the big hotels.",
        "We arrived late in the evening and were grateful that the kitchen was still serving hot soup.",
        "A short climb from the village leads to a ruined chapel with wide views over the bay.",
        "Tickets for the island ferry sell out quickly in August, so it is wise to reserve a place early.",
        "{name}, who has guided walkers in the area for {num} years, recommends starting before nine to avoid the heat.",
        "The covered market is the best place to try local cheeses, and the traders are happy to offer samples.",
        "Most museums in the city close on Mondays, which is worth remembering when you plan your week.",
        "By the end of the trip, we had walked more than a hundred miles and eaten far too much bread.",
    ),
    "history": (
        "The stone bridge at the centre of {town} was built in the fourteenth century by order of the local abbey.",
        "For hundreds of years it was the only crossing of the river between the hills and the sea.",
        "Merchants paid a small toll to cross, and the money was used to repair the arches after each winter flood.",
        "Records kept by the monks show that the bridge was almost destroyed by a great storm in the autumn of 1571.",
        "The town grew rapidly in the eighteenth century when a canal linked it to the coal fields in the north.",
        "Warehouses were built along the water, and many of them still stand today as shops and apartments.",
        "Historians have long argued about why the town declined so quickly after the railway arrived.",
        "{name}, who has studied the period for {num} years, believes that the answer lies in the price of land.",
        "Farmers who owned the fields near the station sold them for building, while the old centre was neglected.",
        "Letters written by ordinary people are often more revealing than the official reports of the time.",
        "One surviving letter describes the excitement of the first passenger train and the crowds that gathered to watch.",
        "The writer complained that the smoke frightened the horses and covered the washing in black dust.",
        "During the war, the school on the hill was used as a hospital for soldiers returning from the front.",
        "Nurses from the surrounding villages worked long shifts and slept in the classrooms between duties.",
        "A small exhibition in the town museum now tells their story through photographs and diaries.",
        "The museum is run by volunteers and depends on donations from visitors to stay open.",
        "Archaeologists working on the edge of the town found the remains of a Roman road in {year}.",
        "The road appears to have connected a military camp with a harbour that has since silted up.",
        "Coins found in the ditch beside the road suggest that it was used for at least two centuries.",
        "Local legends claim that a tunnel runs from the castle to the church, although nobody has ever found it.",
        "The castle itself was abandoned in the sixteenth century and much of its stone was taken for new houses.",
        "Visitors can still see the outline of the great hall and the base of the round tower.",
        "Old maps show that the marshes to the south were drained by Dutch engineers in the seventeenth century.",
        "Their work created rich farmland, but it also changed the lives of the families who had fished the marsh for generations.",
        "History is not only about kings and battles, but also about how people worked, ate and raised their children.",
        "The parish registers list births, marriages and deaths, and they are now available to read online.",
        "Family historians use them to trace their ancestors back through many generations.",
        "The society meets on the second {weekday} of each month and welcomes anyone with an interest in the past.",
        "The oldest house in the town dates from the fifteenth century and still has its original timber frame.",
        "It was once the home of a wealthy wool merchant whose initials are carved above the door.",
        "In the nineteenth century, the town had three breweries, two tanneries and a busy rope works.",
        "The last of these industries closed in {year}, and the buildings were later turned into workshops.",
        "{name} has collected more than {num} photographs of the high street taken over the past century.",
        "Comparing the images shows how shop fronts, clothing and transport changed from one generation to the next.",
        "The town's first school was founded by a charity that wanted every child to learn to read and write.",
        "Old newspapers held in the county archive are a rich source of stories about everyday life.",
    ),
    "software": (
        "Version {num} of the library introduces a simpler configuration format and removes several old options.",
        "The maintainers say that the change will make it easier for new users to get started.",
        "Before upgrading, check the release notes for any features that your project depends on.",
        "Automated tests are the best protection against bugs that appear when code is changed months later.",
        "A good test describes one behaviour, runs quickly and fails with a message that explains what went wrong.",
        "{name} explained that the team now runs the full test suite on every change before it is merged.",
        "Code review is not only about finding mistakes, but also about sharing knowledge across the team.",
        "Small pull requests are easier to review than large ones, and they are less likely to hide problems.",
        "The new release also improves performance when reading large files from a network drive.",
        "In our benchmark, the time needed to process a file of one gigabyte fell from several minutes to less than one.",
        "Most of the gain comes from reading the data in larger blocks and avoiding unnecessary copies in memory.",
        "Documentation is often the first thing that a new contributor reads, so it deserves the same care as the code.",
        "Examples should be short, complete and easy to copy into a terminal without modification.",
        "When an error occurs, the program should tell the user what happened and what they can do about it.",
        "Logging every step in great detail can slow a program down and make the important messages harder to find.",
        "The project is developed by a small group of volunteers who meet online once a week.",
        "They welcome bug reports, but they ask that each report includes the version number and the steps to reproduce it.",
        "Security updates are released as soon as they are ready and are announced on the mailing list.",
        "Keeping dependencies up to date reduces the risk of known vulnerabilities being used against your system.",
        "However, every upgrade should be tested, because even a minor release can change the behaviour of a function.",
        "The command line tool now prints a short summary at the end of each run, including the number of files processed.",
        "Users who prefer the old behaviour can turn off the summary with a single option.",
        "Writing software that other people rely on is a responsibility that grows with every new user.",
        "The team plans to support the current version for at least two years after the next major release.",
        "Many companies in {town} now hire developers who can work remotely for most of the week.",
        "Pair programming can feel slow at first, but it often leads to cleaner designs and fewer defects.",
        "A database index makes reading faster, but it also adds work every time a row is inserted or updated.",
        "The lesson is that every design decision is a trade-off, and the right choice depends on how the system is used.",
        "The new version can read configuration from environment variables as well as from a file.",
        "This makes it easier to run the same program in different environments without changing the code.",
        "Error messages now include the name of the file and the line number where the problem was found.",
        "A common mistake is to catch every exception and hide the information that would explain a failure.",
        "{name} suggests writing the documentation for a new feature before writing the code itself.",
        "Continuous integration runs the tests on several operating systems to catch problems that appear on only one.",
        "The project has adopted a code of conduct that sets out how contributors should treat each other.",
        "Removing old code is often as valuable as adding new features, because every line has to be maintained.",
    ),
    "gardening": (
        "Early spring is the right time to prepare the vegetable beds before the main sowing season begins.",
        "Remove any weeds by hand and spread a thick layer of compost over the surface of the soil.",
        "Worms will carry the compost down into the ground, so there is no need to dig it in deeply.",
        "{name}, who keeps an allotment on the edge of {town}, sows the first peas under glass in late winter.",
        "Tomatoes need a long warm season and should not be planted outside until the risk of frost has passed.",
        "Water them deeply twice a week rather than a little every day, which encourages strong roots.",
        "A layer of straw around the plants keeps the soil moist and stops the fruit from touching the ground.",
        "Slugs are the most common problem in damp gardens, and they are most active on mild evenings after rain.",
        "Many gardeners now avoid chemical pellets and protect young plants with copper rings or wool pellets instead.",
        "Encouraging frogs, birds and beetles into the garden is the most natural form of pest control.",
        "A small pond, even one made from an old sink, can attract wildlife within a few weeks.",
        "Roses should be pruned when the plants are dormant, cutting each stem just above an outward facing bud.",
        "Always use clean, sharp tools, because ragged cuts can let disease into the plant.",
        "Herbs such as thyme and rosemary prefer poor, well drained soil and plenty of sunshine.",
        "They are ideal for pots on a sunny balcony and need very little watering once they are established.",
        "The community garden in {town} has {num} raised beds that are shared between local families.",
        "Volunteers meet every {weekday} morning to water the beds and to teach beginners how to sow seeds.",
        "Autumn is the season for planting bulbs that will flower in the following spring.",
        "Plant each bulb at a depth of about three times its own height, with the pointed end facing up.",
        "Fallen leaves should not be thrown away, because they can be turned into a rich mulch over the winter.",
        "Pack them into a bag with a few holes, keep them damp and leave them in a shady corner for a year.",
        "Fruit trees are a long-term investment, and it may be several years before they produce a good crop.",
        "Choosing a variety that suits your local climate is more important than choosing the largest fruit.",
        "In dry summers, collecting rainwater from the roof can save a great deal of money and effort.",
        "A single water butt connected to a downpipe can fill after one heavy storm.",
        "Gardening is good for the body and the mind, and many people find that an hour outside improves their mood.",
        "Keep a simple notebook of what you planted and when, so that you can learn from each season.",
        "The most important lesson is to be patient, because plants grow at their own pace and not at ours.",
        "Lettuce and radishes grow quickly and are a good choice for children who want to see results.",
        "Sow a short row every two weeks so that you have a steady supply rather than a glut.",
        "Climbing beans need a strong frame of canes, tied together at the top to resist the wind.",
        "Comfrey leaves can be soaked in water to make a liquid feed that is rich in potassium.",
        "{name} grows more than {num} varieties of potato and swaps seed with gardeners across the region.",
        "Mulching paths with wood chips keeps the weeds down and makes the garden easier to walk on in winter.",
        "Birds will visit a garden all year if they can find water, shelter and a few berries in autumn.",
        "A greenhouse extends the growing season, but it needs good ventilation on sunny days.",
    ),
}

TITLES: dict[str, tuple[str, ...]] = {
    "science": (
        "Glacier above {town} lost more ice than ever last summer",
        "Tiny tags reveal the night journeys of lake fish",
        "What a returning comet can teach amateur astronomers",
        "A cheap microscope that watches cells divide",
        "Forest fungi may help young trees survive drought",
        "Why the spring nights in {town} are getting warmer",
        "Scientists plan to share a decade of weather data",
        "The quiet value of careful observation",
    ),
    "cooking": (
        "A simple loaf for beginners",
        "Vegetable soup that uses up the week's leftovers",
        "Pastry without fear",
        "How to roast vegetables properly",
        "An easy bake for busy evenings",
        "What to buy at the {town} market this month",
        "Cooking with children: a practical guide",
        "Small habits of confident cooks",
    ),
    "news": (
        "{town} library to stay open on Sundays",
        "Work on new footbridge to start in {month}",
        "School pupils plant an orchard",
        "Drivers urged to take care on hill road",
        "Summer fair returns to the park",
        "Hardware shop owner retires after {num} years",
        "More frequent buses between {town} and the city",
        "Public meeting on plans for former factory site",
    ),
    "travel": (
        "Walking the coastal path north of {town}",
        "A slow weekend by the harbour",
        "Getting around the mountain valleys by bus",
        "Two days on the canal towpath",
        "An old town best explored on foot",
        "Why we took the sleeper train",
        "Off-season travel: what to know",
        "A quiet afternoon in the botanical garden",
    ),
    "history": (
        "The bridge that made {town}",
        "How the canal changed the town",
        "Letters from the age of the railway",
        "When the school became a hospital",
        "Roman road found on the edge of {town}",
        "The castle that became a quarry",
        "Draining the marshes",
        "Tracing your family in the parish registers",
    ),
    "software": (
        "What is new in version {num}",
        "Writing tests that explain themselves",
        "Why small pull requests win",
        "Faster reads from network drives",
        "Documentation deserves the same care as code",
        "How to write a useful bug report",
        "Keeping dependencies up to date safely",
        "Every design decision is a trade-off",
    ),
    "gardening": (
        "Preparing vegetable beds in early spring",
        "Growing tomatoes without fuss",
        "Gentle ways to deal with slugs",
        "A pond in an old sink",
        "Pruning roses in winter",
        "Herbs for a sunny balcony",
        "Planting bulbs for next spring",
        "Collecting rainwater for dry summers",
    ),
}

TOWNS = (
    "Millbrook",
    "Elmstead",
    "Westcombe",
    "Fairhaven",
    "Oakridge",
    "Stonebury",
    "Brackenfield",
    "Hollowmere",
)
NAMES = (
    "Maria Lindqvist",
    "Tom Okafor",
    "Priya Raman",
    "Daniel Moreau",
    "Hannah Weiss",
    "Samuel Adeyemi",
    "Grace Donnelly",
    "Lukas Brenner",
    "Aisha Karimi",
    "Peter Halvorsen",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
MONTHS = ("March", "April", "May", "June", "September", "October")

FRENCH = (
    "Le marché du samedi matin est devenu le cœur de la vie du village depuis que la boulangerie a rouvert ses portes.",
    "Les producteurs arrivent avant l'aube pour installer leurs étals sur la place de l'église.",
    "On y trouve des fromages de chèvre, des légumes de saison, du miel et du pain cuit au feu de bois.",
    "Selon la mairie, le nombre de visiteurs a presque doublé en deux ans, surtout pendant les vacances d'été.",
    "Les habitants apprécient de pouvoir acheter des produits locaux sans prendre la voiture.",
    "Certains commerçants regrettent cependant le manque de places de stationnement autour de la place.",
    "Le maire a promis d'étudier la création d'un parking temporaire à l'entrée du village.",
    "Une navette gratuite pourrait aussi relier les hameaux voisins au centre le samedi matin.",
    "Pour les plus jeunes, une association propose chaque semaine un atelier de cuisine avec les produits du marché.",
    "Les enfants apprennent à préparer une soupe de légumes ou une tarte aux pommes, qu'ils emportent ensuite chez eux.",
    "Le succès du marché montre que les petites communes peuvent encore attirer du monde lorsqu'elles misent sur la qualité.",
    "La prochaine grande fête du marché aura lieu au début du mois de juin, avec des musiciens et un concours de confitures.",
)
GERMAN = (
    "Die neue Regionalbahn zwischen den beiden Kreisstädten fährt seit Anfang des Monats im Halbstundentakt.",
    "Für viele Pendler verkürzt sich die Fahrzeit damit um fast zwanzig Minuten pro Strecke.",
    "Die Bahnhöfe entlang der Strecke wurden in den vergangenen zwei Jahren modernisiert und barrierefrei umgebaut.",
    "An jedem Halt gibt es nun überdachte Fahrradstellplätze und digitale Anzeigetafeln mit aktuellen Abfahrtszeiten.",
    "Der Landrat sprach bei der Eröffnung von einem wichtigen Schritt für den ländlichen Raum.",
    "Viele Familien hätten bisher auf ein zweites Auto nicht verzichten können, weil die Busse nur selten fuhren.",
    "Kritik kommt dagegen von einigen Anwohnern, die sich über den Lärm der Züge am späten Abend beschweren.",
    "Die Betreibergesellschaft hat angekündigt, zusätzliche Lärmschutzwände an zwei Abschnitten zu errichten.",
    "Auch die Preise sorgen für Diskussionen, denn eine Monatskarte kostet mehr als ursprünglich geplant.",
    "Schüler und Auszubildende erhalten jedoch einen deutlichen Rabatt, wenn sie einen gültigen Ausweis vorlegen.",
    "In den ersten Wochen waren die Züge vor allem morgens und am Nachmittag gut ausgelastet.",
    "Ob die Verbindung langfristig erfolgreich ist, wird sich nach Angaben des Verkehrsverbunds erst in einigen Jahren zeigen.",
)
SPANISH = (
    "Las fiestas del barrio comenzaron el viernes por la tarde con un desfile de música y bailes tradicionales.",
    "Cientos de vecinos salieron a la calle para ver pasar a las bandas y a los grupos de danza de las escuelas.",
    "Este año la comisión organizadora ha querido recuperar algunas costumbres que se habían perdido con el tiempo.",
    "Entre ellas destaca la gran paella popular, que se cocina en la plaza mayor y se reparte de forma gratuita.",
    "Los cocineros empezaron a preparar el fuego a primera hora de la mañana para que todo estuviera listo al mediodía.",
    "Según los organizadores, se necesitaron más de cien kilos de arroz y varias cajas de verduras de la huerta.",
    "Por la noche, el parque se llenó de familias que disfrutaron de un concierto al aire libre.",
    "El ayuntamiento ha reforzado el servicio de limpieza y ha instalado más contenedores para reciclar.",
    "También se han colocado puntos de agua potable, ya que las temperaturas superan los treinta grados.",
    "Los comerciantes de la zona aseguran que las fiestas son una buena oportunidad para dar a conocer sus productos.",
    "El programa continúa durante todo el fin de semana con actividades para niños, teatro en la calle y un mercado de artesanía.",
    "Las fiestas terminarán el domingo por la noche con un espectáculo de fuegos artificiales junto al río.",
)
FOREIGN: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # kind -> (language, title, sentences)
    KIND_FRENCH: ("fr", "Le marché du samedi fait revivre le village", FRENCH),
    KIND_GERMAN: ("de", "Neue Regionalbahn verkürzt die Fahrzeit für Pendler", GERMAN),
    KIND_SPANISH: ("es", "Las fiestas del barrio llenan las calles de música", SPANISH),
}

FOREIGN_HEADLINES: dict[str, tuple[str, ...]] = {
    "fr": (
        "La piscine municipale rouvre ses portes",
        "Un nouveau festival de musique en juillet",
        "Les travaux du pont commenceront en mai",
        "La bibliothèque prolonge ses horaires",
    ),
    "de": (
        "Das Freibad öffnet wieder",
        "Neues Musikfestival im Juli",
        "Bauarbeiten an der Brücke beginnen im Mai",
        "Die Bibliothek verlängert ihre Öffnungszeiten",
    ),
    "es": (
        "La piscina municipal vuelve a abrir",
        "Un nuevo festival de música en julio",
        "Las obras del puente empezarán en mayo",
        "La biblioteca amplía su horario",
    ),
}

# Site chrome in each language: nav, cookie banner, share, newsletter, footer.
UI: dict[str, dict[str, Any]] = {
    "en": {
        "nav": ("Home", "News", "Local", "Business", "Sport", "Culture", "Opinion", "Contact"),
        "cookie": "We use cookies to improve your experience and to show you relevant content.",
        "accept": "Accept all",
        "manage": "Manage settings",
        "share": "Share this article",
        "newsletter": "Sign up for our free newsletter",
        "subscribe": "Subscribe",
        "most_read": "Most read",
        "latest": "Latest",
        "related": "You may also like",
        "rights": "All rights reserved.",
        "footer": (
            "About us",
            "Contact",
            "Advertise",
            "Careers",
            "Privacy policy",
            "Terms of use",
            "Cookie settings",
        ),
        "by": "By",
        "search": "Search",
    },
    "fr": {
        "nav": ("Accueil", "Actualités", "Région", "Économie", "Sport", "Culture", "Contact"),
        "cookie": "Nous utilisons des cookies pour améliorer votre expérience sur notre site.",
        "accept": "Tout accepter",
        "manage": "Paramètres",
        "share": "Partager cet article",
        "newsletter": "Inscrivez-vous à notre lettre d'information",
        "subscribe": "S'inscrire",
        "most_read": "Les plus lus",
        "latest": "À la une",
        "related": "À lire aussi",
        "rights": "Tous droits réservés.",
        "footer": ("Qui sommes-nous", "Contact", "Mentions légales", "Confidentialité"),
        "by": "Par",
        "search": "Rechercher",
    },
    "de": {
        "nav": ("Startseite", "Nachrichten", "Region", "Wirtschaft", "Sport", "Kultur", "Kontakt"),
        "cookie": "Wir verwenden Cookies, um Ihnen die bestmögliche Nutzung unserer Website zu ermöglichen.",
        "accept": "Alle akzeptieren",
        "manage": "Einstellungen",
        "share": "Artikel teilen",
        "newsletter": "Jetzt den Newsletter abonnieren",
        "subscribe": "Abonnieren",
        "most_read": "Meistgelesen",
        "latest": "Neueste Artikel",
        "related": "Das könnte Sie auch interessieren",
        "rights": "Alle Rechte vorbehalten.",
        "footer": ("Impressum", "Kontakt", "Datenschutz", "AGB"),
        "by": "Von",
        "search": "Suchen",
    },
    "es": {
        "nav": ("Portada", "Noticias", "Local", "Economía", "Deportes", "Cultura", "Contacto"),
        "cookie": "Utilizamos cookies para mejorar su experiencia en nuestro sitio web.",
        "accept": "Aceptar todo",
        "manage": "Configurar",
        "share": "Compartir este artículo",
        "newsletter": "Suscríbase a nuestro boletín",
        "subscribe": "Suscribirse",
        "most_read": "Lo más leído",
        "latest": "Últimas noticias",
        "related": "También le puede interesar",
        "rights": "Todos los derechos reservados.",
        "footer": ("Quiénes somos", "Contacto", "Aviso legal", "Privacidad"),
        "by": "Por",
        "search": "Buscar",
    },
}


@dataclass(frozen=True)
class Site:
    name: str
    host: str
    layout: str  # news | blog | recipe | docs
    lang: str = "en"


SITES: dict[str, tuple[Site, ...]] = {
    "science": (Site("The Example Science Journal", "www.example-science.org", "news"),),
    "cooking": (Site("Example Kitchen", "www.example-recipes.net", "recipe"),),
    "news": (
        Site("The Example Gazette", "www.example-news.com", "news"),
        Site("Millbrook Herald", "herald.example-town.org", "news"),
    ),
    "travel": (Site("Example Travels", "www.example-travels.com", "blog"),),
    "history": (Site("Example Local History Society", "www.example-history.org", "blog"),),
    "software": (Site("Example Dev Notes", "blog.example-dev.io", "docs"),),
    "gardening": (Site("Example Garden Club", "www.example-garden.org", "blog"),),
}
SYNDICATION_SITE = Site("Example Regional Wire", "www.example-gazette.co.uk", "news")
# Copies use the layout family of the page they copy, so the article text extracts the same way
# (trafilatura keeps an <h1> inside a news <article> but not a blog entry header); the chrome differs.
AGGREGATOR_SITE = Site("Example Daily Digest", "www.example-aggregator.net", "blog")
BLOCKED_SITE = Site("Demo Blocked Times", "www.blocked-demo-domain.com", "news")
FOREIGN_SITES = {
    "fr": Site("Le Journal Exemple", "www.exemple-journal.fr", "news", "fr"),
    "de": Site("Beispiel Zeitung", "www.beispiel-zeitung.de", "news", "de"),
    "es": Site("Noticias de Ejemplo", "www.ejemplo-noticias.es", "news", "es"),
}


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


# --------------------------------------------------------------------------------------------------
# The fixed set and the stream of pages


def _fixed_pages(seed: int) -> list[PageSpec]:
    """Every planted case once (or as a pair), mixed in among the normal articles."""
    specs = [_article_page(seed, j) for j in range(N_FIXED_ARTICLES)]
    specs += [_boilerplate_heavy_page(seed, 900), _boilerplate_heavy_page(seed, 901)]
    specs += _non_html_pages(seed, 910)
    specs += [_http_404_page(seed, 920), _http_301_page(921)]
    specs += [_foreign_page(seed, kind, 930 + i) for i, kind in enumerate(FOREIGN)]
    near = _duplicate_pair(seed, 940, near=True)
    exact = _duplicate_pair(seed, 942, near=False)
    specs += [near[0], exact[0]]
    specs += _pii_pages(seed, 950)
    blocked_article = _topic_article(_rng(seed, "blocked"), "news", 3, 11)
    url = f"http://{BLOCKED_SITE.host}/news/2024/02/{_slug(blocked_article.title)}.html"
    specs.append(
        _html_spec(
            url,
            KIND_BLOCKED_DOMAIN,
            render_article(BLOCKED_SITE, blocked_article, url, _rng(seed, "blocked-page")),
            blocked_article.title,
        )
    )
    banned = _custom_page(
        seed,
        961,
        KIND_BANNED_URL_WORDS,
        SITES["news"][0],
        "Card night at the town hall",
        _bank_paragraphs(seed, "banned", "news", 11),
        url="http://www.example-news.com/free-casino-poker-bonus.html",
    )
    specs += [banned, _lorem_page(seed, 962), _javascript_page(seed, 963)]
    specs.append(
        _list_page(seed, 964, KIND_SHORT_LINES, "What's on at the community centre", list(SHORT_LINES))
    )
    specs.append(
        _list_page(seed, 965, KIND_REPEATED_LINES, "Guest book", _repeated_lines(seed, 965), bullets=True)
    )
    specs += [_too_few_words_page(seed, 966), _symbols_page(seed, 967), _empty_body_page(968)]
    specs += _charset_pages(seed, 970)
    specs += [_oversized_page(seed, 980), _truncated_page(seed, 981)]
    _rng(seed, "order").shuffle(specs)
    # The second page of each pair comes after the first, as a later crawl would find it.
    return [*specs, near[1], exact[1]]


DEFAULT_PAGES = 81  # == len(_fixed_pages(seed)) for every seed (tests check it)

# Benchmark pages beyond the fixed set: (kind, weight). Oversized/truncated stay out (size), and
# duplicates are planted as pairs with the copy some pages later.
EXTRA_MIX: tuple[tuple[str, int], ...] = (
    (KIND_ARTICLE, 700),
    (KIND_BOILERPLATE_HEAVY, 60),
    (KIND_NEAR_DUPLICATE, 30),
    (KIND_EXACT_DUPLICATE, 30),
    (KIND_FRENCH, 12),
    (KIND_GERMAN, 12),
    (KIND_SPANISH, 12),
    (KIND_NON_HTML, 30),
    (KIND_HTTP_404, 20),
    (KIND_HTTP_301, 20),
    (KIND_SHORT_LINES, 12),
    (KIND_REPEATED_LINES, 12),
    (KIND_TOO_FEW_WORDS, 12),
    (KIND_SYMBOLS, 8),
    (KIND_LOREM_IPSUM, 4),
    (KIND_JAVASCRIPT, 4),
    (KIND_EMPTY_BODY, 8),
    (KIND_PII, 10),
    (KIND_BLOCKED_DOMAIN, 4),
)


def _extra_page(seed: int, page_id: int, kind: str) -> PageSpec:
    """One varied benchmark page of `kind` (duplicates are handled by the caller)."""
    rng = _rng(seed, "extra", page_id)
    if kind in FOREIGN:
        return _foreign_page(seed, kind, page_id, rng.randint(7, 12))
    if kind == KIND_BOILERPLATE_HEAVY:
        return _boilerplate_heavy_page(seed, page_id)
    if kind == KIND_NON_HTML:
        return rng.choice(_non_html_pages(seed, page_id))
    if kind == KIND_HTTP_404:
        return _http_404_page(seed, page_id)
    if kind == KIND_HTTP_301:
        return _http_301_page(page_id)
    if kind == KIND_SHORT_LINES:
        lines = rng.sample(SHORT_LINES, 24)
        return _list_page(seed, page_id, kind, "What's on at the community centre", lines)
    if kind == KIND_REPEATED_LINES:
        return _list_page(seed, page_id, kind, "Guest book", _repeated_lines(seed, page_id), bullets=True)
    if kind == KIND_TOO_FEW_WORDS:
        return _too_few_words_page(seed, page_id)
    if kind == KIND_SYMBOLS:
        return _symbols_page(seed, page_id)
    if kind == KIND_LOREM_IPSUM:
        return _lorem_page(seed, page_id)
    if kind == KIND_JAVASCRIPT:
        return _javascript_page(seed, page_id)
    if kind == KIND_EMPTY_BODY:
        return _empty_body_page(page_id)
    if kind == KIND_PII:
        return rng.choice(_pii_pages(seed, page_id, vary=True))
    if kind == KIND_BLOCKED_DOMAIN:
        article = _mixed_article(rng, "news")
        url = f"http://{BLOCKED_SITE.host}/news/{_slug(article.title)}-{page_id}.html"
        return _html_spec(url, kind, render_article(BLOCKED_SITE, article, url, rng), article.title)
    return _article_page(seed, page_id, mixed=True)


def _extra_pages(seed: int, start: int, count: int) -> Iterator[PageSpec]:
    """`count` benchmark pages, one at a time; duplicate copies wait in a small queue."""
    kinds = [k for k, _ in EXTRA_MIX]
    weights = [w for _, w in EXTRA_MIX]
    pending: list[tuple[int, int, PageSpec]] = []  # (due position, tie-breaker, copy)
    for position in range(count):
        left = count - position
        if pending and (pending[0][0] <= position or len(pending) >= left):
            yield heapq.heappop(pending)[2]
            continue
        page_id = 10_000 + start + position
        rng = _rng(seed, "extra-kind", page_id)
        kind = rng.choices(kinds, weights)[0]
        if kind in (KIND_NEAR_DUPLICATE, KIND_EXACT_DUPLICATE):
            delay = rng.randint(1, 200)
            if len(pending) + 1 < left - 1 and position + delay < count:
                pair_id = 1_000_000 + 2 * page_id  # its own id range: the copy's URL uses pair_id + 1
                first, second = _duplicate_pair(seed, pair_id, near=kind == KIND_NEAR_DUPLICATE)
                heapq.heappush(pending, (position + delay, page_id, second))
                yield first
                continue
            kind = KIND_ARTICLE
        yield _extra_page(seed, page_id, kind)


def sample_pages(pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED) -> Iterator[PageSpec]:
    """The page specs of the sample, in WARC order, with `index` and `warc_date` set.

    The first DEFAULT_PAGES are the fixed set (every kind in KINDS); more pages add varied benchmark
    pages generated lazily. Look pages up by `kind`; pairs share `group`.
    """
    if pages < DEFAULT_PAGES:
        raise ValueError(f"pages must be at least {DEFAULT_PAGES} (the fixed set of planted cases)")
    fixed = _fixed_pages(seed)
    assert len(fixed) == DEFAULT_PAGES, "update DEFAULT_PAGES with the fixed set"
    stream = _extra_pages(seed, len(fixed), pages - len(fixed))
    for index, spec in enumerate(itertools.chain(fixed, stream)):
        date = CRAWL_START + timedelta(seconds=SECONDS_BETWEEN_FETCHES * index)
        yield replace(spec, index=index, warc_date=date.strftime("%Y-%m-%dT%H:%M:%SZ"))


# --------------------------------------------------------------------------------------------------
# WARC writing


def payload_digest(body: bytes) -> str:
    """WARC-Payload-Digest as Common Crawl writes it: sha1, base32."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _record_id(seed: int, index: int, record_type: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(_NAMESPACE, f'{seed}:{index}:{record_type}')}>"


def _ip_for(host: str) -> str:
    """A fixed documentation-range address per host (RFC 5737), standing in for the server's IP."""
    digest = hashlib.sha1(host.encode()).digest()
    prefix = ("192.0.2", "198.51.100", "203.0.113")[digest[0] % 3]
    return f"{prefix}.{1 + digest[1] % 254}"


def _host_and_path(url: str) -> tuple[str, str]:
    rest = url.split("://", 1)[1]
    host, _, path = rest.partition("/")
    return host, "/" + path


def _http_date(warc_date: str) -> str:
    when = datetime.strptime(warc_date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return format_datetime(when, usegmt=True)


def _response_headers(spec: PageSpec) -> list[tuple[str, str]]:
    server = "nginx" if spec.index % 3 else "Apache/2.4.57 (Debian)"
    headers = [
        ("Date", _http_date(spec.warc_date)),
        ("Server", server),
        ("Content-Type", spec.content_type),
        ("Content-Length", str(spec.declared_length or len(spec.body))),
    ]
    headers += list(spec.extra_headers)
    headers += [("Cache-Control", "max-age=600"), ("Vary", "Accept-Encoding"), ("Connection", "close")]
    return headers


def _metadata_fields(spec: PageSpec) -> bytes:
    fields = [f"fetchTimeMs: {40 + (spec.index * 37) % 400}"]
    if spec.identified_type == "text/html":
        charset = "UTF-8" if "utf-8" in spec.content_type else "windows-1252"
        fields.append(f"charset-detected: {charset}")
    if spec.language:
        cld = {"reliable": True, "languages": [{"code": spec.language, "text-covered": 0.98}]}
        fields.append("languages-cld2: " + json.dumps(cld, sort_keys=True))
    return ("\r\n".join(fields) + "\r\n").encode("utf-8")


def _warcinfo_record(writer: WARCWriter, filename: str, seed: int, pages: int) -> Any:
    info = (
        "isPartOf: curate-sample\r\n"
        "publisher: curate (synthetic sample written by pipeline/sample.py; no page was fetched)\r\n"
        f"description: deterministic sample WARC, seed {seed}, {pages} fetches\r\n"
        "software: curate pipeline.sample\r\n"
        "format: WARC File Format 1.0\r\n"
    ).encode()
    headers = {
        "WARC-Type": "warcinfo",
        "WARC-Date": CRAWL_START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "WARC-Record-ID": _record_id(seed, -1, "warcinfo"),
        "Content-Length": "0",  # placeholder keeps Common Crawl's header order; warcio sets it
        "Content-Type": "application/warc-fields",
        "WARC-Filename": filename,
    }
    return writer.create_warc_record(
        "", "warcinfo", payload=io.BytesIO(info), length=len(info), warc_headers_dict=headers
    )


def _fetch_records(writer: WARCWriter, spec: PageSpec, seed: int, warcinfo_id: str) -> list[Any]:
    """request, response and metadata records for one fetch, linked as Common Crawl links them."""
    host, path = _host_and_path(spec.url)
    ip = _ip_for(host)
    ids = {t: _record_id(seed, spec.index, t) for t in ("request", "response", "metadata")}

    def warc_headers(record_type: str, content_type: str, **more: str) -> dict[str, str]:
        headers = {
            "WARC-Type": record_type,
            "WARC-Date": spec.warc_date,
            "WARC-Record-ID": ids[record_type],
            "Content-Length": "0",
            "Content-Type": content_type,
            "WARC-Warcinfo-ID": warcinfo_id,
        }
        headers.update(more)
        headers["WARC-Target-URI"] = spec.url
        return headers

    request_http = StatusAndHeaders(
        f"GET {path} HTTP/1.1",
        [
            ("User-Agent", "curate-sample-bot/1.0 (synthetic sample)"),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Encoding", "br,gzip"),
            ("Host", host),
        ],
        is_http_request=True,
    )
    request = writer.create_warc_record(
        spec.url,
        "request",
        http_headers=request_http,
        warc_headers_dict=warc_headers(
            "request", "application/http; msgtype=request", **{"WARC-IP-Address": ip}
        ),
    )

    response_extra = {"WARC-Concurrent-To": ids["request"], "WARC-IP-Address": ip}
    response_headers = warc_headers("response", "application/http; msgtype=response", **response_extra)
    response_headers["WARC-Payload-Digest"] = payload_digest(spec.body)
    if spec.declared_length is not None:
        response_headers["WARC-Truncated"] = "length"
    response_headers["WARC-Identified-Payload-Type"] = spec.identified_type
    response = writer.create_warc_record(
        spec.url,
        "response",
        payload=io.BytesIO(spec.body),
        length=len(spec.body),
        http_headers=StatusAndHeaders(
            f"{spec.status} {spec.reason}", _response_headers(spec), protocol="HTTP/1.1"
        ),
        warc_headers_dict=response_headers,
    )

    fields = _metadata_fields(spec)
    metadata = writer.create_warc_record(
        spec.url,
        "metadata",
        payload=io.BytesIO(fields),
        length=len(fields),
        warc_headers_dict=warc_headers(
            "metadata", "application/warc-fields", **{"WARC-Concurrent-To": ids["response"]}
        ),
    )
    return [request, response, metadata]


def write_sample_warc(
    path: str | os.PathLike[str], pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED
) -> dict[str, Any]:
    """Write the sample WARC to `path` (atomically) and return counts of what it holds."""
    if pages < DEFAULT_PAGES:
        raise ValueError(f"pages must be at least {DEFAULT_PAGES} (the fixed set of planted cases)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    records: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    try:
        with open(tmp, "wb") as fh:
            _write(fh, path.name, pages, seed, records, kinds)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return {
        "path": str(path),
        "pages": pages,
        "seed": seed,
        "bytes": path.stat().st_size,
        "records": dict(sorted(records.items())),
        "responses_by_kind": dict(sorted(kinds.items())),
    }


def _write(
    fh: BinaryIO, filename: str, pages: int, seed: int, records: Counter[str], kinds: Counter[str]
) -> None:
    # warcio gzips each record as its own member (zlib gzip wrapper: mtime 0, so reruns are identical).
    writer = WARCWriter(fh, gzip=True, warc_version="1.0")
    info = _warcinfo_record(writer, filename, seed, pages)
    writer.write_record(info)
    records["warcinfo"] += 1
    warcinfo_id = info.rec_headers.get_header("WARC-Record-ID")
    for spec in sample_pages(pages, seed):
        for record in _fetch_records(writer, spec, seed, warcinfo_id):
            writer.write_record(record)
            records[record.rec_type] += 1
        kinds[spec.kind] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.sample", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--output", default=DEFAULT_OUTPUT, help=f"WARC file to write (default {DEFAULT_OUTPUT})"
    )
    parser.add_argument(
        "--pages", type=int, default=DEFAULT_PAGES, help=f"fetches to write (>= {DEFAULT_PAGES})"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of all generated text")
    args = parser.parse_args(argv)
    if args.pages < DEFAULT_PAGES:
        parser.error(f"--pages must be at least {DEFAULT_PAGES} (the fixed set of planted cases)")
    counts = write_sample_warc(args.output, pages=args.pages, seed=args.seed)
    json.dump(counts, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
