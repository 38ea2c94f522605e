"""Small WARC files built inside tests, for the cases real samples do not cover (bad input)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter


@dataclass
class Page:
    url: str
    body: bytes
    status: str = "200 OK"
    content_type: str | None = "text/html; charset=utf-8"
    record_type: str = "response"  # or "conversion" for WET text, "metadata" (WAT: application/json)
    warc_content_type: str = "text/plain"  # the WARC Content-Type of a record other than a response
    extra_headers: tuple[tuple[str, str], ...] = ()  # more HTTP headers, e.g. Content-Encoding
    date: str = "2024-05-18T01:02:03Z"  # WARC-Date (the fetch time)


def write_warc(path: Path, pages: list[Page], gzip: bool = True) -> Path:
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=gzip)
    for i, page in enumerate(pages):
        record_id = f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, page.url + str(i))}>"
        warc_headers = {"WARC-Record-ID": record_id, "WARC-Date": page.date}
        if page.record_type == "response":
            headers = [("Content-Type", page.content_type)] if page.content_type else []
            headers += list(page.extra_headers)
            http = StatusAndHeaders(page.status, headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                page.url,
                "response",
                payload=io.BytesIO(page.body),
                http_headers=http,
                warc_headers_dict=warc_headers,
            )
        else:
            record = writer.create_warc_record(
                page.url,
                page.record_type,
                payload=io.BytesIO(page.body),
                warc_content_type=page.warc_content_type,
                warc_headers_dict=warc_headers,
            )
        writer.write_record(record)
    path.write_bytes(buffer.getvalue())
    return path


ARTICLE = (
    "<html><head><title>River Walk</title></head><body><nav>Home | News | About</nav><article>"
    "<h1>A walk along the river</h1>"
    "<p>The old towpath that follows the river has been restored by volunteers over the last two years, "
    "and it is now open to walkers and cyclists from the mill to the harbour.</p>"
    "<p>People who live in the town say that the path has changed the way they spend their weekends, "
    "with families walking to the market and children learning to ride their bikes away from the traffic.</p>"
    "<p>The council has promised to maintain the path and to add benches and signs that explain the history "
    "of the mills that once lined the banks of the river.</p>"
    "</article><footer>Copyright 2024 Town News</footer></body></html>"
)


def article(n: int) -> bytes:
    """A distinct extractable English article (trafilatura dedups repeated text within a file)."""
    return (
        ARTICLE.replace("A walk along the river", f"A walk along the river, part {n}")
        .replace("two years", f"{n + 2} years")
        .encode()
    )
