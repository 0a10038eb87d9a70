"""AvgPool2D: each window's mean, as PyTorch's nn.AvgPool2d (and ONNX's AveragePool)."""
from ..engine import ops, shapes
from ..errors import InputError
from .base import SlidingWindow, pair, padding_spec
from .torch_counterparts import function_module, same_pad


class AvgPool2D(SlidingWindow):
    """y[n,c,p,q] = (1 / d[p,q]) sum_{i<KH, j<KW} x_pad[n, c, p*sh + i, q*sw + j]

    d[p, q], the divisor (shapes.avgpool_divisors): the window's entries inside the input and the
    padding (count_include_pad=True), or inside the input only (False, ONNX's and Keras's
    default); a ceil-mode window that reaches past the padding counts up to its end.
    Backward, under every rule (linear): each g[n,c,p,q] is shared evenly by its window,
        dx[n, c, h, w] = sum_{(p,q): window (p,q) holds (h,w)} g[n,c,p,q] / d[p,q]

    Shapes: x (N, C, H, W) -> y (N, C, Ho, Wo), Ho = floor((H + pt + pb - KH)/sh) + 1, or the
    ceiling with ceil_mode (a last window must start inside the input or its leading padding).
    padding: int, (ph, pw), (top, bottom, left, right), 'valid' or 'same' (TensorFlow's); at
    most half the kernel, as in PyTorch.
    """

    def __init__(self, kernel_size=2, stride=None, padding=0, count_include_pad=True, ceil_mode=False,
                 name=None, inputs=None):
        super().__init__(name, inputs)
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride = pair(stride if stride is not None else kernel_size, "stride")
        self.padding = padding_spec(padding)
        self.count_include_pad, self.ceil_mode = bool(count_include_pad), bool(ceil_mode)
        kh, kw = self.kernel_size
        if self.padding != "same":
            pt, pb, pl, pr = self.padding
            if max(pt, pb) > kh // 2 or max(pl, pr) > kw // 2:
                raise InputError(f"average-pool padding {self.padding} is more than half the kernel "
                                 f"{self.kernel_size}; a window could hold only padding")

    @property
    def forward_padded(self):
        """The output for an input that already carries its zero padding (incremental
        occlusion's slabs): exact only when the padding counts in the divisor and no ceil-mode
        window reaches past it; else None, and the occlusion plan recomputes whole maps."""
        return self._forward_padded if self.count_include_pad and not self.ceil_mode else None

    def _forward_padded(self, x):
        return ops.avgpool2d_forward(x, self.kernel_size, self.stride, (0, 0, 0, 0))

    def spatial_output(self, h, w):
        ho, wo = super().spatial_output(h, w)  # the floor sizes; fails if the window does not fit
        if not self.ceil_mode:
            return ho, wo
        (kh, kw), (sh, sw), (pt, pb, pl, pr) = self.kernel_size, self.stride, self.pads(h, w)
        return shapes.pool_output_size(h, kh, sh, pt, pb, True), shapes.pool_output_size(w, kw, sw, pl, pr, True)

    def output_shape(self, input_shape):
        c, h, w = input_shape
        return (c, *self.spatial_output(h, w))

    def forward(self, x):
        pads = self.check_input(x)
        y = ops.avgpool2d_forward(x, self.kernel_size, self.stride, pads, self.count_include_pad,
                                  self.ceil_mode)
        return y, (x.shape, pads)

    def backward(self, g, cache, rule="gradient"):
        input_shape, pads = cache
        return (ops.avgpool2d_backward(g, input_shape, self.kernel_size, self.stride, pads,
                                       self.count_include_pad),)

    def torch_module(self, torch):
        """nn.AvgPool2d for symmetric padding; otherwise (asymmetric or 'same' pads, which
        AvgPool2d cannot take) the window sums of the padded input over the count of what each
        window counts, the same divisor as ours."""
        pads = self.padding
        if pads != "same" and (pads[0], pads[2]) == (pads[1], pads[3]):
            return torch.nn.AvgPool2d(self.kernel_size, self.stride, (pads[0], pads[2]), self.ceil_mode,
                                      self.count_include_pad)
        pad, functional = same_pad(torch, self), torch.nn.functional

        def sums(z):
            return functional.avg_pool2d(z, self.kernel_size, self.stride, ceil_mode=self.ceil_mode,
                                         divisor_override=1)

        def pool(x):
            pt, pb, pl, pr = self.pads(*x.shape[2:])
            counted = functional.pad(torch.ones_like(x[:1, :1]), (pl, pr, pt, pb),
                                     value=float(self.count_include_pad))
            ho, wo = self.spatial_output(*x.shape[2:])  # PyTorch's ceil mode may add a window
            return (sums(pad(x)) / sums(counted))[..., :ho, :wo]  # starting in the trailing pads

        return function_module(torch, pool, f"avg-pool, padding {pads}")

    @classmethod
    def example(cls, rng):
        return cls(3, 2, padding=1)

    def config(self):
        return {**self.window_config(), "count_include_pad": self.count_include_pad,
                "ceil_mode": self.ceil_mode}
