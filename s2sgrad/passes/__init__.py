"""Passes over the IR, one small module each.

Analyses used by the reverse transform for one `gradients` call:
`integer` (int/bool values are constant), `stop_gradient` (where backprop
stops), `activity` (which values need adjoints), `unconnected` (what an x
with no path to any y gets). Transforms of whole functions, `run(fn) -> fn`:
`dce` (dead code elimination), `cse`, `broadcast` (broadcast elision),
`scatter` (scatter contributions added in place). `inplace` is an analysis
for codegen: which functional writes may update their array in place.
"""
