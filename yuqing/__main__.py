"""`python -m yuqing` runs the command line, as the scheduler does for each crawl."""

from yuqing.cli import main

main()
