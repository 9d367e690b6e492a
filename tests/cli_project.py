"""A Pulumi project in a folder of its own, driven with the CLI exactly as a user drives it.

For tests where the provider must come from one given virtualenv and nowhere else (the installed wheel, an
old release writing a golden stack): the caller's PYTHONPATH and POLYTOMIC_* variables are left out, and
the program runs in that virtualenv. Standard library only, so an old release's Python can run it
(tests/golden/make_golden.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def clean_env() -> dict[str, str]:
    """This process's environment without what could point Python or the provider at other code or keys."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("POLYTOMIC_")}


def without_this_virtualenv(path: str) -> str:
    """PATH without this virtualenv's scripts (an activated virtualenv puts them first): no program, plugin
    or provider of ours is found there."""
    ours = {str(Path(sys.prefix) / "bin"), str(Path(sys.executable).parent)}
    return os.pathsep.join(entry for entry in path.split(os.pathsep) if entry not in ours)


class CliProject:
    """`root/project` holds the program and Pulumi.yaml; `root/state` is the file:// backend, `root/home`
    the Pulumi home. Secrets use the passphrase provider with the given passphrase."""

    def __init__(
        self,
        root: Path,
        *,
        name: str,
        program: Path,
        virtualenv: str,
        bin_dir: Path,
        passphrase: str,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.dir = root / "project"
        self.dir.mkdir(parents=True)
        shutil.copy(program, self.dir / "__main__.py")
        runtime = {"name": "python", "options": {"virtualenv": virtualenv}}
        (self.dir / "Pulumi.yaml").write_text(json.dumps({"name": name, "runtime": runtime}))
        (root / "state").mkdir()
        self.bin_dir = bin_dir
        self.env = {
            **clean_env(),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(root / "home"),
            "PULUMI_BACKEND_URL": (root / "state").as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
            **(env or {}),
        }

    def pulumi(self, *args: str, stdin: str | None = None) -> str:
        """Run `pulumi ARGS --non-interactive` in the project; its stdout, or RuntimeError with all output."""
        command = [str(self.bin_dir / "pulumi"), *args, "--non-interactive"]
        result = subprocess.run(
            command, cwd=self.dir, env=self.env, input=stdin, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pulumi {' '.join(args)} exited {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def outputs(self) -> dict[str, str]:
        """The stack's outputs (secrets shown as [secret])."""
        values: dict[str, str] = json.loads(self.pulumi("stack", "output", "--json"))
        return values
