"""The request journal: one redacted entry per /api/ request, for tests to inspect.

Why: tests need to see what a client actually sent (headers, body, Idempotency-Key, retries) and what the
emulator did with it (status, injected fault), without the journal becoming a place where credentials
leak, or a way for anyone who can reach the port to fill the emulator's memory. So:

- Redaction happens when an entry is written, not when it is read.
- Header names are lower-cased; ``authorization`` keeps only its scheme (``"Bearer <redacted>"``);
  ``x-emulator-admin-token``, ``cookie``, ``proxy-authorization`` and a header named like ``client_secret``
  are replaced whole. Names are redacted like values (a known secret in a header's name).
- Secret fields are redacted by name: any key that reads ``client_secret`` once case, ``_`` and ``-`` are
  ignored (``Client_Secret``, ``clientSecret``). In a JSON body at any depth the value becomes
  ``"<redacted>"`` (a ``null`` stays ``null``, so a test still sees the field was sent); in a body that is
  not JSON, and in every JSON string (which may hold JSON, a form or a multipart body of its own),
  ``"key": value`` pairs (``\\u``-escaped names decoded), ``key=value`` pairs and multipart/form-data parts
  named so; in the query.
- Bodies are decoded as JSON decodes them (UTF-8, UTF-16, UTF-32); a body that is not JSON and holds NULs
  is also read as UTF-16 and UTF-32 from every alignment, and dropped whole if a known value is in any
  reading.
- Known values are redacted wherever they appear (path, query, header names and values, body), in any
  letter case, in every spelling a client can send (raw, JSON-escaped, URL-encoded, nested: see
  spellings.py), also inside a token that decodes to them, twice over: percent-encoded, a JSON string with
  ``\\u`` escapes, base64 or base64url at any alignment, padded or not (Basic auth), of UTF-8 or of any
  other bytes (read as latin-1 too, and as UTF-16 with NULs among them), hex, wherever it sits in a token
  (behind a ``/``, in the ``.``-joined parts of a JWT) or wrapped in lines (MIME, PEM); and, replacing the
  whole text, a value that shows once the text is decoded as a whole (`_decoded_views`: HTML entities or
  ``\\u`` escapes of every character, the value split by whitespace, base64 lines percent-encoded). A
  text too costly to search (spellings.TooCostly: the work per entry is bounded, `WORK_PER_ENTRY`) or too
  long (`MAX_JOURNALED_BODY`, `MAX_JOURNALED_TEXT`, and the headers past `max_header_bytes`) is replaced
  whole by a note of its length, never kept in part. Known values are the server's credentials (partner
  key, API keys, admin token, always), the API keys minted for users while it runs (the newest
  `MAX_MINTED_KEYS`; text of a minted key's shape is redacted whatever its origin, so one minted before a
  restart is too) and client secrets:

  - learnt only from the field that carries one, the top-level ``client_secret`` of an *accepted* (2xx)
    create (``POST /api/organizations``) or update (``PUT /api/organizations/{id}``). Anything else any
    caller sends (an org-scoped key's ``GET`` with a body full of ``client_secret``, a nested field, a
    rejected write) is redacted by field name in its own entry and never learnt: otherwise a value such as
    ``"organizations"`` would redact every later path, and a flood of values would push a real secret out.
  - only values of `MIN_LEARNT_SECRET` to `MAX_LEARNT_SECRET` characters: a shorter one is too short to be
    a credential and would garble unrelated text; a longer one would make every redaction slower. Both
    are still redacted by field name.
  - the secrets of the organizations in the store are always known (re-read from the store after every
    accepted write) and can never be evicted by learning; besides them at most `MAX_RECENT_SECRETS`
    recently learnt or replaced ones are kept, least recently used dropped first. A reset starts over from
    the store. With more than `max_stored_secrets` in the store, none of them is searched for and every
    entry is withheld instead (a stub: method, status, fault and ``"redacted"`` saying why): searching for
    only some would let the others through silently.
- A request without a valid key is kept without its body: status, path, query and headers say it was
  refused, which is all a reader needs; its body is nobody's business and could be a megabyte. Its answer
  does not wait for its entry (`submit`): it is written on a thread of its own, within a small fixed
  budget (`WORK_PER_ANONYMOUS_ENTRY`), so no other answer waits behind it; at most `anonymous_backlog`
  such entries wait, and beyond that one is written at once as a stub. A reader calls `settled` first,
  so it still finds them.
- Bodies are kept as strict JSON (`_serialisable`): NaN and the infinities as strings, lone surrogates as
  their escapes, so the journal can always be sent.
- Entries are stored serialized, and the journal keeps the last `capacity` of them, at most `max_bytes` in
  all (the newest entry is always kept). It does not survive a restart. ``seq`` keeps counting across
  ``clear()`` so that a reader can ask for entries after a given seq.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import html
import json
import logging
import math
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard
from urllib.parse import unquote_plus

from . import jsonbody
from .settings import JOURNAL_ANONYMOUS_BACKLOG, JOURNAL_MAX_HEADER_BYTES, JOURNAL_MAX_STORED_SECRETS
from .spellings import Budget, SecretSpellings, TooCostly

_log = logging.getLogger("polytomic_emulator")

REDACTED = "<redacted>"
#: Learnt (or replaced) client secrets kept besides those of the organizations in the store.
MAX_RECENT_SECRETS = 256
#: Shorter client secrets are redacted by field name only: too short to be a credential, and replacing them
#: everywhere would garble the journal (``"organizations"`` has 13 characters, so even this is no guarantee).
MIN_LEARNT_SECRET = 8
#: Longer client secrets are redacted by field name only; real client secrets are far shorter (OIDC
#: providers issue 24-64 characters), and each learnt character makes every later redaction slower.
MAX_LEARNT_SECRET = 256
#: Bodies longer than this are journaled as a note of their size, never in part (a cut could split a
#: secret): redacting one takes time linear in its length, times the secrets' spellings found in it.
MAX_JOURNALED_BODY = 128 * 1024
#: The same for the path, the query and each header value (uvicorn does not bound a request line).
MAX_JOURNALED_TEXT = 16 * 1024
#: The only requests client secrets are learnt from: accepted creates and updates (and deletes, which only
#: move the deleted organization's secret to the recent ones).
_CREATE_PATH = "/api/organizations"
_ORGANIZATION_PATH = re.compile(r"/api/organizations/[0-9a-fA-F-]{36}")
#: API keys minted for users (``POST .../users/{id}/keys``) kept as known values (the most recent ones); any
#: text of their shape (store.API_KEY_PREFIX and 48 hex digits) is redacted too, minted here or not.
MAX_MINTED_KEYS = 256
_MINTED_KEY = re.compile(r"pk_emu_[0-9a-f]{48}", re.IGNORECASE)
#: Header values of unauthenticated requests are cut to this many characters (after redaction).
MAX_ANONYMOUS_HEADER = 256
#: The work one entry's redaction may take, in the units of spellings.Budget (roughly a spelling compared):
#: a fixed allowance plus so much per character of the request. Past it, every text of the entry not yet
#: redacted is replaced whole by a note ("too costly to redact"), never kept unsearched. A unit is about a
#: fifth of a microsecond, so the largest entry the journal keeps costs well under a second.
WORK_PER_ENTRY = 200_000
WORK_PER_ENTRY_CHARACTER = 16
#: The work the entry of a request without a valid key may take, whatever its size (a few milliseconds): such
#: an entry only needs to show that the request was refused, and a backlog of them drains quickly.
WORK_PER_ANONYMOUS_ENTRY = 20_000
#: How long an answer waits for its own entry: entries are written one at a time, and one caller's costly
#: entries (128 KiB of base64 lines took 3 s each) must not hold up everyone else's answers. A reader of
#: the journal still finds the entry (`settled`).
ENTRY_WAIT_S = 1.0
#: Entries of authenticated requests waiting to be written at most; beyond, one is written at once as a
#: stub, so that a flood of costly requests cannot grow the queue (each holds its body).
JOURNAL_BACKLOG = 64
#: Methods named as they are in a stub entry (no redaction runs for one); any other is "non-standard".
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_WHOLE_HEADER_SECRETS = frozenset({"x-emulator-admin-token", "cookie", "proxy-authorization"})
# Every pattern below runs in time linear in the text (a body of 10,000 unterminated quotes took 24 s while
# a closing quote was required, each quote scanned to the end): a quoted key is at most 128 characters, and
# a quoted value or string that is never closed runs to the end of the text.
_KEY = r'"(?:[^"\\]|\\.){0,128}"|\'(?:[^\'\\]|\\.){0,128}\''
_VALUE = r'"(?:[^"\\]|\\.)*"?|\'(?:[^\'\\]|\\.)*\'?'
_TEXT_PAIR = re.compile(rf"({_KEY})(\s*:\s*)({_VALUE}|[^\s,}}\]]+)", re.DOTALL)
_FORM_PAIR = re.compile(r"(?<![^&;?\s])([^=&;\s]+)=([^&;\s]*)")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
# A run that may be an encoded secret: percent-encoded, or base64 (Basic auth credentials).
_TOKEN = re.compile(r"[^\s&;=,:\"'<>()\[\]{}]{8,}={0,2}")
# A run of base64 or base64url characters (a token holds one or more, between ``.``, ``=``, ``%``...).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]+")
# A run of hexadecimal digits (a value's bytes in hex), and the escapes `_unescape_u` decodes; both linear.
_HEX_RUN = re.compile(r"[0-9A-Fa-f]++")
# Behind a run of backslashes too (escaped again: ``\\\\u0070`` kept the key in clear), matched from the run's
# start only, possessively, so that a long run of backslashes stays linear.
_U_ESCAPE = re.compile(r"(?<!\\)\\++(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_WHITESPACE = re.compile(r"\s++")
# Base64 wrapped in lines (MIME and PEM wrap at 76 columns, a folded header indents its lines). It starts
# only where a run starts and every quantifier is possessive: linear in the text, whatever the text.
_WRAPPED_BASE64 = re.compile(
    r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{4,}+={0,2}+(?:[ \t]*+\r?\n[ \t]*+[A-Za-z0-9+/_-]++={0,2}+)++"
)


def is_secret_field(name: str) -> bool:
    """``client_secret`` in any spelling: case, underscores and hyphens do not matter."""
    return re.sub(r"[^a-z0-9]", "", name.lower()) == "clientsecret"


@dataclass(frozen=True)
class RequestFacts:
    """What the API pipeline knows about one finished /api/ request."""

    method: str
    path: str
    query: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    status: int | None
    fault: str | None
    latency_ms: int
    replayed: bool
    error_key: str | None
    duration_ms: float
    started_at: float
    #: Whether the request carried a key the emulator knows.
    authenticated: bool = True


class Journal:
    """A bounded, thread-safe list of redacted request entries."""

    def __init__(
        self,
        *,
        capacity: int,
        max_bytes: int,
        secrets: Iterable[str] = (),
        stored_secrets: Callable[[], Iterable[str | None]] | None = None,
        max_header_bytes: int = JOURNAL_MAX_HEADER_BYTES,
        anonymous_backlog: int = JOURNAL_ANONYMOUS_BACKLOG,
        max_stored_secrets: int = JOURNAL_MAX_STORED_SECRETS,
        backlog: int = JOURNAL_BACKLOG,
    ) -> None:
        self._lock = threading.Lock()
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._max_header_bytes = max_header_bytes
        self._anonymous_backlog = anonymous_backlog
        self._max_stored_secrets = max_stored_secrets
        #: Entries of unauthenticated requests handed to the journal's thread and not yet written.
        self._anonymous_pending = 0
        #: Entries of authenticated requests handed to the journal's thread and not yet written.
        self._pending = 0
        self._backlog = backlog
        self._entries: deque[tuple[int, bytes]] = deque()
        self._bytes = 0
        self._seq = 0
        self._credentials = tuple(secret for secret in secrets if secret)
        #: The client secrets of the organizations in the store (the store's `client_secrets`).
        self._stored_secrets = stored_secrets
        self._live: frozenset[str] = frozenset()
        #: How many learnable secrets the store holds when that is over `max_stored_secrets` (else 0):
        #: then none of them is searched for and every entry is withheld instead.
        self._overflow = 0
        self._recent: OrderedDict[str, None] = OrderedDict()
        self._minted: OrderedDict[str, None] = OrderedDict()
        self._scrub: SecretSpellings | None = None
        self._generation = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-journal")
        #: Entries of unauthenticated requests have a thread of their own, so that an answer that waits for
        #: its entry never waits behind theirs.
        self._anonymous_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="emulator-journal-anon")

    async def write(self, facts: RequestFacts) -> None:
        """`record` on the journal's own thread, never on the event loop: redaction takes time linear in
        the request's size, and after a secret is learnt a new redactor is built; the loop must keep
        answering other requests meanwhile (review point 10). The caller awaits it before answering, so a
        test that has its answer finds the entry, but at most `ENTRY_WAIT_S`: one thread writes entries in
        order, and another caller's costly entries must not hold up this answer (a reader calls `settled`).
        At most `backlog` entries wait; beyond that the entry is written at once as a stub."""
        with self._lock:
            queued = self._pending < self._backlog
            if queued:
                self._pending += 1
        if not queued:
            self._store(self._stub(facts, f"journal busy: over {self._backlog} entries waiting"))
            return
        written = asyncio.get_running_loop().run_in_executor(self._writer, self._record_counted, facts)
        try:
            await asyncio.wait_for(asyncio.shield(written), ENTRY_WAIT_S)
        except TimeoutError:
            written.add_done_callback(_log_late_failure)

    def _record_counted(self, facts: RequestFacts) -> None:
        try:
            self.record(facts)
        finally:
            with self._lock:
                self._pending -= 1

    def submit(self, facts: RequestFacts) -> None:
        """`record` on the journal's thread without waiting for it: for unauthenticated requests, whose
        answers must not wait behind anyone's entry (review point 10). At most `anonymous_backlog` of them
        wait to be written; beyond that the entry is written at once as a stub (method, status, fault; no
        text of the request, so nothing to redact), so a flood cannot grow the journal's queue."""
        with self._lock:
            queued = self._anonymous_pending < self._anonymous_backlog
            if queued:
                self._anonymous_pending += 1
        if queued:
            self._anonymous_writer.submit(self._record_anonymous, facts)
        else:
            busy = f"journal busy: over {self._anonymous_backlog} anonymous entries waiting"
            self._store(self._stub(facts, busy))

    def _record_anonymous(self, facts: RequestFacts) -> None:
        try:
            self.record(facts)
        finally:
            with self._lock:
                self._anonymous_pending -= 1

    async def settled(self) -> None:
        """Wait until every entry handed to the journal so far is written (a reader calls this first, so
        that the entry of an answered anonymous request is there)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._anonymous_writer, _nothing)
        await loop.run_in_executor(self._writer, _nothing)

    def drain(self) -> None:
        """`settled`, from a thread that is not the event loop's."""
        self._anonymous_writer.submit(_nothing).result()
        self._writer.submit(_nothing).result()

    def close(self) -> None:
        """Let the journal's thread end once it has written what it was given."""
        self._writer.shutdown(wait=False)
        self._anonymous_writer.shutdown(wait=False)

    def reset_client_secrets(self, secrets: Iterable[str | None]) -> None:
        """Start over with these client_secret values (the store's, at start-up and after a reset)."""
        with self._lock:
            self._recent.clear()
            self._live = frozenset(secret for secret in secrets if _learnable(secret))
            self._overflow = len(self._live) if len(self._live) > self._max_stored_secrets else 0
            self._forget_redactor()

    def learn_credential(self, value: str) -> None:
        """A credential made while running (a user's minted API key, which the store keeps only as a
        digest): from now on redacted like the configured ones, wherever and however it appears."""
        with self._lock:
            if value not in self._minted:
                self._forget_redactor()
            self._minted[value] = None
            self._minted.move_to_end(value)
            while len(self._minted) > MAX_MINTED_KEYS:
                self._minted.popitem(last=False)

    def _forget_redactor(self) -> None:
        self._scrub = None
        self._generation += 1

    def _learn(self, learnt: str | None) -> None:
        """After an accepted write: remember the secret it set, and follow the store's current secrets (a
        replaced or deleted one moves to the recent ones)."""
        if _learnable(learnt):
            self._remember(learnt)
        if self._stored_secrets is None:
            return
        live = frozenset(secret for secret in self._stored_secrets() if _learnable(secret))
        for gone in self._live - live:
            self._remember(gone)
        if live != self._live:
            self._live = live
            self._overflow = len(live) if len(live) > self._max_stored_secrets else 0
            self._forget_redactor()

    def _remember(self, secret: str) -> None:
        if secret not in self._recent:
            self._forget_redactor()
        self._recent[secret] = None
        self._recent.move_to_end(secret)
        while len(self._recent) > MAX_RECENT_SECRETS:
            self._recent.popitem(last=False)

    def _current_scrub(self) -> tuple[SecretSpellings, int]:
        """The search for the values known now, built outside the lock (a reader of `entries` never waits
        for a build); a build that a newer change overtook is used once and not kept. With it, how many
        stored secrets are over the cap (0 if none): those are not in the search."""
        with self._lock:
            overflow = self._overflow
            if self._scrub is not None:
                return self._scrub, overflow
            live = () if overflow else tuple(self._live)
            known = (*self._credentials, *self._minted, *live, *self._recent)
            generation = self._generation
        scrub = SecretSpellings(known, marker=REDACTED)
        with self._lock:
            if generation == self._generation:
                self._scrub = scrub
        return scrub, overflow

    def record(self, facts: RequestFacts) -> None:
        keep, learns = len(facts.body) <= MAX_JOURNALED_BODY, facts.authenticated and _accepted_write(facts)
        body = _parse_body(facts.body) if facts.authenticated and (keep or learns) else None
        if learns:
            learnt = None
            if isinstance(body, dict) and facts.method != "DELETE":
                learnt = body.get("client_secret")  # the top-level field only
            with self._lock:
                self._learn(learnt if isinstance(learnt, str) else None)
        scrub, overflow = self._current_scrub()
        if overflow:
            self._store(
                self._stub(
                    facts,
                    f"too many secrets: {overflow} stored client secrets, over the journal's limit of "
                    f"{self._max_stored_secrets}; path, query, headers and body not kept",
                )
            )
            return
        headers, header_bytes = _capped_headers(facts.headers, self._max_header_bytes)
        size = len(facts.path) + len(facts.query) + header_bytes + (len(facts.body) if keep else 0)
        work = (
            WORK_PER_ENTRY + WORK_PER_ENTRY_CHARACTER * size
            if facts.authenticated
            else WORK_PER_ANONYMOUS_ENTRY
        )
        redactor = _Redactor(scrub, Budget(work))
        if facts.authenticated and not keep:
            body = _Omitted(f"<body of {len(facts.body)} bytes, not kept (over {MAX_JOURNALED_BODY})>")
        # The path and the query first: if the entry's work runs out, they are what a reader needs most.
        path, query = redactor.text(_bounded(facts.path)), redactor.query(_bounded(facts.query))
        kept_headers = redactor.headers(headers)
        if len(headers) < len(facts.headers):
            dropped = facts.headers[len(headers) :]
            note = f"{len(dropped)} headers of {sum(len(n) + len(v) for n, v in dropped)} bytes"
            kept_headers["<not kept>"] = f"{note}, over the journal's limit of {self._max_header_bytes}"
        if not facts.authenticated:
            kept_headers = {name: value[:MAX_ANONYMOUS_HEADER] for name, value in kept_headers.items()}
        entry = self._head(facts)
        entry.update(
            path=path,
            query=query,
            headers=kept_headers,
            body=redactor.body(body),
        )
        self._store(entry)

    @staticmethod
    def _head(facts: RequestFacts) -> dict[str, Any]:
        """The fields of an entry that hold nothing a client chose (but the method, which is a token)."""
        return {
            "time": datetime.fromtimestamp(facts.started_at, UTC).isoformat(timespec="milliseconds")[:-6]
            + "Z",
            "method": facts.method,
            "path": None,
            "query": None,
            "status": facts.status,
            "fault": facts.fault,
            "latency_ms": facts.latency_ms,
            "replayed": facts.replayed,
            "error_key": facts.error_key,
            "duration_ms": round(facts.duration_ms, 3),
            "headers": {},
            "body": None,
        }

    def _stub(self, facts: RequestFacts, why: str) -> dict[str, Any]:
        """An entry that keeps nothing of the request's text (so needs no redaction), saying why."""
        entry = self._head(facts)
        if entry["method"] not in _METHODS:
            entry["method"] = "non-standard"
        entry["redacted"] = why
        return entry

    def _store(self, entry: dict[str, Any]) -> None:
        try:
            serialized = json.dumps(entry, allow_nan=False).encode()
        except ValueError:  # never expected (bodies are made safe when parsed); never a broken journal
            entry["body"] = "<body not kept: not serialisable>"
            serialized = json.dumps(entry, allow_nan=False).encode()
        with self._lock:
            self._seq += 1
            data = b'{"seq": %d, ' % self._seq + serialized[1:]
            self._entries.append((self._seq, data))
            self._bytes += len(data)
            while len(self._entries) > 1 and (
                len(self._entries) > self._capacity or self._bytes > self._max_bytes
            ):
                self._bytes -= len(self._entries.popleft()[1])

    def entries(self, *, since: int = 0) -> list[dict[str, Any]]:
        """The entries written so far after `since` (call `settled` first to include those on their way)."""
        with self._lock:
            kept = [data for seq, data in self._entries if seq > since]
        return [json.loads(data) for data in kept]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0


