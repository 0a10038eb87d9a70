"""What the methods must do, on networks built so that the answer is known by hand."""
import numpy as np
import pytest

from methods_nets import CLASSES, small
import cnnvis
from cnnvis import methods as M
from cnnvis.errors import InputError, LayerNotFoundError, TargetError
from cnnvis.images import load_image
from cnnvis.layers import Conv2D, Dense, Flatten, MaxPool2D, ReLU, Softmax
from cnnvis.graph import Network
from cnnvis.preprocessing import Preprocessing


# ---- Grad-CAM family: class-discriminative -------------------------------------------------
def two_object_scene():
    """A red square top-left, a green square bottom-right, and a network whose class 0
    counts red and class 1 counts green: conv channel 0 sees red, channel 1 green."""
    image = np.zeros((16, 16, 3))
    image[2:6, 2:6, 0] = 255
    image[10:14, 10:14, 1] = 255
    conv = Conv2D(3, 2, 3, padding=1, name="conv")
    w = np.zeros((2, 3, 3, 3), np.float32)
    w[0, 0, 1, 1] = w[1, 1, 1, 1] = 1
    conv.params["weight"] = w
    dense = Dense(2 * 8 * 8, 2, name="predictions")
    d = np.zeros((2, 2, 8, 8), np.float32)
    d[0, 0] = d[1, 1] = 1
    dense.params["weight"] = d.reshape(2, -1)
    net = Network([conv, ReLU(name="relu"), MaxPool2D(2, name="pool"), Flatten(name="flatten"),
                   dense, Softmax(name="softmax")], (3, 16, 16), Preprocessing("RGB", 1 / 255),
                  class_names=["red", "green"])
    return net, net.preprocess(image)


@pytest.mark.parametrize("method", [M.gradcam, M.gradcam_plus_plus, M.scorecam])
def test_cams_are_class_discriminative(method):
    net, x = two_object_scene()
    red, green = method(net, x, "red")[0], method(net, x, "green")[0]
    peak_red = np.unravel_index(red.argmax(), red.shape)
    peak_green = np.unravel_index(green.argmax(), green.shape)
    assert 2 <= peak_red[0] < 6 and 2 <= peak_red[1] < 6
    assert 10 <= peak_green[0] < 14 and 10 <= peak_green[1] < 14
    assert red[10:14, 10:14].max() < 0.1 and green[2:6, 2:6].max() < 0.1


def test_cam_layer_default_and_errors():
    net, x = small()
    assert M.cam.cam_layer(net) == "block2_conv2_relu"  # the last ReLU before the last pool
    assert M.cam.cam_layer(cnnvis.vgg16(include_top=False, input_shape=(3, 32, 32))) == \
        "block5_conv3_relu"
    with pytest.raises(InputError, match="fc1"):
        M.gradcam(net, x, 0, layer="fc1")
    with pytest.raises(LayerNotFoundError, match="block9"):
        M.gradcam(net, x, 0, layer="block9_conv1")
    with pytest.raises(InputError, match="upsample"):
        M.gradcam(net, x, 0, upsample="cubic")
    assert M.gradcam(net, x, 0, upsample=None).shape == (2, 16, 16)
    with pytest.raises(InputError, match="choose a layer before it"):
        M.gradcam(net, x, M.Unit("block1_conv2_relu", 0), layer="block2_conv2_relu")


def test_the_default_cam_layer_comes_before_a_unit_target():
    # a unit of the default CAM layer itself: the last layer before it whose units see less
    net = cnnvis.vgg16(include_top=False, input_shape=(3, 64, 64))
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    unit = M.Unit("block5_conv3_relu", 7)
    assert M.cam.cam_layer(net, target_layer="block5_conv3_relu") == "block5_conv2_relu"
    e = M.by_name.attribute(net, x, "gradcam", unit)
    assert e.layer == "block5_conv2_relu" and "the target lives in block5_conv3_relu" in e.info["note"]
    np.testing.assert_array_equal(e.values, M.gradcam(net, x, unit, layer="block5_conv2_relu"))
    with pytest.raises(InputError, match="no layer with .* comes before 'block1_conv1'"):
        M.cam.cam_layer(net, target_layer="block1_conv1")


