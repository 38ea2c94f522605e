"""Input and output: reading WARC/WET files and listings, charsets, storage (local or object store), the output directory."""
