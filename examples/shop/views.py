from flask import Blueprint, jsonify
from sqlalchemy import text

from .reporting import SessionLocal, reporting_engine, top_products

bp = Blueprint("reports", __name__)


@bp.route("/reports/daily")
def daily_report():
    session = SessionLocal()
    rows = session.execute(text("SELECT day, total FROM daily_totals")).all()
    session.close()  # never reached when the query raises: the connection is never returned
    return jsonify([dict(row._mapping) for row in rows])


@bp.route("/reports/top")
def top():
    return jsonify(top_products())


@bp.route("/reports/export")
def export():
    connection = reporting_engine.connect()
    result = connection.exec_driver_sql("SELECT * FROM orders")
    return jsonify([list(row) for row in result])
