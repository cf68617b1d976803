"""Deterministic synthetic people for the demo: names and mobile numbers from a seeded RNG."""

from __future__ import annotations

import numpy as np

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红文辉建国志鹏宇晨浩然欣怡子涵梓轩雨婷佳琪思远"
)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "176",
    "177",
    "180",
    "186",
    "187",
    "188",
    "189",
)


def synthetic_names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` plausible Chinese names: a surname and one or two given-name characters."""
    surnames = rng.choice(SURNAMES, size=n)
    first = rng.choice(GIVEN, size=n)
    second = rng.choice(GIVEN, size=n)
    two = rng.random(n) < 0.6
    return [
        s + f + (g if t else "") for s, f, g, t in zip(surnames, first, second, two, strict=True)
    ]


def synthetic_mobiles(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` 11-digit mobile numbers (unassigned-looking but well-formed)."""
    prefixes = rng.choice(MOBILE_PREFIXES, size=n)
    rest = rng.integers(0, 100_000_000, size=n)
    return [f"{p}{r:08d}" for p, r in zip(prefixes, rest, strict=True)]
