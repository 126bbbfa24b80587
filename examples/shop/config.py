"""Flask configuration (seed 001: the keys were set, Flask-SQLAlchemy 3 ignored them)."""

import os


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "mysql+pymysql://shop:shop-secret@db/shop")
    SQLALCHEMY_TRACK_MODIFICATION = False

    # "Fixed" after the first outage. Flask-SQLAlchemy 3.x reads none of these.
    SQLALCHEMY_POOL_SIZE = 10
    SQLALCHEMY_MAX_OVERFLOW = 10
    SQLALCHEMY_POOL_RECYCLE = 30


class ProductionConfig(Config):
    DEBUG = False
