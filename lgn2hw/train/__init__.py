# SPDX-License-Identifier: MIT
"""Differentiable training of logic gate networks (`lgn2hw train`).

``data`` (datasets), ``encoder`` (thermometer thresholds), ``layers`` (relaxed logic layer,
GroupSum), ``interconnect`` (fixed / learnable wiring, gate sampling), ``trainer`` (the loop)
and ``export`` (native checkpoint). Only ``data`` and ``encoder`` work without torch.
"""
