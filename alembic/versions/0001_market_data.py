"""Market data: instruments, daily bars, yields, option quotes, ingest log and quarantine.

Revision ID: 0001_market_data
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_market_data"
down_revision = None
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "instruments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("asset_class", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_instruments"),
        sa.UniqueConstraint("symbol", name="uq_instruments_symbol"),
    )
    op.create_table(
        "daily_bars",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("symbol", sa.String(32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("open", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.Column("adj_close", sa.Float(), nullable=False),
        sa.Column("volume", sa.Float(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_daily_bars"),
        sa.UniqueConstraint("symbol", "date", name="uq_daily_bars_symbol_date"),
        sa.ForeignKeyConstraint(["symbol"], ["instruments.symbol"], name="fk_daily_bars_symbol_instruments"),
        sa.CheckConstraint("low <= high", name="ck_daily_bars_low_le_high"),
        sa.CheckConstraint("close > 0", name="ck_daily_bars_close_positive"),
    )
    op.create_index("ix_daily_bars_date", "daily_bars", ["date"])
    op.create_table(
        "yields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series", sa.String(32), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_yields"),
        sa.UniqueConstraint("series", "date", name="uq_yields_series_date"),
    )
    op.create_index("ix_yields_date", "yields", ["date"])
    op.create_table(
        "option_quotes",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("underlying", sa.String(32), nullable=False),
        sa.Column("quote_date", sa.Date(), nullable=False),
        sa.Column("quote_time", sa.String(16), nullable=True),
        sa.Column("underlying_price", sa.Float(), nullable=False),
        sa.Column("option_type", sa.String(4), nullable=False),
        sa.Column("expiration", sa.Date(), nullable=False),
        sa.Column("strike", sa.Float(), nullable=False),
        sa.Column("bid", sa.Float(), nullable=False),
        sa.Column("ask", sa.Float(), nullable=False),
        sa.Column("implied_vol", sa.Float(), nullable=False),
        sa.Column("delta", sa.Float(), nullable=False),
        sa.Column("gamma", sa.Float(), nullable=True),
        sa.Column("theta", sa.Float(), nullable=True),
        sa.Column("vega", sa.Float(), nullable=True),
        sa.Column("volume", sa.Float(), nullable=True),
        sa.Column("open_interest", sa.Float(), nullable=True),
        sa.Column("source", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_option_quotes"),
        sa.UniqueConstraint(
            "underlying", "quote_date", "expiration", "strike", "option_type",
            name="uq_option_quotes_contract",
        ),
        sa.ForeignKeyConstraint(
            ["underlying"], ["instruments.symbol"], name="fk_option_quotes_underlying_instruments"
        ),
        sa.CheckConstraint("bid <= ask", name="ck_option_quotes_bid_le_ask"),
    )
    op.create_index("ix_option_quotes_quote_date", "option_quotes", ["quote_date"])
    op.create_table(
        "ingest_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingest_log"),
    )
    op.create_index("ix_ingest_log_fingerprint", "ingest_log", ["fingerprint"])
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ingest_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quarantine"),
        sa.UniqueConstraint("ingest_id", "row_number", "rule", name="uq_quarantine_ingest_row_rule"),
        sa.ForeignKeyConstraint(
            ["ingest_id"], ["ingest_log.id"], name="fk_quarantine_ingest_id_ingest_log", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pipeline_runs"),
        sa.UniqueConstraint("flow", "as_of", name="uq_pipeline_runs_flow_as_of"),
    )


def downgrade() -> None:
    for table in ("pipeline_runs", "quarantine", "ingest_log", "option_quotes", "yields", "daily_bars", "instruments"):
        op.drop_table(table)
