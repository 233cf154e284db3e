"""The messaging REST API (`/api/v1/`): one view per operation, see compose.py."""
