"""One BLAS/OpenMP thread while folds run in this process, from the first fold's start to the last one's end.

threadpoolctl's limit is process-wide and OpenBLAS (0.3.31, numpy's wheel) ignores a worker thread's
``set_num_threads`` once the main thread has called it, so a limit taken inside each fold task on a thread
pool may do nothing, or be lifted by the first fold to finish while the other still runs. Two folds then
share OpenBLAS's pool, and whether a product runs on one thread or two, and so the order of its sums, depends
on the race: a rerun, or another task runner, differs in the last bits. The flow takes the limit in its own
thread around the fold stage; a fold task takes it again for the process and Dask runners, where it runs in
a fresh worker process. Nested takes only count."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

_lock = threading.Lock()
_inside = 0
_limiter: threadpool_limits | None = None


@contextmanager
def one_blas_thread() -> Iterator[None]:
    global _inside, _limiter
    with _lock:
        if _inside == 0:
            _limiter = threadpool_limits(limits=1)
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None
