"""Alembic migrations for the review store, shipped inside the package so
`crossfoot review` and `crossfoot run` bring any database up to date."""
