"""The rulebook (dated YAML parameters with clause references) and the deterministic eligibility checker."""

from assistant.eligibility.checker import EligibilityChecker
from assistant.eligibility.models import EligibilityResult, Profile
from assistant.eligibility.rulebook import Rulebook, default_rulebook, load_rulebook

__all__ = ["EligibilityChecker", "EligibilityResult", "Profile", "Rulebook", "default_rulebook", "load_rulebook"]
