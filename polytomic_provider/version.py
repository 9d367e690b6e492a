"""The package version, kept import-light for the User-Agent header."""

__version__ = "0.1.0"
