#!/usr/bin/env python3
"""Benchmark: a whole-registry duplicate scan of 250,000 households (about 1,000,000 individuals),
or (``--intake N``) a batch of N new intake records checked against that registry.

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_duplicates.py [--households N] [--db NAME]
    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_duplicates.py --intake 10000 [--db NAME]

It installs g2p_program in a scratch database (default ``g2p_bench_duplicates``) when missing (else
updates g2p_registry, which creates the pg_trgm and unaccent extensions), then runs itself inside
``scripts/odoo.sh shell``. The registry is built by ``bench_common.generate_registry`` (set-based
SQL, kept between runs), given Kenyan names once, with one person in a thousand re-registered
with a typo and the same date of birth; every person has a name and a date of birth. Each run
deletes the previous run's pairs, then times ``g2p.duplicate._detect()`` (every key: phones, folded
name with date of birth, pg_trgm-similar name within a date of birth), then a second scan, which
must record nothing. It prints the individuals, the pairs found per key and the seconds.

With ``--intake N`` it also installs g2p_intake, gives every head of household of the registry
their wallet number as a phone (once), stages N new household records (a head with a phone and a
national ID, and a child; one in a hundred a re-registered person with the name in capitals and
accents, one in a hundred with a typo in the family name, one in two hundred with a registered
phone, one in two hundred with a registered ID number) and times
``g2p.intake.service._check_registry``, the check of every household and member against the
whole registry: the N records at once, then in the batches of ``g2p.intake.record._process``.
Nothing of the intake is kept (rolled back).
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import argument_parser, generate_registry, odoo, run_in_odoo_shell

MARKER = "G2P_BENCH_DUPLICATES"
INTAKE_MARKER = "G2P_BENCH_DUPLICATES_INTAKE"


def main():
    parser = argument_parser(__doc__, "g2p_bench_duplicates")
    parser.add_argument("--intake", type=int, default=0, help="check N new intake records instead of a scan")
    args = parser.parse_args()
    marker = {MARKER: str(args.households), INTAKE_MARKER: str(args.intake or "")}
    if not args.intake:
        run_in_odoo_shell(__file__, args.db, "g2p_program", marker, update="g2p_registry")

    def install_intake():
        installed = subprocess.run(
            [
                "psql",
                "-d",
                args.db,
                "-Atc",
                "SELECT 1 FROM ir_module_module WHERE name = 'g2p_intake' AND state = 'installed'",
            ],
            capture_output=True,
            check=True,
        )
        if not installed.stdout.strip():
            odoo(args.db, "-i", "g2p_intake")

    run_in_odoo_shell(
        __file__, args.db, "g2p_program", marker, update="g2p_registry,g2p_intake", before=install_intake
    )


GIVEN = [
    "Achieng",
    "Adhiambo",
    "Akinyi",
    "Amina",
    "Anyango",
    "Atieno",
    "Auma",
    "Awino",
    "Brian",
    "Caroline",
    "Charles",
    "Chebet",
    "Chepkoech",
    "Cherono",
    "Daniel",
    "David",
    "Dennis",
    "Esther",
    "Evans",
    "Faith",
    "Florence",
    "Geoffrey",
    "George",
    "Grace",
    "Hassan",
    "Isaac",
    "James",
    "Jane",
    "Jepchirchir",
    "Jeptoo",
    "John",
    "Joseph",
    "Joyce",
    "Kamau",
    "Kevin",
    "Kiprono",
    "Lilian",
    "Lucy",
    "Margaret",
    "Mary",
    "Mercy",
    "Mohamed",
    "Moses",
    "Mwanajuma",
    "Naliaka",
    "Nafula",
    "Nekesa",
    "Njeri",
    "Nyambura",
    "Omondi",
    "Otieno",
    "Peter",
    "Purity",
    "Rose",
    "Ruth",
    "Samuel",
    "Sarah",
    "Stephen",
    "Wafula",
    "Wambui",
    "Wanjiku",
    "Wanjiru",
    "Wekesa",
    "Zawadi",
]
FAMILY = [
    "Achieng",
    "Barasa",
    "Chege",
    "Cheruiyot",
    "Gachanja",
    "Gathoni",
    "Hussein",
    "Jeptoo",
    "Juma",
    "Kamau",
    "Kariuki",
    "Kibet",
    "Kimani",
    "Kinyua",
    "Kiplagat",
    "Kiprop",
    "Kirui",
    "Koech",
    "Korir",
    "Kosgei",
    "Langat",
    "Macharia",
    "Maina",
    "Makokha",
    "Masinde",
    "Mbugua",
    "Mohamed",
    "Muriuki",
    "Musyoka",
    "Mutai",
    "Mutua",
    "Mwangi",
    "Mwaura",
    "Nabwire",
    "Ndungu",
    "Ngugi",
    "Njoroge",
    "Nyaga",
    "Ochieng",
    "Odhiambo",
    "Odera",
    "Ogola",
    "Okello",
    "Omondi",
    "Onyango",
    "Opiyo",
    "Otieno",
    "Ouma",
    "Owino",
    "Rotich",
    "Ruto",
    "Simiyu",
    "Tanui",
    "Too",
    "Wafula",
    "Wambua",
    "Wanyama",
    "Waweru",
    "Wekesa",
]


def realistic_names(env):
    """Kenyan given and family names instead of the generator's "Bench person N-k" (all alike by
    trigrams), and one person in a thousand re-registered with a typo in the family name (a
    letter dropped) and the same date of birth as the person before: the pairs to find."""
    cr = env.cr
    cr.execute("SELECT count(*) FROM res_partner WHERE name LIKE 'Bench person %%'")
    if not cr.fetchone()[0]:
        return
    cr.execute(
        """UPDATE res_partner
              SET given_name = (%s::varchar[])[1 + (hashtext(id::text || 'g') & 2147483647) %% %s],
                  family_name = (%s::varchar[])[1 + (hashtext(id::text || 'f') & 2147483647) %% %s]
            WHERE is_registrant AND NOT is_group""",
        [GIVEN, len(GIVEN), FAMILY, len(FAMILY)],
    )
    cr.execute(
        """UPDATE res_partner p
              SET family_name = overlay(q.family_name placing '' from 3 for 1),
                  given_name = q.given_name, birthdate = q.birthdate
             FROM res_partner q
            WHERE q.id = p.id - 1 AND p.id % 1000 = 1 AND p.is_registrant AND NOT p.is_group
              AND q.is_registrant AND NOT q.is_group"""
    )
    cr.execute(
        """UPDATE res_partner SET name = given_name || ' ' || family_name
            WHERE is_registrant AND NOT is_group"""
    )
    cr.commit()


def bench(env, households):
    env = env(su=True)
    generate_registry(env, households)
    realistic_names(env)
    env.cr.execute("DELETE FROM g2p_duplicate")
    env.cr.commit()
    env.cr.execute("SELECT count(*) FROM res_partner WHERE is_registrant AND NOT is_group")
    individuals = env.cr.fetchone()[0]
    Duplicate = env["g2p.duplicate"]
    started = time.perf_counter()
    found = Duplicate._detect()
    scan = time.perf_counter() - started
    env.cr.commit()
    started = time.perf_counter()
    again = Duplicate._detect()
    rescan = time.perf_counter() - started
    env.cr.execute("SELECT reason, count(*) FROM g2p_duplicate GROUP BY reason ORDER BY reason")
    by_reason = ", ".join("%s %s" % row for row in env.cr.fetchall())
    print("individuals                 %10d" % individuals)
    print("pairs found                 %10d  (%s)" % (found, by_reason or "none"))
    print("full scan                   %10.1f s  (%.0f individuals/s)" % (scan, individuals / scan))
    print("second scan (records %d)     %10.1f s" % (again, rescan))
    env.cr.commit()
    if again:
        sys.exit("the second scan recorded %s pairs again" % again)


def registry_phones(env):
    """Every head of household's wallet number as their phone (g2p.phone.number), once: the
    phone key then has a registry to look in."""
    cr = env.cr
    cr.execute(
        """INSERT INTO g2p_phone_number (partner_id, phone_number, is_primary, disabled, company_id,
                                         create_date, write_date)
           SELECT a.partner_id, a.msisdn, TRUE, FALSE, p.company_id, now(), now()
             FROM g2p_payment_account a JOIN res_partner p ON p.id = a.partner_id
            WHERE p.registrant_number LIKE 'BIND-%' AND a.msisdn IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM g2p_phone_number n WHERE n.partner_id = a.partner_id)"""
    )
    if cr.rowcount:
        print("registry data: phones for %s heads" % cr.rowcount)
        cr.execute("ANALYZE g2p_phone_number")
    cr.commit()


def intake_payloads(env, count):
    """``count`` households of a head and a child, new people with Kenyan names born on the
    registry's days, and some re-registered people (see the module's docstring)."""
    cr = env.cr
    cr.execute(
        """SELECT p.id, p.given_name, p.family_name, p.birthdate, n.phone_number, r.value
             FROM res_partner p
             LEFT JOIN g2p_phone_number n ON n.partner_id = p.id
             LEFT JOIN g2p_registrant_id r ON r.partner_id = p.id
            WHERE p.registrant_number LIKE 'BIND-%%-0'
            ORDER BY hashtext(p.id::text) LIMIT %s""",
        [count],
    )
    people = cr.fetchall()
    accents = str.maketrans("aeiou", "áéíóú")
    payloads, planted = [], {"folded name": 0, "typo": 0, "phone": 0, "id": 0}
    for n in range(count):
        _pid, given, family, birthdate, phone, number = people[n % len(people)]
        head = {
            "given_name": GIVEN[(n * 7) % len(GIVEN)],
            "family_name": FAMILY[(n * 11) % len(FAMILY)],
            "birthdate": str(birthdate),
        }
        phone, number = "+2547%08d" % (90000000 + n), "BX%010d" % n
        if n % 100 == 1:
            head.update(given_name=given.upper(), family_name=family.translate(accents))
            planted["folded name"] += 1
        elif n % 100 == 2:
            head.update(given_name=given, family_name=family[:2] + family[3:])
            planted["typo"] += 1
        elif n % 200 == 3:
            phone = people[n % len(people)][4] or phone
            head.update(given_name=given)
            planted["phone"] += 1
        elif n % 200 == 4:
            number = people[n % len(people)][5] or number
            head.update(given_name=given, family_name=family)
            planted["id"] += 1
        members = [
            {
                "key": "head",
                "role": "head",
                "vals": head,
                "phones": [phone],
                "ids": [{"type": "BENCH_NID", "value": number}],
            },
            {
                "key": "child",
                "role": "child",
                "vals": {
                    "given_name": GIVEN[(n * 5 + 3) % len(GIVEN)],
                    "family_name": head["family_name"],
                    "birthdate": "2015-%02d-%02d" % (1 + n % 12, 1 + n % 28),
                },
            },
        ]
        payloads.append({"household": {"vals": {"city": "Intake %s" % n}}, "members": members})
    return payloads, planted


def bench_intake(env, households, count):
    from odoo.tools import split_every

    from odoo.addons.g2p_intake.const import PROCESS_BATCH_SIZE

    env = env(su=True)
    generate_registry(env, households)
    realistic_names(env)
    registry_phones(env)
    env.cr.execute("SELECT count(*) FROM res_partner WHERE is_registrant AND NOT is_group")
    individuals = env.cr.fetchone()[0]
    payloads, planted = intake_payloads(env, count)
    source = env["g2p.intake.source"].create({"name": "Benchmark intake check"})
    started = time.perf_counter()
    records = env["g2p.intake.record"]._stage(
        source,
        [{"external_id": "bench-%s" % n, "payload": json.dumps(p)} for n, p in enumerate(payloads)],
    )
    Service = env["g2p.intake.service"]
    lookups = {}
    items = [
        (record, Service._prepare_household(record, record.source_id._intake_normalise(record), lookups))
        for record in records
    ]
    env.flush_all()
    prepare = time.perf_counter() - started
    started = time.perf_counter()
    Service._check_registry(items)
    at_once = time.perf_counter() - started
    reasons = {}
    for _record, prepared in items:
        for party in (prepared["household"], *prepared["members"]):
            for hit in party["hits"]:
                if hit["partner_id"]:
                    reasons[hit["reason"]] = reasons.get(hit["reason"], 0) + 1
    may_match = sum(1 for record, prepared in items if Service._may_match(record, prepared))
    started = time.perf_counter()
    for batch in split_every(PROCESS_BATCH_SIZE, items):
        Service._check_registry(list(batch))
    batched = time.perf_counter() - started
    people = sum(len(prepared["members"]) for _r, prepared in items)
    print("registry individuals        %10d" % individuals)
    print(
        "intake records              %10d  (%d individuals; planted: %s)"
        % (count, people, ", ".join("%s %s" % kv for kv in planted.items()))
    )
    print("stage and read (not timed)  %10.1f s" % prepare)
    print(
        "hits in the registry        %10s  (%s)"
        % (sum(reasons.values()), ", ".join("%s %s" % kv for kv in sorted(reasons.items())))
    )
    print("records to match one by one %10d  (the others are new: created together)" % may_match)
    print("check, %d records at once %10.1f s" % (count, at_once))
    print(
        "check, batches of %d      %10.1f s  (%d batches, as _process)"
        % (PROCESS_BATCH_SIZE, batched, -(-count // PROCESS_BATCH_SIZE))
    )
    env.cr.rollback()


if "env" in globals() and os.environ.get(INTAKE_MARKER):
    bench_intake(globals()["env"], int(os.environ[MARKER]), int(os.environ[INTAKE_MARKER]))
elif "env" in globals() and os.environ.get(MARKER):
    bench(globals()["env"], int(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
