# SPDX-License-Identifier: MIT
"""lgn2hw: compile trained Logic Gate Networks into verified FPGA designs."""
__version__ = "0.1.0"
