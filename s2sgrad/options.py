"""The options of `gradients`, as TensorFlow spells them.

`UnconnectedGradients` is an enum with the string values 'none' and 'zero'
(strings are accepted too). `AggregationMethod` holds TensorFlow's integer
constants. `GradientOptions` validates and normalises them once, so the rest
of s2sgrad sees canonical values.
"""

import enum
from dataclasses import dataclass


class UnconnectedGradients(enum.Enum):
    """What `gradients` returns for an x that does not reach any y."""

    NONE = "none"
    ZERO = "zero"


class AggregationMethod:
    """How several gradient contributions to one value are summed.

    ADD_N (= DEFAULT): all at once, once all are computed.
    EXPERIMENTAL_TREE: a pairwise tree of additions.
    EXPERIMENTAL_ACCUMULATE_N: added into a running sum as each one arrives.
    """

    ADD_N = 0
    DEFAULT = ADD_N
    EXPERIMENTAL_TREE = 1
    EXPERIMENTAL_ACCUMULATE_N = 2


AGGREGATION_NAMES = {
    AggregationMethod.ADD_N: "add_n",
    AggregationMethod.EXPERIMENTAL_TREE: "tree",
    AggregationMethod.EXPERIMENTAL_ACCUMULATE_N: "accumulate_n",
}


@dataclass(frozen=True)
class GradientOptions:
    name: str = "gradients"
    gate_gradients: bool = False
    aggregation: str = "add_n"  # 'add_n' | 'tree' | 'accumulate_n'
    unconnected: str = "none"  # 'none' | 'zero'
    checkpoint: str | None = None  # None | 'sqrt': loops' reverse sweeps (see check_checkpoint)

    @classmethod
    def make(
        cls,
        name="gradients",
        gate_gradients=False,
        aggregation_method=None,
        unconnected_gradients="none",
        checkpoint=None,
    ):
        if name is None:
            name = "gradients"
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name must be an identifier string, got {name!r}")
        if not isinstance(gate_gradients, bool):
            raise ValueError(f"gate_gradients must be True or False, got {gate_gradients!r}")
        if aggregation_method is None:
            aggregation_method = AggregationMethod.DEFAULT
        if isinstance(aggregation_method, bool) or aggregation_method not in AGGREGATION_NAMES:
            raise ValueError(
                f"Invalid aggregation_method specified {aggregation_method!r}; "
                "use s2sgrad.AggregationMethod.ADD_N, EXPERIMENTAL_TREE or "
                "EXPERIMENTAL_ACCUMULATE_N"
            )
        if isinstance(unconnected_gradients, UnconnectedGradients):
            unconnected_gradients = unconnected_gradients.value
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"Unknown value for unconnected_gradients: {unconnected_gradients!r}; "
                "use 'none', 'zero' or s2sgrad.UnconnectedGradients"
            )
        return cls(
            name,
            gate_gradients,
            AGGREGATION_NAMES[aggregation_method],
            unconnected_gradients,
            check_checkpoint(checkpoint),
        )

    def attrs(self):
        a = {
            "name": self.name,
            "gate": self.gate_gradients,
            "aggregation": self.aggregation,
            "unconnected": self.unconnected,
        }
        if self.checkpoint is not None:
            a["checkpoint"] = self.checkpoint
        return a


CHECKPOINTS = ("sqrt",)


def check_checkpoint(checkpoint):
    """`checkpoint=` of grad, value_and_grad, vjp and gradients: None (every loop tapes
    each iteration's values) or 'sqrt' (every `for` loop over a range() stores its
    carried values every ~sqrt(T) of its T iterations, and its reverse sweep recomputes
    each segment from them: reverse.py)."""
    if checkpoint is not None and checkpoint not in CHECKPOINTS:
        raise ValueError(f"Unknown value for checkpoint: {checkpoint!r}; use None or 'sqrt'")
    return checkpoint
