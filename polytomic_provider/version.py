"""The package version: the one place it is written.

pyproject.toml reads it from here (setuptools' dynamic version, parsed without importing the package), the
client sends it in its User-Agent, and `polytomic-pulumi --version` prints it. Kept import-light for both.
"""

__version__ = "0.2.0"
