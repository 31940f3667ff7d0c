"""A griffe extension for the docs site (scripts/build-docs.py): the docstrings' Sphinx roles
(``:func:`explore```, ``:class:`~tonio.sim.Network```) shown as the names they refer to,
in code font, since the API reference renders docstrings as Markdown."""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(r"`\1`", obj.docstring.value)
