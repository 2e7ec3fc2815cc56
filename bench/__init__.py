"""Benchmarks (not tests): a large synthetic account on a moto server, the scanner's wall time,
CPU time, peak memory and API requests per resource, and the CLI's start-up time.

Run with ``make bench`` (``python -m bench.run``); see :mod:`bench.run`.
"""
