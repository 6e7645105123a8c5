"""Benchmarks, run on demand: ``pytest tests/perf -s``."""
