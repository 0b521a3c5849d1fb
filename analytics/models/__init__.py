from .checks import HeldRange  # noqa: F401
from .downloads import TeacherDownload  # noqa: F401  (teacher account: 我的 page)
from .links import ApiToken  # noqa: F401

# --- analytics reports: one import line per module (meetings, links) below ---
from .meetings import ClassMeeting, LiveParticipation, LiveParticipationImport  # noqa: F401
from .plays import Play, ViewerCampaign, ViewerDay
from .rollups import CampaignReach, DailyPageView, DailyReach, RollupLock, RollupOutbox
from .salts import Salt

__all__ = [
    "CampaignReach",
    "DailyPageView",
    "DailyReach",
    "Play",
    "RollupLock",
    "RollupOutbox",
    "Salt",
    "ViewerCampaign",
    "ViewerDay",
]
