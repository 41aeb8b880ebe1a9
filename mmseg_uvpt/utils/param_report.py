"""Trainable and frozen parameter counts per module group, printed by every run."""

#: (group name, key prefixes), first match wins; everything else is 'other'
GROUPS = (
    ('prompt adapter', ('backbone.prompt_adapter.',)),
    ('backbone', ('backbone.',)),
    ('decode head', ('decode_head.',)),
    ('mixture logits', ('pred_mix_logits', 'prompt_mix_logits')),
)
OTHER = 'other'


def _group_of(name):
    for group, prefixes in GROUPS:
        if name.startswith(prefixes):
            return group
    return OTHER


def param_table(model):
    """Count parameters per group.

    Args:
        model (nn.Module): a segmentor (a DDP/DataParallel wrapper is unwrapped).

    Returns:
        tuple[list[dict], str]: rows ``dict(group, trainable, frozen, total)``, one per
        group in :data:`GROUPS` order plus 'other' and a final 'total' row; and the
        rows formatted as a table.
    """
    model = getattr(model, 'module', model)
    names = [g for g, _ in GROUPS] + [OTHER]
    counts = {g: dict(group=g, trainable=0, frozen=0) for g in names}
    for name, param in model.named_parameters():
        row = counts[_group_of(name)]
        row['trainable' if param.requires_grad else 'frozen'] += param.numel()
    rows = [counts[g] for g in names]
    rows.append(dict(group='total', trainable=sum(r['trainable'] for r in rows),
                     frozen=sum(r['frozen'] for r in rows)))
    for row in rows:
        row['total'] = row['trainable'] + row['frozen']
    return rows, format_param_table(rows)


def format_param_table(rows):
    """A fixed-width text table of :func:`param_table` rows."""
    header = f"{'group':<16}{'trainable':>14}{'frozen':>14}{'total':>14}"
    lines = [header, '-' * len(header)]
    for r in rows:
        if r['group'] == 'total':
            lines.append('-' * len(header))
        lines.append(f"{r['group']:<16}{r['trainable']:>14,}{r['frozen']:>14,}"
                     f"{r['total']:>14,}")
    return '\n'.join(lines)
