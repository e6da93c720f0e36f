"""Service packages with one descriptor field of the wrong type or size: what
a fuzzer sends.  Shared by the unit test (every mutant, parsing only) and the
integration test (a sample, through HTTP on a real emulator)."""

import copy
import os
import tempfile
import zipfile

import yaml

from emuvim.api.sonata.package import pack_son
from emuvim.api.tango.package import NAPD_PATH, pack_project

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TANGO = os.path.join(REPO, "services", "emulator-example")
SONATA = os.path.join(REPO, "services", "sonata-empty-chain")
SONATA_FILES = ("META-INF/MANIFEST.MF", "service_descriptors/nsd.yml",
                "function_descriptors/chain-vnf1-vnfd.yml")
TANGO_FILES = (NAPD_PATH, "emulator_example_nsd.yml", "default-vnf0.yml")

REPLACEMENTS = ([], {"k": ["v", {"n": 1}]}, "x" * 5000, -1, 10 ** 30, 1e308, True,
                "img;touch x", "../../etc")


def paths(document, prefix=()):
    """Every place in a YAML document: mapping values and list items."""
    if isinstance(document, dict):
        items = document.items()
    elif isinstance(document, list):
        items = enumerate(document)
    else:
        return
    for key, value in items:
        yield prefix + (key,)
        yield from paths(value, prefix + (key,))


def replaced(document, path, value):
    copied = copy.deepcopy(document)
    target = copied
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copied


def original(kind, name):
    """The unmutated document `name` of the example package of `kind` (a copy)."""
    key = (kind, name)
    if key not in _ORIGINALS:
        _ORIGINALS[key] = _read_original(kind, name)
    return copy.deepcopy(_ORIGINALS[key])


_ORIGINALS = {}


def _read_original(kind, name):
    if name == NAPD_PATH:
        return yaml.safe_load(base_entries(kind)[NAPD_PATH])
    with open(os.path.join(TANGO if kind == "tango" else SONATA, name)) as stream:
        return yaml.safe_load(stream)


def mutants(kind):
    """(label, file, path, value) of every single-field mutation of a package."""
    for name in TANGO_FILES if kind == "tango" else SONATA_FILES:
        document = original(kind, name)
        for path in paths(document):
            for value in REPLACEMENTS:
                label = "%s:%s=%s" % (name, ".".join(map(str, path)), repr(value)[:20])
                yield label, name, path, value


def write_mutant(kind, name, path, value, workdir):
    """The mutated package file (.tgo or .son) in workdir."""
    entries = base_entries(kind)
    entry = name if name == NAPD_PATH or kind == "sonata" else "Definitions/" + name
    assert entry in entries, entry
    mutated = yaml.dump(replaced(original(kind, name), path, value),
                        Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)).encode()
    target = os.path.join(workdir, "mutant." + ("tgo" if kind == "tango" else "son"))
    with zipfile.ZipFile(target, "w") as archive:
        for filename, data in entries.items():
            archive.writestr(filename, mutated if filename == entry else data)
    return target


_BASE = {}


def base_entries(kind):
    """{entry: bytes} of the packed example package (packed once)."""
    if kind not in _BASE:
        with tempfile.TemporaryDirectory() as workdir:
            packed = (pack_project(TANGO, os.path.join(workdir, "p.tgo")) if kind == "tango"
                      else pack_son(SONATA, os.path.join(workdir, "p.son")))
            with zipfile.ZipFile(packed) as archive:
                _BASE[kind] = {i.filename: archive.read(i) for i in archive.infolist()}
    return _BASE[kind]
