"""The Airflow Asset the catalog sync updates and the learner-statistics sync is scheduled on.

A statistic can only be imported for an external course 360Learning already has, so the statistics run
after each catalog sync (whose ``record`` task lists this Asset as an outlet) rather than on a clock of
their own: a course added to edX today has its statistics sent today, not tomorrow.
"""

from __future__ import annotations

from airflow.sdk import Asset

EXTERNAL_COURSES = Asset(name="360learning_edx_external_courses", uri="360learning://integrations/edx/courses")
