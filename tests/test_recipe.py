import pytest

from pipeline.core.config import ConfigError
from pipeline.core.recipe import load_recipe, parse_recipe


def test_bundled_recipe_loads_by_name():
    recipe = load_recipe("extract_only")
    assert [s.name for s in recipe.stages] == ["extract"]
    assert recipe.stage("extract").config.favour_precision is True


def test_unknown_stage_names_the_stage_and_lists_known_ones():
    with pytest.raises(ConfigError, match=r"stages\[1\].*unknown stage 'gopher_qualty'.*extract"):
        parse_recipe({"stages": ["extract", "gopher_qualty"]}, "r.yaml")


def test_unknown_and_mistyped_parameters_name_the_key():
    with pytest.raises(
        ConfigError, match=r"\(extract\): unknown parameter 'timout'.*valid parameters: .*timeout"
    ):
        parse_recipe({"stages": [{"extract": {"timout": 2}}]}, "r.yaml")
    with pytest.raises(ConfigError, match=r"extract\)\.timeout: expected a number, got 'soon'"):
        parse_recipe({"stages": [{"extract": {"timeout": "soon"}}]}, "r.yaml")
    with pytest.raises(ConfigError, match=r"reader\.max_page_bytes: expected an integer"):
        parse_recipe({"reader": {"max_page_bytes": "5MB"}, "stages": ["extract"]}, "r.yaml")
    with pytest.raises(ConfigError, match="unknown key 'stage'"):
        parse_recipe({"stage": ["extract"]}, "r.yaml")


def test_overrides_apply_and_must_name_recipe_stages():
    recipe = parse_recipe({"stages": ["extract"]}, "r.yaml", {"extract": {"timeout": 3}})
    assert recipe.stage("extract").config.timeout == 3.0
    with pytest.raises(ConfigError, match="not in the recipe: language"):
        parse_recipe({"stages": ["extract"]}, "r.yaml", {"language": {"threshold": 0.5}})


def test_reader_settings_can_be_overridden_like_a_stage():
    data = {"reader": {"max_page_bytes": 1000}, "stages": ["extract"]}
    recipe = parse_recipe(data, "r.yaml", {"reader": {"batch_size": 64}})
    assert (recipe.reader.batch_size, recipe.reader.max_page_bytes) == (64, 1000)
    with pytest.raises(ConfigError, match=r"reader: unknown parameter 'batch'"):
        parse_recipe(data, "r.yaml", {"reader": {"batch": 64}})


def test_fingerprint_follows_settings_not_source():
    a = parse_recipe({"name": "x", "stages": ["extract"]}, "a.yaml")
    b = parse_recipe({"name": "x", "stages": [{"extract": {}}]}, "b.yaml")
    c = parse_recipe({"name": "x", "stages": [{"extract": {"timeout": 2.0}}]}, "a.yaml")
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_missing_recipe_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown recipe 'finewebb'"):
        load_recipe("finewebb")
    with pytest.raises(ConfigError, match="recipe file not found"):
        load_recipe(str(tmp_path / "nope.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [extract\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_recipe(str(bad))
