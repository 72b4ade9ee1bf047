"""Record torch.nn loss values and gradients for tests/test_losses_torch_reference.py.

Run once (needs torch, which kubik does not depend on), from the repository root:

    pip install torch==2.13.0 && python tests/torch_reference/record_losses.py

Every case is a kubik loss name with its arguments and float64 inputs drawn from
numpy (seeded), edge cases included (margins exactly met, zero distances, every
label ignored, a variance below eps, extreme logits). For each reduction the loss
accepts ('mean', 'sum', 'none', KLDiv's 'batchmean') torch computes the value and
the gradient of every prediction (for 'none': of the sum of the values, an all-ones
upstream gradient). Written to tests/data/torch_loss_reference.npz as
'<case>/...' arrays: 'kubik' (the class name), 'kwargs' (JSON), 'in/<i>' the
forward arguments in order, 'predictions' (which of them get a gradient),
'<reduction>/value' and '<reduction>/grad/<i>'.
"""
import json
import pathlib

import numpy as np
import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "data" / "torch_loss_reference.npz"
N, D, C = 6, 5, 4


def r(seed):
    return np.random.default_rng(seed)


def signs(seed, n=N):
    return np.where(r(seed).random(n) < 0.5, -1.0, 1.0)


def probs(seed, shape):
    e = np.exp(r(seed).standard_normal(shape))
    return e / e.sum(-1, keepdims=True)


