"""The Japanese catalog of the web UI: English text -> Japanese (``web.i18n``).

pages.py     the text of the templates
messages.py  flash messages, form errors, statuses, relative times, friendly errors
actions.py   the OAuth pages, option pickers, run actions, the run banner
reports.py   the report catalog: titles, descriptions, option names and descriptions
"""

from backlog_connector.web.ja_catalog.actions import ACTION_MESSAGES, ACTION_PAGES
from backlog_connector.web.ja_catalog.messages import MESSAGES
from backlog_connector.web.ja_catalog.pages import PAGES
from backlog_connector.web.ja_catalog.reports import REPORT_TITLES, REPORTS

#: every entry; a page's text wins over a message of the same English
JA: dict[str, str] = {**REPORTS, **MESSAGES, **ACTION_MESSAGES, **PAGES, **ACTION_PAGES}
#: the report titles, which win over a page's word of the same English ("Space", "Projects")
JA_REPORT_TITLES: dict[str, str] = REPORT_TITLES
#: the entries that also match messages formatted before they reach the page
JA_PATTERNS: dict[str, str] = {**MESSAGES, **ACTION_MESSAGES}
