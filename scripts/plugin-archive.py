"""Build the provider plugin's archive: `pulumi plugin install resource polytomic <version> --file <it>`.

The archive is a source-based plugin (PulumiPlugin.yaml, runtime python) holding this release's wheel:
Pulumi makes the plugin's own virtualenv when it installs it and fills it from requirements.txt (the wheel,
then its dependencies from the package index). A machine needs only Python and the Pulumi CLI.

    python scripts/plugin-archive.py [--out dist]    (make plugin-archive)
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MANIFEST = """\
# The Polytomic provider plugin, installed from its archive: Pulumi makes venv/ and installs
# requirements.txt (the wheel beside this file) into it.
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: venv
"""


def build_wheel(out: Path, source: Path = REPO) -> Path:
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        sys.exit(f"building the wheel of {source} failed:\n{built.stdout[-3000:]}{built.stderr[-3000:]}")
    (wheel,) = out.glob("polytomic_pulumi-*.whl")
    return wheel


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    archive.addfile(info, io.BytesIO(data))


def write_archive(wheel: Path, destination: Path) -> None:
    destination.parent.mkdir(parents=True, exist_ok=True)
    entry = (REPO / "provider" / "__main__.py").read_bytes()
    with tarfile.open(destination, "w:gz") as archive:
        _add(archive, "PulumiPlugin.yaml", MANIFEST.encode())
        _add(archive, "__main__.py", entry)
        _add(archive, "requirements.txt", f"./{wheel.name}\n".encode())
        _add(archive, wheel.name, wheel.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "dist", help="folder to write the archive to")
    parser.add_argument(
        "--source", type=Path, default=REPO, help="the checkout to build the wheel from (default: this one)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(Path(scratch), args.source.resolve())
        version = wheel.name.split("-")[1]  # the built package's, whichever checkout it came from
        destination = args.out.resolve() / f"pulumi-resource-polytomic-v{version}.tar.gz"
        write_archive(wheel, destination)
    print(destination)
    return 0


if __name__ == "__main__":
    sys.exit(main())
