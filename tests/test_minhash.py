"""MinHash signatures and band keys (filters/minhash.py): exact equality with datasketch and with the
reference (datatrove) arithmetic, estimation accuracy, LSH behaviour on duplicates, empty texts,
determinism."""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import random
import subprocess
import sys
from functools import lru_cache

import numpy as np
import pytest

from filters.minhash import (
    MODES,
    MinHasher,
    bands,
    candidate_probability,
    is_empty,
    jaccard_estimate,
    threshold,
)
from filters.ngrams import ngram_strings, words
from tests.helpers.texts import REPO, dolma_texts, generated_sentences, generated_texts

datasketch = pytest.importorskip("datasketch")
RENSA = importlib.util.find_spec("rensa") is not None
NO_RENSA = "the rensa package is not installed (pip install rensa==0.5.0)"
AVAILABLE = [m for m in MODES if m != "rensa" or RENSA]
MODE_PARAMS = [
    pytest.param(m, marks=pytest.mark.skipif(m == "rensa" and not RENSA, reason=NO_RENSA)) for m in MODES
]
HAS_SCHEMES = "scheme" in inspect.signature(datasketch.MinHash.__init__).parameters  # datasketch >= 2.0


@lru_cache(maxsize=1)
def generated() -> tuple[str, ...]:
    return (*generated_texts(60, seed=5), *generated_sentences(40, seed=6), "one two three", "solo")


def _datasketch_values(shingles: list[str], num_perm: int, seed: int, **kwargs) -> np.ndarray:
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, **kwargs)
    for shingle in shingles:
        m.update(shingle.encode("utf8"))
    return m.hashvalues


def _assert_equal_to_datasketch(texts, mode: str, num_perm: int = 112, seed: int = 1, **kwargs) -> None:
    hasher = MinHasher(num_perm=num_perm, seed=seed, hash=mode)
    signatures = hasher.signatures(list(texts))
    for text, signature in zip(texts, signatures):
        expected = _datasketch_values(hasher.shingles(text), num_perm, seed, **kwargs)
        assert np.array_equal(signature, expected), text[:80]


# -- exact compatibility ----------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_SCHEMES, reason="datasketch < 2.0: its default is the legacy scheme")
def test_default_mode_equals_datasketch_default_on_generated_texts() -> None:
    _assert_equal_to_datasketch(generated(), "sha1_32")  # MinHash(num_perm, seed), nothing else


@pytest.mark.skipif(not HAS_SCHEMES, reason="datasketch < 2.0: its default is the legacy scheme")
@pytest.mark.shared_data
def test_default_mode_equals_datasketch_default_on_real_pages() -> None:
    _assert_equal_to_datasketch(dolma_texts(), "sha1_32")


@pytest.mark.shared_data
def test_legacy_mode_equals_datasketch_legacy_on_real_pages() -> None:
    _assert_equal_to_datasketch(
        dolma_texts(), "sha1_32_legacy", **({"scheme": "legacy"} if HAS_SCHEMES else {})
    )


@pytest.mark.parametrize(("num_perm", "seed"), [(112, 1), (64, 42), (7, 0)])
def test_32_bit_modes_equal_datasketch_for_other_parameters(num_perm: int, seed: int) -> None:
    texts = generated()[:15]
    _assert_equal_to_datasketch(
        texts, "sha1_32_legacy", num_perm, seed, **({"scheme": "legacy"} if HAS_SCHEMES else {})
    )
    if HAS_SCHEMES:
        _assert_equal_to_datasketch(texts, "sha1_32", num_perm, seed)


@pytest.mark.skipif(not HAS_SCHEMES, reason="datasketch < 2.0 has no affine64 scheme")
def test_fast64_equals_datasketch_affine64_fed_the_same_hashes() -> None:
    hasher = MinHasher(hash="fast64")
    texts = list(generated())
    for text, signature in zip(texts, hasher.signatures(texts)):
        m = datasketch.MinHash(num_perm=112, seed=1, scheme="affine64", hashfunc=int)
        m.update_batch(hasher.shingle_hashes(text).tolist())
        assert np.array_equal(signature, m.hashvalues)


