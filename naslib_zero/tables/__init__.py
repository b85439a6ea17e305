"""Benchmark ground truth: :class:`GroundTruth` tables, their declarations and loaders.

The registry and the CSV reader live in :mod:`naslib_zero.tables.ground_truth`; the official
benchmark files in :mod:`~naslib_zero.tables.nb101_official` and
:mod:`~naslib_zero.tables.nb201_official`. Space modules declare their tables here when they
are imported (``import search_spaces`` declares the built-in ones); this package never imports
a space.
"""

from naslib_zero.tables.ground_truth import (
    GroundTruth,
    Loader,
    Source,
    TableInfo,
    build_table,
    list_benchmarks,
    list_tables,
    load_csv_table,
    load_ground_truth,
    recorded_params,
    register_benchmark,
    resolve_table,
    table_not_found,
)

__all__ = ["GroundTruth", "Loader", "Source", "TableInfo", "build_table", "list_benchmarks",
           "list_tables", "load_csv_table", "load_ground_truth", "recorded_params",
           "register_benchmark", "resolve_table", "table_not_found"]
