"""`cnnvis verify` on graph networks: residual Adds, batch norms, depthwise convs and ReLU6,
where Captum's deconvnet and guided backprop alone would apply no rule (they hook nn.ReLU only)."""
import numpy as np

from test_occlusion_graphs import mobile_block_net
from test_graph import residual_net
from cnnvis.verify.checks import verify


def test_every_check_passes_on_graphs():
    for net in (residual_net(), mobile_block_net()):
        x = np.random.default_rng(0).standard_normal((1,) + net.input_shape).astype(np.float32)
        checks = verify(net, x, target=1)
        assert all(c.not_run is None for c in checks), [c.name for c in checks if c.not_run]
        failed = [(c.name, c.max_rel) for c in checks if not c.passed]
        assert not failed, failed
        names = " ".join(c.name for c in checks)
        assert "deconvnet vs Captum Deconvolution" in names and "(Add)" in names
