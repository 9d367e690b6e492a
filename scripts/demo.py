"""`make demo`: the example program, previewed and deployed against a local Polytomic emulator.

Everything stays inside the repository's `.demo/` folder: the emulator's database, the Pulumi state
(a `file://` backend, passphrase secrets provider), Pulumi's plugin folder. Running it again shows no
changes. Run with `--outputs` to print the stack's outputs again without starting anything, and with
`--destroy` (`make demo-destroy`) to delete the demo's organizations and its stack.

`--program yaml` (`make demo-yaml`) runs examples/yaml instead, through the provider plugin: it installs
`pulumi-resource-polytomic` from this virtualenv with `pulumi plugin install --file`, as a user would.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

from polytomic_emulator.launcher import EmulatorProcess
from polytomic_provider.version import __version__

REPO = Path(__file__).resolve().parent.parent
DEMO_DIR = REPO / ".demo"
STACK = "dev"
# Development-only values for the local emulator; a real deployment uses `pulumi config set --secret`.
DEMO_PARTNER_KEY = "demo-partner-key-0123456789"
DEMO_PASSPHRASE = "polytomic-demo-passphrase"
DEMO_CLIENT_ID = "demo-acme-client"
DEMO_CLIENT_SECRET = "demo-acme-client-secret"
# The port of the last run is taken again when it is free: `pulumi refresh` and `destroy` of the plugin's
# stack reach the API through the provider configuration stored at the last `up`. Otherwise any free port.
DEMO_PORT = int(os.environ.get("DEMO_EMULATOR_PORT", "48765"))
PORT_FILE = DEMO_DIR / "emulator.port"
PROGRAMS = {"python": REPO, "yaml": REPO / "examples" / "yaml"}


def pulumi_bin_dir() -> Path:
    """Find or build the CLI with the project's bootstrap script (it prints the bin directory last)."""
    print(
        "Finding the Pulumi CLI (scripts/install-pulumi): an installed one is used as it is; otherwise it "
        "is built from its Go modules, which takes a few minutes the first time and seconds afterwards.",
        flush=True,
    )
    started = time.monotonic()
    result = subprocess.run(
        [str(REPO / "scripts" / "install-pulumi")], check=True, stdout=subprocess.PIPE, text=True
    )
    bin_dir = Path(result.stdout.strip().splitlines()[-1])
    print(f"Pulumi CLI ready in {time.monotonic() - started:.0f} s: {bin_dir}", flush=True)
    return bin_dir


def _is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def demo_port() -> int:
    """The last run's port (or DEMO_EMULATOR_PORT) when it is free, else 0: the emulator picks one."""
    try:
        wanted = int(PORT_FILE.read_text()) if PORT_FILE.exists() else DEMO_PORT
    except ValueError:  # an edited or truncated file: start from the default again
        wanted = DEMO_PORT
    if _is_free(wanted):
        return wanted
    print(f"Port {wanted} is taken: the emulator takes a free one (the stack is pointed at it).", flush=True)
    return 0


def pulumi_env(bin_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYTOMIC_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PULUMI_BACKEND_URL=(DEMO_DIR / "state").as_uri(),
        PULUMI_CONFIG_PASSPHRASE=DEMO_PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK="1",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="1",
        PULUMI_HOME=str(DEMO_DIR / "pulumi-home"),
        # The plugin the YAML demo installs, even with this virtualenv activated (whose bin/ holds another,
        # which the engine would take first and, having no version, start twice a command).
        PULUMI_IGNORE_AMBIENT_PLUGINS="true",
    )
    return env


def run(bin_dir: Path, env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path = REPO) -> None:
    command = [str(bin_dir / "pulumi"), *args, "--non-interactive"]
    print(f"\n$ pulumi {shlex.join(args)}", flush=True)
    subprocess.run(command, cwd=cwd, env=env, input=stdin, text=True, check=True)


