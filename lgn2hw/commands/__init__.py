# SPDX-License-Identifier: MIT
"""One module per CLI command (registered in lgn2hw.cli.COMMANDS)."""