# ---- deconvnet, guided backprop, gradient: the ReLU rules ----------------------------------
def sign_net():
    """x -> 1x1 conv (weight 1) -> ReLU -> dense: class 0 = +sum, class 1 = -sum."""
    conv = Conv2D(1, 1, 1, name="conv")
    conv.params["weight"] = np.ones((1, 1, 1, 1), np.float32)
    dense = Dense(4, 2, name="predictions")
    dense.params["weight"] = np.array([[1, 1, 1, 1], [-1, -1, -1, -1]], np.float32)
    return Network([conv, ReLU(name="relu"), Flatten(name="flatten"), dense], (1, 2, 2))


def test_deconvnet_ignores_the_forward_sign_guided_does_not():
    net = sign_net()
    x = np.array([[[[-1, 2], [3, -4]]]], np.float32)
    # class 0: the signal coming back is +1 at every ReLU
    on = np.array([[[[0, 1], [1, 0]]]], np.float32)   # where the forward ReLU was on
    assert np.array_equal(M.saliency(net, x, 0), on)
    assert np.array_equal(M.guided_backprop(net, x, 0), on)
    assert np.array_equal(M.deconvnet(net, x, 0), np.ones_like(x))  # the sign of x ignored
    # class 1: the signal coming back is -1: the gradient passes it where ReLU was on,
    # guided and deconvnet both stop negative signals
    assert np.array_equal(M.saliency(net, x, 1), -on)
    assert not M.guided_backprop(net, x, 1).any()
    assert not M.deconvnet(net, x, 1).any()


def test_deconvnet_activation_seed_scales_with_the_unit():
    net = sign_net()
    x = np.array([[[[-1, 2], [3, -4]]]], np.float32)
    # the unit (0, 1, 0) has activation 3; the one-hot seed sends 1 back, the activation seed 3
    one = M.deconvnet(net, x, M.Unit("relu", 0, 1, 0), seed="one-hot")
    act = M.deconvnet(net, x, M.Unit("relu", 0, 1, 0))
    assert one[0, 0, 1, 0] == 1 and act[0, 0, 1, 0] == 3 and np.count_nonzero(act) == 1
    with pytest.raises(InputError, match="seed"):
        M.deconvnet(net, x, M.Unit("relu", 0), seed="ones")


def test_top_k_channels_rank_and_project_each_alone():
    net, x = small()
    top = M.deconvnet_top_k(net, x, "block2_conv1_relu", k=3)
    assert top.projections.shape == (2, 3, 3, 32, 32) and top.channels.shape == (2, 3)
    assert np.all(np.diff(top.strengths, axis=1) <= 0)  # strongest first
    a = net.forward(x, until="block2_conv1_relu")
    for n in range(2):
        assert top.strengths[n, 0] == a[n].max()
        c = top.channels[n, 1]
        i, j = top.positions[n, 1]
        assert a[n, c, i, j] == top.strengths[n, 1]
        alone = M.deconvnet(net, x[n:n + 1], M.Unit("block2_conv1_relu", int(c), int(i), int(j)))
        # a batch of 2 against one image: float32 kernels block by batch size (measured 1e-7
        # on values up to 0.6)
        np.testing.assert_allclose(top.projections[n, 1], alone[0], rtol=1e-6, atol=1e-7)
    with pytest.raises(InputError, match="k must"):
        M.deconvnet_top_k(net, x, "block2_conv1_relu", k=17)
    with pytest.raises(InputError, match="seed"):
        M.deconvnet_top_k(net, x, "block2_conv1_relu", seed="ones")
    with pytest.raises(InputError, match="conv, ReLU or pool"):
        M.deconvnet_top_k(net, x, "fc1")


def test_receptive_crop_is_the_units_field():
    net, x = small()
    # block2_conv1's field: 3x3 conv, 3x3 conv, 2x2 pool, 3x3 conv: size 10, jump 2,
    # start -4, so unit (4, 4) sees pixels 4 .. 13 and unit (0, 0) pixels -4 .. 5
    patch = M.receptive_crop(net, x[0], "block2_conv1_relu", 4, 4)
    assert patch.shape == (3, 10, 10)
    assert np.array_equal(patch, x[0, :, 4:14, 4:14])
    assert np.array_equal(M.receptive_crop(net, x[0], "block2_conv1_relu", 0, 0), x[0, :, :6, :6])


# ---- integrated gradients: completeness ----------------------------------------------------
def biased_small_net():
    """The small VGG with random biases: no longer positively homogeneous, so the path
    gradient really changes and completeness needs enough steps."""
    net = cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32), classes=5, seed=4)
    rng = np.random.default_rng(4)
    for layer in net.nodes:
        if "bias" in layer.params:
            layer.params["bias"] = (0.1 * rng.standard_normal(layer.params["bias"].shape)).astype(np.float32)
    return net


