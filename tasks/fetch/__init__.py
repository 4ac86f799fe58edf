"""The fetch stage: feeds and web pages, fetched safely and politely (see flows/live.py)."""
