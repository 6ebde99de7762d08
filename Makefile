# Two commands a user needs (both set up what they need, and are quick when already set up):
#   make demo   run the tracking node on bundled real footage with the bundled model
#   make test   run the test suite
# scripts/setup_env.sh builds .venv (pinned wheels, ROS 2 Jazzy from PyPI unless a real ROS 2
# is sourced, vision_msgs when missing, this package with colcon) and writes env.sh.
SHELL := /bin/bash

.PHONY: env test demo bench clean
env:
	./scripts/setup_env.sh

test: env
	./scripts/run_tests.sh $(PYTEST_ARGS)

demo: env
	./scripts/run_demo.sh

clean:
	rm -rf build install log .venv env.sh
