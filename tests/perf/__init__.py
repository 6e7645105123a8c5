"""Benchmarks, run on demand: ``pytest -m perf tests/perf -s``."""
