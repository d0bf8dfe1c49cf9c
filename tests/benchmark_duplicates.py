#!/usr/bin/env python3
"""Benchmark: a whole-registry duplicate scan of 250,000 households (about 1,000,000 individuals).

Usage (from the repository root):

    VENV=$HOME/.cache/g2p/venv $VENV/bin/python tests/benchmark_duplicates.py [--households N] [--db NAME]

It installs g2p_program in a scratch database (default ``g2p_bench_duplicates``) when missing (else
updates g2p_registry, which creates the pg_trgm and unaccent extensions), then runs itself inside
``scripts/odoo.sh shell``. The registry is built by ``bench_common.generate_registry`` (set-based
SQL, kept between runs), given Kenyan names once, with one person in a thousand re-registered
with a typo and the same date of birth; every person has a name and a date of birth. Each run
deletes the previous run's pairs, then times ``g2p.duplicate._detect()`` (every key: phones, folded
name with date of birth, pg_trgm-similar name within a date of birth), then a second scan, which
must record nothing. It prints the individuals, the pairs found per key and the seconds.
"""

import os
import sys
import time
from pathlib import Path

# Inside `odoo shell` the script is read from stdin (no __file__): run_in_odoo_shell passes this folder.
sys.path.insert(0, os.environ.get("G2P_BENCH_TESTS_DIR") or str(Path(__file__).resolve().parent))
from bench_common import argument_parser, generate_registry, run_in_odoo_shell

MARKER = "G2P_BENCH_DUPLICATES"


def main():
    args = argument_parser(__doc__, "g2p_bench_duplicates").parse_args()
    run_in_odoo_shell(__file__, args.db, "g2p_program", {MARKER: str(args.households)}, update="g2p_registry")


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


if "env" in globals() and os.environ.get(MARKER):
    bench(globals()["env"], int(os.environ[MARKER]))
elif __name__ == "__main__":
    main()
