"""Benchmarks, one module per figure family; each exposes `run(argv) -> int` (see `minga bench`)."""
