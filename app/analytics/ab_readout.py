"""The readout of an A/B test on a fan page that stays honest while staff look at it every hour.

A fixed-horizon test (a z-test's p < 0.05) is only valid when read once, at a sample size set
in advance: read after every hundred visitors, an A/A test (no difference at all) shows a
"winner" in about four tests out of ten. So the readout uses a test built for peeking, the
mixture sequential probability ratio test (mSPRT) with a normal mixture over the difference
in conversion, as described in

    R. Johari, P. Koomen, L. Pekelis, D. Walsh, "Always Valid Inference: Continuous
    Monitoring of A/B Tests", Operations Research 70(3):1806-1821, 2022 (the method behind
    Optimizely's Stats Engine).

For a variant against the control, with the difference in conversion d = p_variant -
p_control, its variance V (pooled rate, both sample sizes) and the mixture's spread TAU,

    Lambda = sqrt(V / (V + TAU^2)) * exp(TAU^2 d^2 / (2 V (V + TAU^2)))

is a test martingale under "no difference": the chance that it ever reaches 1/alpha, at any
of as many looks as anyone likes, is at most alpha. A winner is clear when it does; the
always-valid p-value is 1/max(Lambda) over the looks so far, and the interval that shrinks
with the data (the confidence sequence) is

    d +- sqrt(V (V + TAU^2) / TAU^2 * (log((V + TAU^2) / V) + 2 log(1/alpha))).

With more than one variant, each is compared with the control at alpha / (variants - 1)
(Bonferroni), so the chance of any false winner stays at alpha. No verdict comes before
MIN_VISITORS per arm (the normal approximation needs them). The arithmetic is numpy's, on
arrays: a series of looks (hourly counts, say) or thousands of simulated tests at once.
"""
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
TAU = 0.02  # the mixture's spread: differences in conversion of about two points
MIN_VISITORS = 250  # per arm, before any verdict


def log_lambda(conversions_a, visitors_a, conversions_b, visitors_b, tau=TAU):
    """log Lambda of B against A for each look (arrays of cumulative counts, any shape);
    -inf where there are too few visitors for a verdict."""
    ca, na, cb, nb = (np.asarray(x, dtype=float)
                      for x in (conversions_a, visitors_a, conversions_b, visitors_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (ca + cb) / (na + nb)
        v = pooled * (1 - pooled) * (1 / na + 1 / nb)
        diff = cb / nb - ca / na
        t2 = tau * tau
        value = 0.5 * np.log(v / (v + t2)) + t2 * diff ** 2 / (2 * v * (v + t2))
    return np.where((na >= MIN_VISITORS) & (nb >= MIN_VISITORS) & (v > 0), value, -np.inf)


def half_width(conversions_a, visitors_a, conversions_b, visitors_b, alpha=ALPHA, tau=TAU):
    """Half the width of the confidence sequence around the difference, for each look."""
    ca, na, cb, nb = (np.asarray(x, dtype=float)
                      for x in (conversions_a, visitors_a, conversions_b, visitors_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (ca + cb) / (na + nb)
        v = pooled * (1 - pooled) * (1 / na + 1 / nb)
        t2 = tau * tau
        return np.sqrt(v * (v + t2) / t2 * (np.log((v + t2) / v) + 2 * np.log(1 / alpha)))


@dataclass(frozen=True)
class Comparison:
    """A variant against the control, as of the last look."""

    variant: str
    visitors: int
    conversions: int
    rate: float | None  # conversions / visitors
    lift: float | None  # difference in conversion with the control (rate points)
    low: float | None  # the confidence sequence's bounds on the lift
    high: float | None
    p_value: float  # always valid: 1 / the largest Lambda so far (at most 1)
    verdict: str  # "better", "worse" or "not yet"
    evidence: float  # the largest log Lambda so far (-inf before any verdict could be had)


def compare(series, control, alpha=ALPHA, peaks=None):
    """Each variant against ``control``, over a series of looks.

    ``series``: {variant: [(visitors, conversions), …]}, cumulative, one pair per look, the
    same looks for every variant; ``peaks``: {variant: largest log Lambda} of earlier looks
    not in the series (kept by the hourly looks). Returns [Comparison] for the variants other
    than the control, at alpha / (variants - 1) each."""
    others = [key for key in series if key != control]
    share = alpha / max(len(others), 1)
    base = np.asarray(series[control], dtype=float).reshape(-1, 2)
    found = []
    for key in others:
        arm = np.asarray(series[key], dtype=float).reshape(-1, 2)
        ll = log_lambda(base[:, 1], base[:, 0], arm[:, 1], arm[:, 0])
        best = max(float(np.max(ll)) if ll.size else -np.inf,
                   float((peaks or {}).get(key, -np.inf)))
        p_value = float(min(1.0, np.exp(-best))) if np.isfinite(best) else 1.0
        n, c = (int(x) for x in arm[-1]) if arm.size else (0, 0)
        n0, c0 = (int(x) for x in base[-1]) if base.size else (0, 0)
        rate = c / n if n else None
        lift = rate - c0 / n0 if n and n0 else None
        width = float(half_width(c0, n0, c, n, share)) if lift is not None else np.nan
        bounded = lift is not None and np.isfinite(width)
        verdict = "not yet"
        if p_value <= share and lift is not None:
            verdict = "better" if lift > 0 else "worse"
        found.append(Comparison(key, n, c, rate, lift, lift - width if bounded else None,
                                lift + width if bounded else None, p_value, verdict, best))
    return found


def fixed_horizon_z(conversions_a, visitors_a, conversions_b, visitors_b):
    """The two-proportion z statistic (pooled) for each look: what a fixed-horizon test reads,
    valid only once, at a size set in advance. Kept to show what peeking does to it."""
    ca, na, cb, nb = (np.asarray(x, dtype=float)
                      for x in (conversions_a, visitors_a, conversions_b, visitors_b))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = (ca + cb) / (na + nb)
        se = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        return np.where(se > 0, (cb / nb - ca / na) / se, 0.0)
