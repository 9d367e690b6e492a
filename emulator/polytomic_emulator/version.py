"""The emulator's version, read statically by its pyproject.toml. It moves with the API behaviour it
emulates, not with the provider's releases."""

__version__ = "1.0.0"
