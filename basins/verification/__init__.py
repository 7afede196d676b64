"""Numerical verification (SPEC §7): the cancellation-free sampling kernel, the checks of a case, and the
exact piece analysis of kinked points.  Its results are "verified numerically", never "certified"."""
