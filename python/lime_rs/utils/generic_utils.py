"""lime's generic utilities (``lime.utils.generic_utils``)."""

import inspect
import types


def has_arg(fn, arg_name):
    """Checks if a callable accepts a given keyword argument.

    Args:
        fn: callable to inspect
        arg_name: string, keyword argument name to check

    Returns:
        bool, whether `fn` accepts a `arg_name` keyword argument.
    """
    if isinstance(fn, types.FunctionType | types.MethodType):
        signature = inspect.signature(fn)
    elif callable(fn):
        signature = inspect.signature(fn.__call__)
    else:
        return False
    parameter = signature.parameters.get(arg_name)
    if parameter is None:
        return False
    return parameter.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.KEYWORD_ONLY,
    )
