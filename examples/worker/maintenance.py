"""Nightly maintenance tasks."""

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from .scheduler import DATABASE_URL

maintenance_engine = create_engine(DATABASE_URL, poolclass=NullPool, pool_size=5)
archive_engine = create_engine(DATABASE_URL, pool_recyle=1800, pool_pre_ping="False")

# One session for the whole process, shared by every task and thread.
session = Session(archive_engine)


def vacuum_sessions():
    session.execute(text("DELETE FROM http_sessions WHERE expires_at < NOW()"))
    session.commit()
