"""Jackson et al.'s published style-augmentation files -> this project's two files."""
import os

import torch

from mmseg_uvpt.checkpoints import CheckpointError, atomic_save, load_checkpoint_file

from .style_augmentor import (PREDICTOR_FILE, WEIGHTS_FILE, StyleAugmentorNet,
                              StylePredictorNet)


def _entry(path, key):
    content = load_checkpoint_file(path)
    if not isinstance(content, dict) or key not in content:
        raise CheckpointError(f'{path} has no {key!r} entry: is it the right file?')
    return content[key]


def _matching_state(net, state, path):
    """The entries of ``state`` that ``net`` has (the published files carry a few
    unused ones); every parameter of ``net`` must be there with its shape."""
    expected = net.state_dict()
    missing = [k for k in expected if k not in state
               or tuple(state[k].shape) != tuple(expected[k].shape)]
    if missing:
        raise CheckpointError(f'{path} does not fit {type(net).__name__}: missing or '
                              f'misshapen {missing[:5]}')
    return {k: state[k] for k in expected}


def scale_tril_of(covariance):
    """Lower-triangular ``L`` with ``L L^T = covariance`` (tiny jitter if the matrix
    is only semi-definite). Samples ``mean + L z`` have the same distribution as the
    release's ``mean + U sqrt(S) z`` from an SVD, though not the same draw per ``z``."""
    cov = covariance.double()
    jitter = 0.0
    for _ in range(6):
        factor, info = torch.linalg.cholesky_ex(
            cov + jitter * torch.eye(cov.size(0), dtype=cov.dtype))
        if info == 0:
            return factor.float()
        jitter = max(jitter * 10, 1e-10 * cov.diagonal().abs().mean().item())
    raise CheckpointError('the style embedding covariance is not positive semi-definite')


def convert_style_augmentation_files(transformer_file, predictor_file, embeddings_file,
                                     model_dir):
    """Write ``style_augmentor.pth`` and ``style_predictor.pth`` into ``model_dir``.

    Args:
        transformer_file (str): ``checkpoint_transformer.pth`` (``state_dict_ghiasi``).
        predictor_file (str): ``checkpoint_stylepredictor.pth``
            (``state_dict_stylepredictor``).
        embeddings_file (str): ``checkpoint_embeddings.pth`` (``pbn_embedding_mean``,
            ``pbn_embedding_covariance``: the Gaussian random styles come from).

    Returns:
        tuple[str, str]: the two written paths.
    """
    net, predictor = StyleAugmentorNet(), StylePredictorNet()
    state = _matching_state(net, {**_entry(transformer_file, 'state_dict_ghiasi'),
                                  'embedding_mean': net.embedding_mean,
                                  'embedding_scale_tril': net.embedding_scale_tril},
                            transformer_file)
    state['embedding_mean'] = _entry(embeddings_file, 'pbn_embedding_mean').reshape(-1).float()
    state['embedding_scale_tril'] = scale_tril_of(
        _entry(embeddings_file, 'pbn_embedding_covariance'))
    predictor_state = _matching_state(
        predictor, _entry(predictor_file, 'state_dict_stylepredictor'), predictor_file)
    paths = (os.path.join(model_dir, WEIGHTS_FILE), os.path.join(model_dir, PREDICTOR_FILE))
    atomic_save(state, paths[0])
    atomic_save(predictor_state, paths[1])
    return paths
