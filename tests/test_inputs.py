import gzip

import pytest

from pipeline.io.inputs import InputError, InputFile, _join_overlapping, expand_inputs, read_listing


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "b").mkdir()
    for name in ["a/one.warc.gz", "a/b/two.warc", "a/three.wet.gz", "a/notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    return tmp_path


def test_file_glob_and_directory(tree):
    files = [f.path for f in expand_inputs([str(tree / "a")])]
    assert files == [str(tree / "a/one.warc.gz"), str(tree / "a/three.wet.gz"), str(tree / "a/b/two.warc")]
    globbed = [f.path for f in expand_inputs([str(tree / "a" / "*.gz")])]
    assert globbed == [str(tree / "a/one.warc.gz"), str(tree / "a/three.wet.gz")]


def test_repeats_are_dropped_and_order_kept(tree):
    one = str(tree / "a/one.warc.gz")
    two = str(tree / "a/b/two.warc")
    assert [f.path for f in expand_inputs([two, one, two, f"file://{one}"])] == [two, one]


def test_listing_plain_and_gzipped_with_prefix(tree):
    listing = tree / "warc.paths"
    listing.write_text("a/one.warc.gz\n\na/b/two.warc\n")
    assert [f.path for f in expand_inputs([str(listing)])] == [
        str(tree / "a/one.warc.gz"),
        str(tree / "a/b/two.warc"),
    ]
    gz = tree / "warc.paths.gz"
    with gzip.open(gz, "wt") as handle:
        handle.write("crawl-data/CC-MAIN-2024-10/x.warc.gz\n")
    remote = read_listing(str(gz), "s3a://commoncrawl/")
    assert remote == ["s3a://commoncrawl/crawl-data/CC-MAIN-2024-10/x.warc.gz"]
    assert expand_inputs([str(gz)], "s3a://commoncrawl")[0].is_remote


def test_commoncrawl_listing_resolves_from_its_own_folder_without_a_prefix(tree):
    # CommonCrawl's listing sits in crawl-data/CC-X/ and names files from the bucket root
    folder = tree / "mirror" / "crawl-data" / "CC-X"
    (folder / "segments").mkdir(parents=True)
    (folder / "segments" / "s.warc.gz").write_bytes(b"")
    listing = folder / "warc.paths.gz"
    listing.write_bytes(gzip.compress(b"crawl-data/CC-X/segments/s.warc.gz\n"))
    assert [f.path for f in expand_inputs([str(listing)])] == [str(folder / "segments" / "s.warc.gz")]
    remote = "s3a://commoncrawl/crawl-data/CC-MAIN-2024-10"
    entry = "crawl-data/CC-MAIN-2024-10/segments/1/warc/x.warc.gz"
    assert _join_overlapping(remote, entry) == remote + "/segments/1/warc/x.warc.gz"
    assert _join_overlapping("/data", "a/b.warc") == "/data/a/b.warc"  # nothing shared: plain join


def test_missing_inputs_fail_before_work_naming_the_path(tree):
    with pytest.raises(InputError, match=r"nope\.warc\.gz"):
        expand_inputs([str(tree / "a/one.warc.gz"), str(tree / "nope.warc.gz")])
    with pytest.raises(InputError, match="matches nothing"):
        expand_inputs([str(tree / "*.nothing")])
    listing = tree / "warc.paths"
    listing.write_text("a/missing.warc.gz\n")
    with pytest.raises(InputError, match=r"missing\.warc\.gz"):
        expand_inputs([str(listing)])
    (tree / "empty").mkdir()
    with pytest.raises(InputError, match="no WARC"):
        expand_inputs([str(tree / "empty")])


def test_shard_ids_are_stable_readable_and_distinct():
    a = InputFile("/x/CC-MAIN-1.warc.gz")
    b = InputFile("/y/CC-MAIN-1.warc.gz")
    assert a.shard_id.startswith("CC-MAIN-1-")
    assert a.shard_id != b.shard_id
    assert a.shard_id == InputFile("/x/CC-MAIN-1.warc.gz").shard_id
