"""`contestbot demo`: a whole competition played on the built-in sandbox (`run`), what it shows
and prints (`show`, `view`), and the checks that the demo's figures are right (`check`)."""
