"""AWS checks. ``MODULES`` lists the check modules explicitly; the registry loads exactly these."""

MODULES = ("iam", "s3", "ec2", "sagemaker", "ecr", "kms", "cloudtrail", "lineage", "bedrock", "bedrock_agentcore")
