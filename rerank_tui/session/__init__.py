"""What the user builds and owns: queries, instructions, presets, labels, metrics."""
