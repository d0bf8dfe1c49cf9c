from . import (
    test_benefit,
    test_cycles,
    test_eligibility,
    test_eligibility_area,
    test_enrolment,
    test_job_stages,
    test_role_tours,
    test_screens,
    test_security,
)
from . import test_duplicate_merge_programs
