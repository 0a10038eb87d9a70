"""The forward and backward equation of every layer, in plain text and LaTeX.

The same formulas as the layers' docstrings (cnnvis/layers/), in the notation of the
trace: within a layer x is its input, y its output, g = dS/dy what arrives from above
and dx = dS/dx what the layer sends below.
"""
from .blocks import Math

CONV = Math("y[f,p,q] = b[f] + sum_{c,i,j} W[f,c,i,j] * x[c, p+i, q+j]",
            r"y_{f,p,q} = b_f + \sum_{c,i,j} W_{f,c,i,j}\, x_{c,\,p+i,\,q+j}")
CONV_BACK = Math("dx[c,h,w] = sum_{f,i,j} W[f,c,i,j] * g[f, h-i, w-j]   (over h-i, w-j inside g)",
                 r"dx_{c,h,w} = \sum_{f,i,j} W_{f,c,i,j}\, g_{f,\,h-i,\,w-j}")
CONV_PARAMS = Math("dW[f,c,i,j] = sum_{p,q} g[f,p,q] * x[c, p+i, q+j],   db[f] = sum_{p,q} g[f,p,q]",
                   r"dW_{f,c,i,j} = \sum_{p,q} g_{f,p,q}\, x_{c,\,p+i,\,q+j}, \qquad db_f = \sum_{p,q} g_{f,p,q}")
RELU = Math("y = max(x, 0)", r"y = \max(x, 0)")
RELU_BACK = {
    "gradient": Math("dx = g * [x > 0]", r"dx = g\,[x > 0]"),
    "deconvnet": Math("dx = g * [g > 0]", r"dx = g\,[g > 0]"),
    "guided": Math("dx = g * [x > 0] * [g > 0]", r"dx = g\,[x > 0]\,[g > 0]"),
}
RULE_NAMES = {"gradient": "gradient (saliency, Simonyan et al. 2014)",
              "deconvnet": "deconvnet (Zeiler & Fergus 2014)",
              "guided": "guided backprop (Springenberg et al. 2015)"}
POOL = Math("y[f,p,q] = max_{i,j in {0,1}} x[f, 2p+i, 2q+j],   s[f,p,q] = (row, col) of that maximum",
            r"y_{f,p,q} = \max_{i,j \in \{0,1\}} x_{f,\,2p+i,\,2q+j}, \qquad "
            r"s_{f,p,q} = \operatorname{arg\,max}_{(2p+i,\,2q+j)} x_{f,\,2p+i,\,2q+j}")
POOL_BACK = Math("dx[f,h,w] = sum of g[f,p,q] over the (p,q) with s[f,p,q] = (h,w)   (0 elsewhere)",
                 r"dx_{f,h,w} = \sum_{(p,q):\ s_{f,p,q} = (h,w)} g_{f,p,q}")
FLATTEN = Math("y[f*P*P + p*P + q] = x[f,p,q]   (P x P maps)", r"y_{fP^2 + pP + q} = x_{f,p,q}")
FLATTEN_BACK = Math("dx[f,p,q] = g[f*P*P + p*P + q]", r"dx_{f,p,q} = g_{fP^2 + pP + q}")
DENSE = Math("z[k] = b[k] + sum_j W[k,j] * x[j]   (z = W x + b)", r"z_k = b_k + \sum_j W_{k,j}\, x_j")
DENSE_BACK = Math("dx[j] = sum_k W[k,j] * g[k]   (dx = W^T g)", r"dx_j = \sum_k W_{k,j}\, g_k")
DENSE_PARAMS = Math("dW[k,j] = g[k] * x[j],   db[k] = g[k]", r"dW_{k,j} = g_k\, x_j, \qquad db_k = g_k")
SOFTMAX = Math("p[k] = exp(z[k]) / sum_j exp(z[j])", r"p_k = \frac{e^{z_k}}{\sum_j e^{z_j}}")
SOFTMAX_BACK = Math("dz = p * (g - sum_k g[k] p[k])   (the Jacobian diag(p) - p p^T applied to g)",
                    r"dz = p \odot \Big(g - \sum_k g_k\, p_k\Big)")
CROSS_ENTROPY = Math("L = -log p[t],   dL/dz = p - e_t   (e_t: one-hot of the true class t)",
                     r"L = -\log p_t, \qquad \frac{\partial L}{\partial z} = p - e_t")

# ---- the layers of residual and mobile networks (ResNet, MobileNetV2, EfficientNet) ----------
CONV_PAD = Math("y[f,p,q] = b[f] + sum_{c,i,j} W[f,c,i,j] * x[c, p+i-1, q+j-1]   (padding 1: x = 0 outside)",
                r"y_{f,p,q} = b_f + \sum_{c,i,j} W_{f,c,i,j}\, x_{c,\,p+i-1,\,q+j-1} \quad (x = 0 \text{ outside})")
CONV_PAD_BACK = Math("dx[c,h,w] = sum_{f,i,j} W[f,c,i,j] * g[f, h-i+1, w-j+1]   (over h-i+1, w-j+1 inside g)",
                     r"dx_{c,h,w} = \sum_{f,i,j} W_{f,c,i,j}\, g_{f,\,h-i+1,\,w-j+1}")
DEPTHWISE = Math("y[c,p,q] = b[c] + sum_{i,j} W[c,0,i,j] * x[c, p+i, q+j]   (groups = channels)",
                 r"y_{c,p,q} = b_c + \sum_{i,j} W_{c,0,i,j}\, x_{c,\,p+i,\,q+j}")
DEPTHWISE_BACK = Math("dx[c,h,w] = sum_{i,j} W[c,0,i,j] * g[c, h-i, w-j]",
                      r"dx_{c,h,w} = \sum_{i,j} W_{c,0,i,j}\, g_{c,\,h-i,\,w-j}")
