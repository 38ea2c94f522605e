"""`curate tokenizer train` and `curate tokenizer eval`: the trained file, its loaders, round trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.tokenizer import VOCAB, curate, curate_here, documents_by_id, make_corpus, train_small
from tokenizer_training.bpe import EOT, SPLIT_PATTERNS
from tokenizer_training.documents import below, id_hash
from tokenizer_training.encoder import load_tokenizer
from tokenizer_training.train import HOLDOUT_SALT, Sample, TrainConfig, training_texts


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def tokdir(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_small(corpus, tmp_path_factory.mktemp("tok") / "tok", VOCAB, "<|bos|>")


@pytest.fixture(scope="module")
def loaded(tokdir: Path):
    return load_tokenizer(tokdir)


SAMPLES = [
    "Hello, world! It's 2024; we've got 1234567 reasons.\n\n  Indented\tTabs\r\nWindows",
    "emoji 🙂🚀👩‍👩‍👧 CJK 数据学习 日本語 한국어",
    "RTL: مرحبا بالعالم שלום עולם",
    "combining: e\u0301 a\u0308 \u0915\u094d\u0937 zalgo Z\u0336\u0353a\u0324",
    "controls \x00\x01\x07\x1b[0m\x7f and U+FFFD \ufffd and BOM \ufeff",
    f"a literal {EOT} inside a document stays text",
]


def test_card_records_settings_sample_and_compression(tokdir: Path) -> None:
    card = json.loads((tokdir / "card.json").read_text())
    assert card["vocab_size"] == VOCAB
    assert card["special_tokens"] == {EOT: VOCAB - 2, "<|bos|>": VOCAB - 1}
    assert card["merges"] == VOCAB - 2 - 256
    assert card["pattern"] == {"name": "gpt4", "regex": SPLIT_PATTERNS["gpt4"]}
    assert card["library"]["trainer"] == "rustbpe" and card["library"]["version"] != "unknown"
    assert card["training"]["chars"] > 200_000 and card["training"]["documents"] > 0
    assert card["peak_rss_mb"] > 10 and card["seconds"]["training"] > 0
    holdout = card["holdout"]
    assert holdout["documents"] > 0 and 1.5 < holdout["bytes_per_token"] < 10
    assert holdout["hf_tokenizers_agree"]["same_ids"] is True
    assert card["tokenizer_sha256"] == load_tokenizer(tokdir).sha256


def test_both_loaders_read_tokenizer_json_and_agree_with_our_encoder(tokdir: Path, loaded) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    hf = Tokenizer.from_file(str(tokdir / "tokenizer.json"))
    fast = PreTrainedTokenizerFast(tokenizer_file=str(tokdir / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(str(tokdir))
    assert hf.get_vocab_size() == len(fast) == VOCAB
    assert auto.eos_token == EOT and auto.eos_token_id == loaded.eot_id
    for text in SAMPLES[:-1]:  # HF reads a literal special token as the special id; ours does not
        ours = loaded.encode(text)
        assert hf.encode(text, add_special_tokens=False).ids == ours
        assert fast.encode(text, add_special_tokens=False) == ours
        assert fast.decode(ours) == text == hf.decode(ours)
    assert hf.encode(EOT).ids == [loaded.eot_id]


def test_rank_file_loads_with_tiktoken(tokdir: Path, loaded) -> None:
    from tiktoken.load import load_tiktoken_bpe

    ranks = load_tiktoken_bpe(str(tokdir / "tokenizer.tiktoken"))
    assert ranks == loaded.vocabulary.ranks


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200) | st.sampled_from(SAMPLES))
def test_decode_encode_round_trips_any_unicode(loaded, text: str) -> None:
    ids = loaded.encode(text)
    assert loaded.decode(ids) == text
    assert loaded.hf().decode(ids, skip_special_tokens=False) == text
    if EOT not in text and "<|bos|>" not in text:
        assert [e for e in loaded.hf().encode(text, add_special_tokens=False).ids] == ids


def test_training_is_deterministic_and_hf_trainer_gives_the_same_layout(
    corpus: Path, tokdir: Path, tmp_path: Path
) -> None:
    again = train_small(corpus, tmp_path / "again", VOCAB, "<|bos|>")
    assert (again / "tokenizer.json").read_bytes() == (tokdir / "tokenizer.json").read_bytes()
    from tokenizer_training.train import train_tokenizer

    train_tokenizer(
        TrainConfig(
            [str(corpus)],
            str(tmp_path / "hf"),
            vocab_size=VOCAB,
            trainer="hf",
            holdout_fraction=0.05,
            progress=False,
        )
    )
    card = json.loads((tmp_path / "hf" / "card.json").read_text())
    hf_loaded = load_tokenizer(tmp_path / "hf")
    assert hf_loaded.vocabulary is not None  # our layout: encoded with tiktoken
    assert card["vocab_size"] == VOCAB and card["eot_id"] == VOCAB - 1
    assert card["holdout"]["hf_tokenizers_agree"]["same_ids"] is True
    assert all(hf_loaded.decode(hf_loaded.encode(t)) == t for t in SAMPLES)


def test_sample_spreads_over_parts_respects_budget_and_skips_held_out(corpus: Path) -> None:
    texts_by_id = documents_by_id(corpus)
    part_of = {}
    import pyarrow.parquet as pq

    for i, part in enumerate(sorted(corpus.glob("*.parquet"))):
        part_of.update(dict.fromkeys(pq.read_table(part, columns=["id"]).column("id").to_pylist(), i))
    total = sum(len(t) for t in texts_by_id.values())
    config = TrainConfig([str(corpus)], "unused", max_chars=total // 3, holdout_fraction=0.1, progress=False)
    from tokenizer_training.documents import find_parts, text_bytes_estimate

    parts = find_parts(config.inputs)
    rate = config.max_chars / (text_bytes_estimate(parts) * 0.9)

    class Bar:
        def update(self, n: int) -> None:
            pass

    sample = Sample()
    taken = list(training_texts(config, parts, rate, sample, Bar()))
    assert sample.chars == sum(len(t) for t in taken) <= config.max_chars + config.doc_max_chars
    assert 0.2 * total < sample.chars  # the footer estimate is close to the text size
    by_text = {t: d for d, t in texts_by_id.items()}
    taken_ids = {by_text[t] for t in taken}
    assert {part_of[d] for d in taken_ids} == set(range(len(parts)))  # every part contributes
    held_out = {d for d in texts_by_id if id_hash(d, HOLDOUT_SALT) < below(0.1)}
    assert held_out and not held_out & taken_ids
    assert sorted(sample.holdout) == sorted(texts_by_id[d] for d in held_out)


def test_eval_table_and_json(tokdir: Path, corpus: Path) -> None:
    result = json.loads(curate("tokenizer", "eval", str(tokdir), "--input", str(corpus), "--json").stdout)
    rows = {row["tokenizer"]: row for row in result["rows"]}
    ours = rows["ours (tok)"]
    assert rows["bytes (fallback)"]["bytes_per_token"] == 1.0
    assert rows["GPT-4 cl100k_base"]["vocab_size"] == 100_277
    card = json.loads((tokdir / "card.json").read_text())
    assert ours["bytes_per_token"] == card["holdout"]["bytes_per_token"]  # the same held-out documents
    code, table, _ = curate_here("tokenizer", "eval", str(tokdir), "--input", str(corpus), "--all-documents")
    assert code == 0
    assert "GPT-4 cl100k_base" in table and "bytes (fallback)" in table and "all documents" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vocab-size", "200"], "too small"),
        (["--vocab-size", "1024", "--min-frequency", "2"], "hf trainer"),
    ],
)
def test_train_rejects_bad_settings(corpus: Path, tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = curate_here(
        "tokenizer", "train", "--input", str(corpus), "--output", str(tmp_path / "t"), *args
    )
    assert code == 2 and "curate: error:" in err and message in err


def test_train_and_eval_errors_name_the_path(tokdir: Path, corpus: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = curate_here("tokenizer", "train", "--input", str(empty), "--output", str(tmp_path / "t"))
    assert code == 2 and f"input {empty} holds no Parquet parts" in err
    code, _, err = curate_here("tokenizer", "train", "--input", str(corpus), "--output", str(tokdir))
    assert code == 2 and "--overwrite" in err
    code, _, err = curate_here("tokenizer", "eval", str(empty), "--input", str(corpus))
    assert code == 2 and f"{empty} holds no tokenizer.json" in err


def test_nanochat_pattern_splits_digits_in_pairs_under_both_libraries(corpus: Path, tmp_path: Path) -> None:
    from tokenizer_training.train import train_tokenizer

    train_tokenizer(
        TrainConfig([str(corpus)], str(tmp_path / "nc"), vocab_size=600, pattern="nanochat", progress=False)
    )
    tokenizer = load_tokenizer(tmp_path / "nc")
    assert tokenizer.vocabulary is not None and tokenizer.vocabulary.pattern == SPLIT_PATTERNS["nanochat"]
    numbers = "In 2024 there were 1234567 visitors, 99.5% of 100000."
    for text in [numbers, *SAMPLES[:-1]]:
        ids = tokenizer.encode(text)
        assert tokenizer.hf().encode(text, add_special_tokens=False).ids == ids
        assert tokenizer.decode(ids) == text
    split = [piece for piece, _ in tokenizer.hf().pre_tokenizer.pre_tokenize_str("1234567")]
    assert split == ["12", "34", "56", "7"]  # gpt4's pattern: 123 456 7
