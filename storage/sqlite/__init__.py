from storage.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
