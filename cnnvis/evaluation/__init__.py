"""Which explanation can be trusted? Faithfulness metrics and sanity checks of the methods.

* maps.py: each method as one relevance map per image (what every metric reads);
* perturbation.py: deletion / insertion (Petsiuk et al. 2018), MoRF / LeRF, ROAD (Rong et
  al. 2022; road.py: noisy linear imputation);
* randomization.py: model-parameter (cascading, independent) and data randomization
  (Adebayo et al. 2018), with similarity.py's Spearman, SSIM and HOG;
* localisation.py: pointing game and energy-based pointing game, on boxes.py's sets;
* run.py: methods x metrics on a model and a set of images, the table `cnnvis evaluate` prints.
Every metric agrees with Quantus 0.6.0 in tests/test_evaluation_quantus.py, to the
tolerances stated there.
"""
from .boxes import LocalisationSet, grid_set, localisation_set, pasted_set, photo_set
from .localisation import box_masks, energy_pointing_game, pointing_game
from .maps import METHODS, relevance, relevance_all
from .perturbation import Curves, deletion, insertion, perturbation_curves, road
from .randomization import (DataRandomization, Randomization, data_randomization, model_randomization,
                            randomizable_layers)
from .run import METRICS, Evaluation, evaluate
from .similarity import SIMILARITIES, hog_similarity, similarity, spearman, ssim

__all__ = ["METHODS", "METRICS", "SIMILARITIES", "Curves", "DataRandomization", "Evaluation",
           "LocalisationSet", "Randomization", "box_masks", "data_randomization", "deletion",
           "energy_pointing_game", "evaluate", "grid_set", "hog_similarity", "insertion",
           "localisation_set", "model_randomization", "pasted_set", "perturbation_curves", "photo_set",
           "pointing_game", "randomizable_layers", "relevance", "relevance_all", "road", "similarity",
           "spearman", "ssim"]
