"""Command groups of the ``twin`` CLI, one module per area, each a ``typer.Typer`` named ``app``
that :mod:`twin.cli` merges in. Commands import their area's code inside the function, so that
``twin --help`` stays quick, and raise :class:`twin.errors.TwinError` (one clear line) on bad input.
"""
