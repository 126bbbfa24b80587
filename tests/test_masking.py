"""Passwords never reach output."""

from __future__ import annotations

import pytest

from poolcheck.masking import mask_secrets


@pytest.mark.parametrize(
    "text, secret",
    [
        ("mysql+pymysql://app:s3cret@db/app", "s3cret"),
        ("connect to mysql://u:p@ss@h/db now", "p@ss"),
        ("postgresql://user:pa%40ss@host:5432/db?sslmode=require", "pa%40ss"),
        ('URL.create("mysql", password="hunter2", host="h")', "hunter2"),
        ("MYSQL_ROOT_PASSWORD: rootpw", "rootpw"),
        ('{"db_password": "x1y2"}', "x1y2"),
        ("DATABASE_URL=mysql://root:toor@localhost:3306/app", "toor"),
        ("SQLALCHEMY_DATABASE_URI = 'mysql://a:b@c/d'", "b@"),
        # A URL given where a path is expected, as pathlib gives it back.
        ("poolcheck: error: mysql:/app:pw1x@db/app.py: no such file or directory", "pw1x"),
        # Spaces in the user name or the password: make_url reads both (found by fuzzing).
        ("engine = ce('mysql://user name:Zx9-hunter2-Qp@db', *args)", "Zx9-hunter2-Qp"),
        ("DATABASE_URL=mysql://app:correct horse@db/app", "horse"),
        # "@", "?" and "#" in the user name: make_url's user name runs to the first ":" (the
        # first found by fuzzing, run 8: user "@", an empty name before it).
        ("engine = create_engine('mysql://@:Zx9-hunter2-Qp@db', *args)", "Zx9-hunter2-Qp"),
        ("mysql://a@b:pw4x@db/app", "pw4x"),
        ("mysql://us?r#1:pw5x@db/app", "pw5x"),
        # No scheme: the rest of a URL whose scheme comes from elsewhere (fuzzing, run 12).
        ("engine = ce('://:Zx9-hunter2-Qp@db', pool_pre_pnig=0)", "Zx9-hunter2-Qp"),
        ('create_engine(DIALECT + "://app:pw6x@db/app")', "pw6x"),
    ],
)
def test_secrets_are_masked(text, secret):
    masked = mask_secrets(text)
    assert secret not in masked and "***" in masked


@pytest.mark.parametrize(
    "text",
    [
        "mysql+pymysql://app@db/app",
        "sqlite:///var/app.db",
        'f"mysql://{user}:{password}@{host}/db"',
        "mysql://u:${DB_PASSWORD}@h/db",
        "password=os.environ['DB_PASSWORD']",
        "a plain sentence about passwords",
        # File names are not keys: their locations and messages stay readable.
        "app/secrets.py:2:10: PC101 MySQL engine",
        "poolcheck: error: secret.py: cannot read: permission denied",
        "password_reset.py:3:1: PC001 Syntax error",
        "config/passwords.env:4: could not be checked",
        "mysql://db:3306/app has no pool_pre_ping",
        "docs: https://github.com/poolcheck/poolcheck/blob/main/docs/rules/PC104.md",
    ],
)
def test_non_secrets_stay_readable(text):
    assert mask_secrets(text) == text


@pytest.mark.parametrize(
    "text, secret",
    [
        # Lines of files (excerpts, diffs): an unquoted value of several words (.env, my.cnf,
        # compose) is one value, every word masked.
        ("DB_PASSWORD=correct horse battery", "horse battery"),
        ("    password = correct horse battery staple", "staple"),
        ("-MYSQL_PASSWORD: two words", "words"),
        ("+export DB_PASSWORD=a bee", "bee"),
        ("      MARIADB_PASSWORD: two words  ", "words"),
        ("x = 1\nDB_PASSWORD=correct horse\ny = 2", "horse"),
        ("url = 'mysql://u:s3cret@h/db'", "s3cret"),
    ],
)
def test_source_lines_are_masked_whole(text, secret):
    from poolcheck.masking import mask_source

    masked = mask_source(text)
    assert secret not in masked and "***" in masked


def test_source_masking_keeps_lookups_and_messages_keep_their_words():
    from poolcheck.masking import mask_source

    for text in ("DB_PASSWORD=${DB_PASSWORD}", "password = os.environ['DB_PASSWORD']", "x = 1"):
        assert mask_source(text) == text
    # In a message the value is one word: the rest of the sentence stays.
    assert mask_secrets("DB_PASSWORD=hunter2 and wait_timeout = 600") == "DB_PASSWORD=*** and wait_timeout = 600"
