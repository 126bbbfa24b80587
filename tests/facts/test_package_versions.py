"""Which version of a package a project uses, read from its own dependency files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest
from _project_files import make_project
from poolcheck.facts.packages import PackageIndex, PackageVersion, find_package_version
from poolcheck.findings import Location

# Every Flask-SQLAlchemy release on PyPI, as the rule module will hand them over.
FLASK_SQLALCHEMY_RELEASES = (
    "2.0", "2.1", "2.2", "2.3.0", "2.3.1", "2.3.2", "2.4.0", "2.4.1", "2.4.2", "2.4.3", "2.4.4",
    "2.5.0", "2.5.1", "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.0.4", "3.0.5", "3.1.0", "3.1.1",
)  # fmt: skip
SQLALCHEMY_RELEASES = ("1.3.24", "1.4.0", "1.4.54", "2.0.0", "2.0.58")


def version_in(tmp_path: Path, files: dict, name: str = "Flask-SQLAlchemy", releases=FLASK_SQLALCHEMY_RELEASES):
    return find_package_version(make_project(tmp_path, files), name, releases)


def at(path: str, line: int) -> Location:
    return Location(Path(path), line)


# --- ranges and pins (one requirements.txt) ---------------------------------------------


@pytest.mark.parametrize(
    "requirement, expected",
    [
        ("Flask-SQLAlchemy>=2.4,<3", "2.5.1"),
        ("Flask-SQLAlchemy ~=3.0.0", "3.0.5"),
        ("Flask-SQLAlchemy<3.1", "3.0.5"),
        ("Flask-SQLAlchemy<=2.4", "2.4.0"),
        ("Flask-SQLAlchemy==2.4.*", "2.4.4"),
        ("Flask-SQLAlchemy>2.1,!=2.2", "3.1.1"),
        ("Flask-SQLAlchemy (>=2.4, <3)", "2.5.1"),
        ("Flask-SQLAlchemy", "3.1.1"),
    ],
)
def test_a_range_gives_the_newest_release_it_admits(tmp_path, requirement, expected):
    found = version_in(tmp_path, {"requirements.txt": requirement + "\n"})
    assert found is not None and found.version == expected
    assert not found.exact
    assert found.requirement == requirement
    assert found.source == "requirements.txt"


def test_an_exact_pin_is_exact(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": "flask\nFlask-SQLAlchemy==2.5.1\n"})
    assert found == PackageVersion(
        name="flask-sqlalchemy",
        version="2.5.1",
        requirement="Flask-SQLAlchemy==2.5.1",
        location=at("requirements.txt", 2),
        source="requirements.txt",
        exact=True,
        display_name="Flask-SQLAlchemy",
        constraint="==2.5.1",
    )
    assert found.describe() == "Flask-SQLAlchemy 2.5.1 (requirements.txt:2)"


def test_a_pin_to_a_release_the_caller_does_not_know_is_still_the_answer(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy==3.2.0\n"})
    assert (found.version, found.exact) == ("3.2.0", True)


def test_a_pin_uses_the_release_spelling_of_an_equal_version(tmp_path):
    assert version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy==2.5\n"}).version == "2.5.0"


def test_describe_says_how_a_range_chose(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": "Flask-SQLAlchemy>=2.4,<3\n"})
    assert found.describe() == 'Flask-SQLAlchemy 2.5.1, the newest that ">=2.4,<3" admits (requirements.txt:1)'


def test_describe_says_when_nothing_bounds_the_version(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy\n"})
    assert (
        found.describe()
        == 'Flask-SQLAlchemy 3.1.1, the newest release; "flask-sqlalchemy" sets no bound (requirements.txt:1)'
    )


def test_prereleases_are_left_out_unless_asked_for(tmp_path):
    releases = FLASK_SQLALCHEMY_RELEASES + ("3.2.0rc1",)
    assert (
        version_in(tmp_path / "a", {"requirements.txt": "flask-sqlalchemy>=3\n"}, releases=releases).version == "3.1.1"
    )
    asked = version_in(tmp_path / "b", {"requirements.txt": "flask-sqlalchemy>=3.2.0rc1\n"}, releases=releases)
    assert asked.version == "3.2.0rc1"


def test_a_range_no_known_release_satisfies_gives_nothing(tmp_path):
    assert version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy>=4\n"}) is None


def test_without_releases_only_a_pin_answers(tmp_path):
    assert version_in(tmp_path / "a", {"requirements.txt": "flask-sqlalchemy>=2\n"}, releases=()) is None
    assert version_in(tmp_path / "b", {"requirements.txt": "flask-sqlalchemy==2.5.1\n"}, releases=()).version == "2.5.1"


def test_invalid_releases_are_skipped(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy<3\n"}, releases=("not a version", "2.5.1"))
    assert found.version == "2.5.1"


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["Flask-SQLAlchemy", "flask_sqlalchemy", "FLASK.SQLALCHEMY", "flask--sqlalchemy"])
@pytest.mark.parametrize("written", ["Flask-SQLAlchemy", "flask_sqlalchemy", "Flask.SQLAlchemy", "flask-sqlalchemy"])
def test_names_match_in_pep_503_normal_form(tmp_path, asked, written):
    found = version_in(tmp_path, {"requirements.txt": f"{written}==2.5.1\n"}, name=asked)
    assert (found.name, found.version, found.display_name) == ("flask-sqlalchemy", "2.5.1", asked)


def test_other_packages_do_not_match(tmp_path):
    files = {"requirements.txt": "flask-sqlalchemy-lite==0.1\nflask==3.0\nsqlalchemy==2.0.58\n"}
    assert version_in(tmp_path, files) is None


def test_extras_are_the_same_package(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy[async, other]>=3.0,<3.1\n"})
    assert (found.version, found.constraint) == ("3.0.5", ">=3.0,<3.1")


def test_the_same_index_answers_for_other_packages(tmp_path):
    files = make_project(tmp_path, {"requirements.txt": "Flask-SQLAlchemy<3\nSQLAlchemy>=1.4,<2\n"})
    index = PackageIndex(files)
    assert index.version_of("flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES).version == "2.5.1"
    assert index.version_of("sqlalchemy", SQLALCHEMY_RELEASES).version == "1.4.54"
    assert index.version_of("apscheduler", ("3.11.0",)) is None


# --- requirements files ------------------------------------------------------------------------


def test_requirements_lines_read_as_pip_reads_them(tmp_path):
    found = version_in(
        tmp_path,
        {
            "requirements.txt": """
                # the database layer
                --index-url https://pypi.org/simple
                flask==3.0.0  # web
                Flask-SQLAlchemy>=2.4,\\
                    <3 \\
                    --hash=sha256:abcdef
            """
        },
    )
    assert found.version == "2.5.1"
    assert found.location == at("requirements.txt", 4)
    assert found.requirement == "Flask-SQLAlchemy>=2.4,    <3"


def test_a_comment_needs_whitespace_before_it(tmp_path):
    assert version_in(tmp_path, {"requirements.txt": "flask-sqlalchemy<3 # not 3.x\n"}).version == "2.5.1"


@pytest.mark.parametrize(
    "name", ["requirements-prod.txt", "requirements_dev.txt", "requirements.in", "constraints.txt"]
)
def test_every_requirements_file_name_is_read(tmp_path, name):
    found = version_in(tmp_path, {name: "flask-sqlalchemy==2.5.1\n"})
    assert found.location == at(name, 1)
    assert found.source == name


def test_a_requirements_folder_is_read(tmp_path):
    found = version_in(tmp_path, {"requirements/base.txt": "# base\nflask-sqlalchemy<3\n"})
    assert (found.version, found.source, found.location) == (
        "2.5.1",
        "requirements/base.txt",
        at("requirements/base.txt", 2),
    )


def test_other_text_files_are_not_read(tmp_path):
    files = make_project(tmp_path, {"notes.txt": "flask-sqlalchemy==2.5.1\n", "app.py": "import flask_sqlalchemy\n"})
    assert find_package_version(files, "flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES) is None
    assert not files.reads


@pytest.mark.parametrize("option", ["-r {}", "--requirement {}", "--requirement={}", "-r{}"])
def test_includes_are_followed_relative_to_the_including_file(tmp_path, option):
    found = version_in(
        tmp_path,
        {
            "requirements.txt": option.format("requirements/prod.txt") + "\n",
            "requirements/prod.txt": "-r ../deps/common.txt\n",
            "deps/common.txt": "flask\nflask-sqlalchemy==2.4.4\n",
        },
    )
    assert (found.version, found.source, found.location) == ("2.4.4", "deps/common.txt", at("deps/common.txt", 2))


@pytest.mark.parametrize("option", ["-c {}", "--constraint {}", "--constraint={}"])
def test_constraints_files_narrow_the_range(tmp_path, option):
    found = version_in(
        tmp_path,
        {
            "requirements.txt": option.format("pins/constraints.txt") + "\nflask-sqlalchemy>=2.4\n",
            "pins/constraints.txt": "flask-sqlalchemy<3.1,!=3.0.5\n",
        },
    )
    assert found.version == "3.0.4"
    assert found.location == at("pins/constraints.txt", 1)
    assert found.describe() == 'Flask-SQLAlchemy 3.0.4, the newest that "<3.1,!=3.0.5" admits (pins/constraints.txt:1)'


def test_requirements_in_several_files_must_all_hold(tmp_path):
    found = version_in(
        tmp_path,
        {
            "requirements.txt": "flask-sqlalchemy<3.1\n",
            "requirements-extra.txt": "flask-sqlalchemy!=3.0.5\n",
        },
    )
    assert found.version == "3.0.4"
    assert found.locations == (at("requirements-extra.txt", 1), at("requirements.txt", 1))
    assert found.describe() == (
        'Flask-SQLAlchemy 3.0.4, the newest that "!=3.0.5" (requirements-extra.txt:1)'
        ' and "<3.1" (requirements.txt:1) admit'
    )


def test_include_loops_end(tmp_path):
    files = make_project(
        tmp_path,
        {
            "requirements.txt": "-r requirements/a.txt\n",
            "requirements/a.txt": "-r b.txt\nflask-sqlalchemy<3\n",
            "requirements/b.txt": "-r a.txt\n-r ../requirements.txt\n-r b.txt\n",
        },
    )
    assert find_package_version(files, "flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES).version == "2.5.1"
    assert max(files.reads.values()) == 1


def test_missing_and_outside_includes_contribute_nothing(tmp_path):
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("flask-sqlalchemy==2.1\n")
    project = tmp_path / "project"
    files = make_project(
        project,
        {
            "requirements.txt": (
                "-r missing.txt\n-r ../elsewhere.txt\n-r /etc/passwd\n-r https://example.com/r.txt\n-r\n"
                "flask-sqlalchemy>=3\n"
            )
        },
    )
    assert find_package_version(files, "flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES).version == "3.1.1"
    assert set(files.reads) == {PurePosixPath("requirements.txt"), PurePosixPath("missing.txt")}


def test_garbage_lines_contribute_nothing(tmp_path):
    found = version_in(
        tmp_path,
        {
            "requirements.txt": (
                "flask-sqlalchemy>>2\n"
                "flask-sqlalchemy==\n"
                "flask-sqlalchemy<3; python_version <<< '3'\n"
                '-r "unbalanced\n'
                "./local/package\n"
                "flask-sqlalchemy>=2.4,<2.5\n"
            )
        },
    )
    assert (found.version, found.location) == ("2.4.4", at("requirements.txt", 6))


def test_undecodable_bytes_do_not_stop_the_reader(tmp_path):
    found = version_in(tmp_path, {"requirements.txt": b"\xff\xfe\x00junk\nflask-sqlalchemy==2.5.1\n"})
    assert found.version == "2.5.1"


# --- URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "flask-sqlalchemy @ git+https://github.com/pallets-eco/flask-sqlalchemy@main",
        "-e git+https://github.com/pallets-eco/flask-sqlalchemy.git#egg=Flask-SQLAlchemy",
        "git+https://github.com/pallets-eco/flask-sqlalchemy.git#egg=flask_sqlalchemy",
    ],
)
def test_a_url_requirement_names_no_version(tmp_path, line):
    # The nested project's pin must not stand in for the root's URL: the root did speak.
    files = {"requirements.txt": line + "\n", "examples/old/requirements.txt": "flask-sqlalchemy==2.1\n"}
    assert version_in(tmp_path, files) is None


def test_a_url_leaves_the_other_requirements_to_answer(tmp_path):
    files = {
        "requirements.txt": "flask-sqlalchemy @ https://example.com/fsa.tar.gz\n",
        "setup.py": "from setuptools import setup\nsetup(install_requires=['flask-sqlalchemy<3'])\n",
    }
    assert version_in(tmp_path, files).version == "2.5.1"


# --- environment markers -----------------------------------------------------------------------


def test_a_requirement_for_python_2_only_is_ignored(tmp_path):
    found = version_in(
        tmp_path,
        {"requirements.txt": 'flask-sqlalchemy==2.1; python_version < "3"\nflask-sqlalchemy>=2.4,<3\n'},
    )
    assert found.version == "2.5.1"
    assert version_in(tmp_path / "alone", {"requirements.txt": "flask-sqlalchemy==2.1; python_version<'3'\n"}) is None


@pytest.mark.parametrize(
    "marker",
    [
        'sys_platform == "win32"',
        'platform_python_implementation == "PyPy"',
        'python_version >= "3.8" and os_name == "nt"',
        'python_full_version >= "3.8.1"',
        'python_full_version > "3.8.0" and python_version < "3.9"',
        'python_version < "3.8"',
    ],
)
def test_a_requirement_some_python_3_can_install_is_kept(tmp_path, marker):
    assert version_in(tmp_path, {"requirements.txt": f"flask-sqlalchemy==2.5.1; {marker}\n"}).version == "2.5.1"


def test_requirements_split_by_python_version_answer_for_the_newest_python(tmp_path):
    files = {
        "requirements.txt": (
            'flask-sqlalchemy>=2.5,<3; python_version < "3.8"\nflask-sqlalchemy>=3; python_version >= "3.8"\n'
        )
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.location) == ("3.1.1", at("requirements.txt", 2))


# --- disagreement -----------------------------------------------------------------------------------


def test_contradicting_requirements_follow_the_exact_pin(tmp_path):
    files = {
        "requirements.txt": "flask-sqlalchemy==2.5.1\n",
        "pyproject.toml": '[project]\nname = "app"\ndependencies = ["flask-sqlalchemy>=3"]\n',
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.exact, found.location) == ("2.5.1", True, at("requirements.txt", 1))


def test_contradicting_ranges_follow_the_first_with_a_bound(tmp_path):
    files = {
        "requirements.txt": "flask-sqlalchemy\nflask-sqlalchemy<3\n",
        "setup.cfg": "[options]\ninstall_requires =\n    flask-sqlalchemy>=3.1\n",
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.location) == ("2.5.1", at("requirements.txt", 2))


def test_the_root_speaks_before_nested_projects(tmp_path):
    files = {
        "requirements.txt": "flask-sqlalchemy>=3\n",
        "examples/legacy/requirements.txt": "flask-sqlalchemy==2.1\n",
        "examples/legacy/poetry.lock": '[[package]]\nname = "flask-sqlalchemy"\nversion = "2.1"\n',
    }
    assert version_in(tmp_path, files).version == "3.1.1"


def test_a_nested_project_answers_when_the_root_is_silent(tmp_path):
    files = {
        "requirements.txt": "flask\n",
        "frontend/package.json": "{}",
        "backend/requirements/base.txt": "flask-sqlalchemy<3\n",
        "backend/deep/er/requirements.txt": "flask-sqlalchemy==2.1\n",
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.source) == ("2.5.1", "backend/requirements/base.txt")


def test_nothing_found_is_none(tmp_path):
    assert version_in(tmp_path, {"app.py": "from flask_sqlalchemy import SQLAlchemy\n"}) is None
    assert (
        find_package_version(make_project(tmp_path / "empty", {}), "flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES)
        is None
    )


# --- pyproject.toml: PEP 621 and PEP 735 ---------------------------------------------------------


PEP_621 = """
    [build-system]
    requires = ["setuptools"]

    [project]
    name = "app"
    dependencies = [
        "flask>=3",
        "Flask-SQLAlchemy>=2.5,<3",
    ]

    [project.optional-dependencies]
    async = ["flask-sqlalchemy[async]>=2.5.1"]
