"""MinHash signatures and LSH band keys for near-duplicate detection, vectorised with numpy.

A document's shingles are the word n-grams of its normalised text (`filters.ngrams`). Each shingle is
hashed to an integer h, each of `num_perm` random permutations maps h to (a*h + b) in its scheme's
arithmetic, and the signature keeps the minimum per permutation. Two signatures agree in a position
with probability equal to the Jaccard similarity of the shingle sets.

Modes (the `hash` argument), all deterministic (fixed seeds, no Python `hash()`):

| mode | shingle hash | permutation | dtype | equal to |
|---|---|---|---|---|
| `sha1_32` (default) | first 4 bytes of sha1, little-endian | affine32: fmix32(h), then a*h+b mod 2^32, a odd | uint32 | `datasketch.MinHash(num_perm, seed)` (2.x default scheme) |
| `sha1_32_legacy` | same | ((a*h+b) mod 2^64) mod (2^61-1), low 32 bits | uint32 | `datasketch.MinHash(..., scheme="legacy")`, the only scheme of datasketch < 2.0 |
| `sha1_64` | first 8 bytes of sha1, little-endian | ((a*h+b) mod 2^64) mod (2^61-1) | uint64 | datatrove's `MinhashDedupSignature` with `HashConfig(64, "sha1")`: FineWeb's setting |
| `xxh64` | xxh64 (seed 0) of the n-gram | as `sha1_64` | uint64 | datatrove with its default `HashConfig()` (64-bit xxhash) |
| `fast64` | `ngrams.ngram_hashes` (per-word xxh64, chained) | affine64: fmix64(h), then a*h+b mod 2^64, a odd | uint64 | `datasketch.MinHash(..., scheme="affine64", hashfunc=<those hashes>)`; fastest in numpy |
| `rensa` | `shingle_bytes.ngram_hashes_flat` (a batch's normalised bytes hashed in numpy) | rensa's RMinHash (Rust, its own permutations from the seed) | uint32 | rensa 0.5.0 (RMinHash algorithm 2); >10x datasketch per core; needs `pip install rensa` |

Facts taken from the sources (datasketch 2.0.0 `minhash.py`/`hashfunc.py`; datatrove 0.10.1
`pipeline/dedup/minhash.py`, `utils/hashing.py`):
- datasketch draws its permutations from `np.random.RandomState(seed)`: legacy scheme, per
  permutation `a = randint(1, 2^61-1)` then `b = randint(0, 2^61-1)` (interleaved scalar draws,
  uint64); affine schemes `a = 2*randint(0, 2^(w-1), num_perm) + 1`, then `b = randint(0, 2^w,
  num_perm)`, in the width's dtype, and the input hash is pre-mixed with MurmurHash3's finaliser.
  An empty MinHash holds the dtype's maximum (2^32-1 for legacy and affine32).
- datatrove draws `a = randint(1, 2^61-1, size=num_perm)` then `b = randint(0, 2^61-1,
  size=num_perm)` (all a's first, so its parameters differ from datasketch's legacy ones for the
  same seed), and keeps (a*h+b) mod (2^61-1) without truncation in 64-bit precision.
- Both compute a*h+b in numpy uint64 arithmetic, which wraps modulo 2^64 BEFORE the "mod 2^61-1",
  so the result is not the textbook universal hash. Reproducing that wraparound exactly is what
  makes the values equal; numpy uint64 array arithmetic wraps the same way here. The mod by the
  Mersenne prime p = 2^61-1 uses x mod p = (x & p) + (x >> 61), then one conditional subtraction,
  exactly equal to numpy's `%` and ~4x faster.

Speed: shingle hashes of many documents are concatenated and permuted in blocks of `_BLOCK_ROWS`
as one [num_perm x rows] array, and per-document minima come from `np.minimum.reduceat` along the
rows, so there is no Python loop per shingle nor per (document, permutation). What remains per
shingle in Python is the hash call: one sha1 (~0.3-0.5 us with its call overhead) is most of the
time of the sha1 modes, as it is of datasketch's; `fast64` hashes each word once instead. Measured
(bench/bench_minhash.py, one core, ~2,300 pages, from text): sha1_32 1.9x datasketch's
`MinHash.bulk`, sha1_64 1.3x, xxh64 2.1x, fast64 4.0x, rensa 10.8x: there neither a Python object
per word nor per shingle is made, and the 112 permutations run in Rust.

Empty documents (no words after normalisation) get the empty signature: every value the dtype's
maximum, as an un-updated datasketch MinHash. All empty documents share it, so all their band keys
are equal: callers MUST drop rows where `is_empty(signatures)` is true before bucketing (the
reference writes no signature for them at all). `jaccard_estimate` returns 0 for an empty signature.
Memory: num_perm x 4 bytes per signature in the 32-bit modes (448 B at 112), x 8 in the 64-bit ones.
"""