DEPTHWISE_PARAMS = Math("dW[c,0,i,j] = sum_{p,q} g[c,p,q] * x[c, p+i, q+j],   db[c] = sum_{p,q} g[c,p,q]",
                        r"dW_{c,0,i,j} = \sum_{p,q} g_{c,p,q}\, x_{c,\,p+i,\,q+j}, \qquad db_c = \sum_{p,q} g_{c,p,q}")
GROUPED = Math("y[o,p,q] = b[o] + sum_{c < C/G, i, j} W[o,c,i,j] * x[k*C/G + c, p+d*i, q+d*j],   "
               "k = floor(o / (O/G))   (G groups, dilation d)",
               r"y_{o,p,q} = b_o + \sum_{c < C/G,\,i,\,j} W_{o,c,i,j}\, x_{kC/G + c,\; p+di,\; q+dj}, "
               r"\qquad k = \lfloor o / (O/G) \rfloor")
GAP = Math("y[c] = (1 / (H W)) * sum_{h,w} x[c,h,w]", r"y_c = \frac{1}{HW} \sum_{h,w} x_{c,h,w}")
GAP_BACK = Math("dx[c,h,w] = g[c] / (H W)", r"dx_{c,h,w} = \frac{g_c}{HW}")
ADD = Math("y = x_1 + x_2   (a residual block: y = F(x) + x)",
           r"y = x_1 + x_2 \qquad (\text{a residual block: } y = F(x) + x)")
ADD_BACK = Math("dx_1 = g,   dx_2 = g   (the gradient is copied to both branches)", r"dx_1 = g, \qquad dx_2 = g")
FORK_BACK = Math("dS/dx = sum over the nodes n that read x of (dS/dx via n);   for y = F(x) + x: "
                 "dS/dx = dF/dx^T g + g",
                 r"\frac{\partial S}{\partial x} = \sum_{n \text{ reads } x} \Big(\frac{\partial S}"
                 r"{\partial x}\Big)_{\text{via } n}, \qquad y = F(x) + x:\ \ \frac{\partial S}{\partial x} = "
                 r"\Big(\frac{\partial F}{\partial x}\Big)^{\!\top} g + g")
BN_INFERENCE = Math("y[c,h,w] = gamma[c] * (x[c,h,w] - mu[c]) / sqrt(var[c] + eps) + beta[c] = s[c] * x[c,h,w] + t[c]",
                    r"y_{c,h,w} = \gamma_c\, \frac{x_{c,h,w} - \mu_c}{\sqrt{\sigma^2_c + \epsilon}} + \beta_c"
                    r" = s_c\, x_{c,h,w} + t_c, \qquad s_c = \frac{\gamma_c}{\sqrt{\sigma^2_c + \epsilon}}")
BN_INFERENCE_BACK = Math("dx[c,h,w] = s[c] * g[c,h,w]", r"dx_{c,h,w} = s_c\, g_{c,h,w}")
BN_TRAIN = Math("mu[c] = mean_{n,h,w} x[n,c,h,w],   var[c] = mean_{n,h,w} (x[n,c,h,w] - mu[c])^2,   "
                "xh = (x - mu[c]) / sqrt(var[c] + eps),   y = gamma[c] * xh + beta[c]",
                r"\mu_c = \tfrac{1}{M} \sum_{n,h,w} x_{n,c,h,w}, \quad \sigma^2_c = \tfrac{1}{M} \sum_{n,h,w}"
                r" (x_{n,c,h,w} - \mu_c)^2, \quad \hat{x} = \frac{x - \mu_c}{\sqrt{\sigma^2_c + \epsilon}},"
                r" \quad y = \gamma_c\, \hat{x} + \beta_c")
BN_TRAIN_BACK = Math("dx = (dxh - mean(dxh) - xh * mean(dxh * xh)) / sqrt(var[c] + eps),   dxh = gamma[c] * g   "
                     "(means over n, h, w of channel c)",
                     r"dx = \frac{1}{\sqrt{\sigma^2_c + \epsilon}} \Big(d\hat{x} - \overline{d\hat{x}} - \hat{x}\,"
                     r" \overline{d\hat{x}\, \hat{x}}\Big), \qquad d\hat{x} = \gamma_c\, g")
BN_PARAMS = Math("dgamma[c] = sum_{n,h,w} g * xh,   dbeta[c] = sum_{n,h,w} g",
                 r"d\gamma_c = \sum_{n,h,w} g_{n,c,h,w}\, \hat{x}_{n,c,h,w}, \qquad d\beta_c = \sum_{n,h,w} g_{n,c,h,w}")
RELU6 = Math("y = min(max(x, 0), 6)", r"y = \min(\max(x, 0), 6)")
RELU6_BACK = {
    "gradient": Math("dx = g * [0 < x < 6]", r"dx = g\,[0 < x < 6]"),
    "deconvnet": Math("dx = g * [g > 0]", r"dx = g\,[g > 0]"),
    "guided": Math("dx = g * [0 < x < 6] * [g > 0]", r"dx = g\,[0 < x < 6]\,[g > 0]"),
}
SIGMOID = Math("y = s(x) = 1 / (1 + exp(-x)),   dx = g * y * (1 - y)",
               r"y = s(x) = \frac{1}{1 + e^{-x}}, \qquad dx = g\, y\, (1 - y)")
SILU = Math("y = x * s(x),   dx = g * s(x) * (1 + x * (1 - s(x)))",
            r"y = x\, s(x), \qquad dx = g\, s(x)\, \big(1 + x\, (1 - s(x))\big)")