# name: (kubik class, torch class, kwargs, forward arguments, indices of the predictions)
def cases():
    x, t = r(1).standard_normal((N, D)), r(2).standard_normal((N, D))
    labels = r(3).integers(0, C, N)
    scores = r(4).standard_normal((N, C))
    yield "mse", "MSE", "MSELoss", {}, [x, t], [0]
    yield "l1", "L1", "L1Loss", {}, [x, t], [0]
    yield "l1_ties", "L1", "L1Loss", {}, [np.array([[0.0, 1.0], [2.0, -1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])], [0]
    yield "smooth_l1", "SmoothL1", "SmoothL1Loss", {}, [2 * x, t], [0]
    yield "smooth_l1_beta", "SmoothL1", "SmoothL1Loss", {"beta": 0.5}, [x, t], [0]
    yield "smooth_l1_beta0", "SmoothL1", "SmoothL1Loss", {"beta": 0.0}, [x, t], [0]
    yield "smooth_l1_at_beta", "SmoothL1", "SmoothL1Loss", {"beta": 0.5},\
        [np.array([[0.5, -0.5, 0.0, 1.5]]), np.zeros((1, 4))], [0]
    yield "huber", "Huber", "HuberLoss", {}, [2 * x, t], [0]
    yield "huber_delta", "Huber", "HuberLoss", {"delta": 0.3}, [x, t], [0]
    yield "huber_at_delta", "Huber", "HuberLoss", {"delta": 2.0}, [np.array([[2.0, -2.0, 0.0, 1.0]]), np.zeros((1, 4))], [0]
    p, q = probs(5, (N, C)), probs(6, (N, C))
    q0 = q.copy()
    q0[0, 1] = 0.0
    q0[2] = [0.0, 0.0, 1.0, 0.0]
    yield "kl_div", "KLDiv", "KLDivLoss", {}, [np.log(p), q0], [0]
    yield "kl_div_log_target", "KLDiv", "KLDivLoss", {"log_target": True}, [np.log(p), np.log(q)], [0]
    yield "poisson", "PoissonNLL", "PoissonNLLLoss", {}, [x, r(7).poisson(2.0, (N, D)).astype(float)], [0]
    yield "poisson_rate_full", "PoissonNLL", "PoissonNLLLoss", {"log_input": False, "full": True},\
        [np.exp(x), r(8).poisson(2.0, (N, D)).astype(float)], [0]
    yield "poisson_full", "PoissonNLL", "PoissonNLLLoss", {"full": True, "eps": 1e-6},\
        [x, r(9).poisson(3.0, (N, D)).astype(float)], [0]
    var = np.exp(r(10).standard_normal((N, D)))
    var_tiny = var.copy()
    var_tiny[0, :2] = [1e-9, 0.0]
    yield "gaussian", "GaussianNLL", "GaussianNLLLoss", {}, [x, t, var], [0, 2]
    yield "gaussian_full_eps", "GaussianNLL", "GaussianNLLLoss", {"full": True, "eps": 1e-3}, [x, t, var_tiny], [0, 2]
    yield "gaussian_one_var", "GaussianNLL", "GaussianNLLLoss", {}, [x, t, var[:, 0]], [0, 2]
    yield "gaussian_var_column", "GaussianNLL", "GaussianNLLLoss", {}, [x, t, var[:, :1]], [0, 2]
    yield "margin_ranking", "MarginRanking", "MarginRankingLoss", {"margin": 0.5}, [x[:, 0], t[:, 0], signs(11)], [0, 1]
    yield "margin_ranking_met", "MarginRanking", "MarginRankingLoss", {"margin": 1.0},\
        [np.array([1.0, 0.0, 2.0, 3.0]), np.array([0.0, 0.0, 2.5, 1.0]), np.array([1.0, 1.0, -1.0, 1.0])], [0, 1]
    yield "margin_ranking_2d", "MarginRanking", "MarginRankingLoss", {}, [x, t, np.sign(x - t)], [0, 1]
    yield "cosine_embedding", "CosineEmbedding", "CosineEmbeddingLoss", {"margin": 0.2}, [x, t, signs(12)], [0, 1]
    z = x.copy()
    z[1] = 0.0
    yield "cosine_embedding_edges", "CosineEmbedding", "CosineEmbeddingLoss", {},\
        [np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0], [2.0, 0.0]]),
         np.array([[1.0, 0.0], [1.0, 0.0], [1.0, -1.0], [0.0, 0.0]]), np.array([-1.0, -1.0, -1.0, 1.0])], [0, 1]
    n = r(13).standard_normal((N, D))
    yield "cosine_embedding_one_pair", "CosineEmbedding", "CosineEmbeddingLoss", {"margin": -0.3}, [x[0], t[0], np.array(-1.0)],\
        [0, 1]
    yield "triplet_one", "TripletMargin", "TripletMarginLoss", {"swap": True}, [x[0], t[0], n[0]], [0, 1, 2]
    yield "triplet", "TripletMargin", "TripletMarginLoss", {}, [x, t, n], [0, 1, 2]
    yield "triplet_p1_swap", "TripletMargin", "TripletMarginLoss", {"p": 1.0, "swap": True, "margin": 2.0}, [x, t, n], [0, 1, 2]
    yield "triplet_p3", "TripletMargin", "TripletMarginLoss", {"p": 3.0, "eps": 1e-4}, [x, t, n], [0, 1, 2]
    yield "triplet_zero_distances", "TripletMargin", "TripletMarginLoss", {"swap": True}, [z, z.copy(), z.copy()], [0, 1, 2]
    yield "triplet_met", "TripletMargin", "TripletMarginLoss", {"eps": 0.0},\
        [np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 3.0]]), np.array([[0.0, 2.0], [1.0, 0.0]])], [0, 1, 2]
    pairs = (r(20).random(N) < 0.5) * 1.0
    yield "contrastive", "Contrastive", "ContrastiveLoss", {"margin": 3.0}, [x, t, pairs], [0, 1]
    yield "contrastive_images_edges", "Contrastive", "ContrastiveLoss", {"margin": 1.5},\
        [np.array([[[0.0, 0.0]], [[1.0, 1.0]], [[0.0, 0.0]], [[2.0, 0.0]]]),
         np.array([[[3.0, 4.0]], [[1.0, 1.0]], [[0.5, 0.0]], [[0.0, 0.0]]]), np.array([0.0, 0.0, 1.0, 0.0])], [0, 1]
    yield "multi_margin", "MultiMargin", "MultiMarginLoss", {}, [scores, labels], [0]
    yield "multi_margin_p2_weight", "MultiMargin", "MultiMarginLoss", {"p": 2, "margin": 0.7, "weight": [0.5, 1.0, 2.0, 1.5]},\
        [scores, labels], [0]
    yield "multi_margin_met", "MultiMargin", "MultiMarginLoss", {},\
        [np.array([[1.0, 0.0, 0.5], [0.0, 0.0, 0.0]]), np.array([0, 2])], [0]
    yield "cross_entropy", "CrossEntropy", "CrossEntropyLoss", {}, [scores, labels], [0]
    yield "cross_entropy_smooth_ignore", "CrossEntropy", "CrossEntropyLoss", {"label_smoothing": 0.1, "ignore_index": 1},\
        [scores, labels], [0]
    yield "cross_entropy_all_ignored", "CrossEntropy", "CrossEntropyLoss", {"ignore_index": 2},\
        [scores[:3], np.array([2, 2, 2])], [0]
    yield "cross_entropy_soft", "CrossEntropy", "CrossEntropyLoss", {}, [scores, probs(14, (N, C))], [0]
    yield "cross_entropy_extreme", "CrossEntropy", "CrossEntropyLoss", {},\
        [np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]]), np.array([1, 1])], [0]
    yield "cross_entropy_sequence", "CrossEntropy", "CrossEntropyLoss", {},\
        [r(15).standard_normal((2, 3, C)), r(16).integers(0, C, (2, 3))], [0]
    yield "nll", "NLL", "NLLLoss", {}, [np.log(probs(17, (N, C))), labels], [0]
    yield "nll_ignore", "NLL", "NLLLoss", {"ignore_index": 0}, [np.log(probs(17, (N, C))), labels], [0]
    yield "bce", "BCE", "BCELoss", {}, [probs(18, (N, C)), (r(19).random((N, C)) < 0.5) * 1.0], [0]
    yield "bce_with_logits", "BCEWithLogits", "BCEWithLogitsLoss", {},\
        [np.concatenate([x, [[30.0, -30.0, 0.0, 1e3, -1e3]]]), np.concatenate([(t > 0) * 1.0, [[0.0, 1.0, 1.0, 0.0, 1.0]]])], [0]


