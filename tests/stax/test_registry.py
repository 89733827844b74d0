"""Every public layer of `widenets.stax` is exercised by each kind of evidence the suite has.

The registry is derived from the module, so a new public layer cannot be forgotten: every
public name of ``widenets.stax`` is either a layer (a `stax.Layer` subclass, or a function whose
return annotation is one: ``Relu``, ``serial``, ...) or listed in `NOT_LAYERS`. A class and its
lower-case factory (``Serial``/``serial``, ``Activation``/``activation``) are one entry.

Each entry must appear in

* **golden**: the neural-tangents 0.6.5 parity cases (``golden/nt_golden.json`` and
  ``golden/nt_conv_golden.json``, read with `arch_specs.layer_names`), unless exempt in
  `NOT_IN_NEURAL_TANGENTS`;
* **two_readings**: the Monte-Carlo "finite network vs kernel" tests
  (``tests/**/test_two_readings*.py`` and the local helper modules they import);
* **properties**: the property tests (``tests/stax/test_properties*.py``).

A test source "uses" a layer when it refers to ``stax.<Name>`` (outside type annotations),
imports the name from ``widenets.stax``, or holds the name as a string constant (the spec
format of the golden cases, ``["Relu", {}]``). Entries not covered when this file was written
are marked ``xfail(strict=True)`` in `NOT_YET_COVERED`: each turns into a failure as soon as it
is covered, so the list only shrinks.
"""
from __future__ import annotations

import ast
import glob
import inspect
import json
import os
import sys
import typing

import pytest

from widenets import stax

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
GOLDEN = os.path.join(HERE, "golden")
GOLDEN_FILES = ("nt_golden.json", "nt_conv_golden.json")
TWO_READINGS = os.path.join(TESTS, "**", "test_two_readings*.py")
PROPERTIES = os.path.join(HERE, "test_properties*.py")

#: public names of widenets.stax that are not layers
NOT_LAYERS = {
    "Layer",  # the abstract base class
    "Kernel", "KernelFn", "KernelPlan",  # value types
    "GET_FIELDS", "evaluate",  # kernel_fn's field names and its body
    "check_input_shape",  # a validation helper for writing layers
    "to_spec", "from_spec",  # (de)serialisation of layer values
}

#: layers with no neural-tangents 0.6.5 counterpart, hence no golden case
NOT_IN_NEURAL_TANGENTS = {
    "Snake": "Ziyin et al. 2020's activation; neural-tangents has no Snake",
    "activation": "the layer of any widenets.duals.Dual; neural-tangents has no such "
                  "constructor (each named activation of the golden cases is an instance of it)",
    "Triple": "wraps a plain (init_fn, apply_fn, kernel_fn) triple; in neural-tangents every "
              "layer is such a triple, so there is no layer to compare",
}

#: (evidence, entry) pairs missing when this file was written (see the module docstring)
NOT_YET_COVERED = {
    "golden": set(),
    "two_readings": set(),
    "properties": set(),
}

EVIDENCE = ("golden", "two_readings", "properties")


# --------------------------------------------------------------------------- the registry

def _returned_layer(fn) -> type | None:
    ret = typing.get_type_hints(fn).get("return")
    return ret if inspect.isclass(ret) and issubclass(ret, stax.Layer) else None


def registry() -> dict[str, set[str]]:
    """Entry name → the public names that refer to it (a class and its lower-case factory)."""
    classes, factories = {}, {}
    for name in sorted(n for n in dir(stax) if not n.startswith("_")):
        obj = getattr(stax, name)
        if name in NOT_LAYERS:
            continue
        if inspect.isclass(obj) and issubclass(obj, stax.Layer):
            classes[name] = obj
        elif inspect.isfunction(obj) and _returned_layer(obj) is not None:
            factories[name] = _returned_layer(obj)
        else:
            raise AssertionError(
                f"widenets.stax.{name} is neither a layer nor a layer factory (a function "
                f"annotated to return a stax.Layer); add it to NOT_LAYERS if it is not a layer.")
    entries = {name: {name} for name in factories}
    for name, cls in classes.items():
        twin = next((f for f, ret in factories.items() if f.lower() == name.lower() and ret is cls), None)
        entries.setdefault(twin or name, set()).add(name)
    return entries


REGISTRY = registry()


# --------------------------------------------------------------------------- the evidence

def golden_names() -> tuple[set[str], list[str]]:
    """Layer names used by the golden cases, and the golden files that do not exist."""
    sys.path.insert(0, GOLDEN)
    try:
        import arch_specs
    finally:
        sys.path.remove(GOLDEN)
    names, absent = set(), []
    for file in GOLDEN_FILES:
        path = os.path.join(GOLDEN, file)
        if not os.path.exists(path):
            absent.append(file)
            continue
        with open(path) as f:
            for case in json.load(f)["cases"]:
                names |= arch_specs.layer_names(case)
    return names, absent


