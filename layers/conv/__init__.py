"""Convolutions and their engines.

    conv            Conv2d (NCHW): im2col GEMMs or Winograd, samples split between threads
    conv1d          Conv1d on (N, C, L), as Conv2d on a height-1 image; the wrappers the 1-d layers share
    conv_transpose  ConvTranspose2d: the VJP pair of Conv2d (forward = col2im, backward = im2col + GEMMs);
                    conv_transpose_backward its backward, conv_transpose_phases its numpy path's col2im
    conv_transpose1d  ConvTranspose1d, as ConvTranspose2d on a height-1 image
    conv_backward   Conv2d's vector-Jacobian products
    im2col          window geometry, im2col / col2im (also used by the pools)
    winograd        Winograd F(2x2, 3x3) transforms; winograd_grad their adjoints
    winograd_conv   Conv2d's Winograd algorithm and the choice between it and im2col
"""
from .conv import Conv2d
from .conv1d import Conv1d
from .conv_transpose import ConvTranspose2d
from .conv_transpose1d import ConvTranspose1d
