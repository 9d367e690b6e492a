"""The byte forms of a JSON body that json.loads accepts, shared by the emulator tests that send bodies in
each of them (deep-nesting refusal, journal redaction)."""

from __future__ import annotations

import codecs

#: Each way json.loads accepts bytes: (codec, BOM written before the text).
ENCODINGS = [
    ("utf-8", b""),
    ("utf-8", codecs.BOM_UTF8),
    ("utf-16-le", b""),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", b""),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", b""),
    ("utf-32-le", codecs.BOM_UTF32_LE),
    ("utf-32-be", b""),
    ("utf-32-be", codecs.BOM_UTF32_BE),
]
ENCODING_IDS = [f"{codec}{'+bom' if bom else ''}" for codec, bom in ENCODINGS]
