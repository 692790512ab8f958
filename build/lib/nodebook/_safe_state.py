"""What a checkpoint may hold: values a safe (``weights_only``) ``torch.load`` reads back."""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from typing import Any

import numpy as np
import torch

_PLAIN = (type(None), bool, int, float, complex, str, bytes, torch.Tensor, torch.dtype, torch.device, torch.Size)


def plain(value: Any) -> Any:
    """``value`` with NumPy scalars/arrays and paths turned into what a ``weights_only`` load reads back.

    Containers are rebuilt only when something inside them changed, so a module's ``state_dict`` (an
    ``OrderedDict`` with ``_metadata``) is passed through as it is.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        items = [(plain(k), plain(v)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(items, value.items(), strict=True)):
            return value
        return type(value)(items) if type(value) in (dict, OrderedDict) else dict(items)
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        items = [plain(v) for v in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else type(value)(items)
    return value


def first_unsafe(value: Any, where: str) -> tuple[str, Any] | None:
    """The first entry (as ``state['a'][0]``) that a ``weights_only`` load would refuse, else ``None``."""
    if isinstance(value, dict):
        for k, v in value.items():
            found = first_unsafe(k, f"{where} (a key)") or first_unsafe(v, f"{where}[{k!r}]")
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        for i, v in enumerate(value):
            found = first_unsafe(v, f"{where}[{i}]")
            if found:
                return found
        return None
    return None if isinstance(value, _PLAIN) else (where, value)


def unsupported(err: Exception) -> str:
    found = re.search(r"Unsupported global: GLOBAL (\S+)", str(err))
    return f"torch refuses {found.group(1)}" if found else str(err).splitlines()[0][:200]
