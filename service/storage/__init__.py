"""Storage: SQLAlchemy models, engine/session handling and Alembic migrations.

SQLite file by default (nothing to install), PostgreSQL by setting
``DATABASE_URL`` (or ``PAGESIEVE_STORAGE_DATABASE_URL``).
"""
