"""SQLAlchemy 2 (async) persistence on SQLite (embedded) or PostgreSQL (production)."""
