"""AWS iam checks."""
