"""Folders made once for a whole pytest run and shared by its xdist workers: what costs seconds of CPU to
make (npm installs, a plugin's virtualenv) and is only read once made.

A session fixture is once per worker: with three workers, three npm installs of the same packages. These
folders live in the run's temporary folder, above each worker's (popen workers), and the first worker to need
one makes it under a lock while the others wait for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary folder of the whole run: above each worker's (`<run>/popen-gw0`) under xdist, the
    session's without it. Other kinds of xdist worker (ssh, socket) have no run folder above theirs, only the
    user's folder of every run, where an earlier run's folders would be taken for this one's: each keeps
    its own."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if base.name.startswith("popen-") else base


@contextlib.contextmanager
def held(lock_file: Path) -> Iterator[None]:
    """An exclusive lock across the run's pytest processes, released when the block ends."""
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def made_once(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]) -> Path:
    """The run's folder `name`, made by `make(folder)` in the first process that asks (it creates the
    folder). A `make` that failed is tried again by the next process that asks."""
    shared = run_folder(tmp_path_factory)
    folder = shared / name
    done = shared / f"{name}.done"
    with held(shared / f"{name}.lock"):
        if not done.exists():
            shutil.rmtree(folder, ignore_errors=True)  # what a failed attempt left
            make(folder)
            done.touch()
    return folder