def _datatrove_reference(hashes: list[int], num_perm: int, seed: int) -> list[int]:
    """datatrove's MinhashDedupSignature arithmetic (0.10.1, 64-bit precision) with Python ints:
    a, b drawn with RandomState(seed).randint(1 or 0, 2^61-1, size=num_perm), a's first; each value
    min over shingles of ((a*h + b) mod 2^64) mod (2^61-1), the mod 2^64 being numpy's wraparound."""
    prime = (1 << 61) - 1
    gen = np.random.RandomState(seed)
    a = [int(x) for x in gen.randint(1, np.uint64(prime), dtype=np.uint64, size=num_perm)]
    b = [int(x) for x in gen.randint(0, np.uint64(prime), dtype=np.uint64, size=num_perm)]
    return [min(((h * ak + bk) % (1 << 64)) % prime for h in hashes) for ak, bk in zip(a, b)]


@pytest.mark.parametrize("mode", ["sha1_64", "xxh64"])
def test_64_bit_modes_follow_the_reference_arithmetic(mode: str) -> None:
    import hashlib
    import struct

    import xxhash

    hashfunc = {
        "sha1_64": lambda s: struct.unpack("<Q", hashlib.sha1(s.encode("utf-8")).digest()[:8])[0],
        "xxh64": lambda s: xxhash.xxh64_intdigest(s.encode("utf-8")),
    }[mode]
    texts = [*generated()[:12], "x " * 9000]  # the last one spans several permutation blocks
    hasher = MinHasher(hash=mode, num_perm=40, seed=3)
    for text, signature in zip(texts, hasher.signatures(texts)):
        hashes = [hashfunc(s) for s in hasher.shingles(text)]
        assert hasher.shingle_hashes(text).tolist() == hashes
        assert signature.tolist() == _datatrove_reference(hashes, 40, 3)


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_batches_equal_one_document_at_a_time(mode: str) -> None:
    hasher = MinHasher(hash=mode)
    texts = ["", *generated()[:20], "word " * 5000, "", *generated()[20:30]]
    together = hasher.signatures(texts)
    assert together.shape == (len(texts), 112) and together.dtype == hasher.dtype
    for text, signature in zip(texts, together):
        assert np.array_equal(hasher.signature(text), signature)
    shingles = [hasher.shingles(t) for t in texts]
    assert np.array_equal(hasher.signatures_from_shingles(shingles), together)


