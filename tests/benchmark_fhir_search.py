#!/usr/bin/env python3
"""Benchmark: FHIR Patient search pages of 100 over a registry of 250,000 households (1,000,000
individuals).

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_fhir_search.py [--households N] [--db NAME]

It installs g2p_fhir in a scratch database (default ``g2p_bench_fhir_search``) when missing, then
runs itself inside ``scripts/odoo.sh shell`` on that database. The registry is the enrolment
benchmark's (``bench_common.generate_registry``, set-based SQL), plus given and family names and a
national ID for every individual, kept between runs. Each search runs through the API's own code
(``FhirApi.search``, as the controller calls it, as a registrar with record rules) twice; the second,
warm, time is the figure. Issue target: a page of 100 in under 300 ms.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import argument_parser, generate_registry, run_in_odoo_shell, timed

MARKER = "G2P_BENCH_FHIR_HOUSEHOLDS"
FAMILIES = [
    "Otieno",
    "Kamau",
    "Mwangi",
    "Wanjiru",
    "Kiptoo",
    "Achieng",
    "Mutua",
    "Njoroge",
    "Omondi",
    "Hassan",
]
GIVEN = ["Amina", "Baraka", "Chebet", "Daudi", "Esther", "Faith", "Grace", "Hamisi", "Imani", "Juma"]


def main():
    args = argument_parser(__doc__, "g2p_bench_fhir_search").parse_args()
    run_in_odoo_shell(__file__, args.db, "g2p_fhir", {MARKER: str(args.households)})


# ---------------------------------------------------------------------------- inside odoo shell


def prepare(env):
    """Names and a national ID (type BENCH_NID) for every benchmark individual, once."""
    from odoo.tools import SQL

    cr = env.cr
    id_type = env["g2p.id.type"].search([("code", "=", "BENCH_NID")], limit=1)
    if not id_type:
        id_type = env["g2p.id.type"].create({"name": "Bench National ID", "code": "BENCH_NID"})
        env.flush_all()
    cr.execute("SELECT count(*) FROM res_partner WHERE registrant_number LIKE 'BIND-%'")
    individuals = cr.fetchone()[0]
    cr.execute("SELECT count(*) FROM g2p_registrant_id WHERE id_type_id = %s", [id_type.id])
    if cr.fetchone()[0] == individuals:
        return id_type
    started = time.perf_counter()
    cr.execute("DELETE FROM g2p_registrant_id WHERE id_type_id = %s", [id_type.id])
    cr.execute(
        SQL(
            """UPDATE res_partner
                  SET given_name = (%s::varchar[])[1 + id %% 10],
                      family_name = (%s::varchar[])[1 + (id / 10) %% 10]
                WHERE registrant_number LIKE 'BIND-%%'""",
            GIVEN,
            FAMILIES,
        )
    )
    cr.execute(
        """INSERT INTO g2p_registrant_id (partner_id, id_type_id, value, company_id, create_date, write_date)
           SELECT id, %s, lpad(id::text, 10, '0'), company_id, now(), now()
             FROM res_partner WHERE registrant_number LIKE 'BIND-%%'""",
        [id_type.id],
    )
    cr.execute("ANALYZE res_partner; ANALYZE g2p_registrant_id")
    print("names and IDs for %s individuals in %.1f s" % (individuals, time.perf_counter() - started))
    return id_type


def bench(env, households):
    from odoo.tests import new_test_user

    from odoo.addons.g2p_fhir.controllers.main import FhirApi

    generate_registry(env, households)
    id_type = prepare(env)
    user = env["res.users"].search([("login", "=", "bench_fhir_registrar")], limit=1) or new_test_user(
        env,
        "bench_fhir_registrar",
        groups="g2p_fhir.group_g2p_api_integration,g2p_registry.group_g2p_registrar",
    )
    env.cr.commit()
    api = FhirApi(env(user=user), "http://bench/fhir/R4")
    system = id_type._fhir_system_uri()
    env.cr.execute(
        "SELECT lpad(max(id)::text, 10, '0') FROM res_partner WHERE registrant_number LIKE 'BIND-%'"
    )
    last_nid = env.cr.fetchone()[0]
    cases = [
        ("first page of 100", [("_count", "100")]),
        ("page 1,000 (offset 99,900)", [("_count", "100"), ("_offset", "99900")]),
        ("family=Kamau", [("family", "Kamau"), ("_count", "100")]),
        ("name=ach (prefix)", [("name", "ach"), ("_count", "100")]),
        (
            "gender=female, birthdate ge1990 lt2000",
            [("gender", "female"), ("birthdate", "ge1990"), ("birthdate", "lt2000"), ("_count", "100")],
        ),
        ("identifier=system|value", [("identifier", "%s|%s" % (system, last_nid))]),
        (
            "_lastUpdated=gt2000, _sort=-_lastUpdated",
            [("_lastUpdated", "gt2000"), ("_sort", "-_lastUpdated"), ("_count", "100")],
        ),
        ("family=Nobody (no match: every row read)", [("family", "Nobody"), ("_count", "100")]),
        ("family=Kamau, _total=accurate", [("family", "Kamau"), ("_count", "100"), ("_total", "accurate")]),
    ]
    results = []
    for label, args in cases:
        api.env.invalidate_all()
        api.search("Patient", args)  # cold
        api.env.invalidate_all()
        (status, body, _headers), elapsed = timed(label, lambda args=args: api.search("Patient", args))
        assert status == 200
        results.append("%s %.0f ms (%s entries)" % (label, elapsed * 1000, len(body["entry"])))
    print("-" * 72)
    print("RESULT households=%s | %s" % (households, " | ".join(results)))


if "env" in globals() and os.environ.get(MARKER):
    bench(globals()["env"], int(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
