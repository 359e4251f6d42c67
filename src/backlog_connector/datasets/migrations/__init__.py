"""Alembic migrations of the control plane, run programmatically by ``migrate.upgrade``."""
