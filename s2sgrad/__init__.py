"""s2sgrad: ahead-of-time, source-to-source reverse-mode differentiation for
Python/NumPy, with the contract of TensorFlow's `tf.gradients`."""

__version__ = "0.1.0"

from .api import (  # noqa: E402
    checkpointed,
    custom_vjp,
    function,
    grad,
    gradients,
    hessian,
    jacobian,
    jvp,
    register_gradient,
    source,
    stop_gradient,
    value_and_grad,
    vjp,
)
from .check import check_grads  # noqa: E402
from .errors import (  # noqa: E402
    GradientCheckError,
    InvalidArgumentError,
    NoGradientError,
    OutsideFunctionError,
    S2SGradError,
    SourceNotFoundError,
    UnsupportedError,
)
from .options import AggregationMethod, UnconnectedGradients  # noqa: E402

__all__ = [
    "function",
    "gradients",
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacobian",
    "hessian",
    "stop_gradient",
    "checkpointed",
    "register_gradient",
    "custom_vjp",
    "source",
    "UnconnectedGradients",
    "AggregationMethod",
    "S2SGradError",
    "NoGradientError",
    "InvalidArgumentError",
    "OutsideFunctionError",
    "UnsupportedError",
    "SourceNotFoundError",
    "check_grads",
    "GradientCheckError",
]
