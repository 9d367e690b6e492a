"""What a killed run can leave broken in Pulumi's `file://` backend, and its repair.

The backend stores a stack as `.pulumi/stacks/<project>/<stack>.json` through gocloud's fileblob, which
writes each new checkpoint to a temporary file and renames it into place (atomic), but first rewrites the
metadata file beside it, `<stack>.json.attrs`, in place: truncate, then write. A `SIGKILL` between those
two leaves that file empty (and the new checkpoint as a stray `<stack>.json.<hex>.tmp`, never read), and
from then on every command on the stack (`pulumi cancel` and `stack export` included) fails with
`failed to load checkpoint: EOF`, though the previous checkpoint is whole. The metadata file holds only a
content type and a checksum, and fileblob reads a missing one as "no metadata", so removing a file that is
empty or not JSON gives the stack back exactly as it was last saved; nothing else is touched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["broken_metadata", "local_root"]

_METADATA_SUFFIX = ".attrs"
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


def local_root(backend_url: str | None, cwd: Path | None = None) -> Path | None:
    """The directory of a `file://` backend URL (`file://~/state` and `?no_tmp_dir=true` included; a
    relative one, `file://./state`, from `cwd`, as Pulumi run there resolves it); None for any other
    backend, whose storage is not ours to look at."""
    if not backend_url or not backend_url.startswith("file://"):
        return None
    parsed = urlparse(backend_url)
    path = Path(unquote(parsed.netloc + parsed.path)).expanduser()
    return path if path.is_absolute() else (cwd or Path.cwd()) / path


def broken_metadata(root: Path, stack: str, project: str | None = None) -> list[Path]:
    """The stack's metadata files under a `file://` backend that fileblob cannot read: empty or not JSON.

    `stack` may be fully qualified (`org/project/stack`), which names the project; otherwise `project`
    does (the `name` of the Pulumi.yaml in use), and only when neither does is every project's folder
    searched. Only the stack's checkpoint and its backup are looked at, never the checkpoint itself.
    """
    parts = stack.split("/")
    name = parts[-1]
    project = parts[-2] if len(parts) == 3 else project
    if not _is_name(name) or (project is not None and not _is_name(project)):
        return []  # not a name Pulumi accepts (`../x`): it will refuse it; nothing outside is touched
    stacks = root / ".pulumi" / "stacks"
    if not stacks.is_dir():
        return []
    files = [
        f"{name}.json{compression}{backup}{_METADATA_SUFFIX}"
        for compression in ("", ".gz", ".zst")
        for backup in ("", ".bak")
    ]
    if project is not None:
        folders = [stacks, stacks / project]  # the legacy layout kept stacks outside project folders
    else:
        folders = [stacks, *(path for path in stacks.iterdir() if path.is_dir())]
    return sorted(folder / file for folder in folders for file in files if _unreadable(folder / file))


def _is_name(name: str) -> bool:
    """A project or stack name as Pulumi allows it: letters, digits, `-`, `_` and `.`, not a path."""
    return bool(_NAME.fullmatch(name)) and name not in (".", "..")


def _unreadable(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:  # not there, or not ours to read: nothing to repair
        return False
    try:
        return not isinstance(json.loads(data), dict)
    except ValueError:  # empty, cut short, or not text
        return True
