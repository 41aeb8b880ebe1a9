"""Shared test setup."""
import pytest
import torch


@pytest.fixture(autouse=True, scope='session')
def _single_thread_torch():
    # The tests use tiny tensors: one intra-op thread is faster than several fighting
    # over the 2 cores of the CI machine, and makes timings of one test stable.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
