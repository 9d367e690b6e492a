"""A local emulator of the Polytomic Organizations and Users APIs.

Run it with ``python -m polytomic_emulator`` (see ``__main__.py``), start it from tests with
`launcher.EmulatorProcess`, or build the ASGI app in-process with `app.create_app`. The module docstring of
`app.py` lists every behaviour chosen where Polytomic's documentation is silent.

Modules: app (`create_app`), api (the organization routes, Idempotency-Key), users (the users and roles
routes), auth (Bearer and Basic credentials), control (/_emulator/ routes),
pipeline (faults, journal and version header around each request), rendering (response bodies), state
(what the routes share), store (SQLite), faults (fault plan), journal (redacted request log), models
(request validation, wire shapes), errors, settings, server (uvicorn wiring), launcher.
This package is imported only by tests, the demo and benchmarks, never by the provider itself.
"""
