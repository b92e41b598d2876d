"""Paper books per strategy: book days (NAV, P&L, stepper state), positions, orders, fills, rule events.

Revision ID: 0004_paper_books
Revises: 0003_daily_bars_natural_key
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = '0004_paper_books'
down_revision = '0003_daily_bars_natural_key'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('book_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('capital', sa.Float(), nullable=False),
    sa.Column('equity', sa.Float(), nullable=False),
    sa.Column('pnl', sa.Float(), nullable=False),
    sa.Column('net_return', sa.Float(), nullable=False),
    sa.Column('gross_return', sa.Float(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('drawdown', sa.Float(), nullable=False),
    sa.Column('peak', sa.Float(), nullable=False),
    sa.Column('pending_cost', sa.Float(), nullable=False),
    sa.Column('stopped_sessions', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    sa.CheckConstraint("stage IN ('paper', 'fraction', 'live')", name=op.f('ck_book_days_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_days')),
    sa.UniqueConstraint('strategy', 'as_of', name=op.f('uq_book_days_strategy_as_of'))
    )
    op.create_index(op.f('ix_book_days_as_of'), 'book_days', ['as_of'], unique=False)

    op.create_table('book_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_events')),
    sa.UniqueConstraint('strategy', 'date', 'kind', 'instrument', name=op.f('uq_book_events_strategy_date_kind_instrument'))
    )
    op.create_index(op.f('ix_book_events_date'), 'book_events', ['date'], unique=False)

    op.create_table('book_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('timing', sa.String(length=16), nullable=False),
    sa.Column('weight_change', sa.Float(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('reference_price', sa.Float(), nullable=False),
    sa.Column('notional', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('actual_price', sa.Float(), nullable=True),
    sa.Column('actual_quantity', sa.Float(), nullable=True),
    sa.Column('actual_note', sa.Text(), nullable=True),
    sa.Column('actual_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('open', 'filled')", name=op.f('ck_book_orders_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_orders')),
    sa.UniqueConstraint('strategy', 'decided_on', 'instrument', name=op.f('uq_book_orders_strategy_decided_on_instrument'))
    )
    op.create_index(op.f('ix_book_orders_decided_on'), 'book_orders', ['decided_on'], unique=False)

    op.create_table('book_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('held', sa.Float(), nullable=False),
    sa.Column('pending', sa.Float(), nullable=False),
    sa.Column('entry_price', sa.Float(), nullable=True),
    sa.Column('entry_date', sa.Date(), nullable=True),
    sa.Column('sessions_held', sa.Integer(), nullable=False),
    sa.Column('last_close', sa.Float(), nullable=True),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('market_value', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_positions')),
    sa.UniqueConstraint('strategy', 'as_of', 'instrument', name=op.f('uq_book_positions_strategy_as_of_instrument'))
    )
    op.create_index(op.f('ix_book_positions_as_of'), 'book_positions', ['as_of'], unique=False)

    op.create_table('book_fills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('instrument', sa.String(length=32), nullable=False),
    sa.Column('timing', sa.String(length=8), nullable=False),
    sa.Column('weight_change', sa.Float(), nullable=False),
    sa.Column('price', sa.Float(), nullable=False),
    sa.Column('quantity', sa.Float(), nullable=False),
    sa.Column('notional', sa.Float(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['book_orders.id'], name=op.f('fk_book_fills_order_id_book_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_book_fills')),
    sa.UniqueConstraint('strategy', 'date', 'instrument', 'timing', name=op.f('uq_book_fills_strategy_date_instrument_timing'))
    )
    op.create_index(op.f('ix_book_fills_date'), 'book_fills', ['date'], unique=False)
    op.create_index(op.f('ix_book_fills_order_id'), 'book_fills', ['order_id'], unique=False)



def downgrade() -> None:
    op.drop_index(op.f('ix_book_fills_order_id'), table_name='book_fills')
    op.drop_index(op.f('ix_book_fills_date'), table_name='book_fills')

    op.drop_table('book_fills')
    op.drop_index(op.f('ix_book_positions_as_of'), table_name='book_positions')

    op.drop_table('book_positions')
    op.drop_index(op.f('ix_book_orders_decided_on'), table_name='book_orders')

    op.drop_table('book_orders')
    op.drop_index(op.f('ix_book_events_date'), table_name='book_events')

    op.drop_table('book_events')
    op.drop_index(op.f('ix_book_days_as_of'), table_name='book_days')

    op.drop_table('book_days')
