"""Test program placeholder: tests/e2e/test_adoption.py replaces this file with the output of
`polytomic-pulumi generate --output __main__.py --force`, as a user would."""

raise RuntimeError("this program is replaced by the output of 'polytomic-pulumi generate' before it runs")
