"""im2col / col2im as serial compiled loops (numba). Same layout and the same
order of additions as layers/im2col.py, so results are bitwise equal.

Xc: (C, N, H, W) any strides; cols: (C, kh·kw, N, Ho, Wo) C-contiguous.
geo: (kh, kw, sh, sw, ph, pw, dh, dw).
"""
import numba


@numba.njit(cache=True, nogil=True)
def im2col(Xc, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols[c, i·kw + j, n, ho, wo] = X[c, n, ho·sh + i·dh − ph, wo·sw + j·dw − pw] (0 outside)."""
    C, N, H, W = Xc.shape
    Ho, Wo = cols.shape[3], cols.shape[4]
    for c in range(C):
        for i in range(kh):
            for j in range(kw):
                k = i * kw + j
                for n in range(N):
                    for ho in range(Ho):
                        h = ho * sh + i * dh - ph
                        if h < 0 or h >= H:
                            for wo in range(Wo):
                                cols[c, k, n, ho, wo] = 0
                            continue
                        for wo in range(Wo):
                            w = wo * sw + j * dw - pw
                            if 0 <= w < W:
                                cols[c, k, n, ho, wo] = Xc[c, n, h, w]
                            else:
                                cols[c, k, n, ho, wo] = 0


@numba.njit(cache=True, nogil=True)
def col2im(dcols, dXc, kh, kw, sh, sw, ph, pw, dh, dw):
    """dX[c, n, h, w] += dcols[c, k, n, ho, wo] for every window element k that
    came from (h, w), added in increasing k (as the numpy path)."""
    C, N, H, W = dXc.shape
    Ho, Wo = dcols.shape[3], dcols.shape[4]
    for c in range(C):
        for n in range(N):
            for i in range(kh):
                for j in range(kw):
                    k = i * kw + j
                    for ho in range(Ho):
                        h = ho * sh + i * dh - ph
                        if h < 0 or h >= H:
                            continue
                        for wo in range(Wo):
                            w = wo * sw + j * dw - pw
                            if 0 <= w < W:
                                dXc[c, n, h, w] += dcols[c, k, n, ho, wo]
