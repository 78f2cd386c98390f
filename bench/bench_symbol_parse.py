"""Symbol parsing speed: symbols per second over 1,000,000 mixed strings.

Adapters parse a symbol on every message, so this is a hot path. Three figures:

- ``cached``: ``Symbol.parse`` over 1M strings drawn from 3,000 distinct spellings of 600
  markets (slash, dash, underscore, joined, lower case, derivatives): the realistic case.
- ``uncached``: the same strings through the parser with its cache bypassed: the cost of
  reading a spelling the first time.
- ``distinct``: 1M strings that are all different (a fresh parser, so every one is a miss
  and fills the cache).

The seed system claimed 154k symbols/s; the target is over 1M/s with caching.
Run: ``python bench/bench_symbol_parse.py``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from tradeforge.model.symbol import Symbol, SymbolParser

SEED_CLAIM_PER_SECOND = 154_000
QUOTES = ("USDT", "USDC", "BTC", "ETH", "FDUSD", "EUR", "TRY")


def make_bases(count: int, rng: random.Random) -> list[str]:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    bases: set[str] = set()
    while len(bases) < count:
        bases.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 5))))
    return sorted(base for base in bases if not base.endswith(QUOTES) and base not in QUOTES)


def spellings(base: str, quote: str) -> list[str]:
    return [
        f"{base}/{quote}",
        f"{base.lower()}-{quote.lower()}",
        f"{base}_{quote}",
        f"{base}{quote}",
        f"{base}/{quote}:{quote}",
    ]


def mixed_strings(total: int, markets: int, rng: random.Random) -> list[str]:
    pool = [
        text for base in make_bases(markets, rng) for text in spellings(base, rng.choice(QUOTES))
    ]
    return [rng.choice(pool) for _ in range(total)]


def rate(parse: Callable[[str], Symbol], texts: Sequence[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        parse(text)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    rng = random.Random(20261121)
    texts = mixed_strings(1_000_000, 600, rng)
    distinct = [f"{base}{n}/{quote}" for n, (base, quote) in enumerate(
        (rng.choice(("BTC", "ETH", "SOL", "XRP")), rng.choice(QUOTES)) for _ in range(1_000_000)
    )]  # fmt: skip
    Symbol.parse(texts[0])  # warm the import and the default parser
    figures = {
        "cached (Symbol.parse)": rate(Symbol.parse, texts),
        "uncached (first read)": rate(SymbolParser()._parse_uncached, texts),
        "distinct (all misses)": rate(SymbolParser().parse, distinct),
    }
    print(f"{'case':<24}{'symbols/s':>14}{'vs seed 154k/s':>18}")
    for case, per_second in figures.items():
        print(f"{case:<24}{per_second:>14,.0f}{per_second / SEED_CLAIM_PER_SECOND:>17.1f}x")
    target = figures["cached (Symbol.parse)"]
    print(f"target 1,000,000/s cached: {'met' if target >= 1_000_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
