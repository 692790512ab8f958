"""Notebook execution that never sleeps on a reply that has already arrived (a Sphinx extension).

The stall this fixes (measured with ``book/_tools/stress_execute.py``; see DEVELOPERS notes in the commit):
every chapter ends with a ``live_slider`` whose ``ipywidgets.Output`` receives the figure. nbclient mirrors
an Output widget for the saved notebook, and on each output it sends a ``comm_msg`` back to the kernel *on
the shell socket*, while its own ``shell_channel.get_msg(timeout=<rest of the cell's timeout>)`` is
waiting on that same socket for the cell's ``execute_reply``. Sometimes the reply then arrives without
waking that wait: the kernel is idle, the reply sits in the client's socket, and pyzmq only finds it when
the poll times out (it polls once more then), so the build goes on *silently* after the full per-cell
timeout: 300 s in Chapter 5, as seen in ``make book``.

:func:`install` makes jupyter-client's asyncio ``get_msg`` wait in slices of at most :data:`SLICE_S`
seconds, each ending with that extra poll, until the caller's timeout: a missed wake-up now costs at most
a second, a reply that never comes still ends in nbclient's ``CellTimeoutError`` at the same deadline.
Jupyter Book executes the chapters inside the Sphinx process, so loading this module as a Sphinx
extension (``_config.yml``: ``sphinx.local_extensions``) is enough; ``install`` is idempotent.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

SLICE_S = 1.0
"""The longest single wait on a kernel socket; a missed wake-up costs at most this."""


async def _sliced_get_msg(self, timeout: float | None = None) -> dict[str, Any]:
    """``AsyncZMQSocketChannel.get_msg`` waiting in slices: same result, same deadline."""
    assert self.socket is not None
    deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
    while True:
        left = SLICE_S if deadline is None else min(SLICE_S, max(deadline - time.monotonic(), 0.0))
        if await self.socket.poll(int(left * 1000)):
            return await self._recv()
        if deadline is not None and time.monotonic() >= deadline:
            raise Empty


def install() -> bool:
    """Patch jupyter-client's asyncio channels (once); ``True`` if this call patched them."""
    from jupyter_client.channels import AsyncZMQSocketChannel

    if getattr(AsyncZMQSocketChannel.get_msg, "_nodebook_sliced", False):
        return False
    _sliced_get_msg._nodebook_sliced = True  # type: ignore[attr-defined]
    _sliced_get_msg.__doc__ = (AsyncZMQSocketChannel.get_msg.__doc__ or "") + " (nodebook: waits in slices)"
    AsyncZMQSocketChannel.get_msg = _sliced_get_msg  # type: ignore[method-assign]
    return True


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: patch before myst-nb executes the first chapter."""
    install()
    return {"parallel_read_safe": True, "parallel_write_safe": True}
