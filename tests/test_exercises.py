import pytest
import torch

from nodebook.exercises import check_stability_limit, check_step


def midpoint_step(f, t, y, h):
    return y + h * f(t + h / 2, y + h / 2 * f(t, y))


def euler_step(f, t, y, h):
    return y + h * f(t, y)


def test_check_step_accepts_correct_order(capsys):
    assert check_step(midpoint_step, 2) == pytest.approx(2, abs=0.3)
    assert "✓" in capsys.readouterr().out


def test_check_step_rejects_wrong_order():
    with pytest.raises(AssertionError, match="measured order 1\\.0\\d is too low: expected order 2"):
        check_step(euler_step, 2)


def test_check_step_rejects_wrong_shape():
    with pytest.raises(TypeError, match=r"must return a tensor shaped like y \(2,\); got \(1,\)"):
        check_step(lambda f, t, y, h: torch.zeros(1, dtype=y.dtype), 1)


def test_stability_limit():
    assert check_stability_limit(0.0399, rate=50) == pytest.approx(0.04)
    with pytest.raises(AssertionError, match="h_max for rate 50 = 0.02 is too small") as err:
        check_stability_limit(0.02, rate=50)
    assert "0.04" not in str(err.value)  # the answer is never printed
    with pytest.raises(AssertionError, match="h_max for rate 50 = 0.06 is too large"):
        check_stability_limit(0.06, rate=50)
    with pytest.raises(AssertionError, match="wrong type: expected a number, got NoneType"):
        check_stability_limit(None, rate=50)
    with pytest.raises(ValueError, match="rate must be > 0"):
        check_stability_limit(0.1, rate=-1)
