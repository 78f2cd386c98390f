"""Reports of backtests: a self-contained interactive HTML page, comparisons, plain exports.

:func:`write_report` (``result.report(path)``) writes one run's page: equity against buy and
hold, drawdown, the price with the strategy's indicators and trades, monthly returns, return
distributions, a rolling Sharpe ratio, the statistics and the trades. :func:`compare` puts
several runs on one page. :func:`export` (``result.export(directory)``) writes CSV and JSON
files for other tools.
"""

from tradeforge.report.compare import compare
from tradeforge.report.export import export
from tradeforge.report.html import write_report

__all__ = ["compare", "export", "write_report"]
