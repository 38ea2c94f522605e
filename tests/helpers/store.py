"""Moving files to and from the S3-compatible test server, and reading tables back."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyarrow.parquet as pq


def download(store, prefix: str, dest: Path) -> Path:
    """Copy every object under s3://bucket/prefix/ into dest (to check it with the local helpers)."""
    from pyarrow import fs

    base = f"{store.bucket}/{prefix}"
    for info in store.fs.get_file_info(fs.FileSelector(base, recursive=True)):
        if info.type == fs.FileType.File:
            target = dest / info.path[len(base) + 1 :]
            target.parent.mkdir(parents=True, exist_ok=True)
            with store.fs.open_input_stream(info.path) as source:
                target.write_bytes(source.read())
    return dest


def table_rows(directory: Path, drop: tuple[str, ...] = ()) -> list[dict]:
    rows = [
        row for part in sorted(directory.glob("part-*.parquet")) for row in pq.read_table(part).to_pylist()
    ]
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in rows), key=lambda r: r["id"])


def upload_listing(store, tmp_path: Path, warcs: list[Path], key: str) -> str:
    """Upload the WARCs beside a gzipped warc.paths listing that names them from the bucket root, as
    CommonCrawl's do (no --paths-prefix needed: the listing's folder is shared with its entries)."""
    folder = key.rsplit("/", 1)[0]
    entries = []
    for warc in warcs:
        store.upload(warc, f"{folder}/segments/{warc.name}")
        entries.append(f"{folder}/segments/{warc.name}")
    listing = tmp_path / "warc.paths.gz"
    listing.write_bytes(gzip.compress(("\n".join(entries) + "\n").encode()))
    return store.upload(listing, key)
