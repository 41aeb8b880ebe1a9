"""Planning and running the paper's runs, above ``apis``: the stages and jobs
(``jobs``), the launchers' shared command line (``launcher``), smoke runs on the toy
benchmark (``smoke``), the paper's run names and numbers (``paper_runs``) and the
results table (``run_results``)."""
