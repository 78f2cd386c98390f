"""``python -m tradeforge``: the same as the ``tradeforge`` command."""

from tradeforge.cli.main import main

main()
