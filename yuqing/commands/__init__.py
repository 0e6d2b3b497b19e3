"""The commands of the `yuqing` command line, one module per area."""