"""


def test_pep_621_dependencies(tmp_path):
    found = version_in(tmp_path, {"pyproject.toml": PEP_621})
    assert found.version == "2.5.1"
    assert found.requirement == "Flask-SQLAlchemy>=2.5,<3"
    assert found.source == "pyproject.toml [project.dependencies]"
    assert found.location == at("pyproject.toml", 8)


def test_pep_621_optional_dependencies(tmp_path):
    files = {
        "pyproject.toml": """
            [project]
            name = "app"
            dependencies = ["flask"]

            [project.optional-dependencies]
            db = [
                "sqlalchemy",
                'flask-sqlalchemy[async]<3.1',
            ]
        """
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.requirement) == ("3.0.5", "flask-sqlalchemy[async]<3.1")
    assert found.source == "pyproject.toml [project.optional-dependencies.db]"
    assert found.location == at("pyproject.toml", 8)


def test_pep_621_line_is_the_quoted_string_not_a_comment_naming_it(tmp_path):
    files = {
        "pyproject.toml": """
            [project]
            name = "app"
            # flask-sqlalchemy<3 until the config moves to SQLALCHEMY_ENGINE_OPTIONS
            dependencies = [
                "flask-sqlalchemy<3",
            ]
        """
    }
    assert version_in(tmp_path, files).location == at("pyproject.toml", 5)


def test_pep_735_dependency_groups(tmp_path):
    files = {
        "pyproject.toml": "[dependency-groups]\n"
        'dev = [{include-group = "test"}, "flask-sqlalchemy~=3.0.0"]\n'
        "test = []\n"
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.source, found.location) == (
        "3.0.5",
        "pyproject.toml [dependency-groups.dev]",
        at("pyproject.toml", 2),
    )


# --- pyproject.toml: Poetry --------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected",
    [
        ('"^2.5"', "2.5.1"),
        ('"^3.0.1"', "3.1.1"),
        ('"~2.5"', "2.5.1"),
        ('"~3.0"', "3.0.5"),
        ('"~=3.0.0"', "3.0.5"),
        ('"<3.1"', "3.0.5"),
        ('">=2.4, <3"', "2.5.1"),
        ('">=2.4 <3"', "2.5.1"),
        ('"*"', "3.1.1"),
        ('"2.4.*"', "2.4.4"),
        ('"^2.1 || ^3.0"', "3.1.1"),
        ('{version = "^2.5", extras = ["async"]}', "2.5.1"),
        ('{version = "<3", optional = true}', "2.5.1"),
    ],
)
def test_poetry_constraints(tmp_path, written, expected):
    files = {
        "pyproject.toml": '[tool.poetry]\nname = "app"\n\n'
        f'[tool.poetry.dependencies]\npython = "^3.9"\nFlask-SQLAlchemy = {written}\n'
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.exact) == (expected, False)
    assert found.location == at("pyproject.toml", 6)
    assert found.requirement == f"Flask-SQLAlchemy = {written}"
    assert found.source == "pyproject.toml [tool.poetry.dependencies]"


def test_poetry_bare_version_is_exact(tmp_path):
    files = {"pyproject.toml": '[tool.poetry.dependencies]\nflask_sqlalchemy = "2.5.1"\n'}
    found = version_in(tmp_path, files)
    assert (found.version, found.exact) == ("2.5.1", True)
    assert found.describe() == "Flask-SQLAlchemy 2.5.1 (pyproject.toml:2)"


def test_poetry_caret_is_described_as_written(tmp_path):
    found = version_in(tmp_path, {"pyproject.toml": '[tool.poetry.dependencies]\nflask-sqlalchemy = "^2.5"\n'})
    assert found.describe() == 'Flask-SQLAlchemy 2.5.1, the newest that "^2.5" admits (pyproject.toml:2)'


@pytest.mark.parametrize(
    "table",
    ["tool.poetry.group.dev.dependencies", "tool.poetry.dev-dependencies", 'tool.poetry.group."db stuff".dependencies'],
)
def test_poetry_groups(tmp_path, table):
    files = {"pyproject.toml": f"[tool.poetry.dependencies]\nflask = '*'\n\n[{table}]\n'flask-sqlalchemy' = '<3'\n"}
    found = version_in(tmp_path, files)
    assert (found.version, found.location) == ("2.5.1", at("pyproject.toml", 5))
    assert found.source.startswith("pyproject.toml [tool.poetry.")


def test_poetry_dependency_as_its_own_table(tmp_path):
    files = {
        "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\n\n'
        '[tool.poetry.dependencies.flask-sqlalchemy]\nversion = "^3.0"\n'
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.location) == ("3.1.1", at("pyproject.toml", 4))


def test_poetry_multiple_constraints_by_python(tmp_path):
    files = {
        "pyproject.toml": """
            [tool.poetry.dependencies]
            flask-sqlalchemy = [
                {version = "^2.5", python = "<3.8"},
                {version = "~3.0", python = ">=3.8"},
            ]
            other = {version = "==1.0", python = "~2.7"}
        """
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.location, found.requirement) == (
        "3.0.5",
        at("pyproject.toml", 4),
        '{version = "~3.0", python = ">=3.8"}',
    )
    assert version_in(tmp_path / "other", files, name="other", releases=("1.0", "2.0")) is None


def test_poetry_markers(tmp_path):
    files = {
        "pyproject.toml": "[tool.poetry.dependencies]\n"
        'flask-sqlalchemy = {version = "2.1", markers = "python_version < \'3\'"}\n'
    }
    assert version_in(tmp_path, files) is None


@pytest.mark.parametrize(
    "written",
    [
        '{git = "https://github.com/pallets-eco/flask-sqlalchemy.git"}',
        '{path = "../fsa", develop = true}',
        '"not a constraint"',
        "42",
    ],
)
def test_poetry_dependencies_that_name_no_version(tmp_path, written):
    files = {"pyproject.toml": f"[tool.poetry.dependencies]\nflask-sqlalchemy = {written}\n"}
    assert version_in(tmp_path, files) is None


def test_poetry_python_entry_is_not_a_package(tmp_path):
    files = {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.9"\n'}
    assert version_in(tmp_path, files, name="python", releases=("3.9", "3.12")) is None


# --- setup.cfg and setup.py ---------------------------------------------------------------------


def test_setup_cfg_install_requires(tmp_path):
    files = {
        "setup.cfg": """
            [metadata]
            name = app

            [options]
            packages = find:
            install_requires =
                flask>=3
                # the database
                Flask-SQLAlchemy>=2.4,<3
        """
    }
    found = version_in(tmp_path, files)
    assert (found.version, found.location, found.source) == (
        "2.5.1",
        at("setup.cfg", 9),
        "setup.cfg [options] install_requires",
    )


def test_setup_cfg_single_line_and_extras(tmp_path):
    files = {
        "setup.cfg": "[options]\ninstall_requires = flask; flask-sqlalchemy<3.1\n\n"
        "[options.extras_require]\ndb =\n  flask-sqlalchemy!=3.0.5\n"
    }
    found = version_in(tmp_path, files)
    assert found.version == "3.0.4"
    assert found.locations == (at("setup.cfg", 2), at("setup.cfg", 6))
    assert found.also[0].source == "setup.cfg [options.extras_require] db"


SETUP_PY = """
    from setuptools import setup

    REQUIRES = [
        "flask>=3",
        "flask-sqlalchemy>=2.4,<3",
    ]

    setup(
        name="app",
        install_requires=REQUIRES,
        extras_require={"scheduler": ["apscheduler~=3.10.0"]},
    )
