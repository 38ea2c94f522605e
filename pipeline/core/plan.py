"""Split a recipe into segments at its global stages (deduplication).

Per-document stages stream one input file at a time; a global stage must first see every document
that reaches it. So the recipe runs as segments: segment 0 reads the WARC inputs and runs the
stages up to the first global stage, writing its survivors to DIR/_work/s0/; the global stage then
analyses all of them and the next segment applies its decisions, part by part, followed by the
per-document stages after it; and so on. The last segment writes DIR/documents/.

Adjacent global stages (exact_dedup, then minhash_dedup) share one segment: one analysis pass over
its input computes both stages' keys, and one pass applies both, so the corpus is written once
between them instead of once per stage.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.core.recipe import Recipe
from pipeline.core.stage import GlobalStage, Stage


@dataclass
class Segment:
    index: int
    stages: list[Stage]  # leading GlobalStages whose decisions it applies (none in segment 0), then others
    prior: list[Stage]  # stages run by earlier segments (they shape the schemas)
    is_last: bool

    @property
    def name(self) -> str:
        return f"s{self.index}"

    @property
    def global_stages(self) -> list[GlobalStage]:
        """The global stages this segment starts with (analysed together before it runs)."""
        leading: list[GlobalStage] = []
        for stage in self.stages if self.index > 0 else []:
            if not isinstance(stage, GlobalStage):
                break
            leading.append(stage)
        return leading

    @property
    def documents_dir(self) -> str:
        """Where this segment's survivors go, relative to DIR."""
        return "documents" if self.is_last else f"_work/{self.name}"

    @property
    def input_dir(self) -> str | None:
        return None if self.index == 0 else f"_work/s{self.index - 1}"


def plan_segments(recipe: Recipe) -> list[Segment]:
    groups: list[list[Stage]] = [[]]
    for stage in recipe.stages:
        follows_global = bool(groups[-1]) and all(isinstance(s, GlobalStage) for s in groups[-1])
        if isinstance(stage, GlobalStage) and not (follows_global and len(groups) > 1):
            groups.append([stage])
        else:
            groups[-1].append(stage)
    segments = []
    done: list[Stage] = []
    for i, stages in enumerate(groups):
        segments.append(Segment(index=i, stages=stages, prior=list(done), is_last=i == len(groups) - 1))
        done.extend(stages)
    return segments
