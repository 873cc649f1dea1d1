"""Skills, powers (assessed skills), jobs of users, projects and learning needs (read-mostly families)."""

from __future__ import annotations

from airflow_provider_360learning.emulator.handlers.base import Reply, RequestContext, fail, handler, ok
from airflow_provider_360learning.emulator.handlers.crud import Resource, crud, get_row
from airflow_provider_360learning.emulator.state import EmulatorState
from airflow_provider_360learning.emulator.tenant import JOB_EXTERNAL_IDS

crud(Resource("skills", "skillId", "skillNotFound", "skill"), list="get_skills")
crud(Resource("powers", "powerId", "powerNotFound", "power"), list="get_powers")
crud(Resource("projects", "projectId", "projectNotFound", "project"), list="get_projects")
crud(Resource("learning_needs", "learningNeedId", "learningNeedNotFound", "learning need"), list="get_learning_needs")
MAX_JOBS = 10


def job_exists(state: EmulatorState, external_id: str) -> bool:
    """Seeded job titles and the jobs the bulk API upserted (``relation("skill_jobs")``), minus deleted ones."""
    jobs = state.relation("skill_jobs")
    return jobs[external_id] is not None if external_id in jobs else external_id in JOB_EXTERNAL_IDS


@handler("replace_user_jobs")
def replace_user_jobs(ctx: RequestContext) -> Reply:
    """A user's jobs, by external id (``state.relation("user_jobs")``): seeded job titles or bulk-upserted jobs."""
    user = get_row(ctx, Resource("users", "userId", "userNotFound", "user"))
    jobs = list(dict.fromkeys(ctx.fields["jobIds"]))
    if len(jobs) > MAX_JOBS:
        raise fail(ctx, "tooManyJobs", f"A user has at most {MAX_JOBS} jobs.")
    unknown = [j for j in jobs if not job_exists(ctx.state, j)]
    if unknown:
        raise fail(ctx, "jobExternalIdNotFound", f"No job has the external id(s) {', '.join(unknown)}.")
    ctx.state.relation("user_jobs")[user["_id"]] = jobs
    return ok(ctx, jobs)