class _Text(str):
    """A body that was not JSON, kept as text."""

    #: Other readings of its bytes, if the one kept may not be the one its client meant.
    alternatives: tuple[str, ...] = ()


class _Omitted(str):
    """What the journal says instead of a body or text too long to redact in bounded time."""


def _log_late_failure(written: asyncio.Future[None]) -> None:
    """Log a failure of an entry its answer no longer waited for (else asyncio reports it as unretrieved)."""
    if not written.cancelled() and written.exception() is not None:
        _log.warning("could not journal an entry: %s", type(written.exception()).__name__)


def _nothing() -> None:
    """What the journal's thread runs to tell that everything before it is written."""


def _capped_headers(raw: list[tuple[bytes, bytes]], limit: int) -> tuple[list[tuple[bytes, bytes]], int]:
    """The leading headers whose names and values add up to at most `limit` bytes, and their size: a head
    is capped (server.py) but many heads are journaled, and each header is redacted on its own."""
    kept, size = [], 0
    for name, value in raw:
        if size + len(name) + len(value) > limit:
            break
        kept.append((name, value))
        size += len(name) + len(value)
    return kept, size


def _bounded(text: str) -> str:
    """`text`, or a note of its length if it is longer than `MAX_JOURNALED_TEXT`: never a part of it, as a
    cut could split a secret and leave a piece that no longer matches."""
    return text if len(text) <= MAX_JOURNALED_TEXT else _Omitted(f"<{len(text)} characters, not kept>")


