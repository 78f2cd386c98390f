"""The adapters' event loop, in a thread of its own, and the kernel's inbox.

ccxt.pro is asyncio; the kernel is synchronous and single-threaded. The adapters therefore
run every venue call and stream on one asyncio loop in a background thread
(:class:`LoopThread`), and hand what they learn to the kernel through an :class:`Inbox`, a
thread-safe queue that the node drains on its own thread (:meth:`Inbox.drain`). Nothing a
venue sends ever calls into the kernel from the loop's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
_log = logging.getLogger("tradeforge.adapters")


class LoopThread:
    """An asyncio loop running in a daemon thread.

    Parameters
    ----------
    name : str
        The thread's name.
    """

    def __init__(self, name: str = "tradeforge-adapters") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        self.loop.run_forever()

    def start(self) -> LoopThread:
        """Start the loop; returns once it runs."""
        if not self._thread.is_alive():
            self._thread.start()
            self._started.wait(timeout=10)
        return self

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coroutine`` on the loop; its future (thread-safe)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run ``coroutine`` on the loop and wait for its result (from another thread)."""
        return self.spawn(coroutine).result(timeout)

    def stop(self) -> None:
        """Cancel what still runs, stop the loop and join the thread."""
        if not self._thread.is_alive():
            return

        async def cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.run(cancel_all(), timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self.loop.close()


KernelTask = Callable[[], None]
"""Something to do on the kernel's thread (tell a breaker the venue dropped)."""


class Inbox:
    """Messages for the kernel, put from any thread, drained on the kernel's.

    A message is either a value handed to ``deliver`` (a venue event, a bar) or a
    :data:`KernelTask`, called as it is drained.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()

    def put(self, message: object) -> None:
        """Queue ``message`` (thread-safe)."""
        self._queue.put(message)

    def call(self, task: KernelTask) -> None:
        """Queue ``task`` to run on the draining thread."""
        self._queue.put(_Task(task))

    def drain(
        self, deliver: Callable[[Any], None], timeout: float = 0.0, limit: int | None = None
    ) -> int:
        """Deliver queued messages in order; how many.

        Parameters
        ----------
        deliver : callable
            Called with each message that is not a task.
        timeout : float
            Seconds to wait for the first message when the inbox is empty.
        limit : int, optional
            Deliver at most this many.
        """
        count = 0
        block = timeout > 0
        while limit is None or count < limit:
            try:
                message = self._queue.get(block=block, timeout=timeout if block else None)
            except queue.Empty:
                break
            block = False
            count += 1
            if isinstance(message, _Task):
                message.task()
            else:
                deliver(message)
        return count

    def empty(self) -> bool:
        """True when nothing waits."""
        return self._queue.empty()


class _Task:
    __slots__ = ("task",)

    def __init__(self, task: KernelTask) -> None:
        self.task = task


async def pump(stream: AsyncIterator[Any], inbox: Inbox) -> None:
    """Put everything ``stream`` yields into ``inbox`` (run it on the adapters' loop:
    ``loop.spawn(pump(data.watch_bars("BTC/USDT", "1m"), inbox))``)."""
    async for item in stream:
        inbox.put(item)
