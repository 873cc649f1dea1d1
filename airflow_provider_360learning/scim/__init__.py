"""SCIM provisioning domain logic, used by the SCIM operator: the desired state from an HR source, the
diff against the server (a plan) and its application. The SCIM hook is in
:mod:`airflow_provider_360learning.hooks.scim`, the operator in
:mod:`airflow_provider_360learning.operators.scim_provisioning`."""
