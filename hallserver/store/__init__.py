"""Persistence: SQLAlchemy tables, transactions, Alembic migrations."""
