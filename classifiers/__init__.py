"""fastText models: the language-ID wrapper, quality-classifier training and scoring."""
