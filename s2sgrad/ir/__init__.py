"""The structured SSA IR: types, values, ops, regions, functions."""
