"""Read a fastText `.bin`/`.ftz` file's header and label list without loading its matrices.

Used to check a model before any work: whether the file is a fastText model at all, whether it is a
supervised one, which labels it has, and (for a plain, not quantized, model) whether its size is the
one the header announces, so a truncated or damaged download is caught here with a message naming
the file, rather than by fastText's loader (which may try to allocate what a garbled header says)
or by a worker in the middle of a run. A multi-GB model's header and dictionary are read in seconds
through `mmap`, without reading the matrices.

Layout (fastText 0.9's `FastText::saveModel`, file-format version 12; 11 is read the same way):
  int32 magic 793712314, int32 version;
  args: 12 int32 (dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn, maxn,
        lrUpdateRate) and a float64 (t);
  dictionary: int32 size, int32 nwords, int32 nlabels, int64 ntokens, int64 pruneidx_size, then
        `size` entries (NUL-terminated word, int64 count, int8 type: 0 word, 1 label), then
        pruneidx_size pairs of int32;
  bool quant_input, input matrix, bool qout, output matrix; a plain matrix is int64 rows, int64
        cols and rows*cols float32.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = 793712314
VERSIONS = (11, 12)
MODEL_SUPERVISED = 3  # fastText's model_name enum: cbow 1, skipgram 2, supervised 3
_ARGS = struct.Struct("<12id")
_DICT = struct.Struct("<iiiqq")
_ENTRY_TAIL = struct.Struct("<qb")
_MATRIX = struct.Struct("<qq")


class NotAFastTextModel(ValueError):
    pass


@dataclass(frozen=True)
class ModelHeader:
    version: int
    dim: int
    word_ngrams: int
    model_kind: int
    bucket: int
    nwords: int
    labels: tuple[str, ...]
    quantized: bool
    size_checked: bool  # the file's size matched the matrices the header announces

    @property
    def supervised(self) -> bool:
        return self.model_kind == MODEL_SUPERVISED


def read_header(path: str | Path) -> ModelHeader:
    """The header and labels of the fastText model at `path`; NotAFastTextModel when it is not one."""
    with open(path, "rb") as handle:
        size = Path(path).stat().st_size
        if size < 8 + _ARGS.size + _DICT.size:
            raise NotAFastTextModel(f"{size} bytes, too short for a fastText header")
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            return _parse(data, size)


def _parse(data: mmap.mmap, size: int) -> ModelHeader:
    magic, version = struct.unpack_from("<ii", data, 0)
    if magic != MAGIC:
        raise NotAFastTextModel("it does not start with fastText's magic number")
    if version not in VERSIONS:
        raise NotAFastTextModel(f"fastText file-format version {version}; this reader knows {VERSIONS}")
    args = _ARGS.unpack_from(data, 8)
    dim, word_ngrams, model_kind, bucket = args[0], args[5], args[7], args[8]
    pos = 8 + _ARGS.size
    n_entries, nwords, nlabels, _ntokens, prune_size = _DICT.unpack_from(data, pos)
    pos += _DICT.size
    if not (nwords >= 0 and nlabels >= 0 and n_entries == nwords + nlabels and 0 < dim <= 100_000):
        raise NotAFastTextModel(
            f"inconsistent header (dim {dim}, {n_entries} entries = {nwords} words + {nlabels} labels?)"
        )
    labels: list[str] = []
    for _ in range(n_entries):
        end = data.find(b"\0", pos)
        if end < 0 or end + 1 + _ENTRY_TAIL.size > size:
            raise NotAFastTextModel("the dictionary is cut short (truncated file)")
        _count, kind = _ENTRY_TAIL.unpack_from(data, end + 1)
        if kind == 1:
            try:
                labels.append(data[pos:end].decode("utf-8"))
            except UnicodeDecodeError:
                raise NotAFastTextModel("a label is not valid UTF-8 (damaged dictionary)") from None
        elif kind != 0:
            raise NotAFastTextModel(f"dictionary entry of unknown type {kind} (damaged dictionary)")
        pos = end + 1 + _ENTRY_TAIL.size
    if len(labels) != nlabels:
        raise NotAFastTextModel(f"the header announces {nlabels} labels, the dictionary holds {len(labels)}")
    pos += 8 * max(prune_size, 0)
    if pos + 1 > size:
        raise NotAFastTextModel("the file ends after the dictionary (truncated)")
    quantized = data[pos] != 0
    size_checked = False
    if not quantized:
        pos = _skip_matrix(data, pos + 1, size, "input")
        if pos + 1 > size:
            raise NotAFastTextModel("the file ends after the input matrix (truncated)")
        if data[pos] == 0:  # a plain output matrix too: the whole size is known
            pos = _skip_matrix(data, pos + 1, size, "output")
            if pos != size:
                raise NotAFastTextModel(f"{size - pos} unexpected bytes after the output matrix")
            size_checked = True
    return ModelHeader(
        version=version,
        dim=dim,
        word_ngrams=word_ngrams,
        model_kind=model_kind,
        bucket=bucket,
        nwords=nwords,
        labels=tuple(labels),
        quantized=quantized,
        size_checked=size_checked,
    )


def _skip_matrix(data: mmap.mmap, pos: int, size: int, name: str) -> int:
    if pos + _MATRIX.size > size:
        raise NotAFastTextModel(f"the file ends inside the {name} matrix header (truncated)")
    rows, cols = _MATRIX.unpack_from(data, pos)
    end = pos + _MATRIX.size + 4 * rows * cols
    if rows < 0 or cols < 0 or end > size:
        raise NotAFastTextModel(
            f"the {name} matrix ({rows} x {cols} floats) does not fit in the file (truncated or damaged)"
        )
    return end
