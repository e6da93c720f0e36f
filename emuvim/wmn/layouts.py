"""Node positions for mesh topologies: grid, line, circle, random geometric,
or a netjson-like file (meshnet-lab's {"nodes": [...], "links": [...]})."""

import json
import math
import random

from emuvim.wmn.model import distance


def grid(rows, cols, spacing_m=80.0, prefix="n"):
    return {"%s%d" % (prefix, r * cols + c + 1): (c * spacing_m, r * spacing_m)
            for r in range(rows) for c in range(cols)}


def line(count, spacing_m=80.0, prefix="n"):
    return {"%s%d" % (prefix, i + 1): (i * spacing_m, 0.0) for i in range(count)}


def circle(count, radius_m=100.0, prefix="n"):
    return {"%s%d" % (prefix, i + 1): (radius_m * math.cos(2 * math.pi * i / count),
                                       radius_m * math.sin(2 * math.pi * i / count))
            for i in range(count)}


def connected(positions, range_m):
    """True if the in-range graph of `positions` is connected."""
    names = list(positions)
    if not names:
        return True
    seen, todo = {names[0]}, [names[0]]
    while todo:
        here = todo.pop()
        for other in names:
            if other not in seen and distance(positions[here], positions[other]) <= range_m:
                seen.add(other)
                todo.append(other)
    return len(seen) == len(names)


def random_geometric(count, area_m=(400.0, 400.0), range_m=110.0, seed=1,
                     require_connected=True, attempts=200, prefix="n"):
    """Uniform positions in the area; with require_connected, seeds are
    tried in turn (seed, seed+1, ...) until the range graph is connected."""
    for offset in range(attempts):
        rng = random.Random(seed + offset)
        positions = {"%s%d" % (prefix, i + 1): (rng.uniform(0, area_m[0]),
                                                rng.uniform(0, area_m[1]))
                     for i in range(count)}
        if not require_connected or connected(positions, range_m):
            return positions
    raise ValueError("no connected layout of %d nodes in %s m with range %s m after %d seeds"
                     % (count, area_m, range_m, attempts))


def from_file(path):
    """{"nodes": [{"id", "pos": [x, y]}], "links": [{"source", "target"}]}.

    Returns (positions, links); links (pairs) given in the file make the
    scenario use them as the only radio links (meshnet-lab style).
    """
    with open(path) as f:
        data = json.load(f)
    return from_netjson(data)


def from_netjson(data):
    if not isinstance(data, dict) or not isinstance(data.get("nodes", []), list):
        raise ValueError("a layout is {\"nodes\": [{\"id\", \"pos\"}], \"links\": [...]}")
    positions = {}
    for index, node in enumerate(data.get("nodes", [])):
        pos = node.get("pos") or (index * 50.0, 0.0)
        if len(pos) != 2 or not all(isinstance(v, (int, float)) for v in pos):
            raise ValueError("node %r: pos must be [x, y]" % node.get("id"))
        positions[str(node["id"])] = (float(pos[0]), float(pos[1]))
    links = []
    for link in data.get("links", []):
        ends = (str(link["source"]), str(link["target"]))
        for end in ends:
            positions.setdefault(end, (len(positions) * 50.0, 0.0))
        links.append(ends)
    return positions, links
