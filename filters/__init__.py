"""Document filters: one module per filter (url, language, gopher, c4, fineweb, pii, decontamination) and dedup."""
