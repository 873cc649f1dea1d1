"""edX sync domain logic, used by the edX DAGs: catalog planning, course and statistic mapping, records,
sync state and preflight checks. The edX hook is in :mod:`airflow_provider_360learning.hooks.edx`."""
