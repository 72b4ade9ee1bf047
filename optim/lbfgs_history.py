"""The L-BFGS memory: the last m pairs (sᵢ, yᵢ) and the product −H g in matrix form.

torch's two-loop recursion, with q₀ = −g and ρᵢ = 1 / sᵢ·yᵢ,

    for i = m−1 … 0:  αᵢ = ρᵢ sᵢ·q;  q ← q − αᵢ yᵢ
    r ← H_diag · q
    for i = 0 … m−1:  βᵢ = ρᵢ yᵢ·r;  r ← r + (αᵢ − βᵢ) sᵢ

costs 4m vector operations. Written out, αᵢ/ρᵢ + Σ_{j>i} (sᵢ·yⱼ) αⱼ = sᵢ·q₀, so with the
upper triangular U (Uᵢⱼ = sᵢ·yⱼ for i <= j, Uᵢᵢ = 1/ρᵢ) the α solve U α = S q₀; then
q = q₀ − Yᵀα, r₀ = H_diag q, and γ = α − β solves Uᵀ γ = α/ρ − Y r₀, and d = r₀ + Sᵀγ.
That is four matrix-vector products and two m×m triangular solves (LAPACK trtrs), the
same numbers in another order of operations. U gains one column per new pair (one
product S y); dropping the oldest pair drops its row and column.

S and Y are ring buffers of rows (grown by doubling up to m): the oldest pair sits in
row ``start`` once the memory is full. A BLAS product's rounding depends on where rows
sit, so ``state()`` records ``history_start`` and ``restore`` puts every row back where
it was: a resumed run repeats the same arithmetic.
"""
import numpy as np

_trtrs = None


def _solve(U, b, transposed):
    """U⁻¹ b (or U⁻ᵀ b) for upper triangular U, float64."""
    global _trtrs
    if _trtrs is None:
        from scipy.linalg.lapack import dtrtrs     # loaded on first use: kubik's import stays light
        _trtrs = dtrtrs
    x, info = _trtrs(U, b, lower=0, trans=1 if transposed else 0)
    if info:
        raise np.linalg.LinAlgError(f"LBFGS: the history's triangular system is singular (LAPACK info {info})")
    return x


class History:
    """The pairs (s, y) of L-BFGS, in rows of S and Y; ``direction(g, H_diag)`` is −H g."""

    KEYS = frozenset({"old_dirs", "old_stps", "ro", "stps_dot_dirs", "history_start"})

    def __init__(self, n, dtype, size):
        self.n, self.dtype, self.size = n, np.dtype(dtype), int(size)
        self.k = 0                  # pairs held
        self.start = 0              # row of the oldest pair (0 until the ring is full)
        self._alloc(min(self.size, 8))

    def _alloc(self, cap):
        S, Y, U = (np.empty((cap, self.n), self.dtype), np.empty((cap, self.n), self.dtype),
                   np.zeros((cap, cap)))
        if getattr(self, "S", None) is not None:
            S[:self.k], Y[:self.k] = self.S[:self.k], self.Y[:self.k]
            U[:self.k, :self.k] = self.U[:self.k, :self.k]
        self.S, self.Y, self.U = S, Y, U

    def _order(self):
        """Rows of the pairs, oldest first (None: rows 0 … k−1 in order)."""
        return None if self.start == 0 else (self.start + np.arange(self.k)) % self.k

    def append(self, s, y, ys):
        """Remember the pair (s, y) with s·y = ``ys`` (> 0), forgetting the oldest when full."""
        k = self.k
        if k == self.size:
            row = self.start
            self.start = (self.start + 1) % k
            self.U[:k - 1, :k - 1] = self.U[1:k, 1:k]
        else:
            if k == len(self.S):
                self._alloc(min(self.size, 2 * k))
            row = k
            self.k = k = k + 1
        self.S[row] = s
        self.Y[row] = y
        col = self.S[:k] @ y                       # sᵢ·y for every pair
        order = self._order()
        self.U[:k, k - 1] = col if order is None else col[order]
        self.U[k - 1, k - 1] = ys

    def direction(self, g, H_diag):
        """d = −H g."""
        k = self.k
        q0 = -g
        if k == 0:
            q0 *= H_diag
            return q0
        S, Y, U = self.S[:k], self.Y[:k], self.U[:k, :k]
        order = self._order()
        a = S @ q0
        if order is not None:
            a = a[order]
        alpha = _solve(U, a.astype(np.float64), False)
        alpha_rows = alpha if order is None else _scatter(alpha, order)
        q0 -= Y.T @ alpha_rows.astype(self.dtype, copy=False)
        q0 *= H_diag
        b = Y @ q0
        if order is not None:
            b = b[order]
        rhs = alpha * np.diagonal(U)
        rhs -= b
        gamma = _solve(U, rhs, True)
        gamma_rows = gamma if order is None else _scatter(gamma, order)
        q0 += S.T @ gamma_rows.astype(self.dtype, copy=False)
        return q0

    # -- state ---------------------------------------------------------------------------------------
    def state(self):
        """Copies of the pairs, oldest first (torch's ``old_dirs`` = y's, ``old_stps`` = s's,
        ``ro``), with ``stps_dot_dirs`` and ``history_start``."""
        k, order = self.k, self._order()
        rows = np.arange(k) if order is None else order
        U = self.U[:k, :k].copy()
        return {"old_dirs": self.Y[rows].copy(), "old_stps": self.S[rows].copy(), "ro": 1.0 / np.diagonal(U),
                "stps_dot_dirs": U, "history_start": int(self.start)}

    @classmethod
    def restore(cls, st, n, dtype, size):
        """The History that ``state()`` described; ValueError if it does not fit ``n`` values
        of ``dtype`` and a memory of ``size`` pairs."""
        missing = sorted(cls.KEYS - set(st))
        if missing:
            raise ValueError(f"LBFGS.load_state_dict: the history lacks {missing}")
        Yl, Sl = np.asarray(st["old_dirs"]), np.asarray(st["old_stps"])
        U = np.asarray(st["stps_dot_dirs"], dtype=np.float64)
        start = np.asarray(st["history_start"])
        k = len(Yl)
        if Yl.shape != (k, n) or Sl.shape != (k, n) or Yl.dtype != dtype or Sl.dtype != dtype:
            raise ValueError(f"LBFGS.load_state_dict: old_dirs and old_stps must be ({k}, {n}) {dtype}, got "
                             f"{Yl.shape} {Yl.dtype} and {Sl.shape} {Sl.dtype}")
        if U.shape != (k, k) or not np.all(np.isfinite(U)) or (k and np.diagonal(U).min() <= 0):
            raise ValueError(f"LBFGS.load_state_dict: stps_dot_dirs must be a finite ({k}, {k}) matrix with a "
                             f"positive diagonal, got shape {U.shape}")
        if k > size:
            raise ValueError(f"LBFGS.load_state_dict: the state holds {k} pairs, more than history_size {size}")
        if start.ndim or start.dtype.kind not in "iu" or not 0 <= start < max(k, 1) or (start and k != size):
            raise ValueError(f"LBFGS.load_state_dict: history_start must be a row < {max(k, 1)} (0 unless the "
                             f"memory is full), got {st['history_start']!r}")
        h = cls(n, dtype, size)
        h._alloc(max(k, len(h.S)))
        h.k, h.start = k, int(start)
        rows = np.arange(k) if not h.start else (h.start + np.arange(k)) % k
        h.S[rows], h.Y[rows] = Sl, Yl
        h.U[:k, :k] = np.triu(U)
        return h


def _scatter(values, order):
    out = np.empty_like(values)
    out[order] = values
    return out
