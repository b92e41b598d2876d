"""Every float a command takes is finite: `inf`, `Infinity`, `1e309` and `nan` parse as floats and pass
"> 0" checks (NaN passes none and failed later, deep in a store), so they are refused where they are parsed.

`finite_floats(command)` adds the check to every parameter of a command tree (after the parameter's own
callback, if any); flows.cli.main applies it to each command it loads, so a new command is covered as is.
"""

from __future__ import annotations

import math

import click

from domain.errors import InputError


def _not_finite(value) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    return isinstance(value, list | tuple) and any(_not_finite(v) for v in value)


def _label(param: click.Parameter) -> str:
    return param.opts[0] if param.param_type_name == "option" else (param.name or "value").upper()


def _finite(own_callback):
    def check(ctx: click.Context, param: click.Parameter, value):
        if own_callback is not None:
            value = own_callback(ctx, param, value)
        if _not_finite(value):
            # an InputError (not click's usage box): the CLI prints it as its one `error:` line, exit 2
            raise InputError(f"{_label(param)}: {value} is not a finite number")
        return value

    return check


def finite_floats(command: click.Command) -> click.Command:
    for param in command.params:
        param.callback = _finite(param.callback)
    for sub in getattr(command, "commands", {}).values():
        finite_floats(sub)
    return command
