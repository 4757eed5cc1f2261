"""Explicit polynomials for n <= 3: exact at any rank, derivatives of every order, no factorization.

* :mod:`.closed`: the polynomials on the ``(..., n, n)`` layout;
* :mod:`.tiny`: the same on a flat ``(B, n·n)`` layout with shared 2×2 minors (faster for big batches).
"""