"""


def test_setup_py_literal_requirements(tmp_path):
    files = make_project(tmp_path, {"setup.py": SETUP_PY})
    index = PackageIndex(files)
    found = index.version_of("flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES)
    assert (found.version, found.location, found.source) == ("2.5.1", at("setup.py", 5), "setup.py install_requires")
    scheduler = index.version_of("APScheduler", ("3.10.4", "3.11.0"))
    assert (scheduler.version, scheduler.source) == ("3.10.4", "setup.py extras_require['scheduler']")


def test_setup_py_inline_list_and_attribute_call(tmp_path):
    files = {
        "setup.py": "import setuptools\n"
        "setuptools.setup(\n    install_requires=(\n        'flask-sqlalchemy==2.4.4',\n    ),\n)\n"
    }
    assert version_in(tmp_path, files).location == at("setup.py", 4)


def test_setup_py_is_never_run(tmp_path):
    marker = tmp_path / "ran"
    files = {
        "setup.py": f"open({str(marker)!r}, 'w').close()\n"
        "from setuptools import setup\nsetup(install_requires=['flask-sqlalchemy<3'])\n"
    }
    assert version_in(tmp_path / "project", files).version == "2.5.1"
    assert not marker.exists()


@pytest.mark.parametrize(
    "source",
    [
        "from setuptools import setup\nsetup(install_requires=open('deps.txt').read().splitlines())\n",
        "from setuptools import setup\nsetup(install_requires=[f'flask-sqlalchemy{VERSION}'])\n",
        "print 'python 2'\nsetup(install_requires=['flask-sqlalchemy<3'])\n",
    ],
)
def test_setup_py_computed_or_broken_says_nothing(tmp_path, source):
    assert version_in(tmp_path, {"setup.py": source}) is None


# --- Pipfile --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written, expected",
    [
        ('"*"', "3.1.1"),
        ('">=2.4,<3"', "2.5.1"),
        ('"~=3.0.0"', "3.0.5"),
        ('{version = "<3.1", extras = ["async"]}', "3.0.5"),
        ('{version = "==2.1", markers = "python_version < \'3\'"}', None),
        ('{git = "https://github.com/pallets-eco/flask-sqlalchemy.git", ref = "main"}', None),
    ],
)
def test_pipfile(tmp_path, written, expected):
    files = {
        "Pipfile": '[[source]]\nurl = "https://pypi.org/simple"\n\n'
        f'[packages]\nflask = "*"\nflask-sqlalchemy = {written}\n'
    }
    found = version_in(tmp_path, files)
    assert (found and found.version) == expected
    if found:
        assert (found.location, found.source) == (at("Pipfile", 6), "Pipfile [packages]")


def test_pipfile_package_as_its_own_table(tmp_path):
    found = version_in(
        tmp_path, {"Pipfile": '[packages]\nflask = "*"\n\n[packages.Flask-SQLAlchemy]\nversion = "<3"\n'}
    )
    assert (found.version, found.location) == ("2.5.1", at("Pipfile", 4))


def test_pipfile_dev_packages(tmp_path):
    found = version_in(tmp_path, {"Pipfile": '[dev-packages]\nFlask_SQLAlchemy = "==2.4.4"\n'})
    assert (found.version, found.exact, found.source) == ("2.4.4", True, "Pipfile [dev-packages]")


# --- lock files --------------------------------------------------------------------------------


POETRY_LOCK = """
    # This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.

    [[package]]
    name = "flask"
    version = "2.3.3"
    description = "A simple framework for building complex web applications."
    optional = false
    python-versions = ">=3.8"

    [package.dependencies]
    flask-sqlalchemy = ">=1"

    [[package]]
    name = "Flask-SQLAlchemy"
    version = "2.5.1"
    description = "Adds SQLAlchemy support to your Flask application."
    files = [
        {file = "Flask_SQLAlchemy-2.5.1-py2.py3-none-any.whl", hash = "sha256:f12c3d4cc5cc7fdc"},
    ]

    [metadata]
    lock-version = "2.0"
    python-versions = "^3.9"