from __future__ import annotations

import array
import hashlib
import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xxhash

from filters.ngrams import fmix64, ngram_hashes, ngram_hashes_many, ngram_strings, words
from filters.shingle_bytes import ngram_hashes_flat

try:  # CPython's own sha1: same digests as hashlib's OpenSSL one, ~25% less overhead per short call
    from _sha1 import sha1 as _sha1
except ImportError:  # pragma: no cover - other interpreters
    _sha1 = hashlib.sha1

MODES = ("sha1_32", "sha1_32_legacy", "sha1_64", "xxh64", "fast64", "rensa")
RENSA_VERSION = "0.5.0"  # the `rensa` mode's signatures are rensa's RMinHash of this release
RENSA_ALGORITHM = 2  # rensa.RMinHash.ALGORITHM_VERSION of that release: another one changes signatures
MERSENNE_61 = (1 << 61) - 1
_P = np.uint64(MERSENNE_61)
_SHIFT_61 = np.uint64(61)
_LOW_32 = np.uint64(0xFFFFFFFF)
# Shingles per permutation block. The two reused work buffers are 2 x num_perm x 8192 values (14.7 MB
# at 112 permutations in the 64-bit modes, half in sha1_32); measured fastest among 256..32768.
_BLOCK_ROWS = 8192
# MurmurHash3's 32-bit finaliser constants (datasketch's affine32 pre-mix).
_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35))
# Band keys: the seed mixed with the band index, then each row value chained in (see `bands`).
_BAND_SEED = np.uint64(0xB0D5_EED5_1234_5678)
_BAND_MUL = np.uint64(0x9E3779B97F4A7C15)


