"""A third-party rule package, as someone outside poolcheck would write it (used by
tests/test_plugins.py, which installs it on a temporary path with its entry point)."""

from poolcheck.api import Invalid, Rule, RuleContext, Severity, Valid


class EchoEnabled(Rule):
    code = "XY101"
    name = "echo-enabled"
    severity = Severity.INFO
    summary = "An engine created with `echo=True` logs every statement."
    tokens = (b"echo",)
    what = "Flags `create_engine(..., echo=True)`."
    why = "Statement logging in production floods the logs and may write parameters (personal data) to them."
    example = 'from sqlalchemy import create_engine\nengine = create_engine("sqlite://", echo=True)\n'
    use_instead = 'from sqlalchemy import create_engine\nengine = create_engine("sqlite://")\n'
    help = "Remove `echo=True`; configure the `sqlalchemy.engine` logger instead."
    docs_url = "https://example.org/xy/XY101"
    invalid = (Invalid('import sqlalchemy\nsqlalchemy.create_engine("sqlite://", echo=True)\n', line=2),)
    valid = (Valid('from sqlalchemy import create_engine\nengine = create_engine("sqlite://", echo=False)\n'),)

    def check(self, ctx: RuleContext) -> None:
        from poolcheck.values import Known

        for site in ctx.engine_sites():
            option = site.options.get("echo")
            if option is not None and isinstance(option.value, Known) and option.value.value is True:
                ctx.report(option.key_node, "Engine created with `echo=True`")
