"""Command-line tools and bench helpers built on the stage packages (tcgatl.pancancer, ...):
``tcgatl-project`` (projection, timing) and the references the benchmarks compare with
(finetune_cache). A layer on top: nothing in the stage packages imports it."""