class MinHasher:
    """MinHash signatures of word n-gram shingles for lists of texts (see the module docstring).

    `short`: a text with fewer than `ngram` words is one shingle of all its words (True) or has no
    shingles and an empty signature (False, the reference's behaviour).
    """

    def __init__(
        self, num_perm: int = 112, seed: int = 1, ngram: int = 5, hash: str = "sha1_32", short: bool = True
    ) -> None:
        if hash not in MODES:
            raise ValueError(f"hash must be one of {', '.join(MODES)}; got {hash!r}")
        if num_perm < 1 or ngram < 1:
            raise ValueError("num_perm and ngram must be >= 1")
        self.num_perm, self.seed, self.ngram, self.hash, self.short = num_perm, seed, ngram, hash, short
        self.dtype = np.dtype(np.uint32 if hash.startswith("sha1_32") or hash == "rensa" else np.uint64)
        self.empty_value = np.iinfo(self.dtype).max
        if hash == "rensa":  # rensa draws its own permutations from the seed
            self._rensa = rensa_minhash()
            self.a = self.b = np.empty(0, np.uint64)
        else:
            self.a, self.b = _permutations(hash, num_perm, seed)
        self._hash_strings: Callable[[Sequence[str]], np.ndarray] = (
            self.hash_shingles if hash == "rensa" else _STRING_HASHES.get(hash, self._fast64_strings)
        )
        self._permute: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray] = getattr(
            self, _PERMUTE[hash]
        )

    def __repr__(self) -> str:
        return (
            f"MinHasher(num_perm={self.num_perm}, seed={self.seed}, ngram={self.ngram}, hash={self.hash!r})"
        )

    # -- shingles ------------------------------------------------------------------------------------

    def shingles(self, text: str) -> list[str]:
        """The shingles of a text: space-joined word n-grams of its normalised words."""
        return ngram_strings(words(text), self.ngram, short=self.short)

    def shingle_hashes(self, text: str) -> np.ndarray:
        """The mode's integer hash of every shingle of the text (uint64, before permutation)."""
        if self.hash == "fast64":
            return ngram_hashes(words(text), self.ngram, short=self.short)
        if self.hash == "rensa":
            return ngram_hashes_flat([text], self.ngram, short=self.short)[0]
        return self._hash_strings(self.shingles(text))

    def hash_shingles(self, shingles: Sequence[str]) -> np.ndarray:
        """The mode's integer hash of given shingle strings (uint64)."""
        if self.hash == "rensa":  # a shingle is the chain of its words' hashes, as from text
            out = [ngram_hashes_flat([s], s.count(" ") + 1)[0] for s in shingles]
            return np.concatenate(out) if out else np.empty(0, dtype=np.uint64)
        return self._hash_strings(shingles)

    def _fast64_strings(self, shingles: Sequence[str]) -> np.ndarray:
        # A fast64 shingle hash is the chain of its words' hashes: rebuild it from the words.
        out = [ngram_hashes(s.split(" "), s.count(" ") + 1) for s in shingles]
        return np.concatenate(out) if out else np.empty(0, dtype=np.uint64)

    # -- signatures ----------------------------------------------------------------------------------

    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """Signatures of texts: array (len(texts), num_perm) of `self.dtype`; empty texts all max."""
        if self.hash == "fast64":
            return self.signatures_from_hashes(ngram_hashes_many(texts, self.ngram, short=self.short))
        if self.hash == "rensa":
            return self._rensa_signatures(*ngram_hashes_flat(texts, self.ngram, short=self.short))
        return self.signatures_from_hashes([self.shingle_hashes(t) for t in texts])

    def signatures_from_shingles(self, shingle_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Signatures of documents given as lists of shingle strings (hashed with the mode's hash)."""
        return self.signatures_from_hashes([self._hash_strings(s) for s in shingle_lists])

    def signature(self, text: str) -> np.ndarray:
        """The signature of one text (num_perm,)."""
        return self.signatures([text])[0]

    def signatures_from_hashes(self, hash_lists: Sequence[np.ndarray]) -> np.ndarray:
        """Signatures from each document's shingle hashes (uint64 arrays, duplicates allowed).

        Hashes must fit the mode's input width (32 bits for the sha1_32 modes, which keep the low
        32 bits of anything wider).

        All documents' hashes are concatenated and permuted in blocks of `_BLOCK_ROWS` shingles as a
        [num_perm x rows] array (each permutation's row contiguous, so numpy's multiply and the
        per-document `np.minimum.reduceat` run vectorised: ~5x faster than rows x num_perm); a
        document cut by a block boundary is the minimum of its two partial results.
        """
        if self.hash == "rensa":
            sizes = np.fromiter((len(h) for h in hash_lists), dtype=np.uint64, count=len(hash_lists))
            flat = np.concatenate(
                [np.asarray(h, dtype=np.uint64) for h in hash_lists] or [np.empty(0, np.uint64)]
            )
            return self._rensa_signatures(flat, np.concatenate(([0], np.cumsum(sizes))).astype(np.uint64))
        out = np.full((len(hash_lists), self.num_perm), self.empty_value, dtype=self.dtype)
        sizes = np.fromiter((len(h) for h in hash_lists), dtype=np.int64, count=len(hash_lists))
        docs = np.flatnonzero(sizes)  # empty documents keep the empty signature
        if not len(docs):
            return out
        flat = np.concatenate([np.asarray(hash_lists[i], dtype=np.uint64) for i in docs])
        ends = np.cumsum(sizes[docs])
        starts = ends - sizes[docs]
        # Two work buffers reused by every block: fresh multi-MB arrays per block cost page faults.
        work_dtype = np.uint32 if self.hash == "sha1_32" else np.uint64
        work = np.empty((2, self.num_perm, min(_BLOCK_ROWS, len(flat))), dtype=work_dtype)
        for block_start in range(0, len(flat), _BLOCK_ROWS):
            block_end = min(block_start + _BLOCK_ROWS, len(flat))
            first, last = np.searchsorted(ends, block_start, "right"), np.searchsorted(starts, block_end)
            segments = np.maximum(starts[first:last], block_start) - block_start
            size = block_end - block_start
            permuted = self._permute(flat[block_start:block_end], work[0, :, :size], work[1, :, :size])
            mins = np.minimum.reduceat(permuted, segments, axis=1).T
            rows = docs[first:last]
            out[rows] = np.minimum(out[rows], mins)
        return out

    def _rensa_signatures(self, flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """rensa's RMinHash (Rust) of each row of the flat n-gram hashes; rows without any: empty."""
        rows = len(offsets) - 1
        matrix = self._rensa.digest_matrix_from_flat_token_hashes(flat, offsets, self.num_perm, self.seed)
        values = array.array("I", itertools.chain.from_iterable(matrix.to_rows()))
        out = np.frombuffer(values, dtype=np.uint32).reshape(rows, self.num_perm).copy()
        out[np.diff(offsets.astype(np.int64)) == 0] = self.empty_value
        return out

    # -- permutations: hashes (rows,) -> permuted values written into `out` (num_perm, rows) ----------

    def _permute_affine32(self, hashes: np.ndarray, out: np.ndarray, spare: np.ndarray) -> np.ndarray:
        h = _fmix32(hashes.astype(np.uint32))
        np.multiply(self.a[:, None], h, out=out)  # uint32 wraparound is the "mod 2^32"
        out += self.b[:, None]
        return out

    def _permute_affine64(self, hashes: np.ndarray, out: np.ndarray, spare: np.ndarray) -> np.ndarray:
        h = fmix64(hashes.copy())
        np.multiply(self.a[:, None], h, out=out)  # uint64 wraparound is the "mod 2^64"
        out += self.b[:, None]
        return out

    def _permute_mersenne(self, hashes: np.ndarray, out: np.ndarray, spare: np.ndarray) -> np.ndarray:
        np.multiply(self.a[:, None], hashes, out=out)  # wraps modulo 2^64, exactly as the references do
        out += self.b[:, None]
        _mod_mersenne61(out, spare)
        if self.hash == "sha1_32_legacy":
            out &= _LOW_32  # still uint64: the caller's minimum casts the (small) result
        return out


def rensa_minhash() -> Any:
    """rensa's RMinHash class, checked to be the algorithm this mode was measured with."""
    try:
        import rensa
    except ImportError:
        raise ValueError(
            f"hash: rensa needs the rensa package (pip install rensa=={RENSA_VERSION})"
        ) from None
    found = getattr(rensa.RMinHash, "ALGORITHM_VERSION", None)
    if found != RENSA_ALGORITHM:
        raise ValueError(
            f"hash: rensa: installed rensa's RMinHash algorithm is version {found}, this mode expects "
            f"{RENSA_ALGORITHM} (rensa=={RENSA_VERSION}); other versions give other signatures"
        )
    return rensa.RMinHash


_PERMUTE = {
    "sha1_32": "_permute_affine32",
    "sha1_32_legacy": "_permute_mersenne",
    "sha1_64": "_permute_mersenne",
    "xxh64": "_permute_mersenne",
    "fast64": "_permute_affine64",
    "rensa": "_permute_affine32",  # unused: rensa permutes
}


def _permutations(mode: str, num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The (a, b) permutation parameters, drawn exactly as the reference of the mode draws them."""
    gen = np.random.RandomState(seed)
    if mode == "sha1_32_legacy":  # datasketch legacy: (a, b) drawn in turn per permutation
        pairs = [
            (gen.randint(1, _P, dtype=np.uint64), gen.randint(0, _P, dtype=np.uint64))
            for _ in range(num_perm)
        ]
        return np.array([p[0] for p in pairs], dtype=np.uint64), np.array(
            [p[1] for p in pairs], dtype=np.uint64
        )
    if mode in ("sha1_64", "xxh64"):  # datatrove: all a's, then all b's
        a = gen.randint(1, _P, dtype=np.uint64, size=num_perm)
        return a, gen.randint(0, _P, dtype=np.uint64, size=num_perm)
    width, dtype = (32, np.uint32) if mode == "sha1_32" else (64, np.uint64)  # datasketch affine
    a = gen.randint(0, 1 << (width - 1), num_perm, dtype=dtype) * dtype(2) + dtype(1)
    return a, gen.randint(0, 1 << width, num_perm, dtype=dtype)


def _mod_mersenne61(values: np.ndarray, high: np.ndarray) -> None:
    """values %= 2^61-1 in place, for any uint64: fold the top 3 bits, then subtract p once if needed.

    `high` is scratch space of the same shape.
    """
    np.right_shift(values, _SHIFT_61, out=high)
    values &= _P
    values += high  # now <= p + 7
    np.subtract(values, _P, out=high)  # wraps to a huge value exactly when values < p
    np.minimum(values, high, out=values)


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser on a uint32 array (returns a new array)."""
    s1, m1, s2, m2 = _FMIX32
    values = values ^ (values >> s1)
    values *= m1
    values ^= values >> s2
    values *= m2
    values ^= values >> s1
    return values


# -- shingle-string hashes ------------------------------------------------------------------------


def _sha1_words(shingles: Sequence[str], words_per_digest: int) -> np.ndarray:
    """The first 1 or 2 little-endian uint32 words of each shingle's sha1 digest (20 bytes)."""
    sha1 = _sha1
    digests = b"".join([sha1(s.encode()).digest() for s in shingles])
    return np.frombuffer(digests, dtype="<u4").reshape(-1, 5)[:, :words_per_digest]


def sha1_hash32(shingles: Sequence[str]) -> np.ndarray:
    """datasketch's sha1_hash32 of each UTF-8 shingle: digest bytes 0-3 little-endian, as uint64."""
    return _sha1_words(shingles, 1)[:, 0].astype(np.uint64)


def sha1_hash64(shingles: Sequence[str]) -> np.ndarray:
    """datasketch's/datatrove's sha1_hash64 of each UTF-8 shingle: digest bytes 0-7 little-endian."""
    w = _sha1_words(shingles, 2).astype(np.uint64)
    return w[:, 0] | (w[:, 1] << np.uint64(32))


def xxh64_hash(shingles: Sequence[str]) -> np.ndarray:
    """xxh64 (seed 0) of each UTF-8 shingle, as datatrove's default hash config does."""
    h = xxhash.xxh64_intdigest
    return np.fromiter((h(s.encode()) for s in shingles), dtype=np.uint64, count=len(shingles))


_STRING_HASHES: dict[str, Callable[[Sequence[str]], np.ndarray]] = {
    "sha1_32": sha1_hash32,
    "sha1_32_legacy": sha1_hash32,
    "sha1_64": sha1_hash64,
    "xxh64": xxh64_hash,
}


# -- using signatures -------------------------------------------------------------------------------


def is_empty(signatures: np.ndarray) -> np.ndarray | bool:
    """True for signatures of documents with no shingles (every value the dtype's maximum).

    Works on one signature (-> bool) or an (n, num_perm) array (-> bool array of n). Drop these rows
    before bucketing: they all share the same band keys.
    """
    sig = np.asarray(signatures)
    result = (sig == np.iinfo(sig.dtype).max).all(axis=-1)
    return bool(result) if sig.ndim == 1 else result


def jaccard_estimate(sig_a: np.ndarray, sig_b: np.ndarray) -> float | np.ndarray:
    """Fraction of equal positions: the MinHash estimate of the Jaccard similarity.

    1-D inputs give a float, (n, num_perm) inputs one estimate per row. Its standard deviation is
    sqrt(J(1-J)/num_perm). An empty signature on either side gives 0.0 (never a duplicate).
    """
    a, b = np.asarray(sig_a), np.asarray(sig_b)
    if a.shape != b.shape:
        raise ValueError(f"signature shapes differ: {a.shape} vs {b.shape}")
    estimate = np.mean(a == b, axis=-1)
    estimate = np.where(is_empty(a) | is_empty(b), 0.0, estimate)
    return float(estimate) if a.ndim == 1 else estimate


def bands(signatures: np.ndarray, num_bands: int = 14, rows: int = 8) -> np.ndarray:
    """One 64-bit key per LSH band: array (n_docs, num_bands) of uint64.

    Band i covers signature columns [i*rows, (i+1)*rows). Its key starts from a seed mixed with i
    (so equal rows in different bands give different keys, and one dict can hold every band) and
    chains each value in with key = fmix64(key * K + value), vectorised over documents and bands.
    Each step is a bijection in the key and in the value, so different bands collide with
    probability ~2^-64. Documents sharing any key are candidates; a pair of Jaccard similarity s
    shares at least one band with probability 1 - (1 - s^rows)^num_bands (`candidate_probability`).
    Empty signatures (`is_empty`) all share their keys: the caller must leave them out.
    """
    sig = np.asarray(signatures)
    if sig.ndim != 2:
        raise ValueError("signatures must be a 2-D array (n_docs, num_perm)")
    if num_bands < 1 or rows < 1 or num_bands * rows > sig.shape[1]:
        raise ValueError(f"{num_bands} bands x {rows} rows do not fit signatures of {sig.shape[1]} values")
    values = sig[:, : num_bands * rows].astype(np.uint64).reshape(len(sig), num_bands, rows)
    keys = np.broadcast_to(np.arange(num_bands, dtype=np.uint64) + _BAND_SEED, (len(sig), num_bands)).copy()
    fmix64(keys)
    for r in range(rows):
        keys *= _BAND_MUL
        keys += values[:, :, r]
        fmix64(keys)
    return keys


def threshold(num_bands: int = 14, rows: int = 8) -> float:
    """The similarity where the LSH S-curve is steepest, ~(1/num_bands)^(1/rows): 0.72 for 14 x 8."""
    return (1.0 / num_bands) ** (1.0 / rows)


def candidate_probability(similarity: float, num_bands: int = 14, rows: int = 8) -> float:
    """Probability that a pair of this Jaccard similarity shares a band: 0.924 at 0.8 for 14 x 8."""
    return 1.0 - (1.0 - similarity**rows) ** num_bands