@pytest.mark.parametrize("mode", ["sha1_32", "sha1_64", "fast64"])
def test_any_block_size_gives_the_same_signatures(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import filters.minhash

    hasher = MinHasher(hash=mode)
    rng = random.Random(4)
    hashes = [
        np.array([rng.getrandbits(32) for _ in range(rng.choice([0, 0, 1, 2, 5, 13, 40]))], dtype=np.uint64)
        for _ in range(60)
    ]
    expected = hasher.signatures_from_hashes(hashes)
    for block_rows in (1, 2, 7, 64):
        monkeypatch.setattr(filters.minhash, "_BLOCK_ROWS", block_rows)
        assert np.array_equal(hasher.signatures_from_hashes(hashes), expected)
    for h, signature in zip(hashes, expected):
        assert np.array_equal(hasher.signatures_from_hashes([h])[0], signature)


def test_modes_and_arguments() -> None:
    assert MinHasher().hash == "sha1_32" and MinHasher().dtype == np.uint32
    assert MinHasher(hash="sha1_64").dtype == np.uint64
    with pytest.raises(ValueError):
        MinHasher(hash="md5")
    with pytest.raises(ValueError):
        MinHasher(num_perm=0)


# -- estimation accuracy ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _pairs(count: int, seed: int) -> list[tuple[list[str], list[str]]]:
    """Word lists and edited copies (a share of words replaced) spanning similarities 0..1."""
    rng = random.Random(seed)
    pairs = []
    for i in range(count):
        base = words(" ".join(generated_sentences(rng.randint(10, 40), seed=seed * 7919 + i)))
        copy = list(base)
        share = rng.random() ** 2  # more pairs at high similarity, where dedup decides
        for j in rng.sample(range(len(copy)), int(share * len(copy))):
            copy[j] = f"x{rng.randrange(10**9)}"
        pairs.append((base, copy))
    return pairs


def _true_jaccards(pairs: list[tuple[list[str], list[str]]], n: int = 5) -> np.ndarray:
    out = []
    for a, b in pairs:
        sa, sb = set(ngram_strings(a, n)), set(ngram_strings(b, n))
        out.append(len(sa & sb) / len(sa | sb))
    return np.array(out)


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_estimate_matches_true_jaccard(mode: str) -> None:
    hasher = MinHasher(hash=mode)
    pairs = _pairs(300, seed=17)
    sig_a = hasher.signatures([" ".join(a) for a, _ in pairs])
    sig_b = hasher.signatures([" ".join(b) for _, b in pairs])
    estimates = jaccard_estimate(sig_a, sig_b)
    truths = _true_jaccards(pairs)
    sigma = np.sqrt(truths * (1 - truths) / hasher.num_perm)
    errors = estimates - truths
    # every pair within 4 sigma (plus one position, for the exact 0 and 1 ends); no bias overall
    assert np.all(np.abs(errors) <= 4 * sigma + 1 / hasher.num_perm)
    assert abs(errors.mean()) < 3 * np.sqrt((sigma**2).sum()) / len(pairs) + 1e-3
    assert truths.min() < 0.2 and truths.max() == 1.0  # the pairs really span the range


def test_jaccard_estimate_shapes_and_empties() -> None:
    hasher = MinHasher()
    a, b, empty = hasher.signatures(["a b c d e f g", "a b c d e f h", ""])
    assert jaccard_estimate(a, a) == 1.0
    assert isinstance(jaccard_estimate(a, b), float) and 0 < jaccard_estimate(a, b) < 1
    assert jaccard_estimate(empty, empty) == 0.0 and jaccard_estimate(a, empty) == 0.0
    assert jaccard_estimate(np.stack([a, empty]), np.stack([a, empty])).tolist() == [1.0, 0.0]
    with pytest.raises(ValueError):
        jaccard_estimate(a, a[:10])


# -- empty texts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_texts_without_words_get_the_empty_signature(mode: str) -> None:
    hasher = MinHasher(hash=mode)
    signatures = hasher.signatures(["", "   \n", "!!! ... ???", "© ★ —", "real words here"])
    assert np.all(signatures[:4] == hasher.empty_value)
    assert is_empty(signatures).tolist() == [True, True, True, True, False]
    assert is_empty(signatures[0]) is True and is_empty(signatures[4]) is False


def test_short_texts() -> None:
    default, reference_like = MinHasher(), MinHasher(short=False)
    three_words = "Just three words."
    assert default.shingles(three_words) == ["just three words"]
    assert not is_empty(default.signature(three_words))
    assert is_empty(reference_like.signature(three_words))
    assert np.array_equal(default.signature("just THREE words!"), default.signature(three_words))


# -- band keys --------------------------------------------------------------------------------------


def _edit_one_sentence(sentences: list[str], index: int, seed: int) -> list[str]:
    out = list(sentences)
    out[index] = generated_sentences(1, seed=seed)[0]
    return out


@pytest.mark.parametrize("mode", MODE_PARAMS)
def test_bands_of_duplicates_near_duplicates_and_unrelated_texts(mode: str) -> None:
    hasher = MinHasher(hash=mode)
    originals, near, unrelated = [], [], []
    for i in range(25):
        sentences = generated_sentences(24, seed=1000 + i)
        originals.append(" ".join(sentences))
        near.append(" ".join(_edit_one_sentence(sentences, i % 24, seed=5000 + i)))
        unrelated.append(" ".join(generated_sentences(24, seed=9000 + i)))
    keys = [bands(hasher.signatures(texts)) for texts in (originals, originals, near, unrelated)]
    assert keys[0].shape == (25, 14) and keys[0].dtype == np.uint64
    assert np.array_equal(keys[0], keys[1])  # identical documents share every band
    assert np.all((keys[0] == keys[2]).any(axis=1))  # each near duplicate shares at least one band
    originals_keys = set(keys[0].ravel().tolist())
    assert len(originals_keys) == keys[0].size  # distinct documents: no shared band at all
    assert originals_keys.isdisjoint(keys[3].ravel().tolist())


def test_band_keys_are_band_specific_and_checked() -> None:
    same_rows = np.zeros((1, 112), dtype=np.uint32)
    keys = bands(same_rows)
    assert len(set(keys[0].tolist())) == 14  # equal rows in different bands -> different keys
    assert np.array_equal(bands(same_rows.astype(np.uint64)), keys)  # value, not dtype, matters
    assert bands(np.zeros((3, 20), np.uint64), num_bands=4, rows=5).shape == (3, 4)
    with pytest.raises(ValueError):
        bands(np.zeros((2, 100), np.uint32))  # 14 x 8 > 100
    with pytest.raises(ValueError):
        bands(np.zeros(112, np.uint32))


def test_lsh_curve() -> None:
    assert threshold(14, 8) == pytest.approx(0.719, abs=1e-3)
    assert candidate_probability(0.8, 14, 8) == pytest.approx(0.924, abs=1e-3)


def test_planted_duplicates_of_the_sample_warc() -> None:
    trafilatura = pytest.importorskip("trafilatura")
    from devdata.sample import sample_pages
    from devdata.spec import KIND_EXACT_DUPLICATE, KIND_NEAR_DUPLICATE

    groups: dict[str, list[str]] = {}
    for page in sample_pages():
        if page.kind in (KIND_NEAR_DUPLICATE, KIND_EXACT_DUPLICATE) and page.group:
            text = trafilatura.extract(page.body, favor_precision=True, include_comments=False)
            groups.setdefault(page.group, []).append(text or "")
    pairs = [texts for texts in groups.values() if len(texts) == 2]
    assert pairs, "the sample has no planted duplicate pairs"
    hasher = MinHasher()
    for first, second in pairs:
        keys = bands(hasher.signatures([first, second]))
        assert (keys[0] == keys[1]).any(), first[:80]


# -- determinism ------------------------------------------------------------------------------------

_DIGEST_SCRIPT = """
import json, sys
from filters.minhash import MinHasher, bands
from filters.ngrams import ngram_hashes
texts, modes = json.loads(sys.stdin.read())
out = {m: bands(MinHasher(hash=m).signatures(texts)).tolist() for m in modes}
out["ngrams"] = [ngram_hashes(t, 5).tolist() for t in texts]
print(json.dumps(out))
"""


def test_same_output_across_processes_and_hash_seeds() -> None:
    texts = [*generated()[:5], "Déjà vu: 42 œufs, naïve café!"]
    results = set()
    for hash_seed in ("0", "1", "12345"):
        done = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT],
            input=json.dumps([texts, AVAILABLE]),
            capture_output=True,
            text=True,
            check=True,
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        )
        results.add(done.stdout)
    assert len(results) == 1
    here = json.loads(results.pop())
    for mode in AVAILABLE:
        assert here[mode] == bands(MinHasher(hash=mode).signatures(texts)).tolist()


def test_rensa_mode_needs_its_package_and_algorithm(monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    monkeypatch.setitem(sys.modules, "rensa", None)  # as if not installed
    with pytest.raises(ValueError, match=r"needs the rensa package \(pip install rensa==0.5.0\)"):
        MinHasher(hash="rensa")
    from filters.dedup import MinhashDedup
    from pipeline.core.config import ConfigError, build_config

    with pytest.raises(ConfigError, match="minhash_dedup: hash: rensa needs the rensa package"):
        build_config(MinhashDedup.Config, {"hash": "rensa"}, "minhash_dedup")
    other = types.SimpleNamespace(RMinHash=types.SimpleNamespace(ALGORITHM_VERSION=3))
    monkeypatch.setitem(sys.modules, "rensa", other)  # a release with another algorithm
    with pytest.raises(ValueError, match="algorithm is version 3, this mode expects 2"):
        MinHasher(hash="rensa")
