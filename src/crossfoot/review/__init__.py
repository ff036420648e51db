"""Review: the store (SQLAlchemy: SQLite / PostgreSQL), the queue, the web app.

Heavy imports (SQLAlchemy, FastAPI) happen in the submodules; importing
``crossfoot.review`` itself costs nothing.
"""

from __future__ import annotations

__all__: list[str] = []
