"""Errors the library raises for bad input; the CLI shows them as one line."""


class QuantopsError(Exception):
    """Base of every error quantops reports to a user as a single line."""


class InputError(QuantopsError, ValueError):
    """The input (a file, a parameter, a data window) cannot be used as given."""
