"""A second engine for the reporting replica, outside Flask-SQLAlchemy."""

import os

from sqlalchemy import create_engine, text
from sqlalchemy.orm import scoped_session, sessionmaker

REPORTING_URL = os.environ.get("REPORTING_URL", "mysql+pymysql://report:report-secret@replica/shop")

reporting_engine = create_engine(REPORTING_URL, pool_size=20, max_overflow=10)
SessionLocal = sessionmaker(bind=reporting_engine)
ReportSession = scoped_session(SessionLocal)


def top_products(limit=10):
    return ReportSession.execute(
        text("SELECT product_id, SUM(quantity) FROM order_lines GROUP BY product_id LIMIT :n"), {"n": limit}
    ).all()
