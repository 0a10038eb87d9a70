"""Section 1 of docs/backprop-rules.md, continued: the layers of residual and mobile networks
(ResNet, MobileNetV2, EfficientNet) -- batch norm, the residual Add and a node read twice,
depthwise and grouped convolution, global average pooling -- each with its forward and
backward equations (equations.py's) and the file that implements it."""
from . import equations as eq
from .walkthrough_rules import math

MODERN = f"""\
### BatchNorm2d: an affine map at inference, batch statistics in training (`cnnvis/layers/batchnorm.py`)

At inference, the case every visualization method meets, mu and var are the running
statistics stored with the weights, so batch norm is a fixed affine map of each channel:

{math(eq.BN_INFERENCE)}

{math(eq.BN_INFERENCE_BACK)}

{math(eq.BN_PARAMS)}

Backward it scales g by the same s_c under every rule: it is linear, like a conv, and
`cnnvis.fold_batchnorm(net)` merges it into the conv before it (W' = s W, b' = s (b - mu) +
beta) without changing any number a rule produces. In training, mu and var are the batch's,
over the M = N H W values of channel c (var biased, as in PyTorch), so they depend on x,
and the backward gains two terms, one through the mean and one through the variance:

{math(eq.BN_TRAIN)}

{math(eq.BN_TRAIN_BACK)}

The running statistics move towards the batch's (running = (1 - momentum) running +
momentum batch, the variance unbiased). `cnnvis gradcheck batchnorm` checks the inference
map and `cnnvis gradcheck batchnorm --train` the training backward.

### Add: the residual connection, and a node read twice (`cnnvis/layers/merge.py`, `cnnvis/graph.py`)

{math(eq.ADD)}

{math(eq.ADD_BACK)}

The Add sends g back unchanged to each of its inputs, under every rule (it is linear). In a
residual block y = F(x) + x the input x is read twice, by the branch F and by the Add, so two
gradients arrive at x in the backward pass, and the chain rule adds them. `Network.backward`
walks the graph once in reverse topological order and sums the gradients arriving at every
node that several nodes read:

{math(eq.FORK_BACK)}

The skip term g reaches x whatever the branch does, even where the branch's ReLUs are off:
the identity path that lets gradients through very deep residual networks (He et al. 2016).
Concat (same file) sends each input back its own slice of g; Multiply (the gates of
squeeze-and-excitation) sends g times the other input, summed over the broadcast axes.
Section 3 traces a residual block by hand.

### Depthwise and grouped convolution (`cnnvis/layers/conv.py`, `groups=`)

With G groups the C input and O output channels are split into G groups, and an output
channel reads only the C/G input channels of its group: the kernel is (O, C/G, KH, KW).
Depthwise convolution (MobileNetV2, EfficientNet) is G = C = O: each filter reads one
channel.

{math(eq.DEPTHWISE)}

{math(eq.DEPTHWISE_BACK)}

{math(eq.DEPTHWISE_PARAMS)}

In general, with G groups and dilation d (the kernel's taps d pixels apart; shown for
stride 1 and no padding):

{math(eq.GROUPED)}

Backward, each group is an ordinary conv on its own: a channel's gradient comes only from
the filters of its group (for a depthwise conv, from its one filter), by the same
transposed correlation as above, under every rule.

### Global average pooling (`cnnvis/layers/global_pool.py`)

{math(eq.GAP)}

{math(eq.GAP_BACK)}

The head of ResNet, MobileNet and EfficientNet: each channel's mean. Backward, under every
rule, each of the H W positions gets an equal share of its channel's g. So when the maps A
feed the pool and then a dense layer directly, dS/dA_k = W[c,k] / (H W) at every position:
Grad-CAM's weights are the dense weights over H W, and Grad-CAM is the positive part of
Zhou et al.'s class activation map (CAM, 2016) divided by H W."""
