"""What a dataset run computes: one job class per command (base.py says what a job defines)."""
from .base import Job
from .embed import EmbedJob
from .explain import ExplainJob
from .predict import PredictJob
from .top_patches import TopPatchesJob

__all__ = ["EmbedJob", "ExplainJob", "Job", "PredictJob", "TopPatchesJob"]
