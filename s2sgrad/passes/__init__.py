"""Passes over the IR, one small module each.

Analyses used by the reverse transform for one `gradients` call:
`integer` (int/bool values are constant), `stop_gradient` (where backprop
stops: at an op declared constant, or at a value listed in the call's
`stop_gradients`), `activity` (which values need adjoints). Transforms of
whole functions, `run(fn) -> fn`: `unconnected` (before the reverse
transform: the xs with no path to any y leave each `gradients` op and get
None or zeros), `loop_accumulate` (a backward loop's sum of outer products: one
matrix product after the loop), `dce` (dead code elimination), `cse`, `broadcast`
(broadcast elision), `scatter` (scatter contributions added in place),
`hoist_invariant` (`xs[t] @ W` in a loop over xs's rows: `xs @ W` before it). Which writes
update their array in place is out_of_ssa.py's decision.
"""
