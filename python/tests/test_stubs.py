"""The type stubs (trawl/*.pyi) name what the modules have: every class,
function and method a stub declares exists at run time, and every public
function, class and method of a module is declared in its stub."""

import ast
import importlib
import inspect
import os

import pytest

import trawl

PKG = os.path.dirname(trawl.__file__)
STUBS = sorted(f[:-4] for f in os.listdir(PKG) if f.endswith(".pyi"))


def _members(cls_node):
    names = set()
    for n in cls_node.body:
        if isinstance(n, ast.FunctionDef):
            names.add(n.name)
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name):
            names.add(n.target.id)
        elif isinstance(n, ast.Assign):
            names |= {t.id for t in n.targets if isinstance(t, ast.Name)}
    return names


def _declared(tree):
    out = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = _members(node)
        elif isinstance(node, ast.FunctionDef):
            out[node.name] = None
        elif isinstance(node, ast.Assign):  # aliases: Lines = Delimited
            out.update({t.id: None for t in node.targets if isinstance(t, ast.Name)})
    return out


@pytest.mark.parametrize("name", STUBS)
def test_stub_matches_module(name):
    assert STUBS, "no stubs found"
    mod = importlib.import_module("trawl." + name)
    tree = ast.parse(open(os.path.join(PKG, name + ".pyi")).read())
    decl = _declared(tree)
    for obj, members in decl.items():
        if obj.startswith("_"):
            continue  # a stub-only type alias
        assert hasattr(mod, obj), f"{name}.pyi declares {obj}, the module has none"
        for m in members or ():
            if m.startswith("_") and m not in ("__init__", "__len__", "__iter__", "__enter__",
                                               "__exit__"):
                continue
            cls = getattr(mod, obj)
            inst_fields = getattr(cls, "__slots__", ()) + getattr(cls, "_fields", ())
            assert hasattr(cls, m) or m in inst_fields or m in _init_attrs(cls), \
                f"{name}.pyi: {obj}.{m} missing at run time"
    for attr, val in vars(mod).items():
        if attr.startswith("_") or getattr(val, "__module__", None) != mod.__name__:
            continue
        if inspect.isclass(val) or inspect.isfunction(val):
            assert attr in decl, f"trawl.{name}.{attr} is not in {name}.pyi"
            if inspect.isclass(val):
                for m, f in vars(val).items():
                    if not m.startswith("_") and (inspect.isfunction(f) or
                                                  isinstance(f, (property, classmethod))):
                        assert m in decl[attr], f"{name}.pyi lacks {attr}.{m}"


def _init_attrs(cls):
    """Attributes an __init__ assigns (self.x = ...)."""
    try:
        src = inspect.getsource(cls.__init__)
    except (TypeError, OSError):
        return set()
    tree = ast.parse("class _:\n" + "\n".join("    " + ln for ln in
                                              inspect.cleandoc("\n" + src).splitlines()))
    return {t.attr for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign))
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            if isinstance(t, ast.Attribute)}
