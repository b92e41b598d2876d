"""Every application table, imported so that Base.metadata knows them all."""

from infra.db.base import Base
from infra.db.models.market import (
    DailyBar,
    IngestLog,
    Instrument,
    MarketRevision,
    OptionQuote,
    PipelineRun,
    QuarantinedRow,
    YieldObservation,
)
from infra.db.models.research import ModelRun, Signal, WalkForwardDay, WalkForwardFold, WalkForwardRun

__all__ = ["Base", "DailyBar", "IngestLog", "Instrument", "MarketRevision", "OptionQuote", "PipelineRun", "QuarantinedRow", "YieldObservation",
           "ModelRun", "Signal", "WalkForwardDay", "WalkForwardFold", "WalkForwardRun"]
from infra.db.models.portfolio import (  # noqa: E402
    AlertDeliveryRow,
    AlertRow,
    DailyNavRow,
    ExternalNavRow,
    MarkRow,
    OptionLegRow,
    PositionRow,
    TradeRow,
)

__all__ += ["AlertDeliveryRow", "AlertRow", "DailyNavRow", "ExternalNavRow", "MarkRow", "OptionLegRow",
            "PositionRow", "TradeRow"]
from infra.db.models.books import (  # noqa: E402
    BookDayRow,
    BookEventRow,
    BookFillRow,
    BookOrderRow,
    BookPositionRow,
    StrategyStageRow,
)

__all__ += ["BookDayRow", "BookEventRow", "BookFillRow", "BookOrderRow", "BookPositionRow", "StrategyStageRow"]
