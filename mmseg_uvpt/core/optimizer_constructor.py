"""Optimizer constructor for the adaptation recipe (docs/method.md §8)."""
from mmcv.runner.optimizer import OPTIMIZER_BUILDERS, DefaultOptimizerConstructor
from mmcv.utils.parrots_wrapper import _BatchNorm, _InstanceNorm
from torch.nn import GroupNorm, LayerNorm

_NORMS = (_BatchNorm, _InstanceNorm, GroupNorm, LayerNorm)


@OPTIMIZER_BUILDERS.register_module()
class UVPTOptimizerConstructor(DefaultOptimizerConstructor):
    """mmcv's default constructor where ``norm_decay_mult`` also applies inside
    modules matched by ``custom_keys``.

    mmcv ignores every other rule for a parameter that matches a custom key, so
    ``custom_keys=dict(prompt_adapter=dict(lr_mult=5), decode_head=dict(lr_mult=10))``
    with ``norm_decay_mult=0`` would still decay the adapter's and head's norms,
    which are all the norms that train. Here a norm parameter's weight decay is
    multiplied by both its custom key's ``decay_mult`` and ``norm_decay_mult``.

    Config::

        optimizer = dict(type='AdamW', lr=6e-6, betas=(0.9, 0.999), weight_decay=0.01,
                         constructor='UVPTOptimizerConstructor',
                         paramwise_cfg=dict(norm_decay_mult=0.0, custom_keys=dict(
                             prompt_adapter=dict(lr_mult=5.0),
                             decode_head=dict(lr_mult=10.0))))

    Args:
        optimizer_cfg (dict): as for :class:`DefaultOptimizerConstructor`.
        paramwise_cfg (dict | None): as for :class:`DefaultOptimizerConstructor`.
    """

    def __call__(self, model):
        optimizer = super().__call__(model)
        norm_decay_mult = self.paramwise_cfg.get('norm_decay_mult', 1.0)
        custom_keys = self.paramwise_cfg.get('custom_keys', {})
        if self.base_wd is None or norm_decay_mult == 1.0 or not custom_keys:
            return optimizer
        model = getattr(model, 'module', model)
        names = {id(p): n for n, p in model.named_parameters()}
        norm_params = {id(p) for m in model.modules() if isinstance(m, _NORMS)
                       for p in m.parameters(recurse=False)}
        for group in optimizer.param_groups:
            param = group['params'][0]
            name = names.get(id(param), '')
            # the default rules already applied norm_decay_mult where no key matched
            if (param.requires_grad and id(param) in norm_params
                    and any(key in name for key in custom_keys)):
                group['weight_decay'] *= norm_decay_mult
        return optimizer