@pytest.mark.parametrize("baseline", ["zeros", "blur"])
def test_integrated_gradients_completeness(baseline):
    net = biased_small_net()
    _, x = small()
    coarse = M.integrated_gradients(net, x, 1, baseline=baseline, steps=2, method="riemann_right")
    fine = M.integrated_gradients(net, x, 1, baseline=baseline, steps=256, batch_size=64)
    gap = np.abs(fine.scores - fine.baseline_scores)
    assert gap.min() > 0.05  # a real score difference to explain
    # 256 Gauss-Legendre steps: within 1% of the score difference (measured 0.001% to 0.35%).
    # The path crosses ReLU kinks, so the integrand is only piecewise smooth and no rule
    # converges fast: 64 steps gave up to 1.6%, 1024 steps 0.1%.
    assert np.all(np.abs(fine.completeness_error) <= 0.01 * gap)
    assert np.abs(coarse.completeness_error).max() > np.abs(fine.completeness_error).max()
    # the error is the float64 sum of the attributions minus the score gap; here they are
    # summed in float32 (measured 4e-7 relative)
    np.testing.assert_allclose(fine.attributions.reshape(2, -1).sum(axis=1),
                               fine.scores - fine.baseline_scores + fine.completeness_error,
                               rtol=1e-6)


def test_integrated_gradients_errors():
    net, x = small()
    with pytest.raises(InputError, match="method"):
        M.integrated_gradients(net, x, 0, method="simpson")
    with pytest.raises(InputError, match="at least 2"):
        M.integrated_gradients(net, x, 0, steps=1, method="riemann_left")
    with pytest.raises(InputError, match="baseline"):
        M.integrated_gradients(net, x, 0, baseline=np.zeros((3, 8, 8)))
    with pytest.raises(InputError, match="baseline"):
        M.integrated_gradients(net, x, 0, baseline="mean")


# ---- SmoothGrad ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", [M.saliency, M.guided_backprop, M.gradcam])
def test_smoothgrad_with_sigma_zero_is_the_method(method):
    net, x = small()
    plain = method(net, x, [1, 3])
    smooth = M.smoothgrad(net, x, [1, 3], method=method, n=3, sigma=0.0)
    # the mean of 3 equal float32 values: equal to rounding (1e-6 relative)
    np.testing.assert_allclose(smooth, plain, rtol=1e-6, atol=1e-6 * np.abs(plain).max())


def test_smoothgrad_noise_is_the_papers_fraction_of_the_range():
    net, x = small()
    identity = lambda net, xs, target: xs  # noqa: E731  (a "method" returning its input)
    n, sigma = 100, 0.15
    mean = M.smoothgrad(net, x, 0, method=identity, n=n, sigma=sigma, batch_size=64)
    mean_sq = M.smoothgrad(net, x, 0, method=identity, n=n, sigma=sigma, squared=True, batch_size=64)
    spread = x.reshape(2, -1).max(axis=1) - x.reshape(2, -1).min(axis=1)
    std = np.sqrt((mean_sq - mean ** 2).reshape(2, -1).mean(axis=1))
    # 3072 pixels x 100 samples per image estimate the std to ~0.3%: allow 2%
    np.testing.assert_allclose(std, sigma * spread, rtol=0.02)


def test_smoothgrad_seed_and_errors():
    net, x = small()
    a = M.smoothgrad(net, x, 0, n=2, seed=1)
    # the same noise whatever the batching (the kernels' rounding depends on the batch size)
    np.testing.assert_allclose(a, M.smoothgrad(net, x, 0, n=2, seed=1, batch_size=1),
                               rtol=1e-5, atol=1e-6 * np.abs(a).max())
    assert not np.array_equal(a, M.smoothgrad(net, x, 0, n=2, seed=2))
    with pytest.raises(InputError, match="noise"):
        M.smoothgrad(net, x, 0, noise=np.zeros((2, 3, 32, 32)))
    with pytest.raises(InputError, match="sigma"):
        M.smoothgrad(net, x, 0, sigma=-0.1)


@pytest.mark.parametrize("method", [M.scorecam, M.smoothgrad, M.integrated_gradients])
def test_batch_size_below_one_is_an_input_error(method):
    net, x = small()
    with pytest.raises(InputError, match="batch_size must be at least 1, got 0"):
        method(net, x, 0, batch_size=0, progress=False)


