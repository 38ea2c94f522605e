"""The `curate` command line (also `python -m pipeline`)."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

import yaml

from pipeline import __version__

EPILOG = """\
examples:
  curate run --recipe fineweb --input data/sample/*.warc.gz --output out/demo
  curate run --recipe fineweb --input crawl/warc.paths.gz --paths-prefix /mnt/cc/ --output out/cc --workers 16
  curate run --recipe recipes/my.yaml --input warcs/ --output out/x --resume
  curate recipes                      # list the bundled recipes
  curate stages                       # list stages and their parameters
  curate inspect out/demo --stage gopher_quality --reason word_count
  curate report out/demo --compare out/other    # differences per stage, out/demo/compare.html
"""


RUN_EPILOG = (
    """\
exit codes:
  0  the run finished; every input file was read (files cut short count as read: their records
     before the cut are kept and the file is named in the summary)
  1  an input file crashed (a bug: its traceback is printed) or the accounting rule broke
  2  bad usage, recipe, input path or output directory (found before any work)
  3  some input files could not be read at all (empty, not a WARC, a WAT, broken in their first
     record); the others were processed. --allow-partial accepts that (exit code 0)

"""
    + EPILOG
)

# Packages that add their own `curate` commands (module.add_commands(subparsers)).
COMMAND_MODULES: list[str] = ["classifiers.cli", "tokenizer_training.cli", "pretraining.cli"]


def _parse_set(values: list[str]) -> dict[str, dict[str, object]]:
    """--set stage.param=value (value parsed as YAML) -> {stage: {param: value}}."""
    options: dict[str, dict[str, object]] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        stage, dot, param = key.partition(".")
        if not sep or not dot or not stage or not param:
            raise SystemExit(f"curate: error: --set expects STAGE.PARAM=VALUE, got {item!r}")
        options.setdefault(stage, {})[param] = yaml.safe_load(raw)
    return options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curate",
        description="FineWeb-style pretraining-data curation: WARC files in, clean text out, every decision reported.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"curate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a recipe over WARC/WET inputs",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--recipe",
        default="fineweb",
        help="recipe name (see `curate recipes`) or path to a YAML file (default: fineweb)",
    )
    run.add_argument(
        "--input",
        nargs="+",
        required=True,
        metavar="PATH",
        help="WARC/WET files, globs, directories, or CommonCrawl warc.paths(.gz) listings",
    )
    run.add_argument(
        "--output",
        required=True,
        metavar="DIR",
        help="output directory: a local path, or a URI that every worker reaches (s3a://, gs://, hdfs://)",
    )
    run.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="local: worker processes on this machine (default); spark: Spark tasks (--master)",
    )
    run.add_argument(
        "--input-type",
        choices=["auto", "warc", "wet"],
        default="auto",
        help="read only the WARC or only the WET files among the inputs (default auto: every file; a "
        "WAT file, or the WARC and WET of one crawl file, is then refused)",
    )
    run.add_argument(
        "--allow-partial",
        action="store_true",
        help="input files that cannot be read do not fail the run (exit code 0 instead of 3)",
    )
    run.add_argument(
        "--keep-work",
        action="store_true",
        help="keep DIR/_work/ (dedup survivors and decisions) after a successful run; a failed run keeps it",
    )
    run.add_argument("--workers", type=int, default=None, help="worker processes (default: all cores)")
    run.add_argument("--master", default=None, help="Spark master URL (spark engine)")
    run.add_argument(
        "--benchmarks",
        nargs="*",
        default=[],
        metavar="FILE",
        help="extra benchmark files for decontamination",
    )
    run.add_argument(
        "--robots",
        nargs="+",
        default=[],
        metavar="PATH",
        help="robots.txt WARCs of the crawl (files, folders, robotstxt.paths.gz) for robots_optout",
    )
    run.add_argument(
        "--limit",
        type=int,
        default=None,
        metavar="N",
        help="read at most N document records from each input file (quick looks)",
    )
    run.add_argument(
        "--resume", action="store_true", help="continue a run in DIR, skipping finished input files"
    )
    run.add_argument("--overwrite", action="store_true", help="replace the run already in DIR")
    run.add_argument(
        "--paths-prefix",
        default=None,
        metavar="PREFIX",
        help="prefix joined to the entries of a warc.paths listing (default: the listing's folder)",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="STAGE.PARAM=VALUE",
        help="override a recipe parameter, e.g. --set url_filter.blocklist_dir=/data/ut1",
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument("--json", action="store_true", help="print stats.json instead of the summary table")

    dedup = sub.add_parser(
        "dedup",
        help="exact + MinHash dedup of an existing documents/ directory (recipe `dedup`)",
        description="Deduplicate the documents of an earlier run: `curate run --recipe dedup` over Parquet inputs.",
    )
    dedup.add_argument(
        "--input", nargs="+", required=True, metavar="PATH", help="documents/ directories or parts"
    )
    dedup.add_argument("--output", required=True, metavar="DIR")
    dedup.add_argument("--recipe", default="dedup", help="a recipe of dedup stages (default: dedup)")
    dedup.add_argument("--engine", choices=["local", "spark"], default="local")
    dedup.add_argument("--keep-work", action="store_true", help="keep DIR/_work/ after a successful run")
    dedup.add_argument("--master", default=None)
    dedup.add_argument("--workers", type=int, default=None)
    dedup.add_argument("--resume", action="store_true")
    dedup.add_argument("--overwrite", action="store_true")
    dedup.add_argument("--set", action="append", default=[], metavar="STAGE.PARAM=VALUE")
    dedup.add_argument("--no-progress", action="store_true")
    dedup.add_argument("--json", action="store_true")

    report = sub.add_parser("report", help="(re)build DIR/report.html from DIR/stats.json and samples")
    report.add_argument("dir", metavar="DIR")
    report.add_argument(
        "--compare",
        default=None,
        metavar="DIR_B",
        help="also compare with another run: writes DIR/compare.html and prints a table",
    )

    inspect = sub.add_parser("inspect", help="print a stage's rejected (or kept) samples in the terminal")
    inspect.add_argument("dir", metavar="DIR")
    inspect.add_argument("--stage", required=True, help="a stage of the run, e.g. gopher_quality")
    inspect.add_argument(
        "--reason", default=None, help="only this drop reason (or a part of it, e.g. word_count)"
    )
    inspect.add_argument("--n", type=int, default=5, metavar="N", help="how many samples (default 5)")
    inspect.add_argument(
        "--kept", action="store_true", help="documents the stage kept instead of rejected ones"
    )
    inspect.add_argument(
        "--chars",
        type=int,
        default=2000,
        metavar="N",
        help="characters of text per sample (0: all; default 2000)",
    )

    sub.add_parser("recipes", help="list the bundled recipes")
    stages = sub.add_parser(
        "stages",
        help="every stage in pipeline order: what it does, its parameters and its drop reasons",
        description="Every stage in pipeline order (the default recipe's, then the others): what it does, "
        "each parameter with its default and meaning, and the reason codes of the documents it drops.",
    )
    stages.add_argument("names", nargs="*", metavar="STAGE", help="only these stages (or `reader`)")
    # Commands of the other packages: each `cli.py` adds its subparsers with a `handler(args) -> int`.
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_commands(sub)
    return parser


def cmd_run(args: argparse.Namespace) -> int:
    from pipeline.report.summary import format_inputs, format_summary
    from pipeline.run import EXIT_UNREADABLE, RunOptions, run

    options = RunOptions(
        recipe=args.recipe,
        inputs=args.input,
        output=args.output,
        engine=args.engine,
        workers=args.workers,
        master=args.master,
        limit=args.limit,
        resume=args.resume,
        overwrite=args.overwrite,
        paths_prefix=args.paths_prefix,
        benchmarks=args.benchmarks,
        robots=args.robots,
        stage_options=_parse_set(args.set),
        progress=not args.no_progress,
        input_type=args.input_type,
        allow_partial=args.allow_partial,
        keep_work=args.keep_work,
    )
    result = run(options)
    code = result.exit_code(args.allow_partial)
    if args.json:
        print(json.dumps(result.stats, indent=2))
    else:
        print(format_summary(result.stats))
        if result.skipped_as_done:
            print(f"resumed: {result.skipped_as_done} input file(s) were already finished")
        print(f"output: {args.output}/ (documents/, rejected/<stage>/, stats.json, report.html)")
        print(format_inputs(result.stats, code))
    for path, tb in result.failures:
        print(f"curate: error: processing {path} failed:\n{tb}", file=sys.stderr)
    unreadable = result.stats.get("unreadable_inputs") or []
    if unreadable and code == EXIT_UNREADABLE:
        print(
            f"curate: error: {len(unreadable)} input file(s) could not be read (first: {unreadable[0]}); "
            "exit code 3. --allow-partial accepts a run with unreadable inputs",
            file=sys.stderr,
        )
    return code


def cmd_recipes() -> int:
    from pipeline.core.recipe import available_recipes, recipes_dir

    recipes = available_recipes()
    width = max((len(n) for n in recipes), default=0)
    for name, description in recipes.items():
        print(f"{name:<{width}}  {description}")
    print(f"\n(from {recipes_dir()}; `curate run --recipe PATH` takes your own YAML, see README 'Recipes')")
    return 0


def cmd_stages(names: list[str]) -> int:
    from pipeline.core.stage_doc import format_stages

    print(format_stages(names))
    return 0


def main(argv: list[str] | None = None) -> int:
    from pipeline.core.config import ConfigError
    from pipeline.io.inputs import InputError
    from pipeline.io.output import OutputDirError
    from pipeline.io.storage import StorageError

    args = build_parser().parse_args(argv)
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return handler(args)
        if args.command == "run":
            return cmd_run(args)
        if args.command == "dedup":
            args.limit, args.paths_prefix, args.benchmarks, args.robots = None, None, [], []
            args.input_type, args.allow_partial = "auto", False
            return cmd_run(args)
        if args.command == "report":
            from pipeline.report.html import build_report

            print(build_report(args.dir))
            if args.compare is not None:
                from pipeline.report.compare import compare_runs

                path, table = compare_runs(args.dir, args.compare)
                print(table)
                print(path)
            return 0
        if args.command == "inspect":
            from pipeline.report.inspection import inspect_text, show, wants_color

            show(
                inspect_text(
                    args.dir, args.stage, args.reason, args.n, args.kept, wants_color(sys.stdout), args.chars
                )
            )
            return 0
        if args.command == "recipes":
            return cmd_recipes()
        if args.command == "stages":
            return cmd_stages(args.names)
    except (ConfigError, InputError, OutputDirError, StorageError, ValueError, FileNotFoundError) as err:
        print(f"curate: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `curate stages | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("curate: interrupted; finished input files are kept, rerun with --resume", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