def _parse_body(raw: bytes) -> Any:
    """JSON if the body is JSON (in any encoding JSON allows), else text decoded as JSON would decode it."""
    if not raw:
        return None
    try:
        return _serialisable(jsonbody.loads(raw))
    except ValueError:
        pass
    try:
        text = _Text(_unsurrogate(jsonbody.decode(raw)))
    except ValueError:
        text = _Text(raw.decode("utf-8", errors="replace"))
    if "\x00" in text:  # perhaps UTF-16 or UTF-32 that JSON's detection missed: keep every reading
        text.alternatives = tuple(_wide_readings(raw))
    return text


_SURROGATE = re.compile("[\ud800-\udfff]")
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _unsurrogate(text: str) -> str:
    """`text` with each lone UTF-16 surrogate (``"\\ud800"`` in JSON, or UTF-16 bytes decoded with
    surrogatepass) written as its escape, six characters: no UTF-8 encoder accepts one, so the journal
    could not be sent (review point 13). Done before redaction, so that the redactor sees the final text."""
    if text.isascii():
        return text
    return _SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _serialisable(value: Any) -> Any:
    """A parsed JSON body as strict JSON can carry it: NaN and the infinities (json.loads accepts them,
    ``1e999`` too) become the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``, and lone surrogates in
    strings and keys become escapes (`_unsurrogate`). Nesting is at most jsonbody.MAX_DEPTH deep."""
    if isinstance(value, dict):
        return {_unsurrogate(key): _serialisable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_serialisable(item) for item in value]
    if isinstance(value, str):
        return _unsurrogate(value)
    if isinstance(value, float) and not math.isfinite(value):
        return _NON_FINITE.get(value, "NaN")
    return value


