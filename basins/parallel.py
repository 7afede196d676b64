"""BLAS threads, through threadpoolctl (every BLAS numpy and scipy load: OpenBLAS, MKL, BLIS, …).

On a machine whose cores are busy with other work, threaded BLAS can be many
times slower than one thread (its threads wait for cores); the kernels that
run their own worker threads also want one BLAS thread each.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

__all__ = ["blas_threads"]


@functools.lru_cache(maxsize=None)
def _controller() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limit every loaded BLAS to ``n`` threads inside the block (a no-op when ``n`` is None).

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     float(np.ones((2, 2)) @ np.ones(2) @ np.ones(2))
    4.0
    """
    if n is None:
        yield
        return
    with _controller().limit(limits=int(n), user_api="blas"):
        yield
