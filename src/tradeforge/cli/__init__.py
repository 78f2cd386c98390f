"""The ``tradeforge`` command line (typer + rich): the only layer that prints."""
