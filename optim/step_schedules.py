"""Step-wise decays: StepLR, MultiStepLR, ExponentialLR (as torch.optim.lr_scheduler)."""
import bisect

from .checks import check_int, check_positive, plain
from .schedule import Schedule, register


@register
class StepLR(Schedule):
    """lr = base_lr · gamma^⌊epoch / step_size⌋ (Caffe's "step" policy).
    Arguments: step_size (int >= 1), gamma=0.1 (> 0)."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        check_int("StepLR", "step_size", step_size, 1)
        check_positive("StepLR", gamma=gamma)
        self.step_size, self.gamma = int(step_size), float(gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)

    def extra_repr(self):
        return f"step_size={self.step_size}, gamma={self.gamma}"


@register
class MultiStepLR(Schedule):
    """lr = base_lr · gamma^(number of milestones <= epoch) (Caffe's "multistep").
    Arguments: milestones (list of ints >= 1; a repeated one counts twice, as in
    PyTorch), gamma=0.1 (> 0)."""

    def __init__(self, optimizer, milestones, gamma=0.1):
        milestones = plain(milestones)
        if isinstance(milestones, (str, bytes)) or not hasattr(milestones, "__iter__"):
            raise ValueError(f"MultiStepLR: milestones must be a list of epochs, got {milestones!r}")
        for i, m in enumerate(milestones):
            check_int("MultiStepLR", f"milestones[{i}]", m, 1)
        check_positive("MultiStepLR", gamma=gamma)
        self.milestones, self.gamma = sorted(int(m) for m in milestones), float(gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)

    def extra_repr(self):
        return f"milestones={self.milestones}, gamma={self.gamma}"


@register
class ExponentialLR(Schedule):
    """lr = base_lr · gamma^epoch (Caffe's "exp" policy). Arguments: gamma (> 0)."""

    def __init__(self, optimizer, gamma):
        check_positive("ExponentialLR", gamma=gamma)
        self.gamma = float(gamma)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** epoch

    def extra_repr(self):
        return f"gamma={self.gamma}"
