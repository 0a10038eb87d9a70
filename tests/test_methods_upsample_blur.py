"""The shared helpers: upsample against torch's F.interpolate, gaussian_blur against the
Gaussian written out by hand."""
import numpy as np
import pytest

from cnnvis.errors import InputError
from cnnvis.methods import gaussian_blur, upsample
from cnnvis.methods.blur import gaussian_kernel

SIZES = [((14, 14), (224, 224)), ((2, 2), (32, 32)), ((7, 5), (33, 19)), ((8, 8), (4, 4)),
         ((3, 4), (3, 4)), ((4, 6), (8, 12))]


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("small,big", SIZES)
def test_upsample_is_torch_interpolate(torch, rng, mode, dtype, small, big):
    maps = rng.standard_normal((2, 3) + small).astype(dtype)
    extra = {"align_corners": False} if mode == "bilinear" else {}
    theirs = torch.nn.functional.interpolate(torch.from_numpy(maps), big, mode=mode, **extra).numpy()
    ours = upsample(maps, big, mode)
    assert ours.dtype == dtype and ours.shape == theirs.shape
    # nearest copies values: exact. bilinear: PyTorch's vectorised loop fuses multiply-adds,
    # so a few ulps of the values (|maps| < 5): 2e-6 in float32, 1e-14 in float64.
    tol = 0 if mode == "nearest" else (2e-6 if dtype == np.float32 else 1e-14)
    assert np.abs(ours - theirs).max() <= tol
    # (N, h, w) maps work the same
    assert np.array_equal(upsample(maps[:, 0], big, mode), ours[:, 0])


def test_upsample_bad_mode():
    with pytest.raises(InputError, match="bilinear"):
        upsample(np.zeros((1, 2, 2)), (4, 4), "bicubic")


def test_blur_of_a_point_is_the_gaussian():
    sigma = 1.5
    x = np.zeros((1, 2, 21, 21))
    x[0, 1, 10, 10] = 1
    t = np.arange(-6, 7)  # radius int(4 * 1.5 + 0.5) = 6
    k = np.exp(-t ** 2 / (2 * sigma ** 2))
    k /= k.sum()
    expected = np.zeros((21, 21))
    expected[4:17, 4:17] = np.outer(k, k)
    out = gaussian_blur(x, sigma)
    # float64 sums of 13 taps in another order: rounding of values <= 0.07 (measured 3e-19)
    np.testing.assert_allclose(out[0, 1], expected, atol=1e-15)
    assert np.all(out[0, 0] == 0)  # channels are blurred separately


def test_blur_mirrors_the_border():
    # a point on the edge of a 1-row image: the mirror image of pixel 0 is pixel -1, so
    # out[i] = k[i] + k[i + 1] (with k centred on 0): the mass that would leave comes back
    sigma = 2.0
    x = np.zeros((1, 1, 1, 30))
    x[..., 0] = 1
    k = np.exp(-np.arange(0, 10) ** 2 / (2 * sigma ** 2))
    k /= np.exp(-np.arange(-8, 9) ** 2 / (2 * sigma ** 2)).sum()
    expected = np.zeros(30)
    expected[:8] = k[:8] + k[1:9]
    expected[8] = k[8]
    # blurring along the rows of a 1-row image mirrors the row onto itself: a no-op there;
    # float64 rounding of values <= 0.4 (measured 6e-17)
    np.testing.assert_allclose(gaussian_blur(x, sigma)[0, 0, 0], expected, atol=1e-15)


def test_blur_keeps_constants_and_sigma_zero_is_identity(rng):
    x = np.full((1, 3, 9, 7), 4.25, np.float32)
    np.testing.assert_allclose(gaussian_blur(x, 3.0), x, rtol=1e-6)  # float32 sums of 25 taps (1e-7)
    y = rng.standard_normal((2, 3, 5, 5))
    assert np.array_equal(gaussian_blur(y, 0), y)
    assert len(gaussian_kernel(2.0)) == 17
    with pytest.raises(InputError):
        gaussian_blur(y, -1)
