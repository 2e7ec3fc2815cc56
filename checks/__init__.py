"""Checks: pure functions of resource snapshots. One package per cloud, one module per service.

Importing this package (or any check module) must not import a cloud SDK; a test enforces it.
"""
