"""The report opens in a real browser: headless Chromium (Debian's) driven by Playwright.

No JavaScript error, no failed request, and every chart drawn; a full-page screenshot is left
in ``tests/artifacts/`` for people to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import ARTIFACTS
from tradeforge.report.charts import CHART_IDS

pytestmark = pytest.mark.browser
RENDER_TIMEOUT_MS = 120_000


def open_in_chromium(chromium: str, page_path: Path, screenshot: Path) -> dict[str, object]:
    """Load a page from disk, wait for every plotly chart, screenshot it; what was seen."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
            page.on("console", lambda message: console_error(message, errors))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(page_path.as_uri(), wait_until="load")
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= "
                f"{len(CHART_IDS)}",
                timeout=RENDER_TIMEOUT_MS,
            )
            seen = page.evaluate(
                """() => [...document.querySelectorAll('.js-plotly-plot')].map(div => ({
                    id: div.id,
                    svgs: div.querySelectorAll('.main-svg').length,
                    traces: div.data.length,
                    width: div.getBoundingClientRect().width,
                }))"""
            )
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            zoom = zoom_price(page)
        finally:
            browser.close()
    return {"errors": errors, "requests": requests, "charts": seen, "zoom": zoom}


def console_error(message: Any, errors: list[str]) -> None:
    """Keep a console message of level error."""
    if message.type == "error":
        errors.append(f"console: {message.text}")


def zoom_price(page: Any) -> dict[str, Any]:
    """Zoom the price chart on its middle tenth; the y ranges before and after, and the lowest
    low and highest high of the candles in view."""
    return dict(
        page.evaluate(
            """async () => {
                const div = document.getElementById('chart-price');
                const candles = div._fullData[0];
                const before = div.layout.yaxis.range.slice();
                const n = candles.x.length, a = Math.floor(n * 0.45), b = Math.floor(n * 0.55);
                await Plotly.relayout(div, {'xaxis.range': [candles.x[a], candles.x[b]]});
                await new Promise(resolve => setTimeout(resolve, 500));
                const lows = Array.from(candles.low).slice(a, b + 1);
                const highs = Array.from(candles.high).slice(a, b + 1);
                return {before, after: div.layout.yaxis.range.slice(),
                        low: Math.min(...lows), high: Math.max(...highs)};
            }"""
        )
    )


@pytest.mark.parametrize(
    ("report_fixture", "artifact"),
    [("breakout_report", "report-breakout.png"), ("no_trades_report", "report-no-trades.png")],
)
def test_report_loads_in_chromium_without_errors(
    chromium: str, report_fixture: str, artifact: str, request: pytest.FixtureRequest
) -> None:
    page_path: Path = request.getfixturevalue(report_fixture)
    screenshot = ARTIFACTS / artifact
    seen = open_in_chromium(chromium, page_path, screenshot)
    print(f"screenshot of {page_path.name}: {screenshot}")
    assert seen["errors"] == []
    assert seen["requests"] == [page_path.as_uri()]  # nothing fetched but the file itself
    charts = seen["charts"]
    assert isinstance(charts, list)
    assert [c["id"] for c in charts] == list(CHART_IDS)
    for chart in charts:
        assert chart["svgs"] >= 1, chart
        assert chart["traces"] >= 1, chart
        assert chart["width"] > 600, chart
    assert screenshot.stat().st_size > 50_000
    zoom = seen["zoom"]
    assert isinstance(zoom, dict)
    # zoomed in time, the price axis fits the candles in view (padded by 5 % of their range)
    low, high = zoom["low"], zoom["high"]
    assert zoom["after"][0] < low < high < zoom["after"][1]
    assert zoom["after"][1] - zoom["after"][0] <= 1.2 * (high - low)
    assert zoom["before"][1] - zoom["before"][0] > zoom["after"][1] - zoom["after"][0]
