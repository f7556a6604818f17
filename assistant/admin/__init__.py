"""Helpdesk administration: documents and re-index jobs, reports, approved answers."""
