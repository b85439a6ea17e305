"""The NAS-Bench-201 cell's operations and edges, shared by the space and its networks."""

OPS: tuple[str, ...] = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
EDGES: tuple[tuple[int, int], ...] = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))
"""(source node, target node) of each position of an Arch."""

NONE, SKIP = OPS.index("none"), OPS.index("skip_connect")
