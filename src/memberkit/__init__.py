"""memberkit: member and POS ticket analytics for a retail chain's head office."""

__version__ = "0.1.0"
