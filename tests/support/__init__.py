"""Shared test helpers. Workarounds for moto's gaps live here, never in production code."""