def install_plugin(bin_dir: Path, env: dict[str, str]) -> None:
    """The provider plugin of this virtualenv, installed into the demo's Pulumi home at its version."""
    plugin = Path(sys.executable).parent / "pulumi-resource-polytomic"
    run(bin_dir, env, "plugin", "install", "resource", "polytomic", __version__, "--file", str(plugin))


def configure_stack(bin_dir: Path, env: dict[str, str], url: str, cwd: Path = REPO) -> None:
    def pulumi(*args: str, stdin: str | None = None) -> None:
        run(bin_dir, env, *args, stdin=stdin, cwd=cwd)

    pulumi("stack", "select", "--create", STACK)
    pulumi("config", "set", "polytomic:deploymentUrl", url)
    # Secret values go through stdin, so they never appear in a process listing or in this output.
    pulumi("config", "set", "--secret", "polytomic:partnerKey", stdin=DEMO_PARTNER_KEY)
    pulumi("config", "set", "acmeClientId", DEMO_CLIENT_ID)
    pulumi("config", "set", "--secret", "acmeClientSecret", stdin=DEMO_CLIENT_SECRET)


def again(program: str, make_target: str, flag: str) -> str:
    """The command that runs the demo of `program` again with `flag`: the Makefile's target for the Python
    demo, this script for the others (they have no target)."""
    if program == "python":
        return f"make {make_target}"
    return f"{sys.executable} scripts/demo.py --program {program} {flag}"


def show_outputs(bin_dir: Path, env: dict[str, str], program: str = "python") -> None:
    run(bin_dir, env, "stack", "output", "--stack", STACK, cwd=PROGRAMS[program])
    print(
        f"\nSee these outputs again with:  {again(program, 'outputs', '--outputs')}\n"
        f"(or: PULUMI_BACKEND_URL={env['PULUMI_BACKEND_URL']} PULUMI_CONFIG_PASSPHRASE=<demo passphrase> "
        f"{bin_dir / 'pulumi'} stack output --stack {STACK})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--outputs", action="store_true", help="only print the demo stack's outputs")
    parser.add_argument(
        "--destroy", action="store_true", help="delete the demo's organizations, then its stack"
    )
    parser.add_argument(
        "--program", choices=sorted(PROGRAMS), default="python", help="which example program to run"
    )
    args = parser.parse_args()
    bin_dir = pulumi_bin_dir()
    env = pulumi_env(bin_dir)
    cwd = PROGRAMS[args.program]
    if args.outputs:
        show_outputs(bin_dir, env, args.program)
        return 0
    (DEMO_DIR / "state").mkdir(parents=True, exist_ok=True)
    with EmulatorProcess(
        partner_key=DEMO_PARTNER_KEY, db_path=DEMO_DIR / "emulator.db", port=demo_port()
    ) as emulator:
        PORT_FILE.write_text(str(emulator.port))
        print(f"Local Polytomic emulator on {emulator.url} (database {DEMO_DIR / 'emulator.db'})")
        if args.program == "yaml":
            install_plugin(bin_dir, env)
        configure_stack(bin_dir, env, emulator.url, cwd)
        if args.destroy:
            run(bin_dir, env, "destroy", "--yes", "--stack", STACK, cwd=cwd)
            run(bin_dir, env, "stack", "rm", "--yes", STACK, cwd=cwd)
            print("\nThe demo's organizations and its stack are deleted; `make demo` starts again.")
            return 0
        run(bin_dir, env, "preview", "--stack", STACK, cwd=cwd)
        run(bin_dir, env, "up", "--yes", "--skip-preview", "--stack", STACK, cwd=cwd)
        show_outputs(bin_dir, env, args.program)
        destroy = again(args.program, "demo-destroy", "--destroy")
        print(f"Delete the demo's organizations and its stack with:  {destroy}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        print(
            f"\ndemo failed: '{Path(exc.cmd[0]).name} {' '.join(exc.cmd[1:3])}' exited with {exc.returncode}"
        )
        sys.exit(1)
