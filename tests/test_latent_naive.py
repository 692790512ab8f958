"""The no-learning baselines of chapter 6 against hand-computed lines."""

import pytest
import torch

from nodebook.latent.naive import constant_velocity, last_value, linear_interpolation


def batch():
    t = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0])
    x = torch.tensor([[[1.0, 5.0], [9.0, 9.0], [3.0, 9.0], [9.0, 2.0], [9.0, 9.0]]])
    m = torch.tensor([[[1.0, 1.0], [0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
    return t, x, m


def test_linear_interpolation_draws_lines_between_each_features_own_points():
    t, x, m = batch()
    got = linear_interpolation(t, x, m, t)[0]
    torch.testing.assert_close(got[:, 0], torch.tensor([1.0, 2.0, 3.0, 3.0, 3.0]))  # flat after the last point
    torch.testing.assert_close(got[:, 1], torch.tensor([5.0, 4.0, 3.0, 2.0, 2.0]))


def test_constant_velocity_and_last_value_carry_the_last_points_forward():
    t, x, m = batch()
    tq = torch.tensor([5.0, 6.0])
    torch.testing.assert_close(constant_velocity(t, x, m, tq)[0, :, 0], torch.tensor([6.0, 7.0]))
    torch.testing.assert_close(constant_velocity(t, x, m, tq)[0, :, 1], torch.tensor([0.0, -1.0]))
    torch.testing.assert_close(last_value(t, x, m, tq)[0], torch.tensor([[3.0, 2.0], [3.0, 2.0]]))
    one = m.clone()
    one[0, 2, 0] = 0  # a single observation: constant velocity falls back to its value
    torch.testing.assert_close(constant_velocity(t, x, one, tq)[0, :, 0], torch.tensor([1.0, 1.0]))


def test_bad_prediction_times_are_refused():
    t, x, m = batch()
    with pytest.raises(ValueError, match="t_pred"):
        linear_interpolation(t, x, m, [1.0])
