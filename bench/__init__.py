"""Benchmarks. Each prints figures as ratios against a baseline measured in the same run;
nothing here is a test and nothing fails CI."""
