"""What the user builds and owns: queries, instructions, presets, labels, metrics.

Owns every file the user creates; saves atomically (see `store`).
"""