def _wide_readings(raw: bytes) -> list[str]:
    """`raw` read as UTF-16 and UTF-32 in either byte order, from each possible first byte."""
    readings = []
    for codec, width in (("utf-16-le", 2), ("utf-16-be", 2), ("utf-32-le", 4), ("utf-32-be", 4)):
        for start in range(width):
            usable = raw[start : start + (len(raw) - start) // width * width]
            with contextlib.suppress(UnicodeDecodeError, ValueError):
                readings.append(usable.decode(codec, errors="replace"))
    return readings


def _learnable(secret: str | None) -> TypeGuard[str]:
    return secret is not None and MIN_LEARNT_SECRET <= len(secret) <= MAX_LEARNT_SECRET


def _accepted_write(facts: RequestFacts) -> bool:
    """Whether the request was an accepted create, update or delete of an organization."""
    if facts.status is None or not 200 <= facts.status < 300:
        return False
    if facts.method == "POST":
        return facts.path == _CREATE_PATH
    return facts.method in ("PUT", "DELETE") and _ORGANIZATION_PATH.fullmatch(facts.path) is not None


class _Redactor:
    """Redaction of one entry: a search for the values known now, and the work the entry may take."""

    def __init__(self, scrub: SecretSpellings, budget: Budget) -> None:
        self._scrub = scrub
        self._budget = budget

    def _found_in(self, text: str) -> bool:
        return self._scrub.found_in(text, self._budget) or _MINTED_KEY.search(text) is not None

    def text(self, value: str) -> str:
        """Every known value removed, in any encoding, also from tokens that decode to one; and if a known
        value still shows once the text is decoded as a whole (`_decoded_views`: every character an HTML
        entity or a ``\\u`` escape, the value split by whitespace, base64 lines percent-encoded), the whole
        text is replaced."""
        if isinstance(value, _Omitted):
            return str(value)
        if not value:
            return value
        try:
            scrubbed = self._plain(value)
            if any(self._plain(view) != view for view in _decoded_views(scrubbed)):
                return REDACTED
            return scrubbed
        except TooCostly:  # dropped whole: cheaper than searching it, and safe
            return f"<{len(value)} characters, not kept: too costly to redact>"

    def _plain(self, value: str) -> str:
        """Known values removed from `value` as it is and from its tokens and base64 lines."""
        scrubbed = self._scrub(_MINTED_KEY.sub(REDACTED, value), self._budget)
        scrubbed = _WRAPPED_BASE64.sub(self._wrapped, scrubbed) if "\n" in scrubbed else scrubbed
        return _TOKEN.sub(self._token, scrubbed)

    def _token(self, match: re.Match[str]) -> str:
        token = match.group()
        if len(token) < self._scrub.shortest:  # every encoding is at least as long as what it encodes
            return token
        decoded = _decodings(token, self._scrub.shortest)
        return REDACTED if any(self._found_in(d) for d in decoded) else token

    def _wrapped(self, match: re.Match[str]) -> str:
        """Base64 wrapped in lines (MIME, PEM: 76 columns): decoded as one token."""
        joined = re.sub(r"\s+", "", match.group())
        if len(joined) < self._scrub.shortest:
            return match.group()
        decoded = _decodings(joined, self._scrub.shortest)
        return REDACTED if any(self._found_in(d) for d in decoded) else match.group()

    def _holds_secret(self, text: str) -> bool:
        """Whether `text` holds a known value, as it is or in a token that decodes to one."""
        return self.text(text) != text

    def query(self, query: str) -> str:
        """Each ``&``-separated part on its own: a part that decodes to a known value as a whole is
        replaced, and the others are kept."""
        return "&".join(map(self.text, _FORM_PAIR.sub(_redact_form_pair, query).split("&")))

    def headers(self, raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
        headers: dict[str, str] = {}
        for raw_name, raw_value in raw:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            if name == "authorization":
                scheme, _, credential = value.partition(" ")
                value = f"{scheme} {REDACTED}" if credential else REDACTED
            elif name in _WHOLE_HEADER_SECRETS or is_secret_field(name):
                value = REDACTED
            value = self.text(_bounded(value))
            name = self.text(_bounded(name))  # a name is as much the client's text as a value
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    def body(self, body: Any) -> Any:
        if isinstance(body, _Omitted):
            return str(body)
        if isinstance(body, _Text):
            return self._text_body(body)
        return self._json(body)

    def _json(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {
                self.text(str(key)): (
                    REDACTED if is_secret_field(str(key)) and item is not None else self._json(item)
                )
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._json(item) for item in value]
        if isinstance(value, str):  # may itself be JSON, a form or a quoted \\u-escaped secret
            return self._text_body(value)
        return value

    def _text_body(self, text: str) -> str:
        """A body that is not JSON: secret fields by name, then string literals that decode to a known
        value, then every known value in any encoding."""
        try:
            if any(self._found_in(reading) for reading in getattr(text, "alternatives", ())):
                return f"<{len(text)} characters, not kept: a known secret in UTF-16 or UTF-32>"
            text = _MULTIPART_PART.sub(_redact_multipart_part, text)
            text = _TEXT_PAIR.sub(_redact_text_pair, text)
            text = _FORM_PAIR.sub(_redact_form_pair, text)
            text = _JSON_STRING.sub(self._json_string, text)
        except TooCostly:
            return f"<{len(text)} characters, not kept: too costly to redact>"
        return self.text(text)

    def _json_string(self, match: re.Match[str]) -> str:
        """A string literal whose decoded text holds a known value (as it is, or in a token of it: base64
        wrapped with ``\\n`` escapes, or with ``\\/`` for ``/``, is whole only once decoded) is replaced
        whole."""
        literal = match.group()
        decoded = _decode_quoted(literal)
        if self._found_in(decoded) or ("\\" in literal and self._holds_secret(decoded)):
            return f'"{REDACTED}"'
        return literal


def _decode_quoted(literal: str) -> str:
    """The text of a quoted literal (closed or running to the end of the text), with JSON escapes decoded
    where they are valid."""
    if literal.startswith('"'):
        for candidate in (literal, literal + '"'):
            with contextlib.suppress(ValueError):
                decoded = json.loads(candidate)
                if isinstance(decoded, str):
                    return decoded
    return literal[1:-1]


def _redact_text_pair(match: re.Match[str]) -> str:
    key, separator, value = match.groups()
    if not is_secret_field(unquote_plus(_decode_quoted(key))):
        return match.group()
    return f'{key}{separator}"{REDACTED}"' if value[0] in "\"'" else f"{key}{separator}{REDACTED}"


def _redact_form_pair(match: re.Match[str]) -> str:
    name, value = match.groups()
    return f"{name}={REDACTED}" if value and is_secret_field(unquote_plus(name)) else match.group()


def _decodings(token: str, shortest: int, depth: int = 2) -> list[str]:
    """What a token may stand for: its percent-decoding, and the base64 decoding of each run of base64
    characters in it long enough to hold a value of `shortest` characters (base64 is 4/3 as long as what it
    encodes), each decoded again (base64 sent percent-encoded, in a query) up to `depth` levels.

    A token is split into runs at every character base64 does not use, so that base64 behind a ``.`` (the
    parts of a JWT) or an ``=`` is decoded on its own; and each run is decoded from each of its first four
    characters, so that base64 behind other base64 characters (a path ``a/b/<base64>``: ``/`` is a base64
    character) is decoded in its own alignment. Base64 of bytes that are not UTF-8 (latin-1 text, a secret
    among binary bytes) is read both as UTF-8 and as latin-1, which keeps every ASCII character where it
    was."""
    found: list[str] = []
    if "%" in token or "+" in token:
        found.append(unquote_plus(token))
    least = math.ceil(4 * shortest / 3)
    for run in _BASE64_RUN.findall(token):
        run = run.translate(_URLSAFE)
        for skip in range(min(4, len(run) - least + 1)):
            piece = run[skip:]
            piece = piece[: len(piece) - 1] if len(piece) % 4 == 1 else piece  # a stray last character
            with contextlib.suppress(binascii.Error, ValueError):
                found += _readings(base64.b64decode(piece + "=" * (-len(piece) % 4), validate=True))
    for run in _HEX_RUN.findall(token):
        if len(run) >= 2 * shortest:
            for skip in (0, 1):
                piece = run[skip : skip + (len(run) - skip) // 2 * 2]
                found += _readings(bytes.fromhex(piece))
    if depth > 1:
        found += [
            deeper for text in found if text != token for deeper in _decodings(text, shortest, depth - 1)
        ]
    return found


def _readings(data: bytes) -> list[str]:
    """Decoded bytes as text: UTF-8, else UTF-8 with replacements and latin-1 (which keeps every ASCII
    character where it was); with NULs in them, also without the NULs (ASCII or latin-1 text in UTF-16 or
    UTF-32, either byte order, any alignment) and as UTF-16 both ways from either first byte."""
    try:
        readings = [data.decode("utf-8")]
    except UnicodeDecodeError:
        readings = [data.decode("utf-8", errors="replace"), data.decode("latin-1")]
    if b"\x00" in data:
        readings.append(data.replace(b"\x00", b"").decode("latin-1"))
        for codec in ("utf-16-le", "utf-16-be"):
            for skip in (0, 1):
                usable = data[skip : skip + (len(data) - skip) // 2 * 2]
                readings.append(usable.decode(codec, errors="replace"))
    return readings


def _unescape_u(text: str) -> str:
    """``\\uXXXX`` and ``\\UXXXXXXXX`` escapes decoded wherever they are (JSON or Python text kept as a
    string: a JSON string whose every character is escaped twice); other backslashes kept."""
    return _U_ESCAPE.sub(_u_char, text) if "\\" in text else text


def _u_char(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF else match.group()


def _decoded_views(text: str) -> list[str]:
    """`text` as a reader would decode it as a whole, for spellings that are not an escape of a known value
    but an encoding of each of its characters, or the value cut apart (review point 13): HTML entities
    (numeric, hexadecimal or named), ``\\u`` escapes, percent-encoding, each alone and all in turn (outside
    in and inside out), and each of those without whitespace (a value split by spaces, base64 wrapped in
    lines and then percent-encoded). Only views that differ from `text`; each is linear in its length."""
    views: list[str] = []

    def add(view: str) -> None:
        if view != text and view not in views:
            views.append(view)

    percent = unquote_plus(text) if "%" in text or "+" in text else text
    entities = html.unescape(text) if "&" in text else text
    escapes = _unescape_u(text)
    outside_in = _unescape_u(html.unescape(percent)) if "&" in percent else _unescape_u(percent)
    inside_out = _unescape_u(entities)
    inside_out = unquote_plus(inside_out) if "%" in inside_out or "+" in inside_out else inside_out
    for view in (percent, entities, escapes, outside_in, inside_out):
        add(view)
    for view in (text, percent, outside_in, inside_out):
        if _WHITESPACE.search(view):
            add(_WHITESPACE.sub("", view))
    return views


_URLSAFE = str.maketrans("-_", "+/")
# A part of a multipart/form-data body: its headers (one names the field), a blank line, its content up to
# the next boundary (or the end of the body, so that an unterminated part cannot make this quadratic).
_MULTIPART_PART = re.compile(
    r"(content-disposition:[^\r\n]*?\bname=(\"[^\"\r\n]{0,128}\"|[^;\s]{1,128})[^\r\n]*\r?\n"
    r"(?:[^\r\n]+\r?\n){0,16}\r?\n)(.*?)(?=\r?\n--|\Z)",
    re.IGNORECASE | re.DOTALL,
)


def _redact_multipart_part(match: re.Match[str]) -> str:
    head, name, content = match.groups()
    if content and is_secret_field(name.strip('"')):
        return f"{head}{REDACTED}"
    return match.group()
