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
