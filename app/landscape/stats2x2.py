"""Pearson's chi-square test and Fisher's exact test for a 2×2 table, in plain Python.

For one degree of freedom the chi-square survival function is erfc(√(χ²/2)), so neither
test needs scipy: a crosstab's first use in a worker no longer imports scipy.stats (about
0.8 s, issue 10), and the app no longer depends on it. tests/test_landscape.py compares
both against scipy over many tables.
"""

from __future__ import annotations

import math

# Tables as likely as the observed one within this relative margin count as "as or less
# likely" in the two-sided Fisher test (the tolerance R's fisher.test uses).
RELATIVE_TOLERANCE = 1e-7


def chi_square(a: int, b: int, c: int, d: int) -> tuple[float, float, list[list[float]]]:
    """χ² without continuity correction, its p-value (df = 1) and the expected counts of
    the table [[a, b], [c, d]]. Every margin must be above zero."""
    r1, r2, c1, c2 = a + b, c + d, a + c, b + d
    n = r1 + r2
    expected = [[r1 * c1 / n, r1 * c2 / n], [r2 * c1 / n, r2 * c2 / n]]
    # Integers up to the division: exact for any catalogue size.
    statistic = n * (a * d - b * c) ** 2 / (r1 * r2 * c1 * c2)
    return statistic, math.erfc(math.sqrt(statistic / 2)), expected


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """The two-sided p-value of Fisher's exact test for [[a, b], [c, d]]: the probability,
    with all margins fixed, of the tables no more likely than the observed one."""
    r1, r2, c1 = a + b, c + d, a + c
    low, high = max(0, c1 - r2), min(r1, c1)
    base = _log_comb(r1 + r2, c1)

    def log_p(x: int) -> float:
        return _log_comb(r1, x) + _log_comb(r2, c1 - x) - base

    limit = log_p(a) + math.log1p(RELATIVE_TOLERANCE)
    total = math.fsum(math.exp(p) for x in range(low, high + 1) if (p := log_p(x)) <= limit)
    return min(total, 1.0)
