"""AWS ec2 checks."""
