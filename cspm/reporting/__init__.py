"""Renderers: one module per output, all reading the same :class:`cspm.models.ScanReport`."""
