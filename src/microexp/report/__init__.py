"""Tables, plots and HTML reports of results."""
