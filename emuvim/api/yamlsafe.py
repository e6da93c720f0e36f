"""YAML from strangers (descriptors, Heat templates): safe types only, and
bounded after alias expansion.

``yaml.safe_load`` refuses code but not size: a few aliases of aliases (a
"billion laughs") turn a 1 KB file into a structure that is tiny in memory
(shared nodes) but huge wherever it is walked, copied or printed.  Here the
composed node graph is measured as if every alias were expanded, before any
Python object is built; recursive aliases and deep nesting are refused too.
"""

import yaml

# libyaml's parser where PyYAML has it: ~10x faster than the pure-Python one.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_EXPANDED_NODES = 200_000
MAX_EXPANDED_CHARS = 8 << 20


class YamlRefused(ValueError):
    """The YAML is malformed, or too large once its aliases are expanded."""


def load(stream):
    """The document in `stream` (text or file), as yaml.safe_load would give it."""
    loader = LOADER(stream)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError as err:
            raise YamlRefused("nested too deeply") from err
        if node is None:
            return None
        measure(node)
        return loader.construct_document(node)
    except yaml.YAMLError as err:
        raise YamlRefused(str(err)) from err
    finally:
        loader.dispose()


def measure(root):
    """(nodes, scalar characters) of the graph with every alias expanded;
    YamlRefused past the limits or on a recursive alias."""
    sizes = {}          # id(node) -> (nodes, chars); None while being measured

    def size(node):
        key = id(node)
        if key in sizes:
            if sizes[key] is None:
                raise YamlRefused("a recursive alias (an anchor used inside itself)")
            return sizes[key]
        sizes[key] = None
        if isinstance(node, yaml.ScalarNode):
            result = (1, len(node.value))
        else:
            children = node.value if isinstance(node, yaml.SequenceNode) else [
                part for pair in node.value for part in pair]
            nodes, chars = 1, 0
            for child in children:
                n, c = size(child)
                nodes, chars = nodes + n, chars + c
                if nodes > MAX_EXPANDED_NODES or chars > MAX_EXPANDED_CHARS:
                    raise YamlRefused(
                        "expands to more than %d nodes or %d characters (aliases of "
                        "aliases?)" % (MAX_EXPANDED_NODES, MAX_EXPANDED_CHARS))
            result = (nodes, chars)
        sizes[key] = result
        return result

    try:
        return size(root)
    except RecursionError as err:
        raise YamlRefused("nested too deeply") from err
