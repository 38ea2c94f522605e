"""What a run did, for people: report.html, the comparison of two runs, the terminal inspector and summary."""