# ---- targets -------------------------------------------------------------------------------
def test_targets_by_name_predicted_and_per_image():
    net, x = small()
    assert np.array_equal(M.saliency(net, x, "dog"), M.saliency(net, x, CLASSES.index("dog")))
    predicted = net.predict(x).argmax(axis=1)
    assert np.array_equal(M.saliency(net, x, "predicted"), M.saliency(net, x, list(predicted)))
    both = M.gradcam(net, x, ["car", 4])
    # one image at a time: equal to float32 rounding (kernels block by batch size)
    np.testing.assert_allclose(both[0], M.gradcam(net, x[:1], 2)[0], atol=1e-5)
    np.testing.assert_allclose(both[1], M.gradcam(net, x[1:], 4)[0], atol=1e-5)


@pytest.mark.parametrize("target,message", [
    (5, "out of range"), ("cta", "did you mean 'cat'"), ([1, 2, 3], "3 targets for 2 images"),
    (M.Unit("block1_conv1_relu", 99), "channel 99"), (True, "cannot use"),
    (M.Unit("block1_conv1_relu", 0, 40, 0), "outside")])
def test_bad_targets_raise_target_error(target, message):
    net, x = small()
    with pytest.raises(TargetError, match=message):
        M.saliency(net, x, target)


def test_prob_score_needs_a_softmax():
    net = sign_net()
    with pytest.raises(TargetError, match="logit"):
        M.saliency(net, np.ones((1, 1, 2, 2), np.float32), 0, score="prob")


# ---- FGSM ----------------------------------------------------------------------------------
def torchvision_small_net():
    return cnnvis.small_vgg(widths=(8, 16), input_shape=(3, 32, 32), classes=5,
                            preprocessing=Preprocessing.torchvision())


def test_fgsm_units_and_clipping():
    net = torchvision_small_net()
    images = np.stack([load_image("cat", (32, 32)), np.full((32, 32, 3), 255)])
    x = net.preprocess(images)
    adv = M.fgsm(net, x, "predicted", epsilon=4.0, unit="pixel")
    step = 4.0 / 255 / net.preprocessing.std  # 4 grey levels in input units, per channel
    # float32 rounding of x + step moves each input by step to ~1e-6 relative (measured
    # 1.1e-6): 1e-5 here and below; pixels and probabilities to float32 rounding likewise
    delta = np.abs(adv.x - x)
    assert np.all(delta <= step[None, :, None, None] * (1 + 1e-5))
    np.testing.assert_allclose(adv.linf, 4.0, rtol=1e-5)
    pixels = net.deprocess(adv.x)
    assert pixels.min() >= -1e-3 and pixels.max() <= 255 + 1e-3  # clipped to real images
    assert np.all(adv.x[1] <= x[1] + 1e-6)  # the white image is at the top: it can only go down
    assert np.any(adv.x[1] < x[1])
    same = M.fgsm(net, x, "predicted", epsilon=float(step[0]), unit="input")
    assert np.allclose(same.x[:, 0], adv.x[:, 0], atol=1e-6)  # channel 0: the same step
    assert adv.probs_before.shape == (2, 5) and np.allclose(adv.probs_after.sum(axis=1), 1, atol=1e-5)


def test_targeted_iterative_fgsm_pulls_the_target_up():
    net, x = small()
    target = [0, 0]
    adv = M.iterative_fgsm(net, x, target, epsilon=8.0, targeted=True, progress=False)
    assert np.all(adv.probs_after[:, 0] > adv.probs_before[:, 0])
    assert np.all(adv.linf <= 8.0 * (1 + 1e-5))  # float32 rounding, as in the test above
    untargeted = M.fgsm(net, x, "predicted", epsilon=8.0)
    rows = np.arange(2)
    assert np.all(untargeted.probs_after[rows, untargeted.predictions_before] <
                  untargeted.probs_before[rows, untargeted.predictions_before])


def test_fgsm_errors():
    net, x = small()
    with pytest.raises(TargetError, match="class"):
        M.fgsm(net, x, M.Unit("block1_conv1_relu", 0))
    with pytest.raises(InputError, match="unit"):
        M.fgsm(net, x, 0, unit="percent")
    with pytest.raises(InputError, match="epsilon"):
        M.fgsm(net, x, 0, epsilon=-1)
    with pytest.raises(InputError, match="steps must be at least 1"):
        M.iterative_fgsm(net, x, 0, steps=0, progress=False)
