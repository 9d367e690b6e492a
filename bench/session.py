"""Values fixed for one benchmark run and shared by its modules: where things are, the partner key the
emulator is started with (every client of the run uses it), and the progress log."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PARTNER_KEY = f"pk-bench-{secrets.token_hex(12)}"


def log(message: str) -> None:
    """Progress goes to stderr, so that stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)
