"""AWS resource snapshots, one module per service."""