class _Uses(ast.NodeVisitor):
    """Names a module refers to: ``<stax alias>.Name`` (outside annotations), names imported
    from widenets.stax, string constants; and the local modules it imports."""

    def __init__(self):
        self.aliases, self.names, self.imports = {"stax"}, set(), []

    def visit_Import(self, node):
        for a in node.names:
            if a.name == "widenets.stax" and a.asname:
                self.aliases.add(a.asname)
            self.imports.append((0, a.name))

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for a in node.names:
            if module == "widenets" and a.name == "stax":
                self.aliases.add(a.asname or "stax")
            elif module.startswith("widenets.stax"):
                self.names.add(a.name)
        self.imports.append((node.level, module))

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id in self.aliases:
            self.names.add(node.attr)
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            self.names.add(node.value)

    def _skip_annotations(self, node):
        for field, value in ast.iter_fields(node):
            if field in ("returns", "annotation"):
                continue
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, ast.AST):
                    self.visit(child)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_arg = visit_AnnAssign = _skip_annotations


def source_names(pattern: str) -> tuple[set[str], list[str]]:
    """Names used by the files matching ``pattern`` and the local modules they import
    (relative imports, or modules of the same directory), and the files read."""
    todo = sorted(glob.glob(pattern, recursive=True))
    seen, names = [], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.append(path)
        with open(path) as f:
            uses = _Uses()
            uses.visit(ast.parse(f.read(), path))
        names |= uses.names
        here = os.path.dirname(path)
        for level, module in uses.imports:
            base = here
            for _ in range(max(level - 1, 0)):
                base = os.path.dirname(base)
            local = os.path.join(base, *module.split(".")) + ".py" if module else None
            if local and os.path.exists(local):
                todo.append(local)
    return names, seen


_GOLDEN, _GOLDEN_ABSENT = golden_names()
_TWO_READINGS, _TWO_READINGS_FILES = source_names(TWO_READINGS)
_PROPERTIES, _PROPERTIES_FILES = source_names(PROPERTIES)
EVIDENCE_NAMES = {"golden": _GOLDEN, "two_readings": _TWO_READINGS, "properties": _PROPERTIES}


def _where(evidence: str) -> str:
    if evidence == "golden":
        return f"the golden cases ({', '.join(GOLDEN_FILES)}; absent: {_GOLDEN_ABSENT or 'none'})"
    files = _TWO_READINGS_FILES if evidence == "two_readings" else _PROPERTIES_FILES
    return f"the {evidence} tests ({', '.join(os.path.relpath(p, TESTS) for p in files)})"


def covered(entry: str, evidence: str) -> bool:
    return bool(REGISTRY[entry] & EVIDENCE_NAMES[evidence])


def _params():
    for evidence in EVIDENCE:
        for entry in sorted(REGISTRY, key=str.lower):
            if evidence == "golden" and entry in NOT_IN_NEURAL_TANGENTS:
                continue
            marks = ()
            if entry in NOT_YET_COVERED[evidence]:
                marks = pytest.mark.xfail(strict=True, reason=f"{entry} has no {evidence} test yet")
            yield pytest.param(evidence, entry, id=f"{evidence}-{entry}", marks=marks)


# --------------------------------------------------------------------------- the tests

@pytest.mark.parametrize(("evidence", "entry"), list(_params()))
def test_layer_is_covered(evidence, entry):
    assert covered(entry, evidence), f"{' / '.join(sorted(REGISTRY[entry]))} does not appear in {_where(evidence)}"


def test_registry_is_derived_from_the_module():
    """The derivation finds the layers it must (a check that it is not vacuous), and every
    exemption names a real entry."""
    for name in ("Dense", "Conv", "ConvTranspose", "ConvLocal", "AvgPool", "GlobalSumPool", "Flatten",
                 "Relu", "Snake", "Elementwise", "serial", "parallel", "FanInConcat", "Triple"):
        assert any(name in refs for refs in REGISTRY.values()), name
    assert REGISTRY["serial"] == {"serial", "Serial"} and REGISTRY["activation"] == {"activation", "Activation"}
    assert set(NOT_IN_NEURAL_TANGENTS) <= set(REGISTRY)
    for evidence, entries in NOT_YET_COVERED.items():
        assert entries <= set(REGISTRY), (evidence, entries - set(REGISTRY))
    # the golden specs name real layers (their own coverage lists are subsets of the registry)
    everything = set().union(*REGISTRY.values())
    assert _GOLDEN <= everything, sorted(_GOLDEN - everything)


def test_golden_data_exists():
    """Both golden files are present (the conv set is produced separately)."""
    assert not _GOLDEN_ABSENT, f"missing golden files: {_GOLDEN_ABSENT}"


def test_exempt_layers_have_no_golden_case():
    """An exemption from the golden evidence is stale once a golden case uses the layer."""
    for entry in NOT_IN_NEURAL_TANGENTS:
        assert not covered(entry, "golden"), f"{entry} has a golden case: drop its exemption"
