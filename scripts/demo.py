"""`make demo`: the example program, previewed and deployed against a local Polytomic emulator.

Everything stays inside the repository's `.demo/` folder: the emulator's database, the Pulumi state
(a `file://` backend, passphrase secrets provider). Running it again shows no changes.
Run with `--outputs` to print the stack's outputs again without starting anything.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from pathlib import Path

from polytomic_provider.emulator.launcher import EmulatorProcess

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / ".demo"
STACK = "dev"
# Development-only values for the local emulator; a real deployment uses `pulumi config set --secret`.
DEMO_PARTNER_KEY = "demo-partner-key-0123456789"
DEMO_PASSPHRASE = "polytomic-demo-passphrase"
DEMO_CLIENT_ID = "demo-acme-client"
DEMO_CLIENT_SECRET = "demo-acme-client-secret"
# A fixed port: `pulumi refresh` and `destroy` reach the API through the provider configuration stored at
# the last `up`, so the emulator's address must not change between runs.
DEMO_PORT = int(os.environ.get("DEMO_EMULATOR_PORT", "48765"))


def pulumi_bin_dir() -> Path:
    """Find or build the CLI with the project's bootstrap script (it prints the bin directory last)."""
    result = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], check=True, stdout=subprocess.PIPE, text=True
    )
    return Path(result.stdout.strip().splitlines()[-1])


def pulumi_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PULUMI_BACKEND_URL=(DEMO_DIR / "state").as_uri(),
        PULUMI_CONFIG_PASSPHRASE=DEMO_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="1",
    )
    return env


def run(bin_dir: Path, env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    command = [str(bin_dir / "pulumi"), *args, "--non-interactive"]
    print(f"\n$ pulumi {shlex.join(args)}", flush=True)
    subprocess.run(command, cwd=REPO, env=env, input=stdin, text=True, check=True)


def configure_stack(bin_dir: Path, env: dict[str, str], url: str) -> None:
    run(bin_dir, env, "stack", "select", "--create", STACK)
    run(bin_dir, env, "config", "set", "polytomic:deploymentUrl", url)
    # Secret values go through stdin, so they never appear in a process listing or in this output.
    run(bin_dir, env, "config", "set", "--secret", "polytomic:partnerKey", stdin=DEMO_PARTNER_KEY)
    run(bin_dir, env, "config", "set", "acmeClientId", DEMO_CLIENT_ID)
    run(bin_dir, env, "config", "set", "--secret", "acmeClientSecret", stdin=DEMO_CLIENT_SECRET)


def show_outputs(bin_dir: Path, env: dict[str, str]) -> None:
    run(bin_dir, env, "stack", "output", "--stack", STACK)
    print(
        "\nSee these outputs again with:  make outputs\n"
        f"(or: PULUMI_BACKEND_URL={env['PULUMI_BACKEND_URL']} PULUMI_CONFIG_PASSPHRASE=<demo passphrase> "
        f"{bin_dir / 'pulumi'} stack output --stack {STACK})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outputs", action="store_true", help="only print the demo stack's outputs")
    args = parser.parse_args()
    bin_dir = pulumi_bin_dir()
    env = pulumi_env(bin_dir)
    if args.outputs:
        show_outputs(bin_dir, env)
        return 0
    (DEMO_DIR / "state").mkdir(parents=True, exist_ok=True)
    with EmulatorProcess(
        partner_key=DEMO_PARTNER_KEY, db_path=DEMO_DIR / "emulator.db", port=DEMO_PORT
    ) as emulator:
        print(f"Local Polytomic emulator on {emulator.url} (database {DEMO_DIR / 'emulator.db'})")
        configure_stack(bin_dir, env, emulator.url)
        run(bin_dir, env, "preview", "--stack", STACK)
        run(bin_dir, env, "up", "--yes", "--skip-preview", "--stack", STACK)
        show_outputs(bin_dir, env)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        print(
            f"\ndemo failed: '{Path(exc.cmd[0]).name} {' '.join(exc.cmd[1:3])}' exited with {exc.returncode}"
        )
        sys.exit(1)
