"""The demo's front-line employees: each demo crew gets 2 to 4 named members (deterministic
from the crew's id), so call-backs balance over people and appraisals name them."""

from __future__ import annotations

import random

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超")


def ensure_crew_members(cur) -> int:
    """Give every crew without members 2 to 4 named ones; returns how many were added."""
    cur.execute(
        "SELECT c.id, c.code FROM crews c WHERE NOT EXISTS"
        " (SELECT 1 FROM crew_members m WHERE m.crew_id = c.id) ORDER BY c.id"
    )
    added = 0
    for crew in cur.fetchall():
        rng = random.Random(int(crew["id"]))
        for n in range(rng.randint(2, 4)):
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2))
            cur.execute(
                "INSERT INTO crew_members (crew_id, employee_no, name) VALUES (%s, %s, %s)"
                " ON CONFLICT (employee_no) DO NOTHING",
                (crew["id"], f"{crew['code']}-{n + 1}", name),
            )
            added += cur.rowcount
    return added
