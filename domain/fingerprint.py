"""Content fingerprints of input data, so a stored result names exactly the data it was made from."""

from __future__ import annotations

import hashlib

import pandas as pd


def frame_fingerprint(*frames: pd.DataFrame | pd.Series | None) -> str:
    """SHA-256 over the values, index and column names of each frame (None counts as empty)."""
    digest = hashlib.sha256()
    for frame in frames:
        if frame is None:
            digest.update(b"<none>")
            continue
        digest.update(repr(list(getattr(frame, "columns", [getattr(frame, "name", "")]))).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()
