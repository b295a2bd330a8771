"""How much memory a loaded model holds, roughly, so that a cache of models can keep to a budget.

Counted: numpy arrays and scipy sparse matrices (their buffers), strings, and the containers and
estimators that hold them, walked through their attributes. CPython's per-object overheads are
estimates (a dict entry of a vocabulary ~100 bytes, a short string ~50 bytes + its characters). It errs
on the high side: for models trained on bench/datasets.py data with 0, 1,000 and 5,000 prompt/response
pairs it said 5.8, 9.2 and 18.5 MB where loading one grew the process by 3.9, 5.5 and 15.7 MB.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_OBJECT_BYTES = 56
_ENTRY_BYTES = 100  # a dict entry with its key object (vocabulary-based models from older versions)
_STRING_BYTES = 50


def approximate_bytes(root: object) -> int:
    """The memory held by `root` and everything reachable from it through attributes and containers
    (each object counted once)."""
    import numpy as np
    from scipy.sparse import issparse

    seen: set[int] = set()
    total = 0
    pending: list[Any] = [root]
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += _own_bytes(item, pending, np.ndarray, issparse)
    return total


def _own_bytes(item: Any, pending: list[Any], ndarray: type, issparse: Callable[[Any], bool]) -> int:
    if isinstance(item, ndarray):
        return int(getattr(item, "nbytes")) + _OBJECT_BYTES  # noqa: B009 (narrowed to `type` by isinstance)
    if issparse(item):
        pending.extend(getattr(item, name) for name in ("data", "indices", "indptr") if hasattr(item, name))
        return _OBJECT_BYTES
    if isinstance(item, str):
        return _STRING_BYTES + len(item.encode("utf-8"))
    if isinstance(item, bytes):
        return _OBJECT_BYTES + len(item)
    if item is None or isinstance(item, int | float):
        return _OBJECT_BYTES
    if isinstance(item, dict):
        pending.extend(item.keys())
        pending.extend(item.values())
        return _OBJECT_BYTES + _ENTRY_BYTES * len(item)
    if isinstance(item, list | tuple | set | frozenset):
        pending.extend(item)
        return _OBJECT_BYTES + 8 * len(item)
    if callable(item) and not hasattr(item, "__dict__"):
        return 0
    attributes = getattr(item, "__dict__", None)
    if attributes is not None and not isinstance(item, type):
        pending.extend(attributes.values())
    slots = getattr(type(item), "__slots__", ())
    pending.extend(getattr(item, name) for name in slots if isinstance(name, str) and hasattr(item, name))
    return _OBJECT_BYTES
