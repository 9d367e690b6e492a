"""What a killed run can leave broken in Pulumi's `file://` backend, and its repair.

The backend stores a stack as `.pulumi/stacks/<project>/<stack>.json` through gocloud's fileblob, which
writes the checkpoint to a temporary file and renames it (atomic), but writes the metadata file beside it,
`<stack>.json.attrs`, in place: truncate, then write. A `SIGKILL` between the two leaves that file empty,
and from then on every command on the stack (`pulumi cancel` and `stack export` included) fails with
`failed to load checkpoint: EOF`, though the checkpoint itself is whole. The metadata file holds only a
content type and a checksum, and fileblob reads a missing one as "no metadata", so removing a file that is
empty or not JSON gives the stack back exactly as it was last saved; nothing else is touched.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlparse

__all__ = ["broken_metadata", "local_root"]

_METADATA_SUFFIX = ".attrs"


def local_root(backend_url: str | None) -> Path | None:
    """The directory of a `file://` backend URL (`file://~/state` and `?no_tmp_dir=true` included);
    None for any other backend, whose storage is not ours to look at."""
    if not backend_url or not backend_url.startswith("file://"):
        return None
    parsed = urlparse(backend_url)
    path = unquote(parsed.netloc + parsed.path)
    return Path(path).expanduser()


def broken_metadata(root: Path, stack: str) -> list[Path]:
    """The stack's metadata files under a `file://` backend that fileblob cannot read: empty or not JSON.

    `stack` may be fully qualified (`org/project/stack`); files are matched by the stack's own name, in
    any project folder, and only for the stack's checkpoint and its backup.
    """
    name = stack.rsplit("/", 1)[-1]
    stacks = root / ".pulumi" / "stacks"
    if not stacks.is_dir():
        return []
    files = [
        f"{name}.json{compression}{backup}{_METADATA_SUFFIX}"
        for compression in ("", ".gz", ".zst")
        for backup in ("", ".bak")
    ]
    folders = [stacks, *(path for path in stacks.iterdir() if path.is_dir())]
    return sorted(folder / file for folder in folders for file in files if _unreadable(folder / file))


def _unreadable(path: Path) -> bool:
    try:
        data = path.read_bytes()
    except OSError:  # not there, or not ours to read: nothing to repair
        return False
    try:
        return not isinstance(json.loads(data), dict)
    except ValueError:  # empty, cut short, or not text
        return True
