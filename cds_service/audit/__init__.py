"""What the service keeps: the audit store, its group-commit writer, metrics."""