class ContrastiveLoss(torch.nn.Module):
    """Caffe's ContrastiveLoss written in torch ops (torch has none): per pair
    ½ d² (y = 1) or ½ max(0, margin − d)² (y = 0), d = ‖a − b‖₂; the gradient is
    autograd's (at d = 0 torch's norm backward gives 0, as kubik's)."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__()
        self.margin, self.reduction = margin, reduction

    def forward(self, a, b, y):
        d = torch.linalg.vector_norm((a - b).flatten(1), dim=1)
        per = torch.where(y > 0.5, 0.5 * d * d, 0.5 * torch.clamp(self.margin - d, min=0.0) ** 2)
        return per if self.reduction == "none" else per.sum() if self.reduction == "sum" else per.mean()


CUSTOM = {"ContrastiveLoss": ContrastiveLoss}


def torch_call(tname, kwargs, reduction, args, grads):
    kw = dict(kwargs)
    if "weight" in kw:
        kw["weight"] = torch.tensor(kw["weight"])
    loss = (CUSTOM.get(tname) or getattr(torch.nn, tname))(reduction=reduction, **kw)
    ts = [torch.from_numpy(np.array(a)) for a in args]
    for i in grads:
        ts[i].requires_grad_()
    if tname == "CrossEntropyLoss" and ts[1].dtype != torch.float64:
        ts[1] = ts[1].long()
    if tname in ("NLLLoss", "MultiMarginLoss"):
        ts[1] = ts[1].long()
    seq = tname in ("CrossEntropyLoss", "NLLLoss") and ts[0].ndim > 2 and ts[1].dtype == torch.long
    # kubik takes the class axis last, torch second: (N, T, C) -> (N, C, T)
    out = loss(ts[0].movedim(-1, 1) if seq else ts[0], *ts[1:])
    (out.sum() if reduction == "none" else out).backward()
    return out.detach().numpy(), [ts[i].grad.numpy() for i in grads]


def record():
    torch.set_default_dtype(torch.float64)
    arrays = {}
    for case, kubik, tname, kwargs, args, grads in cases():
        arrays[f"{case}/kubik"] = np.array(kubik)
        arrays[f"{case}/kwargs"] = np.array(json.dumps(kwargs))
        arrays[f"{case}/predictions"] = np.array(grads)
        for i, a in enumerate(args):
            arrays[f"{case}/in/{i}"] = np.asarray(a)
        reductions = ("mean", "sum", "none") + (("batchmean",) if tname == "KLDivLoss" else ())
        for red in reductions:
            value, gs = torch_call(tname, kwargs, red, args, grads)
            arrays[f"{case}/{red}/value"] = value
            for i, g in zip(grads, gs):
                arrays[f"{case}/{red}/grad/{i}"] = g
    np.savez_compressed(OUT, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUT} (torch {torch.__version__})")


if __name__ == "__main__":
    record()
