"""memberkit: member and POS ticket analytics for a retail chain's head office.

The Python API (SPEC 7, memberkit/api.py): `memberkit.reports()`, `memberkit.open(path)`,
`MemberkitError`. Loaded on first use, so that the command line starts quickly.
"""

__version__ = "0.1.0"
__all__ = ["MemberkitError", "open", "reports"]


def __getattr__(name: str):
    if name == "reports":  # the package, whose module answers memberkit.reports()
        import memberkit.reports

        return memberkit.reports
    if name == "open":
        from memberkit import api

        return api.open
    if name == "MemberkitError":
        from memberkit.errors import MemberkitError

        return MemberkitError
    raise AttributeError(f"module 'memberkit' has no attribute {name!r}")
