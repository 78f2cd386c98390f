"""Technical indicators on float64 NumPy arrays, compiled with numba, equal to TA-Lib.

Every function takes array-likes (NumPy arrays, pandas Series, lists) and returns float64
arrays of the input's length, NaN over the warm-up at exactly the positions where the ``talib``
Python package (TA-Lib 0.8) puts NaN. Values follow TA-Lib's definitions, seeding and
arithmetic: most are bit-equal, the others differ in the last bits only (1e-12 relative or
less, or ~1e-16 of the price level near a zero crossing such as the MACD histogram; the tests
check 1e-9 relative on real bars), because TA-Lib 0.8 fuses some multiply-adds (FMA), ``rsi``
and ``atr`` smooth with multiplications where TA-Lib divides, and ``bbands`` computes its
deviation without cancellation as TA-Lib 0.8 does, though not bit for bit.

Leading NaN rows are skipped before the warm-up starts, like ``talib``. A NaN inside the data
propagates as in TA-Lib, except that ``rsi`` and ``adx`` then give NaN where TA-Lib 0.8 gives
0 or a frozen value (see each function's notes).

==============  ===========================================  ==============================
function        TA-Lib                                       first non-NaN index
==============  ===========================================  ==============================
``sma``         ``SMA``                                      ``period - 1``
``ema``         ``EMA``                                      ``period - 1``
``rsi``         ``RSI``                                      ``period``
``macd``        ``MACD``                                     ``slow + signal - 2``
``stoch``       ``STOCH`` (SMA smoothing)                    ``fastk + slowk + slowd - 3``
``bbands``      ``BBANDS`` (SMA middle band)                 ``period - 1``
``true_range``  ``TRANGE``                                   ``1``
``atr``         ``ATR``                                      ``period``
``adx``         ``ADX``                                      ``2 * period - 1``
``obv``         ``OBV``                                      ``0``
==============  ===========================================  ==============================
"""

from tradeforge.indicators.momentum import macd, rsi, stoch
from tradeforge.indicators.moving import ema, sma
from tradeforge.indicators.trend import adx
from tradeforge.indicators.volatility import atr, bbands, true_range
from tradeforge.indicators.volume import obv

__all__ = ["adx", "atr", "bbands", "ema", "macd", "obv", "rsi", "sma", "stoch", "true_range"]
