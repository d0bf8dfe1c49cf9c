"""Helpers for the tests of background stages (g2p.job.mixin)."""

import traceback
from contextlib import contextmanager
from unittest.mock import patch

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

MIXIN = "odoo.addons.g2p_program.models.g2p_job_mixin"


@contextmanager
def small_stages(threshold=3, chunk_size=2):
    """Stages above ``threshold`` rows run in background jobs of ``chunk_size`` rows."""
    with (
        patch(MIXIN + ".JOB_INLINE_THRESHOLD", threshold),
        patch(MIXIN + ".JOB_CHUNK_SIZE", chunk_size),
    ):
        yield


def run_stored_job(env, uuid):
    """Run the stored queue job ``uuid`` on the test's cursor as the job runner does (its work in
    a savepoint, the job marked done and its dependents enqueued, or marked failed with the
    error): returns whether it succeeded."""
    job = Job.load(env, uuid)
    job.set_started()
    job.store()
    try:
        RunJobController._try_perform_job(env, job)
    except Exception as exc:  # noqa: BLE001 - the runner records any failure on the job
        env.invalidate_all()
        job = Job.load(env, uuid)
        job.set_failed(**RunJobController._get_failure_values(job, traceback.format_exc(), exc))
        job.store()
        return False
    RunJobController._enqueue_dependent_jobs(env, job)
    return True


def chunk_job(trap, chunk):
    """The trapped job (``trap_jobs()``) that does ``chunk``."""
    [job] = [
        job for job in trap.enqueued_jobs if job.method_name == "_g2p_job_chunk" and job.args == (chunk.id,)
    ]
    return job
