"""Market-data sources: drop folders of vendor files (the bundled sample is one) and live providers (FRED,
Tiingo, Yahoo, Cboe) behind one interface, chosen per kind by QUANTOPS_DATA_SOURCE.

Names are imported on first use: settings validation reads `infra.providers.config` at start-up, and the
CLI must not pay for pandas there.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "DATE_COLUMN": "infra.providers.files", "FileDropSource": "infra.providers.files",
    "SourceFile": "infra.providers.files", "file_source": "infra.providers.files",
    "ProviderError": "infra.providers.http", "RetryPolicy": "infra.providers.http",
    "MarketDataSource": "infra.providers.live", "source_from_settings": "infra.providers.live",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'infra.providers' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
