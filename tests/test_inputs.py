import gzip
from pathlib import Path

import pytest

from pipeline.io.input_kinds import crawl_stem, kind_of, select_input_kinds
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


def test_input_kinds_by_name():
    names = {
        "CC-MAIN-1-00000.warc.gz": ("warc", "CC-MAIN-1-00000"),
        "crawl/wet/CC-MAIN-1-00000.warc.wet.gz": ("wet", "CC-MAIN-1-00000"),
        "s3a://b/wat/CC-MAIN-1-00000.warc.wat.gz": ("wat", "CC-MAIN-1-00000"),
        "x.internal.warc": ("warc", "x.internal"),
        "x.internal.warc.wet": ("wet", "x.internal"),
        "part-a.parquet": ("parquet", "part-a.parquet"),
    }
    assert {name: (kind_of(name), crawl_stem(name)) for name in names} == names


def _files(*paths: str) -> list[InputFile]:
    return [InputFile(p) for p in paths]


def test_a_wat_or_a_warc_and_its_wet_are_refused_unless_a_type_is_chosen():
    crawl = _files("c/X.warc.gz", "c/X.warc.wet.gz", "c/X.warc.wat.gz", "c/Y.warc.gz")
    with pytest.raises(InputError, match=r"c/X.warc.wat.gz: a WAT file: .* --input-type warc"):
        select_input_kinds(crawl)
    with pytest.raises(InputError, match=r"WARC and the WET .*c/X.warc.gz and c/X.warc.wet.gz.*read twice"):
        select_input_kinds(crawl[:2])
    assert select_input_kinds(crawl[:1] + crawl[3:]) == (crawl[:1] + crawl[3:], "")  # no pair, no WAT
    assert select_input_kinds(_files("a/X.warc.wet.gz", "b/Y.warc.gz"))[1] == ""  # other crawl files
    warc, note = select_input_kinds(crawl, "warc")
    assert warc == [crawl[0], crawl[3]] and note == "--input-type warc: left out 1 WAT, 1 WET file(s)"
    assert select_input_kinds(crawl, "wet")[0] == [crawl[1]]
    with pytest.raises(InputError, match="none of the 2 input file"):
        select_input_kinds(_files("a.warc.gz", "b.warc"), "wet")


def test_real_crawl_folder_holding_warc_wet_and_wat(shared_data):
    found = expand_inputs([str(shared_data / "warc" / "whirlwind-python")])
    with pytest.raises(InputError, match=r"whirlwind\.warc\.wat\.gz: a WAT file"):
        select_input_kinds(found)
    assert [Path(f.path).name for f in select_input_kinds(found, "warc")[0]] == ["whirlwind.warc.gz"]
    assert [Path(f.path).name for f in select_input_kinds(found, "wet")[0]] == ["whirlwind.warc.wet.gz"]
