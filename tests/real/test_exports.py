"""Every public name is documented, and the colored flavour mirrors the yield flavour."""

import importlib
import inspect

import pytest

MODULES = [
    "tonio",
    "tonio.time",
    "tonio.sync",
    "tonio.sync.channel",
    "tonio.net",
    "tonio.net.socket",
    "tonio.signals",
    "tonio.exceptions",
    "tonio.sim",
    "tonio.io",
    "tonio.fs",
]
STDLIB_CONSTANTS = {"AF_", "SOCK_", "SOL_", "SO_", "IPPROTO_", "TCP_", "SHUT_"}


def public(module):
    return [
        name for name in module.__all__ if not any(name.startswith(p) for p in STDLIB_CONSTANTS)
    ]


@pytest.mark.parametrize("name", MODULES)
def test_every_public_name_has_a_docstring(name):
    module = importlib.import_module(name)
    assert module.__doc__, f"{name} has no module docstring"
    missing = []
    for attr in public(module):
        obj = getattr(module, attr)
        if inspect.ismodule(obj) or isinstance(obj, int):
            continue
        if not (getattr(obj, "__doc__", None) or "").strip():
            missing.append(attr)
        if inspect.isclass(obj):
            for method, value in vars(obj).items():
                if method.startswith("_") or not callable(value):
                    continue
                if not (getattr(value, "__doc__", None) or "").strip():
                    missing.append(f"{attr}.{method}")
    assert not missing, f"{name}: undocumented public names: {missing}"


@pytest.mark.parametrize(
    "yield_name,colored_name",
    [
        ("tonio", "tonio.colored"),
        ("tonio.time", "tonio.colored.time"),
        ("tonio.sync", "tonio.colored.sync"),
        ("tonio.sync.channel", "tonio.colored.sync.channel"),
        ("tonio.net", "tonio.colored.net"),
        ("tonio.net.socket", "tonio.colored.net.socket"),
        ("tonio.signals", "tonio.colored.signals"),
        ("tonio.exceptions", "tonio.colored.exceptions"),
        ("tonio.io", "tonio.colored.io"),
        ("tonio.fs", "tonio.colored.fs"),
    ],
)
def test_colored_flavour_mirrors_the_yield_flavour(yield_name, colored_name):
    plain = importlib.import_module(yield_name)
    colored = importlib.import_module(colored_name)
    assert set(plain.__all__) <= set(colored.__all__)
    for attr in plain.__all__:
        if not inspect.ismodule(getattr(plain, attr)):
            assert getattr(colored, attr) is getattr(plain, attr), attr
