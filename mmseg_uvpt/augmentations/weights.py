"""Loading the pretrained networks some augmentations need, with clear errors."""
import os

from mmseg_uvpt.checkpoints import CheckpointError, load_checkpoint_file

README_HINT = ('See model/README.md for where to get it; smoke tests can write random '
               'stand-ins with mmseg_uvpt.augmentations.write_random_weights(model_dir).')


def resolve_weight_file(model_dir, filename):
    """``filename`` inside ``model_dir`` (an absolute ``filename`` is kept)."""
    return filename if os.path.isabs(filename) else os.path.join(model_dir, filename)


def load_network_weights(net, path, what, allow_extra=False):
    """Load a plain state dict file into ``net``, then freeze it in eval mode.

    Args:
        net (nn.Module): the network.
        path (str): the weight file.
        what (str): what the file is, for error messages.
        allow_extra (bool): accept keys ``net`` does not have (for example the layers
            of the published VGG-19 beyond ``relu4_1``).

    Raises:
        CheckpointError: the file is missing, unreadable, lacks keys or has keys of
            the wrong shape.
    """
    if not os.path.isfile(path):
        raise CheckpointError(f'{what} weight file {path} is missing. {README_HINT}')
    state = load_checkpoint_file(path)
    if isinstance(state, dict) and isinstance(state.get('state_dict'), dict):
        state = state['state_dict']
    expected = net.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or (extra and not allow_extra):
        raise CheckpointError(f'{what} weight file {path} does not fit the network: '
                              f'missing keys {missing[:5]}, unexpected keys {extra[:5]}')
    wrong = [k for k in expected if tuple(state[k].shape) != tuple(expected[k].shape)]
    if wrong:
        k = wrong[0]
        raise CheckpointError(f'{what} weight file {path}: {k} has shape '
                              f'{tuple(state[k].shape)}, the network needs '
                              f'{tuple(expected[k].shape)}')
    net.load_state_dict({k: state[k] for k in expected})
    net.requires_grad_(False)
    return net.eval()


class DeviceCache:
    """Moves a frozen network to the batch's device once.

    The augmentation networks are not sub-modules of the segmentor, so they stay out
    of its state dict, its optimizer and ``model.cuda()``; they follow the data instead.
    """

    def __init__(self, net):
        self.net = net
        self.device = None

    def on(self, device):
        if device != self.device:
            self.net.to(device)
            self.device = device
        return self.net
