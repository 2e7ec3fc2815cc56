"""Google Cloud resource snapshots, one module per service."""
