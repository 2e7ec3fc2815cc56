"""Google Cloud IAM analysis, pure: role expansion and escalation paths.

- :mod:`cspm.gcp_iam.permissions`: the permissions the analysis reasons about (one table).
- :mod:`cspm.gcp_iam.roles`: role name -> permissions, from the IAM API's answers read at scan
  time, else the bundled snapshot (:mod:`cspm.gcp_iam.role_snapshot`), else *unresolved*.
- :mod:`cspm.gcp_iam.analysis`: effective grants over the resource hierarchy and service-account
  policies, "can become" edges between principals and service accounts, escalation paths.
- :mod:`cspm.gcp_iam.refresh`: regenerates the snapshot from ``roles.list`` output.

Imports no Google SDK.
"""
