"""Reach reports (数据报表): one data layer (`data`) behind the admin, the API and the command,
so all three give the same numbers."""