"""

UV_LOCK = """
    version = 1
    requires-python = ">=3.9"
    resolution-markers = ["python_full_version >= '3.10'", "python_full_version < '3.10'"]

    [[package]]
    name = "app"
    version = "0.1.0"
    source = { editable = "." }
    dependencies = [
        { name = "flask-sqlalchemy" },
    ]

    [[package]]
    name = "flask-sqlalchemy"
    version = "3.0.5"
    source = { registry = "https://pypi.org/simple" }
    resolution-markers = ["python_full_version < '3.10'"]

    [[package]]
    name = "flask-sqlalchemy"
    version = "3.1.1"
    source = { registry = "https://pypi.org/simple" }
    resolution-markers = ["python_full_version >= '3.10'"]
"""

PDM_LOCK = """
    [metadata]
    groups = ["default"]
    strategy = ["cross_platform"]

    [[package]]
    name = "flask-sqlalchemy"
    version = "3.0.3"
    requires_python = ">=3.7"
    summary = "Add SQLAlchemy support to your Flask application."
    dependencies = [
        "Flask>=2.2",
        "SQLAlchemy>=1.4.18",
    ]
"""

PIPFILE_LOCK = {
    "_meta": {"hash": {"sha256": "0" * 64}, "requires": {"python_version": "3.11"}, "sources": []},
    "default": {
        "flask": {"hashes": ["sha256:1"], "version": "==3.0.0"},
        "flask-sqlalchemy": {"hashes": ["sha256:2"], "index": "pypi", "version": "==2.4.4"},
    },
    "develop": {"flask-sqlalchemy": {"version": "==3.1.1"}, "pytest": {"version": "==8.0.0"}},
}


@pytest.mark.parametrize(
    "lock, text, version, line",
    [
        ("poetry.lock", POETRY_LOCK, "2.5.1", 14),
        ("uv.lock", UV_LOCK, "3.1.1", 20),
        ("pdm.lock", PDM_LOCK, "3.0.3", 6),
        ("Pipfile.lock", json.dumps(PIPFILE_LOCK, indent=4), "2.4.4", 18),
    ],
)
def test_lock_files(tmp_path, lock, text, version, line):
    found = version_in(tmp_path, {lock: text})
    assert (found.version, found.exact, found.location, found.source) == (version, True, at(lock, line), lock)
    assert found.describe() == f"Flask-SQLAlchemy {version} ({lock}:{line})"
    assert found.requirement.lower() == f"flask-sqlalchemy=={version}"


def test_pipfile_lock_develop_when_not_in_default(tmp_path):
    found = version_in(tmp_path, {"Pipfile.lock": json.dumps(PIPFILE_LOCK, indent=4)}, name="pytest", releases=())
    assert (found.version, found.location) == ("8.0.0", at("Pipfile.lock", 30))


def test_a_lock_file_wins_over_requirements(tmp_path):
    files = {
        "requirements.txt": "flask-sqlalchemy==3.1.1\n",
        "pyproject.toml": '[tool.poetry.dependencies]\nflask-sqlalchemy = "^3"\n',
        "poetry.lock": POETRY_LOCK,
    }
    assert version_in(tmp_path, files).source == "poetry.lock"


def test_lock_files_in_documented_order(tmp_path):
    files = {"uv.lock": UV_LOCK, "pdm.lock": PDM_LOCK, "poetry.lock": POETRY_LOCK}
    assert version_in(tmp_path / "all", files).source == "poetry.lock"
    del files["poetry.lock"]
    assert version_in(tmp_path / "two", files).source == "uv.lock"


def test_a_lock_without_the_package_leaves_it_to_the_requirements(tmp_path):
    files = {"poetry.lock": POETRY_LOCK, "requirements.txt": "sqlalchemy<2\n"}
    assert version_in(tmp_path, files, name="sqlalchemy", releases=SQLALCHEMY_RELEASES).source == "requirements.txt"


@pytest.mark.parametrize(
    "lock, text",
    [
        ("poetry.lock", "[[package]\nname = 'flask-sqlalchemy'\n"),
        ("poetry.lock", "package = 'flask-sqlalchemy'\n"),
        ("uv.lock", "[[package]]\nname = 'flask-sqlalchemy'\n"),
        ("pdm.lock", "[[package]]\nname = 3\nversion = '3.0.3'\n"),
        ("Pipfile.lock", "{not json"),
        ("Pipfile.lock", "[1, 2]"),
        ("Pipfile.lock", '{"default": {"flask-sqlalchemy": {"git": "https://x", "ref": "abc"}}, "develop": []}'),
        ("Pipfile.lock", "[" * 100000),
    ],
)
def test_malformed_lock_files_leave_it_to_the_requirements(tmp_path, lock, text):
    found = version_in(tmp_path, {lock: text, "requirements.txt": "flask-sqlalchemy<3\n"})
    assert (found.version, found.source) == ("2.5.1", "requirements.txt")


@pytest.mark.parametrize(
    "manifest, text",
    [
        ("pyproject.toml", "[project\ndependencies = ['flask-sqlalchemy==2.1']\n"),
        ("pyproject.toml", "project = 1\ndependency-groups = []\n[tool]\npoetry = 'x'\n"),
        ("pyproject.toml", "[project]\ndependencies = 'flask-sqlalchemy==2.1'\noptional-dependencies = []\n"),
        ("Pipfile", "[packages\n"),
        ("Pipfile", "packages = ['flask-sqlalchemy']\n"),
        ("setup.cfg", "install_requires = flask-sqlalchemy==2.1\n[options\n"),
        ("setup.py", "setup(install_requires=" + "[" * 10000 + "]" * 10000 + ")\n"),
    ],
)
def test_malformed_manifests_contribute_nothing(tmp_path, manifest, text):
    found = version_in(tmp_path, {manifest: text, "requirements.txt": "flask-sqlalchemy<3\n"})
    assert (found.version, found.source) == ("2.5.1", "requirements.txt")


def test_a_manifest_included_as_requirements_does_not_confuse_the_readers(tmp_path):
    files = {
        "pyproject.toml": '[project]\nname = "app"\ndependencies = ["flask-sqlalchemy<3.1"]\n',
        "requirements.txt": "-r pyproject.toml\n-r poetry.lock\nflask-sqlalchemy!=3.0.5\n",
    }
    found = version_in(tmp_path, files)
    assert found.version == "3.0.4"
    assert found.also[0].source == "pyproject.toml [project.dependencies]"


# --- reading cost -------------------------------------------------------------------------------


def test_each_file_is_read_once_for_several_packages(tmp_path):
    files = make_project(
        tmp_path,
        {
            "requirements.txt": "-r requirements/base.txt\nflask-sqlalchemy<3\n",
            "requirements/base.txt": "sqlalchemy<2\n",
            "pyproject.toml": PEP_621,
            "setup.py": SETUP_PY,
            "uv.lock": UV_LOCK,
            "app/models.py": "import flask_sqlalchemy\n",
        },
    )
    index = PackageIndex(files)
    for name in ("flask-sqlalchemy", "sqlalchemy", "apscheduler", "flask"):
        index.version_of(name, FLASK_SQLALCHEMY_RELEASES)
    assert set(files.reads) == {
        PurePosixPath(path)
        for path in ("requirements.txt", "requirements/base.txt", "pyproject.toml", "setup.py", "uv.lock")
    }
    assert set(files.reads.values()) == {1}


def test_nested_folders_are_read_only_when_the_root_is_silent(tmp_path):
    files = make_project(tmp_path, {"requirements.txt": "flask-sqlalchemy<3\n", "docs/requirements.txt": "sphinx\n"})
    find_package_version(files, "flask-sqlalchemy", FLASK_SQLALCHEMY_RELEASES)
    assert set(files.reads) == {PurePosixPath("requirements.txt")}


def test_importing_the_collector_loads_neither_packaging_nor_a_toml_parser(tmp_path):
    files = make_project(tmp_path, {"app.py": "x = 1\n"})
    code = (
        "import sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from _project_files import DirectoryFiles\n"
        "from poolcheck.facts.packages import find_package_version\n"
        "assert find_package_version(DirectoryFiles(__import__('pathlib').Path(sys.argv[2])), 'x', ['1.0']) is None\n"
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] in ('packaging', 'tomllib', 'tomli'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), str(files.root)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"


def test_a_lock_file_is_parsed_only_once_it_mentions_a_package_asked_about(tmp_path, monkeypatch):
    from poolcheck.facts.packages import locks

    parsed = []
    monkeypatch.setattr(locks, "load_toml", lambda text, load=locks.load_toml: parsed.append(1) or load(text))
    files = make_project(tmp_path, {"poetry.lock": POETRY_LOCK})
    index = PackageIndex(files)
    assert index.version_of("apscheduler", ("3.11.0",)) is None
    assert index.version_of("PyMySQL", ("1.1.0",)) is None
    assert parsed == []
    assert index.version_of("flask_sqlalchemy", FLASK_SQLALCHEMY_RELEASES).version == "2.5.1"
    assert index.version_of("flask", ()).version == "2.3.3"
    assert parsed == [1]
    assert files.reads == {PurePosixPath("poetry.lock"): 1}


def test_only_the_markers_of_the_package_asked_about_are_evaluated(tmp_path, monkeypatch):
    from poolcheck.facts.packages import pythons

    evaluated = []
    original = pythons.pythons_where_written
    monkeypatch.setattr(pythons, "pythons_where_written", lambda marker: evaluated.append(marker) or original(marker))
    files = {"requirements.txt": 'other==1.0; python_version < "3.6"\nflask-sqlalchemy<3; python_version >= "3.7"\n'}
    assert version_in(tmp_path, files).version == "2.5.1"
    assert evaluated == ['python_version >= "3.7"']
