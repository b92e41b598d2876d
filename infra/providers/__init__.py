"""Market-data sources: drop folders of vendor files (the bundled sample is one) and live providers (FRED,
Tiingo, Yahoo, Cboe) behind one interface, chosen per kind by QUANTOPS_DATA_SOURCE."""

from infra.providers.files import DATE_COLUMN, FileDropSource, SourceFile, file_source
from infra.providers.http import ProviderError, RetryPolicy
from infra.providers.live import MarketDataSource, source_from_settings

__all__ = ["DATE_COLUMN", "FileDropSource", "MarketDataSource", "ProviderError", "RetryPolicy", "SourceFile",
           "file_source", "source_from_settings"]
