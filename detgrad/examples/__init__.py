"""Examples: small programs that use detgrad the way a user would.

``seed_problem`` minimizes det(A)^2 by gradient descent with every method
and plots the loss curves (``python -m detgrad.examples.seed_problem``).
They use only the library and the chart functions of :mod:`detgrad.publish`.
"""
