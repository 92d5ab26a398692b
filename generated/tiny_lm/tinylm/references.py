"""Trusted reference implementations (torch built-ins holding a module's own weights) that the
components of model.py are checked against: `reference =` in paper2code.toml, tests/test_model.py.

From paper2code's catalog:

- norm.ref.py: References for the normalisation components: torch's functional kernels on the module's weights
"""

import torch.nn.functional as F


def layer_norm_reference(module, x):
    """torch.nn.functional.layer_norm."""
    return F.layer_norm(x, x.shape[-1:], module.weight, module.bias, module.eps)


def rms_norm_reference(module, x):
    """torch.nn.functional.rms_norm."""
    return F.rms_norm(x, x.shape[-1:], module.weight, module.eps)


def batch_norm_reference(module, x):
    """torch.nn.functional.batch_norm in eval mode (running statistics), features last."""
    flat = x.reshape(-1, x.shape[-1])
    stats = (module.running_mean, module.running_var)
    out = F.batch_norm(flat, *stats, module.weight, module.bias, training=False, eps=module.eps)
    return out.reshape(x.shape)


def group_norm_reference(module, x):
    """torch.nn.functional.group_norm."""
    return F.group_norm(x, module.num_groups, module.weight, module.bias, module.eps)
