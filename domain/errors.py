"""Errors the library raises for bad input; the CLI shows them as one line."""


class QuantopsError(Exception):
    """Base of every error quantops reports to a user as a single line."""


class InputError(QuantopsError, ValueError):
    """The input (a file, a parameter, a data window) cannot be used as given."""


class DataRejected(InputError):
    """A batch of data broke validation rules and was refused as a whole (nothing written)."""


class ServiceDown(QuantopsError):
    """An outside service the command needs (database server, Prefect API, alert target) did not answer."""


class DataMissing(QuantopsError):
    """The data a day needs has not arrived (not bad input: re-run the day when it has)."""


class RunFailed(QuantopsError):
    """A flow run started but did not complete; its Prefect run and the alert say why."""
