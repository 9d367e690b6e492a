"""The process's one TLS context, built on a thread of its own as soon as a call will need the API.

Why: loading the CA bundle takes tens of milliseconds, most of them in OpenSSL with the GIL released. Built
on its own thread, it overlaps the import of httpx that the first call waits for anyway; built inside
`httpx.AsyncClient()`, as by default, it adds to it. One context serves every client of the process: a
client rebuilt for new settings does not load the bundle again.

The context is the one httpx builds by default (`httpx.create_ssl_context()`): certifi's CA bundle, unless
`SSL_CERT_FILE` or `SSL_CERT_DIR` names another.
"""

from __future__ import annotations

import concurrent.futures
import os
import ssl
import stat
import threading

from .errors import ConfigurationError

__all__ = ["default_context", "plain_http_context", "start_building", "verifies"]

_lock = threading.Lock()
_building: concurrent.futures.Future[ssl.SSLContext] | None = None


def _build() -> ssl.SSLContext:
    for variable in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        location = os.environ.get(variable)
        if location:
            # SSL_CERT_DIR may list several directories, as OpenSSL reads it (#27 hardening finding 7).
            for part in [location] if variable == "SSL_CERT_FILE" else location.split(os.pathsep):
                if part:
                    _check_kind(variable, part)
            try:
                if variable == "SSL_CERT_FILE":
                    return ssl.create_default_context(cafile=location)
                return ssl.create_default_context(capath=location)
            except (OSError, ValueError) as error:  # missing, unreadable, or not PEM
                reason = getattr(error, "strerror", None) or type(error).__name__
                raise ConfigurationError(
                    f"the environment variable {variable} names CA certificates that cannot be loaded "
                    f"({location}: {reason}): correct it, or unset it to use the bundled CA certificates"
                ) from None
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def _check_kind(variable: str, location: str) -> None:
    """Stat before loading (#27 F11): opening a FIFO named by SSL_CERT_FILE blocks for ever, and OpenSSL
    silently ignores an SSL_CERT_DIR that is not a directory."""
    want_file = variable == "SSL_CERT_FILE"
    try:
        mode = os.stat(location).st_mode
    except OSError as error:
        if want_file:
            return  # missing or unreadable: reported by the load below, as before
        mode, reason = 0, error.strerror or type(error).__name__
    else:
        reason = ""
    if want_file and not stat.S_ISREG(mode):
        problem = "is not a regular file"
        fix = "name a PEM file of CA certificates"
    elif not want_file and not stat.S_ISDIR(mode):
        problem = f"is not a directory{f' ({reason})' if reason else ''}"
        fix = "name a directory of hashed CA certificates"
    else:
        return
    raise ConfigurationError(
        f"the environment variable {variable} names {location}, which {problem}: {fix}, or unset it to "
        "use the bundled CA certificates"
    )


def verifies(url: str) -> bool:
    """Whether requests to `url` verify the server's certificate (https://), so need the CA bundle: a
    deployment reached over http:// (the emulator on loopback) never loads it."""
    return url.lower().startswith("https://")


def plain_http_context() -> ssl.SSLContext:
    """For a deployment reached over http://: no CA bundle is read (an unreadable SSL_CERT_FILE does not
    matter there), and any https:// request, which none should be, fails verification."""
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def start_building() -> concurrent.futures.Future[ssl.SSLContext]:
    """Start building the context on a daemon thread (once per process) and return its future."""
    global _building
    with _lock:
        if _building is None:
            future: concurrent.futures.Future[ssl.SSLContext] = concurrent.futures.Future()

            def build() -> None:
                try:
                    future.set_result(_build())
                except BaseException as exc:  # the caller of default_context() meets it
                    future.set_exception(exc)

            threading.Thread(target=build, name="polytomic-tls", daemon=True).start()
            _building = future
        return _building


def default_context() -> ssl.SSLContext:
    """The context, waiting for its build if under way. A failed build (an unreadable SSL_CERT_FILE) is
    raised here, to the call that needed it, and tried again by the next one."""
    global _building
    future = start_building()
    try:
        return future.result()
    except BaseException:
        with _lock:
            if _building is future:
                _building = None
        raise
