"""Signals store a strategy's whole decision (Targets), not just one exposure number.

``kind`` is the Targets shape (exposure | book | spreads | legs); ``weights``, ``leg_weights`` and ``spreads``
are JSON. Existing rows were all single-asset exposures of vol_regime: they become kind 'exposure' with
weights {"QQQ": target_exposure}.

Revision ID: 0006_strategy_targets
Revises: 0005_raw_bars_and_revisions
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_strategy_targets"
down_revision = "0005_raw_bars_and_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signals") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="exposure"))
        batch.add_column(sa.Column("weights", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("leg_weights", sa.Text(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("spreads", sa.Text(), nullable=False, server_default="[]"))
    # before this revision only vol_regime (QQQ) stored signals
    op.execute("UPDATE signals SET weights = '{\"QQQ\": ' || CAST(target_exposure AS VARCHAR) || '}' "
               "WHERE strategy = 'vol_regime'")


def downgrade() -> None:
    with op.batch_alter_table("signals") as batch:
        for column in ("spreads", "leg_weights", "weights", "kind"):
            batch.drop_column(column)
