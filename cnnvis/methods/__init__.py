"""Visualization methods. Each takes (net, inputs, target, ...) and returns NumPy arrays."""
from . import by_name
from .activation_max import ActMax, activation_maximization
from .adversarial import Adversarial, fgsm, iterative_fgsm
from .blur import gaussian_blur
from .deconvnet import TopChannels, deconvnet, deconvnet_top_k, receptive_crop
from .deepdream import Dream, deepdream
from .embedding import Embedding, embedding
from .feature_maps import FeatureMaps, feature_maps
from .filters import FilterImages, filter_images
from .gradcam import gradcam, gradcam_plus_plus, guided_gradcam
from .guided_backprop import guided_backprop
from .integrated_gradients import IGResult, integrated_gradients
from .occlusion import OcclusionResult, occlusion
from .occlusion_approx import occlusion_drilldown
from .predictions import Predictions, top_k
from .saliency import saliency, saliency_map
from .scorecam import scorecam
from .smoothgrad import smoothgrad
from .targets import Unit, gradient, resolve
from .top_filters import TopFilters, top_filters
from .top_patches import TopPatches, top_patch_projections, top_patches
from .upsample import upsample

__all__ = ["Unit", "by_name", "gradient", "resolve",
           "Adversarial", "fgsm", "iterative_fgsm", "gaussian_blur", "TopChannels", "deconvnet",
           "deconvnet_top_k", "receptive_crop", "gradcam", "gradcam_plus_plus", "guided_gradcam",
           "guided_backprop", "IGResult", "integrated_gradients", "OcclusionResult", "occlusion",
           "occlusion_drilldown", "saliency", "saliency_map",
           "scorecam", "smoothgrad", "upsample",
           "ActMax", "activation_maximization", "Dream", "deepdream", "Embedding", "embedding",
           "FeatureMaps", "feature_maps", "FilterImages", "filter_images", "Predictions", "top_k",
           "TopFilters", "top_filters", "TopPatches", "top_patch_projections", "top_patches"]
