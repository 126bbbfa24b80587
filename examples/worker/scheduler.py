"""The background worker (seed 002: the job store built its own engine)."""

import os

from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DisconnectionError

DATABASE_URL = os.environ.get("DATABASE_URL", "mysql+pymysql://shop:shop-secret@db/shop")

engine = create_engine(DATABASE_URL, pool_size=5, pool_recycle=28800)


@event.listens_for(engine, "checkout")
def ping_connection(dbapi_connection, connection_record, connection_proxy):
    # The pre-1.2 recipe (seed 000): pool_pre_ping=True does this, with retries built in.
    try:
        dbapi_connection.ping(False)
    except dbapi_connection.OperationalError as exc:
        if exc.args[0] in (2006, 2013, 2014, 2045, 2055):
            raise DisconnectionError()
        raise


scheduler = BlockingScheduler()
scheduler.add_jobstore("sqlalchemy", url=DATABASE_URL)


@scheduler.scheduled_job("interval", minutes=5)
def expire_carts():
    job_engine = create_engine(DATABASE_URL)
    with job_engine.begin() as connection:
        connection.execute(text("DELETE FROM carts WHERE updated_at < NOW() - INTERVAL 1 DAY"))


if __name__ == "__main__":
    scheduler.start()
