"""Source → IR: finding source, resolving names, lowering to SSA."""
