"""The demo: a sample city site (`yuqing.demo.site`) whose sources `yuqing demo` crawls."""
