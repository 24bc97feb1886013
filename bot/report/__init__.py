"""The organiser's report and the public results page (issue 11).

`gather` reads what a report needs from the store (shell); `bot.core.campaign` analyses it (pure);
`document` turns both into the versioned JSON documents (`contestbot.report/1` for organisers,
`contestbot.public-results/1` for the public page); `charts` draws a table as inline SVG or PNG;
`render` fills the Jinja2 templates; `write` puts the HTML, JSON and CSV files in place atomically.
"""
