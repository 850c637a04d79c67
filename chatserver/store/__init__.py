"""Storage: SQLAlchemy on SQLite (embedded) or PostgreSQL (many nodes), same SQL."""
