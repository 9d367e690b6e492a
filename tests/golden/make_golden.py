"""Write a golden stack: the state a released version of polytomic-pulumi leaves behind, kept for good.

    .venv/bin/python -m tests.golden.make_golden                 # `make golden`: the checkout's version
    /path/to/release-venv/bin/python -m tests.golden.make_golden --source-commit <sha>

Run from the repository root with the Python of a virtualenv where the release is installed (with its
emulator). Everything that writes the stack comes from *that* virtualenv: the emulator, the Pulumi program's
interpreter and the dynamic provider; this script only drives them with the standard library and the Pulumi
CLI, so it can be run by an old release's Python.

Why: Pulumi pickles the provider into every stack by reference (`polytomic_provider.provider.
OrganizationProvider`), and `refresh` and `destroy` use the old state with whatever code is installed now.
`test_golden_stacks.py` imports each golden stack into a fresh backend with the current code and runs
preview, refresh, update and destroy on it.

It writes tests/golden/<version>/:
  stack.json          `pulumi stack export` (secrets stay encrypted)
  stack-config.yaml   the stack's Pulumi.<stack>.yaml: encrypted config and the passphrase provider's salt
  program.py          the program that wrote the stack (a copy of tests/golden/program.py)
  emulator.db         the emulator's SQLite database the stack refers to
  golden.json         fixed test credentials, the organizations' ids, and what wrote the stack
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.cli_project import CliProject, clean_env
from tests.pulumi_cli import find_pulumi_bin_dir

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
PROJECT = "polytomic-golden"
STACK = "golden"
# Fixed, test-only values: the golden files must be usable by every later test run. They unlock nothing but
# a local emulator's copy of made-up organizations.
PASSPHRASE = "golden-stack-test-passphrase"
PARTNER_KEY = "golden-test-partner-key-0000"
ADMIN_TOKEN = "golden-test-admin-token-0000"
OIDC_CLIENT_ID = "golden-oidc-client"
OIDC_CLIENT_SECRET = "golden-oidc-client-secret-0000"
ADOPTED_NAME = "Golden Adopted"
READY_LINE = re.compile(r"Polytomic emulator listening on (http://\S+)")


def pulumi_bin_dir() -> Path:
    found = find_pulumi_bin_dir()
    if found is None:
        raise SystemExit("make_golden: no Pulumi CLI found: run scripts/install-pulumi or set PULUMI_BIN_DIR")
    return found


def installed_release(scratch: Path) -> dict[str, str]:
    """Version and location of the polytomic_provider this Python imports outside the checkout."""
    probe = (
        "import json, sys, importlib.metadata as m, polytomic_provider as p; "
        "print(json.dumps({'version': p.__version__, 'file': p.__file__, 'prefix': sys.prefix, "
        "'python': sys.version.split()[0], 'pulumi_sdk': m.version('pulumi')}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=scratch,
        env=clean_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    info: dict[str, str] = json.loads(result.stdout)
    return info


@contextmanager
def emulator(db_path: Path, log_path: Path) -> Iterator[str]:
    """The release's own emulator on a free loopback port, stopped with SIGTERM (its clean shutdown)."""
    env = {
        **clean_env(),
        "POLYTOMIC_EMULATOR_PARTNER_KEY": PARTNER_KEY,
        "POLYTOMIC_EMULATOR_ADMIN_TOKEN": ADMIN_TOKEN,
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "polytomic_emulator", "--port", "0", "--db", str(db_path)]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=db_path.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while not (match := READY_LINE.search(log_path.read_text())):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"make_golden: the emulator did not start:\n{log_path.read_text()}")
            time.sleep(0.05)
        yield match.group(1)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def create_unmanaged_organization(url: str) -> str:
    """An organization made outside Pulumi (straight through the API), for the program to adopt."""
    body = json.dumps({"name": ADOPTED_NAME, "sso_domain": "legacy.golden.example.com"}).encode()
    request = urllib.request.Request(
        f"{url}/api/organizations",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {PARTNER_KEY}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        organization_id: str = json.load(response)["data"]["id"]
    return organization_id


def write_stack(project: CliProject, adopted_id: str) -> None:
    project.pulumi("stack", "init", STACK, "--secrets-provider", "passphrase")
    project.pulumi("config", "set", "--secret", "polytomic:partnerKey", stdin=PARTNER_KEY)
    project.pulumi("config", "set", "oidcClientId", OIDC_CLIENT_ID)
    project.pulumi("config", "set", "--secret", "oidcClientSecret", stdin=OIDC_CLIENT_SECRET)
    project.pulumi("config", "set", "adoptedId", adopted_id)
    project.pulumi("up", "--yes", "--skip-preview")
    project.pulumi("preview", "--expect-no-changes")


def copy_database(source: Path, target: Path) -> None:
    """One self-contained SQLite file (no WAL beside it), whatever journal mode the emulator used."""
    with sqlite3.connect(source) as db, sqlite3.connect(target) as copy:
        db.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    with sqlite3.connect(target) as copy:
        copy.execute("VACUUM")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="folder to write (default: tests/golden/<version>)")
    parser.add_argument(
        "--source-commit", help="commit the installed release was built from (default: this checkout's HEAD)"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing golden folder")
    args = parser.parse_args(argv)
    bin_dir = pulumi_bin_dir()
    with tempfile.TemporaryDirectory(prefix="polytomic-golden-") as scratch_name:
        scratch = Path(scratch_name)
        release = installed_release(scratch)
        out: Path = args.out or HERE / release["version"]
        if out.exists() and not args.force:
            raise SystemExit(f"make_golden: {out} exists: a release's golden stack is written once (--force)")
        commit = (
            args.source_commit
            or subprocess.run(
                ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
            ).stdout.strip()
        )
        print(f"make_golden: writing {out} with polytomic-pulumi {release['version']} from {release['file']}")
        db_path = scratch / "emulator.db"
        with emulator(db_path, scratch / "emulator.log") as url:
            adopted_id = create_unmanaged_organization(url)
            project = CliProject(
                scratch,
                name=PROJECT,
                program=HERE / "program.py",
                virtualenv=release["prefix"],
                bin_dir=bin_dir,
                passphrase=PASSPHRASE,
                # From the environment, not stack config: the test's emulator listens on a port of its own.
                env={"POLYTOMIC_DEPLOYMENT_URL": url},
            )
            write_stack(project, adopted_id)
            exported = project.pulumi("stack", "export")
            outputs = project.outputs()
        cli_version = project.pulumi("version").strip()
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        (out / "stack.json").write_text(exported)
        shutil.copy(project.dir / f"Pulumi.{STACK}.yaml", out / "stack-config.yaml")
        shutil.copy(HERE / "program.py", out / "program.py")
        copy_database(db_path, out / "emulator.db")
        metadata = {
            "version": release["version"],
            "source_commit": commit,
            "written_with": {
                "python": release["python"],
                "pulumi_sdk": release["pulumi_sdk"],
                "cli": cli_version,
            },
            "project": PROJECT,
            "stack": STACK,
            "passphrase": PASSPHRASE,
            "partner_key": PARTNER_KEY,
            "oidc_client_secret": OIDC_CLIENT_SECRET,
            "organizations": {name: outputs[f"{name}_id"] for name in ("plain", "oidc", "adopted")},
        }
        (out / "golden.json").write_text(json.dumps(metadata, indent=2) + "\n")
    print(f"make_golden: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
