"""The report catalog: every report by name."""

from __future__ import annotations

from backlog_connector.backlog.errors import InvalidOptionError
from backlog_connector.reports.activities import RecentUpdatesReport
from backlog_connector.reports.base import Report
from backlog_connector.reports.comments import CommentsReport
from backlog_connector.reports.flow import CumulativeFlowReport, CycleTimesReport, ThroughputReport
from backlog_connector.reports.git import GitRepositoriesReport, PullRequestsReport
from backlog_connector.reports.issues import IssuesReport
from backlog_connector.reports.lookups import PrioritiesReport, ResolutionsReport
from backlog_connector.reports.pages import DocumentsReport, WikisReport
from backlog_connector.reports.people import ProjectMembersReport, TeamsReport, UsersReport
from backlog_connector.reports.project_lists import (
    CategoriesReport,
    CustomFieldsReport,
    IssueTypesReport,
    StatusesReport,
    VersionsReport,
)
from backlog_connector.reports.projects import ProjectsReport
from backlog_connector.reports.space import RateLimitReport, SpaceReport
from backlog_connector.reports.status_history import IssueStatusHistoryReport

_ALL: tuple[Report, ...] = (
    # the nine of the original connector, in its order
    SpaceReport(),
    ProjectsReport(),
    UsersReport(),
    TeamsReport(),
    IssueTypesReport(),
    CategoriesReport(),
    IssuesReport(),
    RecentUpdatesReport(),
    RateLimitReport(),
    # and beyond
    StatusesReport(),
    PrioritiesReport(),
    ResolutionsReport(),
    VersionsReport(),
    CustomFieldsReport(),
    CommentsReport(),
    IssueStatusHistoryReport(),
    # the rest of the API
    GitRepositoriesReport(),
    PullRequestsReport(),
    WikisReport(),
    DocumentsReport(),
    ProjectMembersReport(),
    # derived from the status history
    CycleTimesReport(),
    CumulativeFlowReport(),
    ThroughputReport(),
)

#: report name -> report
REPORTS: dict[str, Report] = {report.name: report for report in _ALL}


def get_report(name: str) -> Report:
    """The report called ``name``; an unknown name is an ``InvalidOptionError`` listing the
    valid ones."""
    report = REPORTS.get(name.strip().lower()) if isinstance(name, str) else None
    if report is None:
        raise InvalidOptionError(f"Unknown report {name!r}. Valid reports: {', '.join(REPORTS)}.")
    return report
