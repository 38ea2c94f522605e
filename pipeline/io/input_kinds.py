"""Which kind of CommonCrawl file each input is (WARC, WET, WAT), and the input sets refused for it.

CommonCrawl publishes every crawl file three times: `X.warc.gz` (the HTTP responses: pages),
`X.warc.wet.gz` (the text CommonCrawl extracted from them) and `X.warc.wat.gz` (metadata: headers and
links, as JSON). A folder holding a crawl's downloads often has all three, and reading it whole would
read the same pages twice (from the WARC and from the WET) plus a WAT that holds no page at all.
So, before any work, by file name:
- a WAT file is refused, with why (by content too: `pipeline.io.warc` refuses a file whose first
  record is a JSON `metadata` record, whatever its name);
- a WARC and a WET of the same crawl file (same name stem) in one input set are refused;
- `--input-type warc` or `wet` chooses: only inputs of that kind are read, the others are left out
  (and said so).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Protocol, TypeVar

from pipeline.io.inputs import InputError

INPUT_TYPES = ("auto", "warc", "wet")

WAT_EXPLANATION = (
    "a WAT file: CommonCrawl's metadata (HTTP headers and links as JSON), with no page text to "
    "curate; give the WARC files (.warc.gz: the pages) or the WET files (.warc.wet.gz: their "
    "extracted text) of the same crawl instead"
)


class _Input(Protocol):
    @property
    def path(self) -> str: ...


Input = TypeVar("Input", bound=_Input)


def kind_of(path: str) -> str:
    """`warc`, `wet`, `wat`, `parquet`, or `other`, from the file name."""
    name = path.rstrip("/").rsplit("/", 1)[-1].lower().removesuffix(".gz")
    if name.endswith(".wat"):
        return "wat"
    if name.endswith(".wet"):
        return "wet"
    if name.endswith(".warc"):
        return "warc"
    if name.endswith(".parquet"):
        return "parquet"
    return "other"


def crawl_stem(path: str) -> str:
    """The crawl file a WARC/WET/WAT belongs to: `X` for `X.warc.gz`, `X.warc.wet.gz`, `X.warc.wat`."""
    name = path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".gz")
    for suffix in (".wet", ".wat", ".warc"):
        name = name.removesuffix(suffix)
    return name


def _listed(paths: list[str], limit: int = 3) -> str:
    more = f" (and {len(paths) - limit} more)" if len(paths) > limit else ""
    return ", ".join(paths[:limit]) + more


def select_input_kinds(inputs: Iterable[Input], input_type: str = "auto") -> tuple[list[Input], str]:
    """The inputs to read, and a note on what `--input-type` left out ("" when nothing).

    Raises InputError (before any work) for a WAT file, or a WARC and a WET of one crawl file, in an
    `auto` input set, and when `--input-type` leaves no input."""
    if input_type not in INPUT_TYPES:
        raise InputError(f"--input-type must be one of {', '.join(INPUT_TYPES)}, got {input_type!r}")
    inputs = list(inputs)
    kinds = [kind_of(f.path) for f in inputs]
    if input_type != "auto":
        kept = [f for f, kind in zip(inputs, kinds) if kind == input_type]
        left_out = Counter(kind for kind in kinds if kind != input_type)
        if not kept:
            raise InputError(
                f"--input-type {input_type}: none of the {len(inputs)} input file(s) is a "
                f"{input_type.upper()} file (by name: .{input_type} or .{input_type}.gz)"
            )
        note = ", ".join(f"{n} {kind.upper()}" for kind, n in sorted(left_out.items()))
        return kept, f"--input-type {input_type}: left out {note} file(s)" if note else ""
    wat = [f.path for f, kind in zip(inputs, kinds) if kind == "wat"]
    if wat:
        raise InputError(
            f"{_listed(wat)}: {WAT_EXPLANATION}. To read only the WARC or WET files of a folder that "
            "holds all three, pass --input-type warc or --input-type wet"
        )
    by_stem: dict[str, dict[str, str]] = {}
    for f, kind in zip(inputs, kinds):
        if kind in ("warc", "wet"):
            by_stem.setdefault(crawl_stem(f.path), {})[kind] = f.path
    pairs = [f"{p['warc']} and {p['wet']}" for p in by_stem.values() if len(p) == 2]
    if pairs:
        raise InputError(
            f"the inputs hold the WARC and the WET file of the same crawl file ({_listed(pairs, 2)}): "
            "the same pages would be read twice. Choose one kind: --input-type warc (the pages; "
            "extracted here with trafilatura, as FineWeb did) or --input-type wet (CommonCrawl's own "
            "extracted text)"
        )
    return inputs, ""
