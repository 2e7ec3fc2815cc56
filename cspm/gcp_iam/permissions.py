"""The Google Cloud IAM permissions cspm's escalation analysis reasons about (one table).

Google's counterparts of AWS's PassRole and policy editing: impersonating a service account
(tokens, keys, attaching it to new compute), editing an IAM policy (organization, folder,
project, service account, bucket), and editing a custom role one holds. The bundled role
snapshot (:mod:`cspm.gcp_iam.role_snapshot`) keeps exactly these permissions of each role, and
roles read from the IAM API at scan time are cut down to them as well: nothing else is judged.
"""

from __future__ import annotations

from typing import Final

# Impersonation of a service account: a short-lived token or a signature in its name.
TOKEN: Final = (
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt",
)
DELEGATION: Final = "iam.serviceAccounts.implicitDelegation"  # relays another account's token rights
KEY_CREATE: Final = "iam.serviceAccountKeys.create"  # a long-lived key of the account
ACT_AS: Final = "iam.serviceAccounts.actAs"  # attach the account to a new resource (PassRole)
SA_SET_POLICY: Final = "iam.serviceAccounts.setIamPolicy"  # grant oneself any of the above on it

# Creating a resource that runs code as an attached service account (each needs actAs on it).
RUN_AS: Final = (
    "aiplatform.customJobs.create",
    "aiplatform.trainingPipelines.create",
    "cloudbuild.builds.create",
    "cloudfunctions.functions.create",
    "composer.environments.create",
    "compute.instances.create",
    "dataflow.jobs.create",
    "dataproc.clusters.create",
    "deploymentmanager.deployments.create",
    "notebooks.instances.create",
    "run.jobs.create",
    "run.services.create",
)

# Rewriting an IAM policy of the resource hierarchy: grant oneself any role there.
PROJECT_SET_POLICY: Final = "resourcemanager.projects.setIamPolicy"
FOLDER_SET_POLICY: Final = "resourcemanager.folders.setIamPolicy"
ORG_SET_POLICY: Final = "resourcemanager.organizations.setIamPolicy"
HIERARCHY_SET_POLICY: Final = (PROJECT_SET_POLICY, FOLDER_SET_POLICY, ORG_SET_POLICY)
ROLE_UPDATE: Final = "iam.roles.update"  # add permissions to a custom role one holds
BUCKET_SET_POLICY: Final = "storage.buckets.setIamPolicy"  # open any bucket of the project to oneself

KEPT: Final = frozenset(
    (
        *TOKEN,
        DELEGATION,
        KEY_CREATE,
        ACT_AS,
        SA_SET_POLICY,
        *RUN_AS,
        *HIERARCHY_SET_POLICY,
        ROLE_UPDATE,
        BUCKET_SET_POLICY,
    )
)

# What "reaches project admin" means: these roles, or rewriting a hierarchy IAM policy.
OWNER: Final = "roles/owner"
EDITOR: Final = "roles/editor"
PROJECT_IAM_ADMIN: Final = "roles/resourcemanager.projectIamAdmin"
ADMIN_ROLES: Final = frozenset({OWNER, EDITOR, PROJECT_IAM_ADMIN})
