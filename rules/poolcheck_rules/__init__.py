"""poolcheck's built-in rules.

Loaded through the ``poolcheck.rules`` entry-point group, exactly like third-party rule
packages: the engine never imports this package by name.
"""
