"""The engine-free core: the stage interface, the recipe and its stages, schemas, statistics, segments."""
