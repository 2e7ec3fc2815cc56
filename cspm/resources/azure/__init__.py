"""Azure resource snapshots, one module per service."""
