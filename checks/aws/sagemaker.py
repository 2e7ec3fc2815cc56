"""AWS sagemaker checks."""
